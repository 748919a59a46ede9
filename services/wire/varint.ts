/**
 * Varint primitives (https://protobuf.dev/programming-guides/encoding/#varints) over
 * a Buffer at a position, allocation-free: WireWriter (the fetch path's trailers, the
 * client's request fields), the log's record entries and the offset of each are
 * written and read with these. Two per-record loops keep an inline copy where a call
 * measured slower (record-entry.ts, clients/ts/produce-encoder.ts; each says so). test/wire/wire.test.ts compares them with
 * `@bufbuild/protobuf/wire` on random values.
 */

/** Bytes of `value` (a non-negative safe integer) as a varint. */
export function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

/** Writes a non-negative safe integer as a varint at `at`; returns the position after it. */
export function writeVarint(buf: Uint8Array, value: number, at: number): number {
  // One and two bytes (tags, most lengths) inline; the rest out of line, as varintSize.
  if (value < 0x80) {
    buf[at] = value;
    return at + 1;
  }
  if (value < 0x4000) {
    buf[at] = (value & 0x7f) | 0x80;
    buf[at + 1] = value >>> 7;
    return at + 2;
  }
  return writeLargeVarint(buf, value, at);
}

function writeLargeVarint(buf: Uint8Array, value: number, at: number): number {
  // Bit operations while the value fits in 31 bits, division above (timestamps, offsets).
  while (value > 0x7fffffff) {
    buf[at++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  while (value >= 0x80) {
    buf[at++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buf[at++] = value;
  return at;
}

/** Bytes of an int64 as a varint: a negative value takes ten (two's complement). */
export function varint64Size(value: bigint): number {
  let v = BigInt.asUintN(64, value);
  let size = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    size++;
  }
  return size;
}

/** Writes an int64 (or uint64) as a varint, negative values as their 64-bit two's
 * complement in ten bytes, as protobuf does; returns the position after it. */
export function writeVarint64(buf: Uint8Array, value: bigint, at: number): number {
  if (value >= 0n && value <= 0xffffffffn) return writeVarint(buf, Number(value), at);
  let v = BigInt.asUintN(64, value);
  while (v >= 0x80n) {
    buf[at++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  buf[at++] = Number(v);
  return at;
}

/** Where `readVarintAt` leaves its answer (reused by the caller: no allocation). */
export interface VarintRead {
  /** The value as a number: an int64 read as two's complement, exact below 2^53. */
  value: number;
  /** The position after the varint. */
  next: number;
}

/**
 * Reads the varint at `at` into `out` without throwing: false when it runs past `end`
 * or is longer than ten bytes. For readers of stored bytes (the log's record entries)
 * that answer "malformed" with a value rather than an exception.
 */
export function readVarintAt(buf: Uint8Array, at: number, end: number, out: VarintRead): boolean {
  let value = 0;
  for (let shift = 0; shift < 70; shift += 7) {
    if (at >= end) return false;
    const b = buf[at++];
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) {
      out.value = value >= 2 ** 63 ? value - 2 ** 64 : value; // int64 two's complement
      out.next = at;
      return true;
    }
  }
  return false;
}
