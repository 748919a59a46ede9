import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createClient, errorLeader, errorReason } from "../../clients/ts/grpc-client.js";
import { AdminService, CleanupPolicy, type TopicDescription } from "../../gen/ts/tributary/v1/admin_pb.js";
import { CommitService } from "../../gen/ts/tributary/v1/commit_pb.js";
import { FetchService, type SubscribeResponse } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { Acks, ProduceService } from "../../gen/ts/tributary/v1/produce_pb.js";
import { partitionForKey } from "../../services/partitioner/index.js";
import { startCluster, type ClusterBroker, type TestCluster } from "../helpers/cluster.js";

const offsetsPartitions = 3;

/** A group member's Subscribe stream, read in the background: every event, and how it ended. */
function member(address: string, groupId: string, topics: string[], from: "earliest" | "latest" = "earliest") {
  const controller = new AbortController();
  const events: SubscribeResponse[] = [];
  const state: { end: unknown; ended: boolean } = { end: undefined, ended: false };
  const stream = createClient(FetchService, address).subscribe(
    { groupId, topics, clientId: "test", startPosition: { case: from, value: true } },
    { signal: controller.signal } as never,
  );
  const done = (async () => {
    try {
      for await (const event of stream) events.push(event);
    } catch (err) {
      state.end = err;
    } finally {
      state.ended = true;
    }
  })();
  const assignments = () => events.flatMap((e) => (e.event.case === "assignment" ? [e.event.value] : []));
  const offsets = () =>
    events.flatMap((e) => (e.event.case === "records" ? e.event.value.records.map((r) => r.offset) : []));
  return {
    events,
    state,
    done,
    assignments,
    offsets,
    async assigned() {
      return vi.waitFor(
        () => {
          const a = assignments().at(-1);
          if (a === undefined) throw new Error(`no assignment yet (ended: ${String(errorReason(state.end) ?? state.end)})`);
          return a;
        },
        { timeout: 20_000, interval: 50 },
      );
    },
    close() {
      controller.abort();
      return done;
    },
  };
}

/** A member that has its assignment: joins again while the coordinator answers a retriable
 * error (COORDINATOR_LOAD_IN_PROGRESS just after it became the coordinator). */
async function joined(address: string, groupId: string, topics: string[], cluster: TestCluster) {
  try {
    return await vi.waitFor(
      async () => {
        const attempt = member(address, groupId, topics);
        try {
          await attempt.assigned();
          return attempt;
        } catch (err) {
          await attempt.close();
          throw err;
        }
      },
      { timeout: 30_000, interval: 200 },
    );
  } catch (err) {
    dumpLogs(cluster);
    throw err;
  }
}

function dumpLogs(cluster: TestCluster): void {
  for (const b of cluster.brokers) {
    console.log(`broker ${b.id}:\n${b.process.logs.filter((l) => /coordinat|offsets|elect|lead/.test(l)).slice(-40).join("\n")}`);
  }
}

/** Where the group's coordinator is, once __consumer_offsets exists and its partition has a leader. */
async function findCoordinator(cluster: TestCluster, groupId: string, via = cluster.bootstrap[0]) {
  return vi.waitFor(() => createClient(AdminService, via).findCoordinator({ groupId }, { deadline: 2000 } as never), {
    timeout: 30_000,
    interval: 100,
  });
}

