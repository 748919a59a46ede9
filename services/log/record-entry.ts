/**
 * A record entry: how one record is stored inside a batch frame, and exactly how it is
 * sent. An entry is the protobuf encoding of one element of
 * `repeated ConsumerRecord records = 1` of FetchResponse:
 *
 *   0x0A <varint bodyLength> <body>
 *   body = 0x09 <offset, int64 little-endian>           ConsumerRecord.offset (sfixed64 = 1)
 *          [0x10 <varint appendTimeMs>]                  timestamp_ms = 2, only if the producer gave none
 *          <the producer's ProducerRecord bytes, verbatim> (fields 2..5; never field 1)
 *
 * Protobuf merges concatenated fields, so the body decodes as a ConsumerRecord and a
 * fetch is slices of frames with no per-record decode or encode. The functions here walk
 * entries at the wire level (tag and length) only; the offset always sits right after
 * `0x0A <varint>`, so a read finds it without decoding (`entryOffsetAt`), and compaction
 * reads keys and values the same way (`readEntryFields`).
 */
// varint.ts itself, not the wire index: it imports nothing, so the storage engine stays
// free of protobuf libraries (DESIGN.md: bytes in, no generated types).
import { readVarintAt, varintSize, writeVarint, type VarintRead } from "../wire/varint.js";
import type { RecordSpans } from "./record-spans.js";

const entryTag = 0x0a; // field 1, length-delimited
const offsetTag = 0x09; // field 1, fixed64
const timestampTag = 0x10; // field 2, varint
const offsetFieldBytes = 9;

/** Timestamps of the batch just written by `writeRecordEntries`, reused to avoid allocation. */
export interface EntriesStats {
  firstTimestamp: number;
  maxTimestamp: number;
}

/** Total bytes of the entries `writeRecordEntries` will write, or -1 when a span lies
 * outside the source buffer or the arrays are shorter than `count`. */
export function recordEntriesLength(spans: RecordSpans, appendTimeMs: number): number {
  const { source, starts, ends, timestamps, count } = spans;
  if (starts.length < count || ends.length < count || timestamps.length < count) return -1;
  const stampBytes = 1 + varintSize(appendTimeMs);
  const limit = source.length;
  let total = 0;
  for (let i = 0; i < count; i++) {
    const start = starts[i];
    const end = ends[i];
    if (end < start || end > limit) return -1;
    const body = offsetFieldBytes + (end - start) + (timestamps[i] === 0 ? stampBytes : 0);
    total += 1 + varintSize(body) + body;
  }
  return total;
}

const stamp = Buffer.alloc(11); // writeRecordEntries' scratch

/**
 * Writes the entries of `spans` at `at`, with offsets from `baseOffset`, no allocation.
 * Returns the position after the last entry. `entriesLength` is `recordEntriesLength`'s
 * answer for the same spans and time.
 *
 * When the records lie in `source` in order, each at most its stored header's size past
 * the previous one (a request's records: only a tag and a length between them), the
 * bytes are moved with one bulk copy and then one `copyWithin` per record inside `buf`
 * (no per-record view object, unlike `Buffer.copy`): the bulk copy puts the records
 * where the last one belongs, and walking forward each record moves left into place,
 * never over a record not yet moved (its header fits in the room the move leaves).
 * Otherwise (records regrouped by partition) one copy per record.
 */
export function writeRecordEntries(
  buf: Buffer,
  at: number,
  spans: RecordSpans,
  baseOffset: number,
  appendTimeMs: number,
  stats: EntriesStats,
  entriesLength: number,
): number {
  const { source, starts, ends, timestamps, count } = spans;
  // The append-time field, encoded once: 0x10 <varint appendTimeMs>.
  stamp[0] = timestampTag;
  const stampBytes = writeVarint(stamp, appendTimeMs, 1);
  const end = at + entriesLength;
  // The bulk path needs each record's move to be leftward or none: the gap before
  // record i (in source) at most its stored header's size.
  let bulk = true;
  for (let i = 1; i < count; i++) {
    const gap = starts[i] - ends[i - 1];
    if (gap < 0 || gap > offsetFieldBytes + 2) {
      // 2: tag and the smallest varint; larger headers only make room
      bulk = false;
      break;
    }
  }
  let shift = 0; // source position + shift = where the bulk copy put a byte
  if (bulk) {
    const first = starts[0];
    const last = ends[count - 1];
    shift = end - last;
    source.copy(buf, first + shift, first, last);
  }
  let maxTimestamp = -Infinity;
  for (let i = 0; i < count; i++) {
    const start = starts[i];
    const recordEnd = ends[i];
    const produced = timestamps[i];
    const stamped = produced === 0;
    const timestamp = stamped ? appendTimeMs : produced;
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    let body = offsetFieldBytes + (recordEnd - start) + (stamped ? stampBytes : 0);
    buf[at++] = entryTag;
    // Inline, not writeVarint: in this loop the call measured ~20% slower per record.
    while (body >= 0x80) {
      buf[at++] = (body & 0x7f) | 0x80;
      body >>>= 7;
    }
    buf[at++] = body;
    const offset = baseOffset + i;
    const low = offset >>> 0;
    const high = (offset / 4294967296) >>> 0;
    buf[at] = offsetTag;
    buf[at + 1] = low;
    buf[at + 2] = low >>> 8;
    buf[at + 3] = low >>> 16;
    buf[at + 4] = low >>> 24;
    buf[at + 5] = high;
    buf[at + 6] = high >>> 8;
    buf[at + 7] = high >>> 16;
    buf[at + 8] = high >>> 24;
    at += offsetFieldBytes;
    if (stamped) for (let k = 0; k < stampBytes; k++) buf[at++] = stamp[k];
    if (bulk) {
      const from = start + shift;
      if (from !== at) buf.copyWithin(at, from, from + (recordEnd - start));
      at += recordEnd - start;
    } else {
      at += source.copy(buf, at, start, recordEnd);
    }
  }
  stats.firstTimestamp = timestamps[0] === 0 ? appendTimeMs : timestamps[0];
  stats.maxTimestamp = maxTimestamp;
  return at;
}

