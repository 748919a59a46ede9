/**
 * Records for the storage-engine tests (test/log): encoding test records as the
 * `RecordSpans` an append takes, and decoding what a read returns, at the protobuf
 * wire level so that the tests depend on the wire format, not on the broker's code.
 */
import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "vitest";
import type { Log, RecordSpans } from "../../services/log/index.js";

/** One application header (`RecordHeader`), its value as UTF-8 text. */
export interface TestHeader {
  key: string;
  value: string;
}

/** A record to append, as a producer would send it. */
export interface TestRecord {
  /** The key; undefined writes no key field, "" an empty one. */
  key?: string;
  /** The value; null writes no value field (a tombstone), "" an empty one. */
  value: string | null;
  /** The producer's timestamp; undefined or 0 lets the log stamp its append time. */
  timestampMs?: number;
  /** Headers, in order; undefined or [] writes none. */
  headers?: TestHeader[];
}

/** A record as a read returns it, decoded from its stored entry. */
export interface StoredRecord {
  offset: number;
  /** The producer's timestamp, or the log's append time when the producer gave none. */
  timestampMs: number;
  /** "" when the record has no key field. */
  key: string;
  /** null when the record has no value field, "" when it has an empty one. */
  value: string | null;
  /** Present only when the record has headers, so records without any compare equal to `{ offset, key, ... }`. */
  headers?: TestHeader[];
}

/** A non-negative safe integer as protobuf varint bytes. */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

/** A length-delimited field: tag, varint length, the UTF-8 bytes of `text`. */
function stringField(tag: number, text: string): number[] {
  return [tag, ...varint(Buffer.byteLength(text)), ...Buffer.from(text)];
}

/** The `ProducerRecord` bytes of a test record: timestamp_ms = 2, key = 3, value = 4, headers = 5. */
function producerRecordBytes(r: TestRecord): Buffer {
  const bytes: number[] = [];
  if (r.timestampMs) bytes.push(0x10, ...varint(r.timestampMs));
  if (r.key !== undefined) bytes.push(...stringField(0x1a, r.key));
  if (r.value !== null) bytes.push(...stringField(0x22, r.value));
  for (const h of r.headers ?? []) {
    const header = [...stringField(0x0a, h.key), ...stringField(0x12, h.value)];
    bytes.push(0x2a, ...varint(header.length), ...header);
  }
  return Buffer.from(bytes);
}

/** Bytes laid between the records, like the other fields of a request, so that a span that is off by one shows. */
const junk = Buffer.from([0xff, 0xee]);

/** Encodes `records` as ProducerRecords and lays them out with junk between, as spans of one buffer like a request. */
export function spansOf(records: readonly TestRecord[]): RecordSpans {
  const parts: Buffer[] = [];
  const starts = new Uint32Array(records.length);
  const ends = new Uint32Array(records.length);
  const timestamps = new Float64Array(records.length);
  let at = 0;
  records.forEach((r, i) => {
    const bytes = producerRecordBytes(r);
    parts.push(junk, bytes);
    starts[i] = at + junk.length;
    ends[i] = starts[i] + bytes.length;
    timestamps[i] = r.timestampMs ?? 0;
    at = ends[i];
  });
  return { source: Buffer.concat(parts), starts, ends, timestamps, count: records.length };
}

/**
 * Decodes the chunks of a read: stored record entries, each one element of
 * `repeated ConsumerRecord records = 1`, laid out as
 * `0x0A <varint length> 0x09 <offset, int64 LE> [0x10 <varint timestamp>] <ProducerRecord bytes>`.
 * Fails on anything else: a missing or misplaced offset, an unknown field, an entry whose
 * fields do not end exactly at its length, an offset that is not a safe integer.
 */
