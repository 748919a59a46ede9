import { isUtf8 } from "node:buffer";
import { WireType } from "@bufbuild/protobuf/wire";
import { WireReader } from "../wire/index.js";
import { InvalidArgumentError, malformedRequest, TributaryError } from "../errors.js";

/**
 * A ProduceRequest seen at the wire level: scalar fields decoded, records left
 * in the request buffer as spans of their ProducerRecord bytes. Nothing per
 * record is allocated; arrays are indexed by the record's position in the
 * request and may be longer than `count` (a ParseScratch's).
 */
export interface ProduceRequestView {
  readonly source: Buffer;
  readonly topic: string;
  readonly partition: number | undefined;
  readonly acks: number;
  readonly producerId: bigint | undefined;
  readonly sequence: bigint | undefined;
  readonly count: number;
  /** Record i's ProducerRecord bytes are source[starts[i], ends[i]). */
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  /** The producer's timestamp in ms; 0 when it gave none. */
  readonly timestamps: Float64Array;
  /** Record i's key is source[keyStarts[i], keyEnds[i]); empty when equal. */
  readonly keyStarts: Uint32Array;
  readonly keyEnds: Uint32Array;
}

/**
 * Arrays a caller lends to `parseProduceRequest` so that a request allocates none: the
 * view's arrays are then these (longer than `count`), valid until the next parse with
 * the same scratch. The produce handler uses them only synchronously.
 */
export class ParseScratch {
  starts = new Uint32Array(0);
  ends = new Uint32Array(0);
  timestamps = new Float64Array(0);
  keyStarts = new Uint32Array(0);
  keyEnds = new Uint32Array(0);

  /** Makes room for `count` records; returns the arrays, `timestamps` and key spans zeroed. */
  take(count: number): this {
    if (this.starts.length < count) {
      const size = Math.max(count, 2 * this.starts.length);
      this.starts = new Uint32Array(size);
      this.ends = new Uint32Array(size);
      this.timestamps = new Float64Array(size);
      this.keyStarts = new Uint32Array(size);
      this.keyEnds = new Uint32Array(size);
    } else {
      this.timestamps.fill(0, 0, count);
      this.keyStarts.fill(0, 0, count);
      this.keyEnds.fill(0, 0, count);
    }
    return this;
  }
}

export interface ProduceLimits {
  /** Records in one request. */
  readonly maxBatchRecords: number;
}

// ProduceRequest field numbers (proto/tributary/v1/produce.proto).
const enum Field {
  topic = 1,
  partition = 2,
  records = 3,
  acks = 4,
  producerId = 5,
  sequence = 6,
}

// ProducerRecord field numbers (proto/tributary/v1/record.proto).
const enum RecordField {
  timestampMs = 2,
  key = 3,
  value = 4,
  headers = 5,
}

/**
 * Walks a ProduceRequest's bytes once to count records, once more to record
 * their spans, validating every record on the way: the stored bytes are
 * served verbatim to every consumer, so one bad record must be refused here
 * or it would poison a partition for strict parsers (upb rejects invalid
 * UTF-8 in string fields, for instance).
 */
export function parseProduceRequest(source: Buffer, limits: ProduceLimits, scratch?: ParseScratch): ProduceRequestView {
  let topic = "";
  let partition: number | undefined;
  let acks = 0;
  let producerId: bigint | undefined;
  let sequence: bigint | undefined;
  let count = 0;

  // Singular fields seen, by bit: each may appear once. Protobuf lets the last one win, but
  // two topics in one request are how a parser disagreement becomes an ACL bypass (issue 14).
  let seen = 0;
  const reader = new WireReader(source, 0, source.length, malformedRequest);
  while (!reader.done) {
    const tag = reader.tag();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (field !== Field.records && field <= Field.sequence) {
      if (seen & (1 << field)) throw malformedRequest(`field ${field} appears twice`);
      seen |= 1 << field;
    }
    switch (field) {
      case Field.topic:
        expectWireType(wireType, WireType.LengthDelimited, "topic");
        topic = readString(reader);
        break;
      case Field.partition:
        expectWireType(wireType, WireType.Varint, "partition");
        partition = reader.uint32() | 0;
        break;
      case Field.records:
        expectWireType(wireType, WireType.LengthDelimited, "records");
        reader.pos = reader.lengthDelimited();
        count++;
        break;
      case Field.acks:
        expectWireType(wireType, WireType.Varint, "acks");
        acks = reader.uint32() | 0;
        break;
      case Field.producerId:
        expectWireType(wireType, WireType.Varint, "producer_id");
        producerId = reader.int64();
        break;
      case Field.sequence:
        expectWireType(wireType, WireType.Varint, "sequence");
        sequence = reader.int64();
        break;
      default:
        reader.skip(wireType);
    }
  }

  if (count === 0) throw new InvalidArgumentError("NO_RECORDS", "a produce request needs at least one record");
  if (count > limits.maxBatchRecords) {
    throw new TributaryError(
      "exhausted",
      "BATCH_TOO_LARGE",
      `${count} records in one request; the limit is ${limits.maxBatchRecords}`,
    );
  }

  const { starts, ends, timestamps, keyStarts, keyEnds } =
    scratch?.take(count) ?? {
      starts: new Uint32Array(count),
      ends: new Uint32Array(count),
      timestamps: new Float64Array(count),
      keyStarts: new Uint32Array(count),
      keyEnds: new Uint32Array(count),
    };
  reader.pos = 0;
  let i = 0;
  while (!reader.done) {
    const tag = reader.tag();
    if (tag >>> 3 === Field.records) {
      const end = reader.lengthDelimited();
      starts[i] = reader.pos;
      ends[i] = end;
      scanRecord(reader, end, i, timestamps, keyStarts, keyEnds);
      i++;
    } else {
      reader.skip(tag & 7);
    }
  }
  return { source, topic, partition, acks, producerId, sequence, count, starts, ends, timestamps, keyStarts, keyEnds };
}

