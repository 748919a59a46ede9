import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { decodeSubscribeResponse } from "../../clients/ts/records-decoder.js";
import { SubscribeResponseSchema } from "../../gen/ts/tributary/v1/fetch_pb.js";

/** The Consumer's wire-level decode must see what protobuf-es sees. */
describe("the Consumer's records decoder", () => {
  it("decodes a records event to what protobuf-es decodes", () => {
    const message = create(SubscribeResponseSchema, {
      event: {
        case: "records",
        value: {
          topic: "örders",
          partition: 7,
          highWatermark: 2n ** 40n,
          leaderEpoch: 4,
          records: [
            { offset: 0n, value: new Uint8Array([1, 2, 3]) },
            { offset: 2n ** 53n + 5n, timestampMs: 1_700_000_000_123n, key: new TextEncoder().encode("k€y"), value: new Uint8Array(70_000).fill(9) },
            { offset: 9n, timestampMs: -5n, headers: [{ key: "trace", value: new Uint8Array([7]) }, { key: "", value: new Uint8Array() }, { key: "ключ", value: new TextEncoder().encode("значение") }] },
          ],
        },
      },
    });
    const bytes = Buffer.from(toBinary(SubscribeResponseSchema, message));
    const ours = decodeSubscribeResponse(bytes).event;
    const reference = fromBinary(SubscribeResponseSchema, bytes).event;
    if (ours.case !== "records" || reference.case !== "records") throw new Error("not a records event");
    expect(ours.value.topic).toBe(reference.value.topic);
    expect(ours.value.partition).toBe(reference.value.partition);
    expect(ours.value.highWatermark).toBe(reference.value.highWatermark);
    expect([ours.value.leaderEpoch, reference.value.leaderEpoch]).toEqual([4, 4]);
    expect(ours.value.records.length).toBe(3);
    ours.value.records.forEach((r, i) => {
      const want = reference.value.records[i];
      expect(r.topic).toBe("örders");
      expect(r.partition).toBe(7);
      expect(r.offset).toBe(want.offset);
      expect(r.timestampMs).toBe(want.timestampMs);
      expect(r.key).toEqual(want.key);
      expect(r.value).toEqual(want.value);
      expect(r.headers).toEqual(want.headers.map((h) => ({ key: h.key, value: h.value })));
    });
  });

  it("leaves other events to protobuf-es", () => {
    const message = create(SubscribeResponseSchema, { event: { case: "assignment", value: { generation: 3, memberId: "m-1", partitions: [{ topic: "t", partition: 1 }] } } });
    const bytes = Buffer.from(toBinary(SubscribeResponseSchema, message));
    expect(decodeSubscribeResponse(bytes)).toEqual(fromBinary(SubscribeResponseSchema, bytes));
  });

  it("refuses a truncated message rather than inventing records", () => {
    const message = create(SubscribeResponseSchema, { event: { case: "records", value: { topic: "t", records: [{ offset: 1n, value: new Uint8Array(10) }] } } });
    const bytes = Buffer.from(toBinary(SubscribeResponseSchema, message));
    expect(() => decodeSubscribeResponse(bytes.subarray(0, bytes.length - 3))).toThrow();
  });
});