describe("consumer groups in a three-broker cluster", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster({
      brokers: 3,
      proxies: true,
      config: { offsetsTopicReplicationFactor: 3, offsetsTopicPartitions: offsetsPartitions },
    });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it("creates a replicated __consumer_offsets; FindCoordinator names the leader of the group's partition, other brokers answer NOT_COORDINATOR with its address", async () => {
    const groupId = "finder";
    const found = await findCoordinator(cluster, groupId);
    expect(found.partition).toBe(partitionForKey(Buffer.from(groupId), offsetsPartitions));
    // Any broker describes it once its metadata watch delivered it.
    const offsets = await vi.waitFor(
      async () => (await createClient(AdminService, cluster.bootstrap[1]).describeTopic({ name: "__consumer_offsets" })).topic!,
      { timeout: 10_000, interval: 50 },
    );
    expect(offsets.internal).toBe(true);
    expect(offsets.replicationFactor).toBe(3);
    expect(offsets.config!.cleanupPolicy).toBe(CleanupPolicy.COMPACT);
    expect(offsets.config!.minInsyncReplicas).toBe(2);
    expect(found.brokerId).toBe(offsets.partitions[found.partition].leader);
    expect(found.address).toBe(cluster.broker(found.brokerId).address);
    // Every broker agrees.
    for (const address of cluster.bootstrap) expect((await findCoordinator(cluster, groupId, address)).brokerId).toBe(found.brokerId);

    const other = cluster.brokers.find((b) => b.id !== found.brokerId)!;
    const refusals = [
      createClient(CommitService, other.address).commit({ groupId, offsets: [] }),
      createClient(CommitService, other.address).fetchCommitted({ groupId }),
      createClient(AdminService, other.address).describeGroup({ groupId }),
      createClient(AdminService, other.address).deleteGroup({ groupId }),
    ];
    for (const call of refusals) {
      const err = await call.then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ code: status.UNAVAILABLE });
      expect(errorReason(err)).toBe("NOT_COORDINATOR");
      expect(errorLeader(err)).toBe(found.address);
    }
    const stream = member(other.address, groupId, ["anything"]);
    await stream.done;
    expect(errorReason(stream.state.end)).toBe("NOT_COORDINATOR");
    expect(errorLeader(stream.state.end)).toBe(found.address);
  });

  it("keeps commits across a kill -9 of the coordinator; the new one refuses the old generation, and its generations are higher", async () => {
    const admin = createClient(AdminService, cluster.bootstrap[0]);
    await admin.createTopic({ name: "kept", partitions: 2, replicationFactor: 3, config: { minInsyncReplicas: 2 } });
    const groupId = "survivor";
    const coordinator = await findCoordinator(cluster, groupId);
    const first = await joined(coordinator.address, groupId, ["kept"], cluster);
    const assignment = await first.assigned();
    expect(assignment.partitions).toHaveLength(2);
    const commit = createClient(CommitService, coordinator.address);
    await commit.commit({
      groupId,
      memberId: assignment.memberId,
      generation: assignment.generation,
      offsets: [
        { topic: "kept", partition: 0, offset: 7n },
        { topic: "kept", partition: 1, offset: 9n },
      ],
    });

    const victim = cluster.broker(coordinator.brokerId);
    victim.process.kill("SIGKILL");
    await first.done;
    const survivor = cluster.brokers.find((b) => b.id !== victim.id)!;
    const moved = await vi.waitFor(
      async () => {
        const found = await createClient(AdminService, survivor.address).findCoordinator({ groupId });
        if (found.brokerId === victim.id) throw new Error("still the killed broker");
        return found;
      },
      { timeout: 30_000, interval: 100 },
    );
    // Until loaded the new coordinator may answer COORDINATOR_LOAD_IN_PROGRESS, never other offsets.
    const answers: string[] = [];
    const committed = await vi.waitFor(
      async () => {
        try {
          return (await createClient(CommitService, moved.address).fetchCommitted({ groupId })).offsets;
        } catch (err) {
          answers.push(errorReason(err) ?? String(err));
          throw err;
        }
      },
      { timeout: 30_000, interval: 100 },
    ).catch((err: unknown) => {
      dumpLogs(cluster);
      throw err;
    });
    expect(committed.map((o) => [o.topic, o.partition, o.offset])).toEqual([
      ["kept", 0, 7n],
      ["kept", 1, 9n],
    ]);
    expect(answers.every((r) => r === "COORDINATOR_LOAD_IN_PROGRESS" || r === "NOT_COORDINATOR" || r === "COORDINATOR_NOT_AVAILABLE")).toBe(true);

    // The deposed coordinator's member and generation are refused.
    const stale = await createClient(CommitService, moved.address)
      .commit({ groupId, memberId: assignment.memberId, generation: assignment.generation, offsets: [{ topic: "kept", partition: 0, offset: 8n }] })
      .then(() => undefined, (e: unknown) => e);
    expect(stale).toMatchObject({ code: status.FAILED_PRECONDITION });
    const second = await joined(moved.address, groupId, ["kept"], cluster);
    const again = await second.assigned();
    expect(again.generation).toBeGreaterThan(assignment.generation);
    // Above the new leader epoch's floor (epoch << 16; the epoch grew with the election).
    expect(again.generation).toBeGreaterThan(1 << 16);
    const staleGeneration = await createClient(CommitService, moved.address)
      .commit({ groupId, memberId: again.memberId, generation: assignment.generation, offsets: [{ topic: "kept", partition: 0, offset: 8n }] })
      .then(() => undefined, (e: unknown) => e);
    expect(errorReason(staleGeneration)).toBe("STALE_GENERATION");
    expect((await createClient(CommitService, moved.address).fetchCommitted({ groupId })).offsets.map((o) => o.offset)).toEqual([7n, 9n]);
    await second.close();
    await victim.start();
  });

  it("serves a member from the partition's leader when the coordinator holds no replica, across a leader kill, without a skipped or repeated offset", async () => {
    const viewer = cluster.brokers.find((b) => !b.process.exited)!.address;
    const admin = createClient(AdminService, viewer);
    // Every broker is back and in every ISR before the topic is placed.
    await vi.waitFor(async () => expect((await admin.describeCluster({})).brokers).toHaveLength(3), { timeout: 30_000 });
    // A partition with two replicas, and a group coordinated by the third broker (tried
    // again with another topic while that broker leads no partition of __consumer_offsets:
    // leaderships move with the kills above and do not move back).
    let name = "";
    let topic: TopicDescription | undefined;
    let outsider: ClusterBroker | undefined;
    let groupId = "";
    for (let attempt = 0; groupId === ""; attempt++) {
      expect(attempt).toBeLessThan(30);
      name = `elsewhere-${attempt}`;
      topic = (await admin.createTopic({ name, partitions: 1, replicationFactor: 2, config: { minInsyncReplicas: 1 } })).topic!;
      outsider = cluster.brokers.find((b) => !topic!.partitions[0].replicas.includes(b.id))!;
      for (let i = 0; i < 100 && groupId === ""; i++) {
        const candidate = `remote-${attempt}-${i}`;
        if ((await findCoordinator(cluster, candidate, viewer)).brokerId === outsider.id) groupId = candidate;
      }
    }
    topic = topic!;
    outsider = outsider!;
    const produceTo = async (from: number, count: number) => {
      const records = Array.from({ length: count }, (_, i) => ({ value: Buffer.from(`v${from + i}`) }));
      await vi.waitFor(
        async () => {
          const leader = (await createClient(AdminService, outsider.address).describeTopic({ name })).topic!.partitions[0].leader;
          if (leader < 0) throw new Error("offline");
          await createClient(ProduceService, cluster.broker(leader).address).produce({ topic: name, partition: 0, records, acks: Acks.ALL });
        },
        { timeout: 30_000, interval: 100 },
      );
    };
    await produceTo(0, 50);
    const m = await joined(outsider.address, groupId, [name], cluster);
    await vi.waitFor(() => expect(m.offsets().length).toBeGreaterThanOrEqual(50), { timeout: 20_000, interval: 50 });

    const leader = cluster.broker(topic.partitions[0].leader);
    leader.process.kill("SIGKILL");
    await produceTo(50, 50);
    await vi.waitFor(() => expect(m.offsets().length).toBeGreaterThanOrEqual(100), { timeout: 30_000, interval: 50 });
    expect(m.state.ended).toBe(false);
    expect(m.offsets()).toEqual(Array.from({ length: 100 }, (_, i) => BigInt(i)));
    // Assignment before any record.
    expect(m.events.findIndex((e) => e.event.case === "assignment")).toBeLessThan(m.events.findIndex((e) => e.event.case === "records"));
    // Lag against the leader's high watermark, not the coordinator's empty local log.
    const assignment = m.assignments().at(-1)!;
    await createClient(CommitService, outsider.address).commit({
      groupId,
      memberId: assignment.memberId,
      generation: assignment.generation,
      offsets: [{ topic: name, partition: 0, offset: 60n }],
    });
    const described = await createClient(AdminService, outsider.address).describeGroup({ groupId });
    expect(described.offsets.map((o) => [o.committedOffset, o.logEndOffset, o.lag])).toEqual([[60n, 100n, 40n]]);
    await m.close();
    await leader.start();
  });
  it("serves a member from the coordinator's follower replica, below its high watermark", async () => {
    const viewer = cluster.brokers.find((b) => !b.process.exited)!.address;
    const admin = createClient(AdminService, viewer);
    await vi.waitFor(() => admin.describeCluster({}), { timeout: 20_000, interval: 100 });
    const topic = (await admin.createTopic({ name: "followed", partitions: 1, replicationFactor: 3, config: { minInsyncReplicas: 2 } })).topic!;
    const leaderId = topic.partitions[0].leader;
    let groupId = "";
    let coordinator: { brokerId: number; address: string } | undefined;
    for (let i = 0; groupId === ""; i++) {
      expect(i).toBeLessThan(100);
      const found = await findCoordinator(cluster, `follower-${i}`, viewer);
      if (found.brokerId !== leaderId) [groupId, coordinator] = [`follower-${i}`, found];
    }
    const m = await joined(coordinator!.address, groupId, ["followed"], cluster);
    // The leader may be the broker the test before restarted, and a channel to its address
    // may still be backing off (CI once failed the first produce with UNAVAILABLE, "No
    // connection established"): wait until it answers before producing.
    const leaderAddress = cluster.broker(leaderId).address;
    const leaderAdmin = createClient(AdminService, leaderAddress);
    await vi.waitFor(() => leaderAdmin.describeCluster({}), { timeout: 20_000, interval: 100 });
    const produce = createClient(ProduceService, leaderAddress);
    for (let i = 0; i < 3; i++) {
      const records = Array.from({ length: 10 }, (_, j) => ({ value: Buffer.from(`v${i * 10 + j}`) }));
      await produce.produce({ topic: "followed", partition: 0, records, acks: Acks.ALL });
    }
    await vi.waitFor(() => expect(m.offsets().length).toBeGreaterThanOrEqual(30), { timeout: 20_000, interval: 50 });
    expect(m.offsets()).toEqual(Array.from({ length: 30 }, (_, i) => BigInt(i)));
    await m.close();
  });

  it("ends the member streams of a coordinator cut off from etcd with NOT_COORDINATOR", async () => {
    const admin = createClient(AdminService, cluster.brokers.find((b) => !b.process.exited)!.address);
    // A client's channel to a broker restarted by the test before may still be backing off.
    await vi.waitFor(() => admin.describeCluster({}), { timeout: 20_000, interval: 100 });
    await admin.createTopic({ name: "fenced", partitions: 1, replicationFactor: 3, config: { minInsyncReplicas: 2 } });
    const groupId = "cut-off";
    const coordinator = await findCoordinator(cluster, groupId);
    const m = await joined(coordinator.address, groupId, ["fenced"], cluster);
    const broker = cluster.broker(coordinator.brokerId);
    broker.etcdProxy!.setMode("drop");
    try {
      await vi.waitFor(() => expect(m.state.ended).toBe(true), { timeout: 20_000, interval: 50 });
      expect(m.state.end).toMatchObject({ code: status.UNAVAILABLE });
      expect(errorReason(m.state.end)).toBe("NOT_COORDINATOR");
    } finally {
      broker.etcdProxy!.setMode("pass");
    }
  });

});

