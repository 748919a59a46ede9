/**
 * Idempotent-producer state of one partition (Kafka's ProducerStateManager, simplified):
 * per producerId, the last `batchesPerProducer` batches' sequence and offsets, so that
 * a retried batch is answered with its original offsets instead of being appended twice.
 *
 * Rules: a sequence equal to a remembered batch's is a duplicate; a sequence at or below
 * the producer's last and not remembered is out of order; anything above the last is
 * new (gaps allowed). At most `maxProducers` producers are kept; the least recently
 * appending one is forgotten first (its next batch is then accepted as new).
 *
 * Persistence: the state is rebuilt on open from frame headers (producerId and
 * baseSequence), starting from a snapshot written at every segment roll and on clean
 * close: the snapshot plus the headers after it (the active segment's); without a usable
 * snapshot, from the active segment's headers only; see Log.open.
 *
 * Snapshot file (`producer-state.snapshot`), little-endian: version uint32 = 1,
 * endOffset int64 (the log end offset it describes), producer count uint32, then per
 * producer: producerId int64, batch count uint8, batches of (sequence int64, baseOffset
 * int64, lastOffset int64, appendTimeMs int64); finally crc32 of everything before it.
 */
import { crc32 } from "node:zlib";
import { OutOfOrderSequenceError } from "../errors.js";
import { readInt64, writeInt64 } from "./batch-frame.js";

export interface ProducerBatch {
  readonly sequence: bigint;
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly appendTimeMs: number;
}

const batchesPerProducer = 5;
const defaultMaxProducers = 10_000;
const snapshotVersion = 1;

export class ProducerStateManager {
  private readonly producers = new Map<bigint, ProducerBatch[]>();

  constructor(readonly maxProducers: number = defaultMaxProducers) {}

  get producerCount(): number {
    return this.producers.size;
  }

  /**
   * The remembered batch with this sequence (a duplicate), or null when the batch is new.
   * @throws OutOfOrderSequenceError when the sequence is not above the last one and not remembered
   */
  check(producerId: bigint, sequence: bigint): ProducerBatch | null {
    const batches = this.producers.get(producerId);
    if (batches === undefined) return null;
    for (const batch of batches) {
      if (batch.sequence === sequence) return batch;
    }
    const last = batches[batches.length - 1].sequence;
    if (sequence <= last) {
      throw new OutOfOrderSequenceError(`sequence ${sequence} is not above the last appended sequence ${last}`);
    }
    return null;
  }

  /** Remembers an appended batch (also used to replay frame headers on open). */
  record(producerId: bigint, batch: ProducerBatch): void {
    let batches = this.producers.get(producerId);
    if (batches === undefined) {
      batches = [];
    } else {
      this.producers.delete(producerId); // re-insert: Map order is recency order
    }
    if (batches.length > 0 && batch.sequence <= batches[batches.length - 1].sequence) {
      batches.length = 0; // replay after a producer restarted its sequences
    }
    batches.push(batch);
    if (batches.length > batchesPerProducer) batches.shift();
    this.producers.set(producerId, batches);
    if (this.producers.size > this.maxProducers) {
      const oldest = this.producers.keys().next().value as bigint;
      this.producers.delete(oldest);
    }
  }

  /** Forgets the batches at or above `offset` (a truncated log); a producer left with
   * none is forgotten. Earlier batches a producer's window had dropped stay forgotten. */
  truncateFrom(offset: number): void {
    for (const [producerId, batches] of [...this.producers]) {
      const kept = batches.filter((b) => b.lastOffset < offset);
      if (kept.length === 0) this.producers.delete(producerId);
      else if (kept.length < batches.length) this.producers.set(producerId, kept);
    }
  }

  /** Serializes the state as of log end offset `endOffset`. */
  toSnapshot(endOffset: number): Buffer {
    let size = 4 + 8 + 4 + 4;
    for (const batches of this.producers.values()) size += 9 + batches.length * 32;
    const buf = Buffer.alloc(size);
    buf.writeUInt32LE(snapshotVersion, 0);
    writeInt64(buf, endOffset, 4);
    buf.writeUInt32LE(this.producers.size, 12);
    let at = 16;
    for (const [producerId, batches] of this.producers) {
      buf.writeBigInt64LE(producerId, at);
      buf[at + 8] = batches.length;
      at += 9;
      for (const b of batches) {
        buf.writeBigInt64LE(b.sequence, at);
        writeInt64(buf, b.baseOffset, at + 8);
        writeInt64(buf, b.lastOffset, at + 16);
        writeInt64(buf, b.appendTimeMs, at + 24);
        at += 32;
      }
    }
    buf.writeUInt32LE(crc32(buf.subarray(0, at)), at);
    return buf;
  }

  /** Parses a snapshot; null when it is damaged or of another version. */
  static fromSnapshot(buf: Buffer, maxProducers = defaultMaxProducers): { endOffset: number; state: ProducerStateManager } | null {
    if (buf.length < 20 || buf.readUInt32LE(buf.length - 4) !== crc32(buf.subarray(0, buf.length - 4))) return null;
    if (buf.readUInt32LE(0) !== snapshotVersion) return null;
    const state = new ProducerStateManager(maxProducers);
    const count = buf.readUInt32LE(12);
    let at = 16;
    for (let i = 0; i < count; i++) {
      if (at + 9 > buf.length - 4) return null;
      const producerId = buf.readBigInt64LE(at);
      const n = buf[at + 8];
      at += 9;
      if (at + n * 32 > buf.length - 4) return null;
      for (let j = 0; j < n; j++, at += 32) {
        state.record(producerId, {
          sequence: buf.readBigInt64LE(at),
          baseOffset: readInt64(buf, at + 8),
          lastOffset: readInt64(buf, at + 16),
          appendTimeMs: readInt64(buf, at + 24),
        });
      }
    }
    return { endOffset: readInt64(buf, 4), state };
  }
}
