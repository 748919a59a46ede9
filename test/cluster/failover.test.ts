import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Admin } from "../../clients/ts/admin.js";
import { createClient } from "../../clients/ts/grpc-client.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { Producer } from "../../clients/ts/producer.js";
import { Acks } from "../../gen/ts/tributary/v1/produce_pb.js";
import { startCluster, type TestCluster } from "../helpers/cluster.js";
import { compareReplicas, HistoryChecker } from "../helpers/history-checker.js";
import { readReplicaFiles } from "../helpers/replica-files.js";

const topic = "events";
const partitions = 3;

/**
 * CLUSTER.md section 6: RF 3, minInsyncReplicas 2, acks=ALL, an idempotent producer
 * running while partition leaders are killed (-9), paused (SIGSTOP) past their lease,
 * cut off from the other brokers and cut off from etcd, in turn. Judged by the history
 * checker: no acknowledged write lost, no duplicate, no offset with two values; and
 * after healing, every replica holds the same records at the same offsets below the
 * high watermark (read from each broker's own files once the brokers are stopped).
 */
describe("failover under acks=ALL", () => {
  let cluster: TestCluster;
  let admin: Admin;
  beforeAll(async () => {
    cluster = await startCluster({ brokers: 3, proxies: true });
    admin = new Admin({ bootstrap: cluster.bootstrap });
    await admin.createTopic(topic, partitions, { minInsyncReplicas: 2 });
  });
  afterAll(async () => {
    admin?.close();
    await cluster?.stop();
  });

  it("loses nothing acknowledged and leaves identical replicas", async () => {
    const checker = new HistoryChecker();
    const producer = new Producer({ bootstrap: cluster.bootstrap, acks: Acks.ALL, lingerMs: 1, deliveryTimeoutMs: 30_000 });
    let running = true;
    let sent = 0;
    const acked = () => checker.check().produces.acked;
    // Three writers, one per partition, each with one record in flight: a steady stream
    // whose every outcome is recorded.
    const writers = Array.from({ length: partitions }, async (_, partition) => {
      while (running) {
        const value = `p${partition}-${sent++}`;
        const attempt = checker.produce(value, partition);
        try {
          const meta = await producer.send({ topic, partition, value });
          attempt.acked(meta.offset);
        } catch {
          // A delivery timeout: it may or may not have been written.
          attempt.unknown();
        }
      }
    });
    const progress = async (more: number, timeoutMs = 30_000) => {
      const target = acked() + more;
      await expect.poll(acked, { timeout: timeoutMs, interval: 50 }).toBeGreaterThanOrEqual(target);
    };
    // Describes through every broker that answers within a second and keeps, per
    // partition, the answer with the highest leader epoch: a paused broker must not hold
    // the test up, and one cut off from etcd refuses (METADATA_STALE) or, before its lease
    // runs out, answers from metadata that may be stale.
    const describeTopic = async () => {
      const answers = await Promise.all(
        cluster.bootstrap.map((address) =>
          createClient(AdminService, address)
            .describeTopic({ name: topic }, { deadline: 1000 })
            .then((r) => r.topic!, () => undefined),
        ),
      );
      const live = answers.filter((t) => t !== undefined);
      if (live.length === 0) throw new Error("no broker answered DescribeTopic");
      const newest = live[0];
      newest.partitions = newest.partitions.map((_, p) =>
        live.map((t) => t.partitions[p]).reduce((a, b) => (b.leaderEpoch > a.leaderEpoch ? b : a)),
      );
      return newest;
    };
    const leaderOf = async (partition: number) => (await describeTopic()).partitions[partition].leader;
    const newLeader = async (partition: number, old: number) => {
      await expect.poll(() => leaderOf(partition), { timeout: 20_000, interval: 100 }).not.toBe(old);
    };
    const fullIsr = async () => {
      await expect
        .poll(async () => (await describeTopic()).partitions.every((p) => p.isr.length === 3), { timeout: 30_000, interval: 200 })
        .toBe(true);
    };

    await progress(50);

    // 1. kill -9 the leader of partition 0; a new leader takes over; the old one comes back.
    const killed = await leaderOf(0);
    cluster.broker(killed).process.kill("SIGKILL");
    await newLeader(0, killed);
    await progress(50);
    await cluster.broker(killed).start();
    await fullIsr();

    // 2. SIGSTOP the leader of partition 1 past its lease; once resumed it must not acknowledge.
    const paused = await leaderOf(1);
    cluster.broker(paused).process.pause();
    await newLeader(1, paused);
    await progress(50);
    cluster.broker(paused).process.resume();
    await fullIsr();

    // 3. Cut the leader of partition 2 off from the other brokers (and clients): it keeps
    //    etcd, so it stays leader, shrinks its ISR below minInsyncReplicas and acknowledges nothing.
    const cut = await leaderOf(2);
    cluster.broker(cut).proxy!.setMode("drop");
    await expect
      .poll(async () => (await describeTopic()).partitions[2].isr.length, { timeout: 20_000, interval: 200 })
      .toBeLessThan(3);
    cluster.broker(cut).proxy!.setMode("pass");
    await fullIsr();
    await progress(50);

    // 4. Cut a leader off from etcd only: its lease lapses, it fences itself, another leads.
    const isolated = await leaderOf(0);
    cluster.broker(isolated).etcdProxy!.setMode("drop");
    await newLeader(0, isolated);
    await progress(50);
    cluster.broker(isolated).etcdProxy!.setMode("pass");
    await fullIsr();
    await progress(30);

    running = false;
    await Promise.all(writers);
    await producer.close();

    // Every replica's own files, after a clean stop of every broker.
    const final = await describeTopic();
    await Promise.all(cluster.brokers.map((b) => b.process.stop()));
    for (let partition = 0; partition < partitions; partition++) {
      const reads = new Map<number, Array<{ offset: bigint; value: string }>>();
      for (const broker of cluster.brokers) {
        // Below this replica's high watermark, as readers see it.
        const files = await readReplicaFiles(join(cluster.dir, `broker-${broker.id}`), topic, partition, "highWatermark");
        reads.set(broker.id, files.records);
      }
      const longest = [...reads.values()].reduce((a, b) => (b.length > a.length ? b : a));
      checker.finalRead(partition, longest);
      const shortest = Math.min(...[...reads.values()].map((r) => r.length));
      const comparison = compareReplicas(reads, shortest);
      expect(comparison.examples).toEqual([]);
      expect(comparison.identical).toBe(true);
      expect(BigInt(longest.length)).toBe(final.partitions[partition].highWatermark);
    }
    const report = checker.check();
    console.log(checker.formatTable(report));
    expect(report.lostWrite.examples).toEqual([]);
    expect(report.duplicate.examples).toEqual([]);
    expect(report.inconsistentOffsets.examples).toEqual([]);
    expect(report.uncheckedPartitions).toEqual([]);
    expect(report.produces.acked).toBeGreaterThan(300);
  });
});
