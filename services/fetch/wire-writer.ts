/**
 * Builds the few protobuf fields the read path adds around stored record
 * entries. Stored entries are already `repeated ConsumerRecord records = 1`
 * on the wire, so a FetchResponse or a PartitionRecords message is those bytes
 * plus a short trailer of scalar fields, never a re-encode of the records.
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

  varint(value: number | bigint): void {
    if (typeof value === "bigint") {
      if (value < 0n) throw new RangeError("negative varint");
      if (value <= 0xffffffffn) return this.varint(Number(value));
      while (value > 0x7fn) {
        this.buf[this.pos++] = Number(value & 0x7fn) | 0x80;
        value >>= 7n;
      }
      this.buf[this.pos++] = Number(value);
      return;
    }
    while (value > 0x7f) {
      this.buf[this.pos++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    this.buf[this.pos++] = value;
  }

  get length(): number {
    return this.pos;
  }

  /** The bytes written so far (a view, not a copy). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** Bytes a varint of this value takes. */
export function varintLength(value: number): number {
  let n = 1;
  while (value > 0x7f) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}
