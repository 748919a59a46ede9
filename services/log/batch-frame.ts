/**
 * A batch frame: the unit of a `.log` file. The file is a sequence of frames, each a
 * fixed 63-byte header followed by the entries of the batch's records. Little-endian:
 *
 *   offset size field
 *    0      8   baseOffset       int64   offset of the first record
 *    8      4   batchLength      int32   bytes after this field (frame length - 12)
 *   12      4   leaderEpoch      int32   the log's epoch when appended (Kafka's partitionLeaderEpoch;
 *                                        leader-epoch-cache.ts); 0 until an unclean restart
 *   16      1   magic            int8    format version, 1
 *   17      4   crc              uint32  CRC-32 (zlib) of bytes [21, frame end)
 *   21      2   attributes       int16   0: no compression
 *   23      4   lastOffsetDelta  int32   offset of the last record - baseOffset
 *   27      8   firstTimestamp   int64   ms, of the first record (producer's or append time)
 *   35      8   maxTimestamp     int64   ms, the largest record timestamp in the batch
 *   43      8   producerId       int64   -1 if none
 *   51      8   baseSequence     int64   -1 if none
 *   59      4   recordCount      int32   > 0
 *   63      .   entries          recordCount record entries (see record-entry.ts)
 *
 * Like Kafka's v2 batch, the crc leaves out baseOffset, batchLength, leaderEpoch and
 * magic, so that replication can later restamp offsets and epochs; those fields are
 * checked structurally instead (baseOffset must continue the previous frame).
 *
 * Offsets: a frame covers [baseOffset, baseOffset + lastOffsetDelta], and each frame's
 * baseOffset is one past the previous frame's last offset, so frames tile a segment's
 * offsets. As appended, a frame's records have exactly those offsets and lastOffsetDelta
 * is recordCount - 1. A frame rewritten by compaction (log-cleaner.ts) holds fewer
 * records than its range: the entries' offsets increase but may skip, the first may lie
 * above baseOffset, the last is always baseOffset + lastOffsetDelta, so lastOffsetDelta
 * >= recordCount - 1. Only the offsets inside the entries identify records.
 */
import { crc32 } from "node:zlib";

export const frameHeaderBytes = 63;
/** Largest frame: positions and lengths are int32. */
export const maxFrameBytes = 0x7fffffff - frameHeaderBytes;
export const frameMagic = 1;
/** Bytes before batchLength's end: batchLength counts what follows. */
export const frameLengthOverhead = 12;
const crcAt = 17;
const crcCoversFrom = 21;

/** A decoded frame header: a readonly value, for recovery and scans (the append and
 * read hot paths use the accessor functions instead, which allocate nothing). */
export interface BatchHeader {
  readonly baseOffset: number;
  readonly frameLength: number;
  readonly leaderEpoch: number;
  readonly magic: number;
  readonly attributes: number;
  readonly lastOffsetDelta: number;
  readonly firstTimestamp: number;
  readonly maxTimestamp: number;
  readonly producerId: bigint;
  readonly baseSequence: bigint;
  readonly recordCount: number;
}

/** Reads an int64 as a number (offsets and timestamps stay below 2^53). */
export function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32LE(at + 4) * 4294967296 + buf.readUInt32LE(at);
}

/** Writes a safe integer (possibly negative) as an int64. */
export function writeInt64(buf: Buffer, value: number, at: number): void {
  buf.writeUInt32LE(value >>> 0, at);
  buf.writeInt32LE(Math.floor(value / 4294967296), at + 4);
}

export function frameBaseOffset(buf: Buffer, at: number): number {
  return readInt64(buf, at);
}
export function frameLength(buf: Buffer, at: number): number {
  return buf.readInt32LE(at + 8) + frameLengthOverhead;
}
export function frameLastOffsetDelta(buf: Buffer, at: number): number {
  return buf.readInt32LE(at + 23);
}
export function frameMaxTimestamp(buf: Buffer, at: number): number {
  return readInt64(buf, at + 35);
}
export function frameRecordCount(buf: Buffer, at: number): number {
  return buf.readInt32LE(at + 59);
}

