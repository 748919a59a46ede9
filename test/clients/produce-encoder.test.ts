import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { RecordsEncoder, type EncodableRecord } from "../../clients/ts/produce-encoder.js";
import { Acks, ProduceRequestSchema } from "../../gen/ts/tributary/v1/produce_pb.js";

const bytes = (v: Uint8Array | string | undefined) => (v === undefined ? new Uint8Array() : typeof v === "string" ? new TextEncoder().encode(v) : v);

/** The producer's hand-written encoding must be exactly protobuf-es's for the same request. */
function expectSameAsProtobufEs(records: EncodableRecord[], request: { topic: string; partition?: number; acks: Acks; producerId: bigint; sequence: bigint }) {
  const encoder = new RecordsEncoder(8); // tiny, so that growing is exercised too
  for (const record of records) encoder.add(record);
  const ours = encoder.finish(request);
  const reference = toBinary(
    ProduceRequestSchema,
    create(ProduceRequestSchema, {
      ...request,
      records: records.map((r) => ({
        key: bytes(r.key),
        value: bytes(r.value),
        timestampMs: BigInt(r.timestampMs),
        headers: r.headers.map(([key, value]) => ({ key, value: bytes(value) })),
      })),
    }),
  );
  expect(Buffer.from(ours).toString("hex")).toBe(Buffer.from(reference).toString("hex"));
}

describe("the producer's request encoder", () => {
  it("writes what protobuf-es writes, field for field", () => {
    const big = new Uint8Array(70_000).fill(3);
    expectSameAsProtobufEs(
      [
        { key: undefined, value: "v", headers: [], timestampMs: 0 },
        { key: "k€y", value: new Uint8Array([0, 1, 2]), headers: [["trace", "ab"], ["", new Uint8Array()], ["bin", new Uint8Array([255])]], timestampMs: 1_700_000_000_123 },
        { key: new Uint8Array(), value: "", headers: [], timestampMs: -5 },
        { key: "x", value: big, headers: [["h", big.subarray(0, 200)]], timestampMs: 2 ** 53 - 1 },
        { key: "\u{1F600}", value: "ünïcode", headers: [["ключ", "значение"]], timestampMs: 1 },
      ],
      { topic: "orders", partition: 3, acks: Acks.LEADER, producerId: 0x7fffffffffffffffn, sequence: 1n },
    );
    expectSameAsProtobufEs([{ key: "a", value: "b", headers: [], timestampMs: 0 }], { topic: "t", acks: Acks.ALL, producerId: 1n, sequence: 0n });
    expectSameAsProtobufEs([{ key: "a", value: "b", headers: [], timestampMs: 0 }], { topic: "t", partition: 0, acks: Acks.UNSPECIFIED, producerId: 9n, sequence: 2n ** 40n });
  });

  it("refuses a timestamp that is not an integer", () => {
    expect(() => new RecordsEncoder().add({ key: undefined, value: "v", headers: [], timestampMs: 1.5 })).toThrow(RangeError);
  });
});
