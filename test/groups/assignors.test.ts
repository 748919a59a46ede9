import { describe, expect, it } from "vitest";
import { assign, partitionKey, type Assignment, type AssignorKind, type PartitionRef } from "../../services/groups/index.js";

const kinds: AssignorKind[] = ["range", "round-robin", "sticky"];

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const names = (a: Assignment, member: string) => a.get(member)!.map((p) => `${p.topic}-${p.partition}`);

interface Member {
  memberId: string;
  topics: string[];
}

/** A random group: 1-8 members, 1-4 topics of 1-12 partitions, each member consuming a
 * random non-empty subset (or all topics when `uniform`), plus a topic nobody consumes
 * and a consumed topic that does not exist. */
function randomGroup(rand: () => number, uniform: boolean): { members: Member[]; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const topicCount = 1 + Math.floor(rand() * 4);
  for (let t = 0; t < topicCount; t++) counts.set(`t${t}`, 1 + Math.floor(rand() * 12));
  counts.set("unconsumed", 3);
  const topics = [...counts.keys()].filter((t) => t !== "unconsumed");
  const members: Member[] = [];
  const memberCount = 1 + Math.floor(rand() * 8);
  for (let m = 0; m < memberCount; m++) {
    let chosen = uniform ? [...topics] : topics.filter(() => rand() < 0.6);
    if (chosen.length === 0) chosen = [topics[Math.floor(rand() * topics.length)]!];
    members.push({ memberId: `m${Math.floor(rand() * 1e6)}-${m}`, topics: [...chosen, "missing"] });
  }
  return { members, counts };
}

/** Every partition of a consumed, existing topic goes to exactly one member that consumes it; nothing else is assigned. */
function expectComplete(a: Assignment, members: readonly Member[], counts: ReadonlyMap<string, number>): void {
  const owner = new Map<string, string>();
  for (const [memberId, partitions] of a) {
    const member = members.find((m) => m.memberId === memberId)!;
    for (const p of partitions) {
      expect(member.topics, `${memberId} got ${p.topic}, which it does not consume`).toContain(p.topic);
      expect(owner.has(partitionKey(p)), `${p.topic}-${p.partition} assigned twice`).toBe(false);
      owner.set(partitionKey(p), memberId);
    }
  }
  const consumed = new Set(members.flatMap((m) => m.topics));
  let expected = 0;
  for (const [topic, count] of counts) if (consumed.has(topic)) expected += count;
  expect(owner.size).toBe(expected);
  expect([...a.keys()].sort()).toEqual(members.map((m) => m.memberId).sort());
}

const loads = (a: Assignment) => [...a.values()].map((l) => l.length);

describe("assign", () => {
  it("range: per topic, contiguous ranges, the first members in id order take one extra (Kafka's RangeAssignor)", () => {
    const a = assign(
      "range",
      [
        { memberId: "c1", topics: ["t0", "t1"] },
        { memberId: "c0", topics: ["t0", "t1"] },
      ],
      new Map([
        ["t0", 3],
        ["t1", 3],
      ]),
      new Map(),
    );
    expect(names(a, "c0")).toEqual(["t0-0", "t0-1", "t1-0", "t1-1"]);
    expect(names(a, "c1")).toEqual(["t0-2", "t1-2"]);
  });

  it("round-robin: all partitions dealt in order (Kafka's RoundRobinAssignor example)", () => {
    const a = assign(
      "round-robin",
      [
        { memberId: "c0", topics: ["t0", "t1"] },
        { memberId: "c1", topics: ["t0", "t1"] },
      ],
      new Map([
        ["t0", 3],
        ["t1", 3],
      ]),
      new Map(),
    );
    expect(names(a, "c0")).toEqual(["t0-0", "t0-2", "t1-1"]);
    expect(names(a, "c1")).toEqual(["t0-1", "t1-0", "t1-2"]);
  });

  it("gives an empty group nothing and an empty list to a member whose topics do not exist", () => {
    for (const kind of kinds) {
      expect(assign(kind, [], new Map([["t", 3]]), new Map()).size).toBe(0);
      const a = assign(kind, [{ memberId: "m", topics: ["missing"] }], new Map([["t", 3]]), new Map());
      expect(a.get("m")).toEqual([]);
    }
  });

  it("assigns every consumed partition to exactly one member that consumes it (random groups, every assignor)", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rand = random(seed);
      const { members, counts } = randomGroup(rand, false);
      for (const kind of kinds) {
        const current = kind === "sticky" ? assign("round-robin", members.slice(1), counts, new Map()) : new Map();
        const a = assign(kind, members, counts, current);
        expectComplete(a, members, counts);
        // Deterministic: members' order in the call does not matter.
        expect(assign(kind, [...members].reverse(), counts, current)).toEqual(a);
      }
    }
  });

  it("balances members consuming the same topics: loads differ by at most one (round-robin, sticky), per topic for range", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const { members, counts } = randomGroup(random(seed), true);
      for (const kind of ["round-robin", "sticky"] as const) {
        const l = loads(assign(kind, members, counts, new Map()));
        expect(Math.max(...l) - Math.min(...l), `${kind}, seed ${seed}`).toBeLessThanOrEqual(1);
      }
      const range = assign("range", members, counts, new Map());
      for (const topic of counts.keys()) {
        if (topic === "unconsumed") continue;
        const perTopic = [...range.values()].map((l) => l.filter((p) => p.topic === topic).length);
        expect(Math.max(...perTopic) - Math.min(...perTopic), `range ${topic}, seed ${seed}`).toBeLessThanOrEqual(1);
      }
    }
  });

  it("sticky: a balanced group reassigned as it is moves nothing", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const { members, counts } = randomGroup(random(seed), false);
      const first = assign("sticky", members, counts, new Map());
      expect(assign("sticky", members, counts, first), `seed ${seed}`).toEqual(first);
    }
  });

  it("sticky: a leave moves only the leaver's partitions, a join moves partitions only to the newcomer", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rand = random(seed);
      const { members, counts } = randomGroup(rand, true);
      const before = assign("sticky", members, counts, new Map());
      const ownerBefore = owners(before);

      if (members.length > 1) {
        const leaver = members[Math.floor(rand() * members.length)]!;
        const after = assign("sticky", members.filter((m) => m !== leaver), counts, before);
        for (const [key, owner] of owners(after)) {
          if (ownerBefore.get(key) !== leaver.memberId) expect(owner, `seed ${seed}: ${key} moved`).toBe(ownerBefore.get(key));
        }
      }

      const newcomer: Member = { memberId: `new-${seed}`, topics: members[0]!.topics };
      const joined = assign("sticky", [...members, newcomer], counts, before);
      for (const [key, owner] of owners(joined)) {
        if (owner !== ownerBefore.get(key)) expect(owner, `seed ${seed}: ${key} moved between old members`).toBe(newcomer.memberId);
      }
      const l = loads(joined);
      expect(Math.max(...l) - Math.min(...l), `seed ${seed}`).toBeLessThanOrEqual(1);
    }
  });
});

function owners(a: Assignment): Map<string, string> {
  const out = new Map<string, string>();
  for (const [memberId, partitions] of a) for (const p of partitions as PartitionRef[]) out.set(partitionKey(p), memberId);
  return out;
}
