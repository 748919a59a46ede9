import { describe, expect, it } from "vitest";
import { murmur2, partitionForKey } from "../../services/partitioner/index.js";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("murmur2", () => {
  it("matches the values Kafka's own tests pin (UtilsTest.testMurmur2)", () => {
    const cases: Array<[string, number]> = [
      ["21", -973932308],
      ["foobar", -790332482],
      ["a-little-bit-long-string", -985981536],
      ["a-little-bit-longer-string", -1486304829],
      ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
      ["abc", 479470107],
    ];
    for (const [key, expected] of cases) expect(murmur2(bytes(key))).toBe(expected);
  });

  it("hashes a span of a larger buffer like the span alone", () => {
    const buffer = bytes("xxfoobaryy");
    expect(murmur2(buffer, 2, 8)).toBe(murmur2(bytes("foobar")));
  });

  it("maps keys to partitions as toPositive(murmur2) % n", () => {
    expect(partitionForKey(bytes("foobar"), 10)).toBe((-790332482 & 0x7fffffff) % 10);
    expect(partitionForKey(bytes("21"), 7)).toBe((-973932308 & 0x7fffffff) % 7);
  });
});
