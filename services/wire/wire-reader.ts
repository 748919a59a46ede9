import { WireType } from "@bufbuild/protobuf/wire";

/** The largest field number protobuf allows (2^29 - 1): a tag is a uint32 of field << 3 | wire type. */
export const maxFieldNumber = 2 ** 29 - 1;

/**
 * Thrown by a WireReader on bytes that are not valid protobuf (a truncated varint, a
 * length past the end, a tag the spec forbids), unless the reader was given its own
 * error: the broker's readers of request bytes give it MalformedRequestError
 * (MALFORMED_REQUEST), which this module cannot import (it imports nothing of services/).
 */
export class WireFormatError extends RangeError {
  override readonly name = "WireFormatError";
}

function wireFormatError(detail: string): Error {
  return new WireFormatError(`malformed protobuf: ${detail}`);
}

/**
 * A cursor over protobuf bytes that reads tags, varints and lengths only: the
 * produce path walks requests with it instead of decoding them into objects
 * (~8 ns against ~450 ns per record, TOOLCHAIN.md), and the request scan walks
 * every request against its descriptor with it. Every read is bounds checked; malformed input
 * throws what `malformed` makes of the detail (a WireFormatError by default).
 *
 * Kept beside `@bufbuild/protobuf/wire`'s BinaryReader rather than replaced by it:
 * on the produce parse BinaryReader was slower (scripts/bench/wire-micro.ts; the
 * figures are in docs/PERFORMANCE.md) and it reads a whole buffer, not a span.
 */
export class WireReader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    public end = buf.length,
    private readonly malformed: (detail: string) => Error = wireFormatError,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /**
   * A field tag (field number << 3 | wire type), held to what the protobuf
   * spec allows: at most 5 bytes, a uint32 (so a field number of at most
   * 2^29 - 1), a field number above 0. Every parser of request bytes reads
   * tags here: one that accepted a 6-byte tag as field 1 while another read a
   * larger field let a second topic past the ACL check (issue 14).
   */
  tag(): number {
    const pos = this.pos;
    if (pos < this.end) {
      // Fast path: a one-byte tag (fields 1-15), the common case.
      const b0 = this.buf[pos];
      if (b0 < 0x80) {
        if (b0 < 8) throw this.malformed("field number 0");
        this.pos = pos + 1;
        return b0;
      }
    }
    const buf = this.buf;
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) throw this.malformed("truncated tag");
      const byte = buf[this.pos++];
      result += (byte & 0x7f) * multiplier;
      if (byte < 0x80) {
        if (Math.floor(result / 8) > maxFieldNumber) throw this.malformed("field number above 2^29 - 1");
        if (result < 8) throw this.malformed("field number 0");
        return result;
      }
      multiplier *= 128;
    }
    throw this.malformed("tag longer than 5 bytes");
  }

  /** A varint that must fit in 32 bits unsigned (lengths, int32 fields). */
  uint32(): number {
    // Fast paths: one- and two-byte varints (tags, record and field lengths).
    const pos = this.pos;
    if (pos + 1 < this.end) {
      const b0 = this.buf[pos];
      if (b0 < 0x80) {
        this.pos = pos + 1;
        return b0;
      }
      const b1 = this.buf[pos + 1];
      if (b1 < 0x80) {
        this.pos = pos + 2;
        return (b0 & 0x7f) | (b1 << 7);
      }
    }
    return this.uint32Slow();
  }

  private uint32Slow(): number {
    const buf = this.buf;
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) throw this.malformed("truncated varint");
      const byte = buf[this.pos++];
      result += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) {
        if (result > 0xffffffff) throw this.malformed("varint too large");
        return result;
      }
      shift += 7;
    }
    // Negative int32 values are sign-extended to 10 bytes on the wire.
    for (let i = 5; i < 10; i++) {
      if (this.pos >= this.end) throw this.malformed("truncated varint");
      if (buf[this.pos++] < 0x80) return result >>> 0;
    }
    throw this.malformed("varint too long");
  }

  /** A non-negative varint below 2^53, as a number; -1 when it is larger or negative. */
  uint53(): number {
    const buf = this.buf;
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw this.malformed("truncated varint");
      const byte = buf[this.pos++];
      result += (byte & 0x7f) * multiplier;
      if (byte < 0x80) return i < 8 && Number.isSafeInteger(result) ? result : -1;
      multiplier *= 128;
    }
    throw this.malformed("varint too long");
  }

  /** A varint as a signed 64-bit integer (int64 fields). */
  int64(): bigint {
    const start = this.pos;
    if (start < this.end && this.buf[start] < 0x80) return BigInt(this.buf[this.pos++]);
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw this.malformed("truncated varint");
      const byte = this.buf[this.pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt.asIntN(64, result);
      shift += 7n;
    }
    this.pos = start;
    throw this.malformed("varint too long");
  }

  /** Reads a length prefix and returns the end of the delimited field. */
  lengthDelimited(): number {
    const length = this.uint32();
    const end = this.pos + length;
    if (end > this.end) throw this.malformed("length exceeds message");
    return end;
  }

  /** Skips one field's value of the given wire type. */
  skip(wireType: number): void {
    switch (wireType) {
      case WireType.Varint:
        this.int64();
        return;
      case WireType.Bit64:
        this.advance(8);
        return;
      case WireType.LengthDelimited:
        this.pos = this.lengthDelimited();
        return;
      case WireType.Bit32:
        this.advance(4);
        return;
      default:
        // Groups are deprecated and never used by this API.
        throw this.malformed(`unsupported wire type ${wireType}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw this.malformed("truncated field");
    this.pos += n;
  }
}