export interface FrameFields {
  baseOffset: number;
  frameLength: number;
  recordCount: number;
  /** Offset of the last record - baseOffset; recordCount - 1 when omitted (an append). */
  lastOffsetDelta?: number;
  /** The log's current leader epoch (leader-epoch-cache.ts); 0 when omitted. */
  leaderEpoch?: number;
  firstTimestamp: number;
  maxTimestamp: number;
  producerId: bigint;
  baseSequence: bigint;
}

/** Writes the header of a frame whose entries are already at `at + frameHeaderBytes`,
 * then its crc. */
export function writeFrameHeader(buf: Buffer, at: number, f: FrameFields): void {
  writeInt64(buf, f.baseOffset, at);
  buf.writeInt32LE(f.frameLength - frameLengthOverhead, at + 8);
  buf.writeInt32LE(f.leaderEpoch ?? 0, at + 12);
  buf[at + 16] = frameMagic;
  buf.writeInt16LE(0, at + 21);
  buf.writeInt32LE(f.lastOffsetDelta ?? f.recordCount - 1, at + 23);
  writeInt64(buf, f.firstTimestamp, at + 27);
  writeInt64(buf, f.maxTimestamp, at + 35);
  buf.writeBigInt64LE(f.producerId, at + 43);
  buf.writeBigInt64LE(f.baseSequence, at + 51);
  buf.writeInt32LE(f.recordCount, at + 59);
  buf.writeUInt32LE(computeFrameCrc(buf, at, f.frameLength), at + crcAt);
}

export function computeFrameCrc(buf: Buffer, at: number, length: number): number {
  return crc32(buf.subarray(at + crcCoversFrom, at + length));
}

/** True when the frame at `at` (entirely inside `buf`) matches its stored crc. */
export function frameCrcMatches(buf: Buffer, at: number, length: number): boolean {
  return buf.readUInt32LE(at + crcAt) === computeFrameCrc(buf, at, length);
}

export function readFrameHeader(buf: Buffer, at: number): BatchHeader {
  return {
    baseOffset: readInt64(buf, at),
    frameLength: frameLength(buf, at),
    leaderEpoch: buf.readInt32LE(at + 12),
    magic: buf[at + 16],
    attributes: buf.readInt16LE(at + 21),
    lastOffsetDelta: buf.readInt32LE(at + 23),
    firstTimestamp: readInt64(buf, at + 27),
    maxTimestamp: readInt64(buf, at + 35),
    producerId: buf.readBigInt64LE(at + 43),
    baseSequence: buf.readBigInt64LE(at + 51),
    recordCount: buf.readInt32LE(at + 59),
  };
}

/**
 * Structural checks of a header at `at`, before trusting its length.
 * @param expectedBase the offset the frame must start at, or -1 if unknown
 * @param room bytes available for the frame (to the end of valid data)
 * @returns null when sound, else a short reason for the log
 */
export function frameHeaderProblem(buf: Buffer, at: number, expectedBase: number, room: number): string | null {
  const length = frameLength(buf, at);
  const count = buf.readInt32LE(at + 59);
  if (buf[at + 16] !== frameMagic) return "bad magic";
  if (length < frameHeaderBytes || length > room) return "bad length";
  if (count <= 0 || frameLastOffsetDelta(buf, at) < count - 1) return "bad record count"; // > in compacted frames
  // Each entry takes at least 11 bytes: tag, length, tag and 8 offset bytes.
  if (count * 11 > length - frameHeaderBytes) return "bad record count";
  const base = readInt64(buf, at);
  if (expectedBase >= 0 ? base !== expectedBase : base < 0) return "offset discontinuity";
  return null;
}
