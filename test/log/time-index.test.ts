import { describe, expect, it } from "vitest";
import { TimeIndex } from "../../services/log/time-index.js";

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("TimeIndex", () => {
  it("keeps only strictly increasing timestamps", () => {
    const index = new TimeIndex(0);
    expect(index.maybeAppend(1000, 0)).toBe(true);
    expect(index.maybeAppend(1000, 5)).toBe(false);
    expect(index.maybeAppend(900, 6)).toBe(false);
    expect(index.maybeAppend(1001, 7)).toBe(true);
    expect(index.entries).toBe(2);
    expect(index.lastTimestamp).toBe(1001);
  });

  it("returns the greatest entry strictly older than the target (against a sorted-array model)", () => {
    const next = random(7);
    const index = new TimeIndex(500);
    const model: Array<{ timestampMs: number; offset: number }> = [];
    let timestampMs = 1_700_000_000_000;
    let offset = 500;
    for (let i = 0; i < 400; i++) {
      timestampMs += 1 + Math.floor(next() * 1000);
      offset += Math.floor(next() * 20);
      index.maybeAppend(timestampMs, offset);
      model.push({ timestampMs, offset });
    }
    for (let q = 0; q < 500; q++) {
      const target = 1_700_000_000_000 + Math.floor(next() * (timestampMs - 1_700_000_000_000 + 2000));
      let expected: { timestampMs: number; offset: number } | null = null;
      for (const e of model) if (e.timestampMs < target) expected = e;
      expect(index.entryBefore(target)).toEqual(expected);
    }
  });

  it("round-trips through its file format and rejects offsets past the segment", () => {
    const index = new TimeIndex(10);
    index.maybeAppend(5000, 10);
    index.maybeAppend(6000, 20);
    const buf = index.toBuffer();
    expect(TimeIndex.fromBuffer(10, buf, 100)?.lastEntry()).toEqual({ timestampMs: 6000, offset: 20 });
    expect(TimeIndex.fromBuffer(10, buf, 20)).toBeNull();
    expect(TimeIndex.fromBuffer(10, buf.subarray(0, 13), 100)).toBeNull();
  });
});
