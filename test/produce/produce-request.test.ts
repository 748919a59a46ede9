import { toBinary, create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { TributaryError } from "../../services/errors.js";
import { parseProduceRequest } from "../../services/produce/produce-request.js";
import { ProduceRequestSchema, Acks } from "../../gen/ts/tributary/v1/produce_pb.js";
import { ProducerRecordSchema } from "../../gen/ts/tributary/v1/record_pb.js";

import { lenField, varint, varintField } from "../helpers/raw-call.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const limits = { maxBatchRecords: 1000 };

describe("parseProduceRequest", () => {
  it("finds the scalar fields and each record's span, key and timestamp without decoding", () => {
    const records = [
      { key: bytes("k0"), value: bytes("v0"), timestampMs: 5n, headers: [{ key: "h", value: bytes("1") }] },
      { value: bytes("v1") },
    ];
    const request = create(ProduceRequestSchema, {
      topic: "t",
      partition: 3,
      acks: Acks.ALL,
      producerId: 77n,
      sequence: 9n,
      records,
    });
    const source = Buffer.from(toBinary(ProduceRequestSchema, request));
    const view = parseProduceRequest(source, limits);
    expect(view).toMatchObject({ topic: "t", partition: 3, acks: Acks.ALL, producerId: 77n, sequence: 9n, count: 2 });
    for (let i = 0; i < 2; i++) {
      const span = source.subarray(view.starts[i], view.ends[i]);
      expect(Buffer.from(span)).toEqual(Buffer.from(toBinary(ProducerRecordSchema, create(ProducerRecordSchema, records[i]))));
    }
    expect(source.subarray(view.keyStarts[0], view.keyEnds[0]).toString()).toBe("k0");
    expect(view.keyEnds[1] - view.keyStarts[1]).toBe(0);
    expect([...view.timestamps]).toEqual([5, 0]);
  });

  it("refuses illegal tags and a singular field given twice, in the request, a record or a header", () => {
    const reason = (parts: Buffer[]) => {
      try {
        parseProduceRequest(Buffer.concat(parts), limits);
        return "";
      } catch (err) {
        return (err as TributaryError).reason;
      }
    };
    const record = lenField(3, lenField(4, "v"));
    const topicWithTag = (tag: number[]) => Buffer.concat([Buffer.from(tag), varint(1), Buffer.from("b")]);
    expect(reason([lenField(1, "a"), topicWithTag([0x8a, 0x80, 0x80, 0x80, 0x90, 0x00]), record])).toBe("MALFORMED_REQUEST");
    expect(reason([lenField(1, "a"), topicWithTag([0x8a, 0x80, 0x80, 0x80, 0x10]), record])).toBe("MALFORMED_REQUEST");
    expect(reason([lenField(1, "a"), topicWithTag([0x02]), record])).toBe("MALFORMED_REQUEST");
    expect(reason([topicWithTag([0x8a, 0x80, 0x80, 0x80, 0x00]), record])).toBe(""); // 5 bytes, non-minimal: legal
    expect(reason([lenField(1, "a"), lenField(1, "b"), record])).toBe("MALFORMED_REQUEST");
    expect(reason([lenField(1, "a"), varintField(2, 0), varintField(2, 1), record])).toBe("MALFORMED_REQUEST");
    expect(reason([lenField(1, "a"), lenField(3, Buffer.concat([lenField(3, "k1"), lenField(3, "k2")]))])).toBe("INVALID_RECORD");
    const header = Buffer.concat([lenField(1, "h"), lenField(1, "i")]);
    expect(reason([lenField(1, "a"), lenField(3, lenField(5, header))])).toBe("INVALID_RECORD");
    // Records and headers themselves repeat.
    expect(reason([lenField(1, "a"), record, record, lenField(3, Buffer.concat([lenField(5, lenField(1, "h")), lenField(5, lenField(1, "h"))]))])).toBe("");
  });

  it("leaves the partition undefined when the request does not set it", () => {
    const source = Buffer.from(toBinary(ProduceRequestSchema, create(ProduceRequestSchema, { topic: "t", records: [{}] })));
    expect(parseProduceRequest(source, limits).partition).toBeUndefined();
  });

  it("refuses more records than the limit", () => {
    const request = create(ProduceRequestSchema, { topic: "t", records: Array.from({ length: 3 }, () => ({})) });
    const source = Buffer.from(toBinary(ProduceRequestSchema, request));
    expect(() => parseProduceRequest(source, { maxBatchRecords: 2 })).toThrowError(
      expect.objectContaining({ reason: "BATCH_TOO_LARGE" }) as TributaryError,
    );
  });

  it("never throws anything but a TributaryError on random bytes", () => {
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let n = 0; n < 2000; n++) {
      const source = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 40) }, () => Math.floor(random() * 256)));
      try {
        parseProduceRequest(source, limits);
      } catch (err) {
        expect(err).toBeInstanceOf(TributaryError);
      }
    }
  });
});