export function decode(chunks: readonly Buffer[]): StoredRecord[] {
  const buf = Buffer.concat(chunks);
  const out: StoredRecord[] = [];
  let p = 0;
  const readVarint = (): number => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      if (p >= buf.length) throw new Error(`varint runs past the end at ${p}`);
      const b = buf[p++];
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
    }
  };
  const readString = (): string => {
    const n = readVarint();
    if (p + n > buf.length) throw new Error(`field of ${n} bytes runs past the end at ${p}`);
    const s = buf.toString("utf8", p, p + n);
    p += n;
    return s;
  };
  const readHeader = (): TestHeader => {
    const end = readVarint() + p;
    const h: TestHeader = { key: "", value: "" };
    while (p < end) {
      const tag = readVarint();
      if (tag === 0x0a) h.key = readString();
      else if (tag === 0x12) h.value = readString();
      else throw new Error(`unexpected header tag ${tag}`);
    }
    expect(p).toBe(end);
    return h;
  };
  while (p < buf.length) {
    expect(buf[p++]).toBe(0x0a);
    const end = readVarint() + p;
    expect(buf[p++]).toBe(0x09);
    const offset = buf.readBigInt64LE(p);
    p += 8;
    if (offset < 0n || offset > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`offset ${offset} is not a safe integer`);
    const r: StoredRecord = { offset: Number(offset), timestampMs: 0, key: "", value: null };
    while (p < end) {
      const tag = readVarint();
      if (tag === 0x10) r.timestampMs = readVarint();
      else if (tag === 0x1a) r.key = readString();
      else if (tag === 0x22) r.value = readString();
      else if (tag === 0x2a) (r.headers ??= []).push(readHeader());
      else throw new Error(`unexpected tag ${tag}`);
    }
    expect(p).toBe(end);
    out.push(r);
  }
  return out;
}

/** How `readAll` reads. */
export interface ReadAllOptions {
  /** The offset to start at; the log start offset by default. */
  from?: bigint;
  /** `maxBytes` of each read; 400 by default. */
  maxBytes?: number;
  /** Require offsets without gaps, the first exactly `from` (a log nothing was compacted out of). */
  contiguous?: boolean;
}

/**
 * Reads and decodes every record from `from` to the high watermark, checking each read:
 * its recordCount, firstOffset and nextOffset match the records it returned, an empty read
 * still moves on, and offsets only increase (or, with `contiguous`, never skip).
 */
export async function readAll(log: Log, { from = log.logStartOffset, maxBytes = 400, contiguous = false }: ReadAllOptions = {}): Promise<StoredRecord[]> {
  const all: StoredRecord[] = [];
  let offset = from;
  while (offset < log.highWatermark) {
    const fetched = await log.read(offset, maxBytes);
    const records = decode(fetched.chunks);
    expect(records.length).toBe(fetched.recordCount);
    if (records.length === 0) {
      expect(fetched.nextOffset).toBeGreaterThan(offset);
    } else {
      expect(fetched.firstOffset).toBe(BigInt(records[0].offset));
      expect(fetched.firstOffset).toBeGreaterThanOrEqual(offset);
      expect(fetched.nextOffset).toBe(BigInt(records[records.length - 1].offset + 1));
    }
    for (const r of records) {
      if (contiguous) expect(r.offset).toBe(Number(from) + all.length);
      else if (all.length > 0) expect(r.offset).toBeGreaterThan(all[all.length - 1].offset);
      all.push(r);
    }
    offset = fetched.nextOffset;
  }
  return all;
}

/** Values `<prefix>-<i>`, padded to 30 bytes so that a few batches fill a small segment. */
export const valueBatch = (prefix: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}-${i}`.padEnd(30, "."));

/** Records with only these values, as an append takes them. */
export const spansOfValues = (values: readonly string[]): RecordSpans => spansOf(values.map((value) => ({ value })));

/** Eight 10-record batches (values a-0 .. h-9), flushed: offsets 0..79 over several small
 * segments. Returns the values in offset order. */
export async function fillEightBatches(log: Log): Promise<string[]> {
  const all: string[] = [];
  for (const p of "abcdefgh") {
    log.append(spansOfValues(valueBatch(p, 10)));
    all.push(...valueBatch(p, 10));
  }
  await log.flush();
  return all;
}

/** Cuts a partition's only segment file before the frame that starts at `offset`: the
 * tail a power loss dropped (the broker must be stopped). */
export async function cutLogAt(partitionDir: string, offset: bigint): Promise<void> {
  const file = join(partitionDir, "00000000000000000000.log");
  const buf = await readFile(file);
  let p = 0;
  // Frame header: base offset (int64 LE), then at byte 8 the length of what follows byte 12.
  while (p < buf.length && buf.readBigInt64LE(p) < offset) p += 12 + buf.readInt32LE(p + 8);
  const handle = await open(file, "r+");
  await handle.truncate(p);
  await handle.close();
}
