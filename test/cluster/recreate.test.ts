import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createClient } from "../../clients/ts/grpc-client.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { Acks, ProduceService } from "../../gen/ts/tributary/v1/produce_pb.js";
import { startCluster, type TestCluster } from "../helpers/cluster.js";
import { createClusterTopic } from "../helpers/cluster-topic.js";
import { readReplicaFiles } from "../helpers/replica-files.js";

const topic = "reborn";
const partitions = 3;
/** Long enough that the killed broker's registration outlives the delete and the
 * re-creation, so the new topic is placed on it too (RF 3 on three brokers). */
const sessionTimeoutMs = 10_000;

/**
 * CLUSTER.md section 3 and Kafka's KIP-516: a topic deleted and created again under the
 * same name while a replica's broker was down has a new topic id. When that broker comes
 * back with the old topic's files, it must discard them, not serve them or replicate on
 * top of them as the new topic's: afterwards its files hold exactly the new topic's
 * records and its partition directories carry the new id.
 */
describe("a topic deleted and re-created while a broker was down", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster({ brokers: 3, config: { brokerSessionTimeoutMs: sessionTimeoutMs } });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const describeVia = async (brokerId: number) =>
    (await createClient(AdminService, cluster.broker(brokerId).address).describeTopic({ name: topic }, { deadline: 2000 })).topic!;
  // Idempotent, retried until the leader has applied the metadata (NOT_LEADER meanwhile):
  // a retry after a lost answer is a duplicate, not a second copy.
  const producerId = BigInt(Date.now());
  let sequence = 0n;
  const produce = async (brokerId: number, partition: number, values: string[]) => {
    const request = { topic, partition, records: values.map((v) => ({ value: Buffer.from(v) })), acks: Acks.ALL, producerId, sequence: sequence++ };
    return vi.waitFor(() => createClient(ProduceService, cluster.broker(brokerId).address).produce(request, { deadline: 5_000 }), {
      timeout: 15_000,
      interval: 100,
    });
  };

  it("does not get the old data back", async () => {
    const old = await createClusterTopic(cluster, topic, partitions);
    for (const p of old.partitions) await produce(p.leader, p.partition, Array.from({ length: 20 }, (_, i) => `old-${p.partition}-${i}`));
    // Every replica has the old records (so the victim's files do).
    await expect
      .poll(async () => (await describeVia(1)).partitions.every((p) => p.isr.length === 3 && p.highWatermark === 20n), { timeout: 10_000 })
      .toBe(true);

    // The victim: not the controller (so admin calls need no new election).
    const controllerId = (await createClient(AdminService, cluster.bootstrap[0]).describeCluster({})).controllerId;
    const victim = cluster.brokers.find((b) => b.id !== controllerId)!.id;
    const live = cluster.brokers.find((b) => b.id !== victim)!.id;
    cluster.broker(victim).process.kill("SIGKILL");
    await cluster.broker(victim).process.waitForExit();

    const admin = createClient(AdminService, cluster.broker(live).address);
    await admin.deleteTopic({ name: topic });
    const created = (await admin.createTopic({ name: topic, partitions, replicationFactor: 3, config: { minInsyncReplicas: 2 } })).topic!;
    expect(created.topicId).not.toBe(old.topicId);
    // Placed on the victim too: its registration had not expired.
    for (const p of created.partitions) expect(p.replicas).toContain(victim);

    // New records where a live broker leads (a partition the victim leads waits for it).
    const expected = new Map<number, string[]>();
    for (const p of created.partitions) expected.set(p.partition, []);
    const write = async (partition: number, leader: number, count: number) => {
      const values = Array.from({ length: count }, (_, i) => `new-${partition}-${expected.get(partition)!.length + i}`);
      await produce(leader, partition, values);
      expected.get(partition)!.push(...values);
    };
    for (const p of created.partitions) {
      if (p.leader !== victim) await write(p.partition, p.leader, 5);
    }

    await cluster.broker(victim).start();
    // Never serves the old topic: what it describes is the new one.
    expect((await describeVia(victim)).topicId).toBe(created.topicId);

    // Caught up: every partition's ISR full again; more records everywhere.
    const healed = async () => {
      const t = await describeVia(live);
      return t.partitions.every((p) => p.isr.length === 3 && p.leader >= 0) ? t : undefined;
    };
    await expect.poll(healed, { timeout: 20_000, interval: 200 }).toBeDefined();
    for (const p of (await healed())!.partitions) await write(p.partition, p.leader, 3);
    await expect
      .poll(
        async () =>
          (await describeVia(live)).partitions.every((p) => p.isr.length === 3 && p.highWatermark === BigInt(expected.get(p.partition)!.length)),
        { timeout: 20_000, interval: 200 },
      )
      .toBe(true);

    // What the leaders serve: only the new records.
    const final = (await healed())!;
    for (const p of final.partitions) {
      const fetched = await createClient(FetchService, cluster.broker(p.leader).address).fetch({ topic, partition: p.partition, offset: 0n });
      expect(fetched.records.map((r) => Buffer.from(r.value).toString())).toEqual(expected.get(p.partition));
    }

    // What the victim holds, in its own files: the new topic's id and records, nothing old.
    await Promise.all(cluster.brokers.map((b) => b.process.stop()));
    for (const broker of cluster.brokers) {
      for (let partition = 0; partition < partitions; partition++) {
        const files = await readReplicaFiles(join(cluster.dir, `broker-${broker.id}`), topic, partition);
        expect({ broker: broker.id, partition, topicId: files.topicId, values: files.records.map((r) => r.value) }).toEqual({
          broker: broker.id,
          partition,
          topicId: created.topicId,
          values: expected.get(partition),
        });
      }
    }
  });
});
