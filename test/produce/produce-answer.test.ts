import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { encodeProduceStreamAnswer } from "../../services/produce/produce-answer.js";
import { ProduceStreamResponseSchema } from "../../gen/ts/tributary/v1/produce_pb.js";

/** Deterministic pseudo-random numbers (mulberry32). */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("encodeProduceStreamAnswer", () => {
  it("writes the bytes protobuf-es writes for the same answer", () => {
    const random = prng(0x15a5);
    const pick = (n: number) => Math.floor(random() * n);
    const cases = [
      { index: 0n, results: [] },
      { index: 1n, results: [{ partition: 0, baseOffset: 0n, recordCount: 1, logAppendTimeMs: 0n, duplicate: false, recordIndexes: [] }] },
      { index: 2n ** 40n, results: [{ partition: 2, baseOffset: 2n ** 45n + 7n, recordCount: 3, logAppendTimeMs: 1796622168832n, duplicate: true, recordIndexes: [0, 1, 200, 70000] }] },
    ];
    for (let i = 0; i < 300; i++) {
      cases.push({
        index: BigInt(pick(2 ** 31)) * BigInt(1 + pick(1000)),
        results: Array.from({ length: pick(5) }, (_, p) => ({
          partition: p * pick(3),
          baseOffset: BigInt(pick(2 ** 31)) * BigInt(pick(3) === 0 ? 0 : 1 + pick(100000)),
          recordCount: pick(1001),
          logAppendTimeMs: pick(2) === 0 ? 0n : BigInt(Date.now() + pick(1000)),
          duplicate: pick(2) === 0,
          recordIndexes: Array.from({ length: pick(3) === 0 ? pick(40) : 0 }, () => pick(2 ** 20)),
        })),
      });
    }
    for (const { index, results } of cases) {
      const expected = toBinary(ProduceStreamResponseSchema, create(ProduceStreamResponseSchema, { requestIndex: index, result: { case: "response", value: { results } } }));
      expect(Buffer.from(encodeProduceStreamAnswer(index, { results })).toString("hex")).toBe(Buffer.from(expected).toString("hex"));
    }
  });
});