/** Length of the entry at `at`, or -1 if it is malformed or runs past `end`. */
export function entryLengthAt(buf: Buffer, at: number, end: number): number {
  if (at >= end || buf[at] !== entryTag) return -1;
  // The body length is at most five bytes (an entry is smaller than a frame, < 2^31).
  if (!readVarintAt(buf, at + 1, Math.min(end, at + 6), lengthScratch)) return -1;
  const length = lengthScratch.next - at + lengthScratch.value;
  return at + length <= end ? length : -1;
}

const lengthScratch: VarintRead = { value: 0, next: 0 }; // entryLengthAt's, reused

/** The offset stored in the entry at `at` (the 8 bytes after `0x0A <varint> 0x09`), or
 * -1 if the entry does not start that way or runs past `end`. Records' own offsets are
 * what the read path compares: in a compacted frame they are not baseOffset + index. */
export function entryOffsetAt(buf: Buffer, at: number, end: number): number {
  if (at >= end || buf[at] !== entryTag) return -1;
  let pos = at + 1;
  for (let n = 0; pos < end && buf[pos] >= 0x80; n++, pos++) if (n === 4) return -1;
  pos++;
  if (pos + offsetFieldBytes > end || buf[pos] !== offsetTag) return -1;
  return buf.readInt32LE(pos + 5) * 4294967296 + buf.readUInt32LE(pos + 1);
}

/** What compaction needs of one entry, filled in by `readEntryFields` (reused, no allocation). */
export interface EntryFields {
  /** Bytes of the whole entry. */
  length: number;
  offset: number;
  /** The record's timestamp (field 2, the last one wins), 0 if none. */
  timestampMs: number;
  /** The key's bytes are `[keyStart, keyEnd)`; empty when the record has no key. */
  keyStart: number;
  keyEnd: number;
  /** Bytes of the value (field 4, the last one wins), -1 when absent. */
  valueLength: number;
}

/**
 * Walks the entry at `at` at the wire level (protobuf merge rules: the last key, value
 * and timestamp win). Returns false when it is malformed or runs past `end`. For
 * compaction and the timestamp search, never the fetch path.
 */
export function readEntryFields(buf: Buffer, at: number, end: number, out: EntryFields): boolean {
  const length = entryLengthAt(buf, at, end);
  if (length < 0) return false;
  const bodyEnd = at + length;
  const offset = entryOffsetAt(buf, at, bodyEnd);
  if (offset < 0) return false;
  const v: VarintRead = { value: 0, next: 0 };
  if (!readVarintAt(buf, at + 1, bodyEnd, v)) return false;
  let pos = v.next + offsetFieldBytes;
  out.length = length;
  out.offset = offset;
  out.timestampMs = 0;
  out.keyStart = out.keyEnd = pos;
  out.valueLength = -1;
  while (pos < bodyEnd) {
    if (!readVarintAt(buf, pos, bodyEnd, v)) return false;
    const tag = v.value;
    pos = v.next;
    switch (tag & 7) {
      case 0:
        if (!readVarintAt(buf, pos, bodyEnd, v)) return false;
        if (tag >>> 3 === 2) out.timestampMs = v.value;
        pos = v.next;
        break;
      case 1:
        pos += 8;
        break;
      case 2:
        if (!readVarintAt(buf, pos, bodyEnd, v) || v.value < 0) return false;
        pos = v.next + v.value;
        if (tag >>> 3 === 3) {
          out.keyStart = v.next;
          out.keyEnd = pos;
        } else if (tag >>> 3 === 4) {
          out.valueLength = v.value;
        }
        break;
      case 5:
        pos += 4;
        break;
      default:
        return false;
    }
  }
  return pos === bodyEnd;
}

/**
 * The timestamp of the entry at `at` (the last field 2 wins, as in protobuf), 0 if it
 * has none, or NaN if the entry is malformed. Only for the rare timestamp search.
 */
export function entryTimestamp(buf: Buffer, at: number, end: number): number {
  return readEntryFields(buf, at, end, timestampScratch) ? timestampScratch.timestampMs : NaN;
}

const timestampScratch: EntryFields = { length: 0, offset: 0, timestampMs: 0, keyStart: 0, keyEnd: 0, valueLength: -1 };
