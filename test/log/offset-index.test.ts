import { describe, expect, it } from "vitest";
import { OffsetIndex } from "../../services/log/offset-index.js";

/** A deterministic PRNG so that failures reproduce. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("OffsetIndex", () => {
  it("returns the greatest entry at or below the target offset (against a sorted-array model)", () => {
    const next = random(42);
    for (let round = 0; round < 20; round++) {
      const base = Math.floor(next() * 1e9);
      const index = new OffsetIndex(base);
      const model: Array<{ offset: number; position: number }> = [];
      let offset = base + Math.floor(next() * 10);
      let position = Math.floor(next() * 100);
      const n = Math.floor(next() * 500);
      for (let i = 0; i < n; i++) {
        index.append(offset, position);
        model.push({ offset, position });
        offset += 1 + Math.floor(next() * 50);
        position += 1 + Math.floor(next() * 5000);
      }
      for (let q = 0; q < 300; q++) {
        const target = base + Math.floor(next() * (offset - base + 20));
        let expected = { offset: base, position: 0 };
        for (const e of model) if (e.offset <= target) expected = e;
        expect(index.lookup(target)).toEqual(expected);
      }
    }
  });

  it("answers the segment start when the index is empty or the target is below every entry", () => {
    const index = new OffsetIndex(100);
    expect(index.lookup(150)).toEqual({ offset: 100, position: 0 });
    index.append(120, 4096);
    expect(index.lookup(119)).toEqual({ offset: 100, position: 0 });
    expect(index.lookup(120)).toEqual({ offset: 120, position: 4096 });
  });

  it("refuses an offset or position that goes backwards", () => {
    const index = new OffsetIndex(0);
    index.append(10, 100);
    expect(() => index.append(10, 200)).toThrow(/backwards/);
    expect(() => index.append(5, 200)).toThrow(/backwards/);
    expect(() => index.append(11, 100)).toThrow(/backwards/);
  });

  it("round-trips through its file format", () => {
    const index = new OffsetIndex(1000);
    for (let i = 1; i <= 100; i++) index.append(1000 + i * 3, i * 4100);
    const copy = OffsetIndex.fromBuffer(1000, index.toBuffer(), 2000, 1 << 20);
    expect(copy?.entries).toBe(100);
    expect(copy?.lookup(1151)).toEqual(index.lookup(1151));
  });

  it("rejects a file that breaks its invariants or points past the log", () => {
    const index = new OffsetIndex(0);
    index.append(5, 100);
    index.append(9, 300);
    const good = index.toBuffer();
    expect(OffsetIndex.fromBuffer(0, good, 100, 1000)).not.toBeNull();
    expect(OffsetIndex.fromBuffer(0, good.subarray(0, 12), 100, 1000)).toBeNull(); // torn entry
    expect(OffsetIndex.fromBuffer(0, good, 100, 300)).toBeNull(); // position past the valid length
    expect(OffsetIndex.fromBuffer(0, good, 9, 1000)).toBeNull(); // offset past the segment
    const swapped = Buffer.concat([good.subarray(8), good.subarray(0, 8)]);
    expect(OffsetIndex.fromBuffer(0, swapped, 100, 1000)).toBeNull(); // not increasing
  });

  it("drops the entries at or past a truncation position", () => {
    const index = new OffsetIndex(0);
    index.append(1, 100);
    index.append(2, 200);
    index.append(3, 300);
    index.truncateToPosition(200);
    expect(index.lastEntry()).toEqual({ offset: 1, position: 100 });
  });

  it("reports full at its entry limit", () => {
    const index = new OffsetIndex(0, 2);
    index.append(1, 1);
    expect(index.isFull).toBe(false);
    index.append(2, 2);
    expect(index.isFull).toBe(true);
  });
});
