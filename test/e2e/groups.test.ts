import { status } from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { errorReason } from "../../clients/ts/index.js";
import { GroupMember } from "../helpers/group-member.js";
import { bytes, startTestBroker, type TestBroker } from "../helpers/test-broker.js";

const sortKeys = (ps: Array<{ topic: string; partition: number }>) => ps.map((p) => `${p.topic}/${p.partition}`).sort();

describe("consumer groups", () => {
  let t: TestBroker;
  const members: GroupMember[] = [];
  const join = (groupId: string, options: ConstructorParameters<typeof GroupMember>[3] = {}, topics = ["orders"]) => {
    const m = new GroupMember(t.broker.address, groupId, topics, options);
    members.push(m);
    return m;
  };
  const produce = (count: number, from = 0) =>
    t.produce.produce({
      topic: "orders",
      records: Array.from({ length: count }, (_, i) => ({ key: bytes(`k${from + i}`), value: bytes(`v${from + i}`) })),
    });
  const stable = (group: GroupMember[], partitions = 6) =>
    vi.waitFor(
      () => {
        const generations = new Set(group.map((m) => m.generation));
        expect(generations.size).toBe(1);
        expect(group.flatMap((m) => m.assignment).length).toBe(partitions);
      },
      { timeout: 10_000, interval: 10 },
    );

  beforeEach(async () => {
    t = await startTestBroker({ rebalanceTimeoutMs: 5_000, sessionTimeoutMs: 3_000 });
    await t.admin.createTopic({ name: "orders", partitions: 6 });
  });
  afterEach(async () => {
    await Promise.all(members.splice(0).map((m) => m.cancel()));
    await t.close();
  });

  it("balances six partitions over three members, disjointly, and delivers each record to exactly one", async () => {
    const group = [join("billing"), join("billing"), join("billing")];
    await stable(group);
    for (const m of group) expect(m.assignment).toHaveLength(2);
    expect(new Set(group.flatMap((m) => sortKeys(m.assignment))).size).toBe(6);
    for (const m of group) expect(m.events[0]).toMatch(/^assignment /); // announced before any record

    await produce(600);
    await vi.waitFor(() => expect(group.reduce((n, m) => n + m.deliveries.length, 0)).toBe(600), { timeout: 10_000 });
    const seen = group.flatMap((m) => m.deliveries.map((d) => `${d.partition}:${d.offset}`));
    expect(new Set(seen).size).toBe(600);
    for (const m of group) for (const d of m.deliveries) expect(m.owns(d.topic, d.partition)).toBe(true);
  });

  it("moves only the partitions a new member takes (sticky)", async () => {
    const group = [join("sticky"), join("sticky"), join("sticky")];
    await stable(group);
    const before = new Map(group.map((m) => [m, sortKeys(m.assignment)]));
    const newcomer = join("sticky");
    await stable([...group, newcomer]);
    const kept = group.reduce((n, m) => n + sortKeys(m.assignment).filter((k) => before.get(m)!.includes(k)).length, 0);
    expect(newcomer.assignment.length).toBe(1);
    expect(kept).toBe(5);
    expect(group.map((m) => m.assignment.length).sort()).toEqual([1, 2, 2]);
  });

  it("gives the partitions of a member that left to the others, from its committed offsets", async () => {
    const group = [join("handover", { commitEvery: 1 }), join("handover", { commitEvery: 1 })];
    await stable(group);
    await produce(120);
    await vi.waitFor(() => expect(group[0].deliveries.length + group[1].deliveries.length).toBe(120));
    const [leaver, stayer] = group;
    await leaver.close();
    await stable([stayer]);
    expect(stayer.assignment).toHaveLength(6);
    await produce(60, 120);
    await vi.waitFor(() => expect(leaver.deliveries.length + stayer.deliveries.length).toBe(180));
    const all = [...leaver.deliveries, ...stayer.deliveries].map((d) => `${d.partition}:${d.offset}`);
    expect(new Set(all).size).toBe(180); // nothing again: the leaver committed what it processed
  });

  it("keeps a static member's partitions across a reconnect without a rebalance of the others", async () => {
    const other = join("static", {}, ["orders"]);
    const first = join("static", { instanceId: "worker-a" });
    await stable([other, first]);
    const generation = other.generation;
    const otherEvents = other.assignmentEvents;
    const owned = sortKeys(first.assignment);
    await first.cancel();
    const again = join("static", { instanceId: "worker-a" });
    await vi.waitFor(() => expect(again.assignmentEvents).toBe(1));
    expect(sortKeys(again.assignment)).toEqual(owned);
    expect(again.generation).toBe(generation);
    expect(again.memberId).toBe(first.memberId);
    expect(other.generation).toBe(generation);
    expect(other.assignmentEvents).toBe(otherEvents);
  });

  it("hands a static member's partitions on after the session timeout", async () => {
    const other = join("expire");
    const gone = join("expire", { instanceId: "worker-b" });
    await stable([other, gone]);
    await gone.cancel();
    await vi.waitFor(() => expect(other.assignment).toHaveLength(6), { timeout: 10_000 });
  });

  it("fences commits from a stale generation and leaves the committed offsets unchanged", async () => {
    const first = join("fence", { earliest: true });
    await produce(30);
    await stable([first]);
    await vi.waitFor(() => expect(first.deliveries.length).toBe(30));
    expect(await first.commit()).toBe(true);
    const committedBefore = await t.commit.fetchCommitted({ groupId: "fence" });
    const staleGeneration = first.generation;
    const second = join("fence");
    await stable([first, second]);
    expect(first.generation).toBeGreaterThan(staleGeneration);
    const err = await t.commit
      .commit({
        groupId: "fence",
        memberId: first.memberId,
        generation: staleGeneration,
        offsets: [{ topic: "orders", partition: first.assignment[0].partition, offset: 1n }],
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: status.FAILED_PRECONDITION });
    expect(errorReason(err)).toBe("STALE_GENERATION");
    const notOwned = [0, 1, 2, 3, 4, 5].find((p) => !first.owns("orders", p))!;
    const stolen = await t.commit
      .commit({ groupId: "fence", memberId: first.memberId, generation: first.generation, offsets: [{ topic: "orders", partition: notOwned, offset: 1n }] })
      .catch((e: unknown) => e);
    expect(errorReason(stolen)).toBe("NOT_PARTITION_OWNER");
    const tool = await t.commit.commit({ groupId: "fence", offsets: [] }).catch((e: unknown) => e);
    expect(errorReason(tool)).toBe("GROUP_NOT_EMPTY");
    const committedAfter = await t.commit.fetchCommitted({ groupId: "fence" });
    const relevant = (o: typeof committedBefore.offsets) => o.map((x) => [x.partition, x.offset]).sort();
    // Only the revocation acknowledgement of `first` may have changed offsets, to what it processed.
    for (const [partition, offset] of relevant(committedAfter.offsets)) {
      const previous = committedBefore.offsets.find((o) => o.partition === partition)?.offset;
      if (previous !== undefined) expect(offset).toBe(previous);
    }
  });

  it("describes members, assignment, committed offsets and lag; resets offsets only when empty", async () => {
    await produce(60);
    const member = join("ops", { earliest: true, clientId: "ops-client" });
    await stable([member]);
    await vi.waitFor(() => expect(member.deliveries.length).toBe(60));
    await member.commit();
    await produce(12, 60);
    const described = await t.admin.describeGroup({ groupId: "ops" });
    expect(described.state).toBe("Stable");
    expect(described.members).toHaveLength(1);
    expect(described.members[0]).toMatchObject({ memberId: member.memberId, clientId: "ops-client" });
    expect(described.members[0].assignment).toHaveLength(6);
    const totalLag = described.offsets.reduce((n, o) => n + o.lag, 0n);
    expect(totalLag).toBe(12n);
    expect(described.offsets.every((o) => o.memberId === member.memberId)).toBe(true);

    const refused = await t.admin
      .resetGroupOffsets({ groupId: "ops", topic: "orders", to: { case: "earliest", value: true } })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: status.FAILED_PRECONDITION });
    expect(errorReason(refused)).toBe("GROUP_NOT_EMPTY");
    expect(errorReason(await t.admin.deleteGroup({ groupId: "ops" }).catch((e: unknown) => e))).toBe("GROUP_NOT_EMPTY");

    await member.close();
    await vi.waitFor(async () => expect((await t.admin.describeGroup({ groupId: "ops" })).state).toBe("Empty"));
    const reset = await t.admin.resetGroupOffsets({ groupId: "ops", topic: "orders", to: { case: "earliest", value: true } });
    expect(reset.offsets).toHaveLength(6);
    expect(reset.offsets.every((o) => o.offset === 0n)).toBe(true);
    const lagAfter = (await t.admin.describeGroup({ groupId: "ops" })).offsets.reduce((n, o) => n + o.lag, 0n);
    expect(lagAfter).toBe(72n);
    expect((await t.admin.listGroups({})).groups.map((g) => [g.groupId, g.state])).toEqual([["ops", "Empty"]]);

    // A member that rejoins starts at the reset offsets.
    const again = join("ops");
    await vi.waitFor(() => expect(again.deliveries.length).toBe(72));
    await again.close();
    await vi.waitFor(async () => expect((await t.admin.describeGroup({ groupId: "ops" })).state).toBe("Empty"));
    await t.admin.deleteGroup({ groupId: "ops" });
    expect((await t.admin.listGroups({})).groups).toEqual([]);
  });

  it("resumes a group where it committed after a broker restart", async () => {
    await produce(40);
    const member = join("durable", { earliest: true });
    await vi.waitFor(() => expect(member.deliveries.length).toBe(40));
    await member.close();
    members.splice(members.indexOf(member), 1);
    const before = await t.commit.fetchCommitted({ groupId: "durable" });
    expect(before.offsets.reduce((n, o) => n + o.offset, 0n)).toBe(40n);
    await t.restart();
    const after = await t.commit.fetchCommitted({ groupId: "durable" });
    expect(after.offsets.map((o) => [o.partition, o.offset])).toEqual(before.offsets.map((o) => [o.partition, o.offset]));
    await produce(5, 40);
    const again = join("durable", { earliest: true });
    await vi.waitFor(() => expect(again.deliveries.length).toBe(5));
    expect(again.deliveries.every((d) => Number(d.value.slice(1)) >= 40)).toBe(true);
  });

  it("reports an out-of-range committed offset and resets it by the policy", async () => {
    await produce(30);
    await t.commit.commit({ groupId: "far", offsets: [{ topic: "orders", partition: 0, offset: 10_000n }] });
    const member = join("far", { earliest: true });
    await vi.waitFor(() => expect(member.events).toContain("reset orders/0"));
    const inZero = (await t.fetch.fetch({ topic: "orders", partition: 0, offset: 0n })).records.length;
    await vi.waitFor(() => expect(member.deliveries.filter((d) => d.partition === 0).length).toBe(inZero));
  });

  it("rebalances when a subscribed topic gains partitions or is deleted", async () => {
    await t.admin.createTopic({ name: "extra", partitions: 2 });
    const a = join("topics", {}, ["orders", "extra"]);
    const b = join("topics", {}, ["orders", "extra"]);
    await stable([a, b], 8);
    await t.admin.createPartitions({ name: "extra", totalCount: 4 });
    await stable([a, b], 10);
    await t.admin.deleteTopic({ name: "extra" });
    await stable([a, b], 6);
    expect([...a.assignment, ...b.assignment].every((p) => p.topic === "orders")).toBe(true);
  });

  it("ends a member's stream with UNAVAILABLE when the broker shuts down", async () => {
    const other = await startTestBroker();
    try {
      await other.admin.createTopic({ name: "orders", partitions: 2 });
      const stream = other.fetch.subscribe({ groupId: "closing", topics: ["orders"] });
      const events = stream[Symbol.asyncIterator]();
      expect((await events.next()).value?.event.case).toBe("assignment");
      const ended = events.next().catch((e: unknown) => e);
      await other.broker.close();
      const err = await ended;
      expect(err).toMatchObject({ code: status.UNAVAILABLE });
      expect(errorReason(err)).toBe("SHUTTING_DOWN");
    } finally {
      await other.close();
    }
  });

  it("completes a revocation at once when the member was sent nothing beyond its commits, or never commits; otherwise waits for its commit", async () => {
    // A rebalance timeout no test waits out: every completion below is an acknowledgement.
    const slow = await startTestBroker({ rebalanceTimeoutMs: 120_000 });
    const streams: Array<{ cancel(): void }> = [];
    try {
      await slow.admin.createTopic({ name: "orders", partitions: 2 });
      for (const partition of [0, 1]) await slow.produce.produce({ topic: "orders", partition, records: [{ value: bytes("r") }] });
      const member = (groupId: string, extra: { neverCommits?: boolean; earliest?: boolean } = {}) => {
        const stream = slow.fetch.subscribe({
          groupId,
          topics: ["orders"],
          neverCommits: extra.neverCommits ?? false,
          startPosition: extra.earliest ? { case: "earliest", value: true } : { case: "latest", value: true },
        });
        streams.push(stream);
        const events = stream[Symbol.asyncIterator]();
        /** The next event of `kind`, skipping others. */
        const next = async (kind: string) => {
          for (;;) {
            const { value } = await events.next();
            if (value?.event.case === kind) return value.event.value as { generation: number; memberId: string; partitions: unknown[] };
          }
        };
        return { next };
      };

      // Sent nothing (it starts at the log end): the newcomer is assigned without any commit.
      const quiet = member("quiet");
      expect((await quiet.next("assignment")).partitions).toHaveLength(2);
      const quietNewcomer = member("quiet");
      expect((await quietNewcomer.next("assignment")).partitions).toHaveLength(1);

      // Sent records it never commits, but says so: the same.
      const tool = member("tool", { earliest: true, neverCommits: true });
      expect((await tool.next("assignment")).partitions).toHaveLength(2);
      await tool.next("records");
      await tool.next("records");
      const toolNewcomer = member("tool");
      expect((await toolNewcomer.next("assignment")).partitions).toHaveLength(1);

      // Sent records beyond its commits: the group waits for its Commit.
      const busy = member("busy", { earliest: true });
      const assigned = await busy.next("assignment");
      await busy.next("records");
      await busy.next("records"); // both partitions: whichever is revoked was sent a record
      const busyNewcomer = member("busy");
      const revoked = await busy.next("revoked");
      // The subscription acknowledges before the client sees `revoked`; this one did not.
      expect((await slow.admin.describeGroup({ groupId: "busy" })).state).toBe("Rebalancing");
      await slow.commit.commit({ groupId: "busy", memberId: assigned.memberId, generation: revoked.generation, offsets: [] });
      expect((await busyNewcomer.next("assignment")).partitions).toHaveLength(1);
    } finally {
      for (const stream of streams) stream.cancel();
      await slow.close();
    }
  });
});