describe("consumer groups in a cluster with fewer live brokers than offsetsTopicReplicationFactor", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster({ brokers: 1, config: { offsetsTopicReplicationFactor: 3 } });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it("answers COORDINATOR_NOT_AVAILABLE and never creates __consumer_offsets with fewer replicas", async () => {
    const address = cluster.bootstrap[0];
    for (const call of [
      createClient(AdminService, address).findCoordinator({ groupId: "g" }),
      createClient(CommitService, address).commit({ groupId: "g", offsets: [] }),
      createClient(CommitService, address).fetchCommitted({ groupId: "g" }),
    ]) {
      const err = await call.then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ code: status.UNAVAILABLE });
      expect(errorReason(err)).toBe("COORDINATOR_NOT_AVAILABLE");
    }
    const stream = member(address, "g", ["anything"]);
    await stream.done;
    expect(errorReason(stream.state.end)).toBe("COORDINATOR_NOT_AVAILABLE");
    // The broker tried (a group call asks for it) and was refused: still no offsets topic.
    await vi.waitFor(() => expect(cluster.broker(1).process.logs.some((l) => l.includes("waits for enough live brokers"))).toBe(true), {
      timeout: 10_000,
      interval: 50,
    });
    const topics = await createClient(AdminService, address).listTopics({ includeInternal: true });
    expect(topics.topics.map((t) => t.name)).not.toContain("__consumer_offsets");
  });
});
