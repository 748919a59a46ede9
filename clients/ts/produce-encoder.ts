/**
 * Encodes a ProduceRequest at the wire level, one record at a time as `send()`
 * is called, into one growing buffer per batch.
 *
 * Building a protobuf-es message per record and encoding the batch with
 * `toBinary` cost most of the producer's CPU (its reflection walk, and the
 * garbage of one object tree per record). The bytes here are what `toBinary`
 * writes for the same ProduceRequest (fields in number order, proto3 defaults
 * left out); test/clients/produce-encoder.test.ts checks that against protobuf-es.
 *
 *   ProduceRequest { topic = 1; optional partition = 2; repeated ProducerRecord records = 3;
 *                    acks = 4; optional producer_id = 5; optional sequence = 6 }
 *   ProducerRecord { timestamp_ms = 2; key = 3; value = 4; repeated RecordHeader headers = 5 }
 *   RecordHeader   { key = 1 (string); value = 2 }
 */
import { WireWriter, writeVarint64 } from "../../services/wire/index.js";

/** A record's fields as the producer holds them: bytes already, or text to write as UTF-8. */
export interface EncodableRecord {
  readonly key: Uint8Array | string | undefined;
  readonly value: Uint8Array | string;
  readonly headers: ReadonlyArray<readonly [string, Uint8Array | string]>;
  readonly timestampMs: number;
}

const recordsTag = (3 << 3) | 2;

function byteLength(v: Uint8Array | string | undefined): number {
  return v === undefined ? 0 : typeof v === "string" ? Buffer.byteLength(v) : v.length;
}

/**
 * Local, not services/wire's: per record, the shared varintSize and writeVarint measured
 * up to 1.5× slower in `add` (an A/B of this encoder, 2026-12-06), which the shared
 * module's own micro-benchmark did not show; the batch's fields around the records do
 * use services/wire (WireWriter).
 */
function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

/** The `records` entries of one batch, appended record by record. */
export class RecordsEncoder {
  private buf: Buffer;
  private length = 0;
  count = 0;

  constructor(initialBytes = 16 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Bytes of the records so far. */
  get bytes(): number {
    return this.length;
  }

  /** Appends one `records = 3` entry. */
  add(record: EncodableRecord): void {
    const keyLength = byteLength(record.key);
    const valueLength = byteLength(record.value);
    const timestamp = record.timestampMs;
    if (!Number.isSafeInteger(timestamp)) throw new RangeError(`timestampMs ${timestamp} is not an integer`);
    let body = 0;
    if (timestamp !== 0) body += 1 + (timestamp < 0 ? 10 : varintSize(timestamp));
    if (keyLength > 0) body += 1 + varintSize(keyLength) + keyLength;
    if (valueLength > 0) body += 1 + varintSize(valueLength) + valueLength;
    const headerLengths: number[] = [];
    for (const [name, value] of record.headers) {
      const nameLength = Buffer.byteLength(name);
      const headerValueLength = byteLength(value);
      let header = 0;
      if (nameLength > 0) header += 1 + varintSize(nameLength) + nameLength;
      if (headerValueLength > 0) header += 1 + varintSize(headerValueLength) + headerValueLength;
      headerLengths.push(header);
      body += 1 + varintSize(header) + header;
    }
    this.reserve(1 + varintSize(body) + body);
    this.byte(recordsTag);
    this.varint(body);
    if (timestamp !== 0) {
      this.byte(2 << 3);
      // A negative int64 is its two's complement on the wire: ten bytes.
      if (timestamp < 0) this.length = writeVarint64(this.buf, BigInt(timestamp), this.length);
      else this.varint(timestamp);
    }
    if (keyLength > 0) this.bytesField(3, record.key!, keyLength);
    if (valueLength > 0) this.bytesField(4, record.value, valueLength);
    record.headers.forEach(([name, value], i) => {
      this.byte((5 << 3) | 2);
      this.varint(headerLengths[i]);
      const nameLength = Buffer.byteLength(name);
      if (nameLength > 0) this.bytesField(1, name, nameLength);
      const headerValueLength = byteLength(value);
      if (headerValueLength > 0) this.bytesField(2, value, headerValueLength);
    });
    this.count++;
  }

  /** The whole ProduceRequest around the records added so far. */
  finish(request: { topic: string; partition?: number; acks: number; producerId: bigint; sequence: bigint }): Buffer {
    const head = new WireWriter(Buffer.byteLength(request.topic) + 16);
    if (request.topic !== "") head.stringField(1, request.topic);
    if (request.partition !== undefined) head.int64Field(2, BigInt(request.partition));
    const tail = new WireWriter(40);
    if (request.acks !== 0) tail.int64Field(4, BigInt(request.acks));
    tail.int64Field(5, request.producerId);
    tail.int64Field(6, request.sequence);
    return Buffer.concat([head.finish(), this.buf.subarray(0, this.length), tail.finish()]);
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + bytes));
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
  }

  private byte(value: number): void {
    this.buf[this.length++] = value;
  }

  private varint(value: number): void {
    while (value >= 0x80) {
      this.buf[this.length++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buf[this.length++] = value;
  }

  private bytesField(field: number, value: Uint8Array | string, length: number): void {
    this.byte((field << 3) | 2);
    this.varint(length);
    if (typeof value === "string") this.buf.write(value, this.length, length, "utf8");
    else this.buf.set(value, this.length);
    this.length += length;
  }
}
