import { describe, expect, it } from "vitest";
import { TributaryError } from "../../../services/errors.js";
import { continuationIndex, placeReplicas, type PlacementBroker } from "../../../services/cluster/controller/placement.js";

const brokers = (ids: number[], racks?: string[]): PlacementBroker[] =>
  ids.map((id, i) => ({ id, rack: racks?.[i] }));

function counts(values: number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

describe("placeReplicas", () => {
  it("puts each partition's replicas on distinct brokers and spreads leaders evenly", () => {
    const placed = placeReplicas({ brokers: brokers([3, 1, 2, 5, 4]), partitionCount: 10, replicationFactor: 3 });
    expect(placed).toHaveLength(10);
    for (const replicas of placed) {
      expect(replicas).toHaveLength(3);
      expect(new Set(replicas).size).toBe(3);
      for (const id of replicas) expect([1, 2, 3, 4, 5]).toContain(id);
    }
    const leaders = counts(placed.map((r) => r[0]));
    expect([...leaders.values()]).toEqual([2, 2, 2, 2, 2]);
    const all = counts(placed.flat());
    expect([...all.values()].every((c) => c === 6)).toBe(true);
  });

  it("walks leaders round-robin over brokers sorted by id from the start index", () => {
    const placed = placeReplicas({
      brokers: brokers([30, 10, 20]),
      partitionCount: 4,
      replicationFactor: 2,
      startIndex: 1,
      replicaShift: 0,
    });
    expect(placed.map((r) => r[0])).toEqual([20, 30, 10, 20]);
    expect(placed[0]).toEqual([20, 30]);
  });

  it("starts topics on different brokers when no start index is given", () => {
    const starts = new Set<number>();
    for (let i = 0; i < 60; i++) {
      starts.add(placeReplicas({ brokers: brokers([0, 1, 2]), partitionCount: 1, replicationFactor: 1 })[0][0]);
    }
    expect(starts.size).toBeGreaterThan(1);
  });

  it("spreads every partition's replicas across racks", () => {
    const racked = brokers([0, 1, 2, 3, 4, 5], ["a", "a", "b", "b", "c", "c"]);
    const rackOf = new Map(racked.map((b) => [b.id, b.rack]));
    for (let start = 0; start < 6; start++) {
      const placed = placeReplicas({ brokers: racked, partitionCount: 12, replicationFactor: 3, startIndex: start });
      for (const replicas of placed) expect(new Set(replicas.map((id) => rackOf.get(id))).size).toBe(3);
      expect([...counts(placed.map((r) => r[0])).values()]).toEqual([2, 2, 2, 2, 2, 2]);
    }
  });

  it("with more replicas than racks, covers every rack before doubling one", () => {
    const racked = brokers([0, 1, 2, 3], ["a", "a", "a", "b"]);
    const placed = placeReplicas({ brokers: racked, partitionCount: 8, replicationFactor: 2 });
    for (const replicas of placed) expect(replicas.some((id) => id === 3)).toBe(true);
  });

  it("refuses a replication factor above the live brokers instead of lowering it", () => {
    const err = (() => {
      try {
        placeReplicas({ brokers: brokers([1, 2]), partitionCount: 1, replicationFactor: 3 });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(TributaryError);
    expect((err as TributaryError).kind).toBe("invalid");
    expect((err as TributaryError).reason).toBe("INVALID_REPLICATION_FACTOR");
    expect(() => placeReplicas({ brokers: [], partitionCount: 1, replicationFactor: 1 })).toThrow(/live brokers/);
    expect(() => placeReplicas({ brokers: brokers([1]), partitionCount: 1, replicationFactor: 0 })).toThrow(TributaryError);
  });

  it("continues a grown topic where its partition 0 started", () => {
    const live = brokers([1, 2, 3]);
    const first = placeReplicas({ brokers: live, partitionCount: 3, replicationFactor: 2, startIndex: 1, replicaShift: 1 });
    const start = continuationIndex(live, first[0][0]);
    expect(start).toBe(1);
    const grown = placeReplicas({ brokers: live, partitionCount: 3, replicationFactor: 2, firstPartition: 3, startIndex: start });
    expect(counts([...first, ...grown].map((r) => r[0])).size).toBe(3);
    expect([...counts([...first, ...grown].map((r) => r[0])).values()]).toEqual([2, 2, 2]);
  });
});
