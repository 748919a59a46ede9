import { toBinary, create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { TributaryError } from "../../services/errors.js";
import { parseProduceRequest } from "../../services/produce/produce-request.js";
import { ProduceRequestSchema, Acks } from "../../gen/ts/tributary/v1/produce_pb.js";
import { ProducerRecordSchema } from "../../gen/ts/tributary/v1/record_pb.js";

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