function scanRecord(
  reader: WireReader,
  end: number,
  index: number,
  timestamps: Float64Array,
  keyStarts: Uint32Array,
  keyEnds: Uint32Array,
): void {
  const outerEnd = reader.end;
  reader.end = end;
  // The stored bytes are served verbatim: a record whose key appeared twice would be
  // partitioned by one and read back, by a first-wins parser, with the other.
  let seen = 0;
  while (reader.pos < end) {
    const tag = reader.tag();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (field !== RecordField.headers && field < 32) {
      if (seen & (1 << field)) throw new InvalidArgumentError("INVALID_RECORD", `record field ${field} appears twice`);
      seen |= 1 << field;
    }
    switch (field) {
      case RecordField.timestampMs: {
        expectRecordWireType(wireType, WireType.Varint, "timestamp_ms");
        const timestamp = reader.uint53();
        if (timestamp < 0) {
          throw new InvalidArgumentError("INVALID_TIMESTAMP", "record timestamp_ms must be between 0 and 2^53");
        }
        timestamps[index] = timestamp;
        break;
      }
      case RecordField.key: {
        expectRecordWireType(wireType, WireType.LengthDelimited, "key");
        const keyEnd = reader.lengthDelimited();
        keyStarts[index] = reader.pos;
        keyEnds[index] = keyEnd;
        reader.pos = keyEnd;
        break;
      }
      case RecordField.value:
        expectRecordWireType(wireType, WireType.LengthDelimited, "value");
        reader.pos = reader.lengthDelimited();
        break;
      case RecordField.headers: {
        expectRecordWireType(wireType, WireType.LengthDelimited, "headers");
        const headerEnd = reader.lengthDelimited();
        scanHeader(reader, headerEnd);
        break;
      }
      default:
        // Field 1 is the broker's offset; anything else is unknown to consumers.
        throw new InvalidArgumentError("INVALID_RECORD", `record field ${field} is not part of ProducerRecord`);
    }
  }
  reader.end = outerEnd;
}

function scanHeader(reader: WireReader, end: number): void {
  let seen = 0;
  while (reader.pos < end) {
    const tag = reader.tag();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if ((field !== 1 && field !== 2) || wireType !== WireType.LengthDelimited || seen & field) {
      throw new InvalidArgumentError("INVALID_RECORD", `record header field ${field} (wire type ${wireType}) is invalid or repeated`);
    }
    seen |= field;
    const fieldEnd = reader.lengthDelimited();
    if (fieldEnd > end) throw malformedRequest("header field exceeds header");
    if (field === 1 && !isUtf8(reader.buf.subarray(reader.pos, fieldEnd))) {
      throw new InvalidArgumentError("INVALID_RECORD", "record header key is not valid UTF-8");
    }
    reader.pos = fieldEnd;
  }
}

function readString(reader: WireReader): string {
  const end = reader.lengthDelimited();
  const bytes = reader.buf.subarray(reader.pos, end);
  if (!isUtf8(bytes)) throw malformedRequest("string field is not valid UTF-8");
  reader.pos = end;
  return bytes.toString("utf8");
}

function expectWireType(actual: number, expected: number, name: string): void {
  if (actual !== expected) throw malformedRequest(`field ${name} has wire type ${actual}`);
}

function expectRecordWireType(actual: number, expected: number, name: string): void {
  if (actual !== expected) {
    throw new InvalidArgumentError("INVALID_RECORD", `record field ${name} has wire type ${actual}`);
  }
}
