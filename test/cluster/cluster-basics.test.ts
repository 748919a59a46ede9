import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Metadata } from "@grpc/grpc-js";
import { createClient, errorReason } from "../../clients/ts/grpc-client.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { Acks, ProduceService } from "../../gen/ts/tributary/v1/produce_pb.js";
import { FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { startCluster, type TestCluster } from "../helpers/cluster.js";

describe("a three-broker cluster", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster({ brokers: 3 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("lists every broker and a controller", async () => {
    const admin = createClient(AdminService, cluster.bootstrap[0]);
    const described = await admin.describeCluster({});
    expect(described.brokers.map((b) => b.id)).toEqual([1, 2, 3]);
    expect(described.brokers.map((b) => b.address)).toEqual(cluster.bootstrap);
    expect([1, 2, 3]).toContain(described.controllerId);
  });

  it("creates a replicated topic whose partitions have a leader, three replicas and a full ISR", async () => {
    const admin = createClient(AdminService, cluster.bootstrap[1]);
    const created = await admin.createTopic({ name: "orders", partitions: 3, replicationFactor: 3, config: { minInsyncReplicas: 2 } });
    expect(created.topic?.replicationFactor).toBe(3);
    expect(created.topic?.topicId).not.toBe("");
    for (const p of created.topic!.partitions) {
      expect(p.replicas).toHaveLength(3);
      expect(p.isr.sort()).toEqual([...p.replicas].sort());
      expect(p.leader).toBe(p.replicas[0]);
    }
    // Leaders spread: three partitions, three different first replicas.
    expect(new Set(created.topic!.partitions.map((p) => p.leader)).size).toBe(3);
    // Every broker knows the topic, once its metadata watch has delivered it (CreateTopic
    // answers when the broker that took it has applied it).
    for (const address of cluster.bootstrap) {
      await expect
        .poll(() => createClient(AdminService, address).describeTopic({ name: "orders" }).then((r) => r.topic!.topicId, () => ""), { timeout: 10_000 })
        .toBe(created.topic!.topicId);
    }
  });

  it("refuses a replication factor above the live brokers", async () => {
    const admin = createClient(AdminService, cluster.bootstrap[0]);
    await expect(admin.createTopic({ name: "too-many", partitions: 1, replicationFactor: 4 })).rejects.toSatisfy(
      (err: unknown) => errorReason(err) === "INVALID_REPLICATION_FACTOR",
    );
  });

  it("appends acks=ALL at the leader, replicates to every replica, and refuses at followers with the leader's address", async () => {
    const admin = createClient(AdminService, cluster.bootstrap[0]);
    const topic = (await admin.describeTopic({ name: "orders" })).topic!;
    const p0 = topic.partitions[0];
    const leaderAddress = cluster.broker(p0.leader).address;
    const produce = createClient(ProduceService, leaderAddress);
    const records = Array.from({ length: 10 }, (_, i) => ({ value: Buffer.from(`v${i}`) }));
    const answer = await produce.produce({ topic: "orders", partition: 0, records, acks: Acks.ALL });
    expect(answer.results[0].baseOffset).toBe(0n);

    const follower = p0.replicas.find((id) => id !== p0.leader)!;
    const trailers = new Promise<Metadata>((resolve) => {
      createClient(ProduceService, cluster.broker(follower).address)
        .produce({ topic: "orders", partition: 0, records, acks: Acks.ALL }, { onTrailers: resolve } as never)
        .catch((err: { metadata?: Metadata }) => resolve(err.metadata ?? new Metadata()));
    });
    const metadata = await trailers;
    expect(metadata.get("tributary-reason")).toEqual(["NOT_LEADER"]);
    expect(metadata.get("tributary-leader")).toEqual([leaderAddress]);

    // Every replica reaches the same log end and high watermark.
    await expect
      .poll(async () => {
        const ends = await Promise.all(
          p0.replicas.map(async (id) => {
            const t = (await createClient(AdminService, cluster.broker(id).address).describeTopic({ name: "orders" })).topic!;
            return `${t.partitions[0].logEndOffset}/${t.partitions[0].highWatermark}`;
          }),
        );
        return ends;
      }, { timeout: 10_000 })
      .toEqual(["10/10", "10/10", "10/10"]);
  });

  it("grows, reconfigures and deletes a topic on every broker", async () => {
    const admin = createClient(AdminService, cluster.bootstrap[2]);
    await admin.createTopic({ name: "growing", partitions: 2, replicationFactor: 2 });
    const grown = await admin.createPartitions({ name: "growing", totalCount: 5 });
    expect(grown.topic!.partitions).toHaveLength(5);
    for (const p of grown.topic!.partitions) expect(p.replicas).toHaveLength(2);
    const changed = await admin.updateTopicConfig({ name: "growing", config: { retentionMs: 60_000n, minInsyncReplicas: 2 } });
    expect(changed.topic!.config).toMatchObject({ retentionMs: 60_000n, minInsyncReplicas: 2 });
    // A second change merges with the first (the stored settings' order differs from a
    // fresh decode's: applied once, not rewritten on every metadata event).
    const again = await admin.updateTopicConfig({ name: "growing", config: { segmentMs: 3_600_000n } });
    expect(again.topic!.config).toMatchObject({ retentionMs: 60_000n, minInsyncReplicas: 2, segmentMs: 3_600_000n });
    for (const address of cluster.bootstrap) {
      await expect
        .poll(async () => {
          const t = (await createClient(AdminService, address).describeTopic({ name: "growing" })).topic!;
          return `${t.partitions.length}/${t.config!.retentionMs}`;
        }, { timeout: 10_000 })
        .toBe("5/60000");
    }
    await admin.deleteTopic({ name: "growing" });
    for (const address of cluster.bootstrap) {
      await expect
        .poll(async () => (await createClient(AdminService, address).listTopics({})).topics.map((t) => t.name), { timeout: 10_000 })
        .not.toContain("growing");
    }
  });

  it("makes a reader between the high watermark and the log end wait, not reset, and answers once the followers are back", async () => {
    const admin = createClient(AdminService, cluster.bootstrap[0]);
    const p1 = (await admin.describeTopic({ name: "orders" })).topic!.partitions[1];
    const leader = cluster.broker(p1.leader);
    const followers = p1.replicas.filter((id) => id !== p1.leader).map((id) => cluster.broker(id));
    const produce = createClient(ProduceService, leader.address);
    const fetch = createClient(FetchService, leader.address);
    await produce.produce({ topic: "orders", partition: 1, records: [{ value: Buffer.from("before") }], acks: Acks.ALL });
    // Followers paused: appends at the leader stay above its high watermark.
    for (const f of followers) f.process.pause();
    try {
      const appended = await produce.produce({ topic: "orders", partition: 1, records: [{ value: Buffer.from("above") }], acks: Acks.LEADER });
      const offset = appended.results[0].baseOffset + 1n; // the log end, above the high watermark
      const waited = await fetch.fetch({ topic: "orders", partition: 1, offset, maxWaitMs: 300 });
      expect(waited.records).toEqual([]);
      expect(waited.highWatermark).toBeLessThan(offset);
    } finally {
      for (const f of followers) f.process.resume();
    }
    await expect
      .poll(async () => (await fetch.fetch({ topic: "orders", partition: 1, offset: 0n, maxWaitMs: 0 })).records.map((r) => Buffer.from(r.value).toString()), {
        timeout: 20_000,
      })
      .toEqual(["before", "above"]);
  });
});
