import { writeVarint, writeVarint64 } from "./varint.js";

/**
 * Writes a few protobuf fields into a buffer of fixed capacity, sized by the caller.
 * The read path adds these around stored record entries: stored entries are already
 * `repeated ConsumerRecord records = 1` on the wire, so a FetchResponse or a
 * PartitionRecords message is those bytes plus a short trailer of scalar fields, never
 * a re-encode of the records. The TypeScript client writes a ProduceRequest's fields
 * around its records with it too.
 *
 * Kept beside `@bufbuild/protobuf/wire`'s BinaryWriter rather than replaced by it: a
 * BinaryWriter gathers chunks and concatenates them on `finish`, which was slower on
 * the fetch write path (scripts/bench/wire-micro.ts; figures in docs/PERFORMANCE.md).
 */
export class WireWriter {
  private readonly buf: Buffer;
  private pos = 0;

  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** A varint field (int32/int64/enum) with a non-negative value. */
  varintField(field: number, value: number | bigint): this {
    this.varint(field << 3);
    this.varint(value);
    return this;
  }

  /** An int32/int64 field of any sign: a negative value takes ten bytes, as in protobuf. */
  int64Field(field: number, value: bigint): this {
    this.varint(field << 3);
    this.pos = writeVarint64(this.buf, value, this.pos);
    return this;
  }

  /** A length-delimited field holding UTF-8 text. */
  stringField(field: number, value: string): this {
    this.varint((field << 3) | 2);
    const length = Buffer.byteLength(value);
    this.varint(length);
    this.pos += this.buf.write(value, this.pos, "utf8");
    return this;
  }

  /** The tag and length of a length-delimited field whose bytes follow separately. */
  lengthPrefix(field: number, length: number): this {
    this.varint((field << 3) | 2);
    this.varint(length);
    return this;
  }

  /** A non-negative varint. */
  varint(value: number | bigint): void {
    if (typeof value === "bigint") {
      if (value < 0n) throw new RangeError("negative varint");
      this.pos = writeVarint64(this.buf, value, this.pos);
      return;
    }
    this.pos = writeVarint(this.buf, value, this.pos);
  }

  get length(): number {
    return this.pos;
  }

  /** The bytes written so far (a view, not a copy). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
