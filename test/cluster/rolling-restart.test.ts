import { fromJsonString } from "@bufbuild/protobuf";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../clients/ts/grpc-client.js";
import { Producer } from "../../clients/ts/producer.js";
import { PartitionStateSchema } from "../../gen/ts/tributary/cluster/v1/metadata_pb.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { Acks } from "../../gen/ts/tributary/v1/produce_pb.js";
import { ClusterKeys } from "../../services/cluster/cluster-keys.js";
import { EtcdClient, type WatchEvent } from "../../services/cluster/etcd/index.js";
import { startCluster, type TestCluster } from "../helpers/cluster.js";
import { createClusterTopic } from "../helpers/cluster-topic.js";
import { Consumer } from "../../clients/ts/consumer.js";
import { compareReplicas, HistoryChecker } from "../helpers/history-checker.js";
import { readReplicaFiles } from "../helpers/replica-files.js";

const topic = "rolling";
const partitions = 3;
/** Records per partition at most: the load is bounded whatever the machine's speed. */
const maxRecordsPerPartition = 40_000;
const groupId = "rolling-readers";
/** The group session timeout the brokers run with: a member's stall must stay below it. */
const sessionTimeoutMs = 10_000;

/**
 * Issue 17, "A broker's lifecycle": a rolling restart of every broker of a three-broker
 * cluster (RF 3, minInsyncReplicas 2) under acks=ALL load from an idempotent producer.
 * Each broker in turn gets SIGTERM (a controlled shutdown: the controller moves its
 * leaderships and takes it out of ISRs, docs/cluster.md "Rolling restarts"), is started
 * again on its data dir, and the next one waits until every ISR is full again. Judged by:
 * every send acknowledged (nothing failed beyond the client's own retries), the history
 * checker (no lost write, duplicate or offset with two values), identical replicas, and
 * etcd's own history: when each broker's key went (its lease revoked as it exited), no
 * partition state named it leader. The produce stall per restart (the longest gap between
 * two acknowledgements on one partition) and the time the controller took to move the
 * leaderships are printed.
 *
 * A consumer group of three members reads the topic meanwhile (its coordinator, the
 * leader of its __consumer_offsets partition, RF 3, moves with the restarts; the members
 * are TypeScript Consumers, which find it again): no partition goes longer
 * than one session timeout without a new record reaching the group, and every
 * acknowledged record reaches it (at least once).
 */
describe("a rolling restart under acks=ALL", () => {
  let cluster: TestCluster;
  let etcd: EtcdClient;
  let members: GroupReader[] = [];
  const keys = new ClusterKeys("test");
  beforeAll(async () => {
    // Behind proxies, so a restarted broker keeps the address clients know it by.
    cluster = await startCluster({ brokers: 3, proxies: true, config: { offsetsTopicReplicationFactor: 3, offsetsTopicPartitions: 3, sessionTimeoutMs } });
    etcd = new EtcdClient({ endpoints: cluster.etcd.endpoints });
    // Known to every broker before the first send: a leader that has not applied the topic
    // yet answers NOT_FOUND, which the client does not retry.
    await createClusterTopic(cluster, topic, partitions, 2);
  });
  afterAll(async () => {
    await Promise.all(members.map((m) => m.close()));
    etcd?.close();
    await cluster?.stop();
  });

  /** Through the first running broker that answers (a restarted broker has a new port). */
  const describeTopic = async (name = topic) => {
    for (const broker of cluster.brokers) {
      if (broker.process.exited) continue;
      try {
        return (await createClient(AdminService, broker.address).describeTopic({ name }, { deadline: 2000 })).topic!;
      } catch {
        continue;
      }
    }
    throw new Error("no broker answered DescribeTopic");
  };

  it("acknowledges every send, loses nothing, and each stopped broker leads nothing when it leaves", async () => {
    // Every change from here on, in etcd's order.
    const events: WatchEvent[] = [];
    const start = await etcd.range(keys.root, { prefix: true });
    const leaders = new Map<string, number>();
    for (const kv of start.kvs) {
      const parsed = keys.parse(kv.key);
      if (parsed?.kind === "partition" && parsed.name === topic) {
        leaders.set(kv.key, fromJsonString(PartitionStateSchema, kv.value.toString("utf8"), { ignoreUnknownFields: true }).leader);
      }
    }
    let watchEnded: string | undefined;
    const watch = etcd.watch(keys.root, { prefix: true, startRevision: start.revision + 1n }, {
      events: (batch) => void events.push(...batch),
      cancelled: (reason) => void (watchEnded = reason),
    });

    const checker = new HistoryChecker();
    const producer = new Producer({ bootstrap: cluster.bootstrap, acks: Acks.ALL, lingerMs: 1, deliveryTimeoutMs: 60_000 });
    const ackTimesMs: number[][] = Array.from({ length: partitions }, () => []);
    const ackedValues: string[] = [];
    const sendErrors: string[] = [];
    let running = true;
    let counter = 0;
    const writers = Array.from({ length: partitions }, async (_, partition) => {
      for (let n = 0; running && n < maxRecordsPerPartition; n++) {
        const value = `p${partition}-${counter++}`;
        const attempt = checker.produce(value, partition);
        try {
          const meta = await producer.send({ topic, partition, value });
          attempt.acked(meta.offset);
          ackTimesMs[partition].push(Date.now());
          ackedValues.push(value);
        } catch (err) {
          attempt.unknown();
          sendErrors.push(`${new Date().toISOString()} p${partition} ${value}: ${(err as Error).message}`);
        }
      }
    });
    const acked = () => ackTimesMs.reduce((sum, times) => sum + times.length, 0);
    const progress = async (more: number) => {
      const target = acked() + more;
      await expect.poll(acked, { timeout: 30_000, interval: 50 }).toBeGreaterThanOrEqual(target);
    };
    /** Every ISR full again, the group's offsets too: the next broker may go (docs/cluster.md, "Rolling restarts"). */
    const fullIsr = async () => {
      await expect
        .poll(
          async () =>
            [...(await describeTopic()).partitions, ...(await describeTopic("__consumer_offsets")).partitions].every((p) => p.isr.length === 3 && p.leader > 0),
          { timeout: 30_000, interval: 100 },
        )
        .toBe(true);
    };
    /** The longest gap between two acknowledgements of one partition within [fromMs, toMs]. */
    const stallMs = (fromMs: number, toMs: number) =>
      Math.max(
        ...ackTimesMs.map((times) => {
          const inside = times.filter((t) => t >= fromMs && t <= toMs);
          const before = times.filter((t) => t < fromMs).at(-1) ?? fromMs;
          let longest = 0;
          let previous = before;
          for (const t of inside) {
            longest = Math.max(longest, t - previous);
            previous = t;
          }
          return longest;
        }),
      );

    members = Array.from({ length: 3 }, () => new GroupReader(cluster.bootstrap));
    const groupDeliveries = () => members.flatMap((m) => m.deliveries);
    /** The longest time one partition went without a new record (an offset above all before) reaching the group, within [fromMs, toMs]. */
    const groupStallMs = (fromMs: number, toMs: number) => {
      const progressTimes: number[][] = Array.from({ length: partitions }, () => []);
      const highest = new Map<number, bigint>();
      for (const d of [...groupDeliveries()].sort((a, b) => a.atMs - b.atMs)) {
        if (d.offset <= (highest.get(d.partition) ?? -1n)) continue;
        highest.set(d.partition, d.offset);
        progressTimes[d.partition].push(d.atMs);
      }
      return Math.max(
        ...progressTimes.map((times) => {
          let longest = 0;
          let previous = times.filter((t) => t < fromMs).at(-1) ?? fromMs;
          for (const t of times.filter((t) => t >= fromMs && t <= toMs)) {
            longest = Math.max(longest, t - previous);
            previous = t;
          }
          return Math.max(longest, toMs - previous);
        }),
      );
    };

    const figures: Array<{ broker: number; stallMs: number; groupStallMs: number; moveMs: number; leaderships: number; exitMs: number; backInIsrMs: number }> = [];
    try {
      await progress(200);
      // Every partition reaches the group before the first restart.
      await expect.poll(() => new Set(groupDeliveries().map((d) => d.partition)).size, { timeout: 30_000, interval: 100 }).toBe(partitions);
      for (const broker of cluster.brokers) {
        const before = (await describeTopic()).partitions.filter((p) => p.leader === broker.id).length;
        const sigtermMs = Date.now();
        // SIGTERM; SIGKILL only if it took longer than the controlled shutdown's bound and more.
        const exit = await broker.process.stop(60_000);
        const exitMs = Date.now() - sigtermMs;
        expect(exit, `broker ${broker.id} exit`).toBe(0);
        const moved = await broker.process.waitForLog((e) => typeof e.msg === "string" && e.msg.startsWith("controlled shutdown: leaderships moved"), 1000);
        await broker.process.waitForLog((e) => e.msg === "clean-shutdown marker written", 1000);
        await broker.process.waitForLog((e) => e.msg === "lease revoked: left the cluster", 1000);
        expect(moved.stillLeading).toEqual([]);
        await broker.start();
        await fullIsr();
        const backInIsrMs = Date.now() - sigtermMs;
        await progress(100);
        figures.push({ broker: broker.id, stallMs: stallMs(sigtermMs, Date.now()), groupStallMs: groupStallMs(sigtermMs, Date.now()), moveMs: Number(moved.elapsedMs), leaderships: before, exitMs, backInIsrMs });
      }
    } finally {
      running = false;
      await Promise.all(writers);
      await producer.close();
    }
    // Every acknowledged record reaches the group (at least once).
    const missing = () => {
      const delivered = new Set(groupDeliveries().map((d) => d.value));
      return ackedValues.filter((v) => !delivered.has(v));
    };
    await expect.poll(() => missing().length, { timeout: 30_000, interval: 200 }).toBe(0);
    await Promise.all(members.map((m) => m.close()));

    // etcd's history: when each broker's key was deleted (its lease revoked), it led nothing.
    const endRevision = (await etcd.range(keys.root, { prefix: true })).revision;
    await expect.poll(() => events.at(-1)?.kv.modRevision ?? 0n, { timeout: 5_000 }).toBeGreaterThanOrEqual(endRevision);
    watch.close();
    expect(watchEnded).toBeUndefined();
    const violations: string[] = [];
    const departures: number[] = [];
    const markedShuttingDown = new Set<number>();
    for (const event of events) {
      const parsed = keys.parse(event.kv.key);
      if (parsed?.kind === "partition" && parsed.name === topic && event.type === "put") {
        leaders.set(event.kv.key, fromJsonString(PartitionStateSchema, event.kv.value.toString("utf8"), { ignoreUnknownFields: true }).leader);
      }
      if (parsed?.kind === "broker" && event.type === "put" && event.kv.value.toString("utf8").includes('"shuttingDown":true')) {
        markedShuttingDown.add(parsed.id);
      }
      if (parsed?.kind === "broker" && event.type === "delete") {
        departures.push(parsed.id);
        for (const [key, leader] of leaders) if (leader === parsed.id) violations.push(`${key} led by ${parsed.id} when its key went (rev ${event.kv.modRevision})`);
      }
    }
    expect(departures).toEqual([1, 2, 3]);
    expect([...markedShuttingDown].sort()).toEqual([1, 2, 3]);
    expect(violations).toEqual([]);

    // Every replica's own files, after every broker stopped.
    await Promise.all(cluster.brokers.map((b) => b.process.stop(60_000)));
    for (let partition = 0; partition < partitions; partition++) {
      const reads = new Map<number, Array<{ offset: bigint; value: string }>>();
      for (const broker of cluster.brokers) {
        reads.set(broker.id, (await readReplicaFiles(join(cluster.dir, `broker-${broker.id}`), topic, partition, "highWatermark")).records);
      }
      const longest = [...reads.values()].reduce((a, b) => (b.length > a.length ? b : a));
      checker.finalRead(partition, longest);
      const comparison = compareReplicas(reads, Math.min(...[...reads.values()].map((r) => r.length)));
      expect(comparison.examples).toEqual([]);
    }
    const report = checker.check();
    console.log(checker.formatTable(report));
    console.log(
      figures
        .map(
          (f) =>
            `broker ${f.broker}: led ${f.leaderships} partitions; leaderships moved in ${f.moveMs} ms; exited ${f.exitMs} ms after SIGTERM; ` +
            `back in every ISR ${f.backInIsrMs} ms after SIGTERM; longest gap between acks on one partition ${f.stallMs} ms; ` +
            `longest time a partition went without a new record reaching the group ${f.groupStallMs} ms`,
        )
        .join("\n"),
    );
    // The coordinator moved at least once (the broker leading the group's offsets partition
    // was restarted): members rejoined, each time under a new member id.
    const ended = members.flatMap((m) => m.memberships.slice(0, -1));
    console.log(`group: ${ended.length} memberships ended and rejoined: ${ended.join(", ")}`);
    expect(ended.length).toBeGreaterThan(0);
    expect(sendErrors).toEqual([]);
    expect(report.produces.failed).toBe(0);
    expect(report.produces.unknown).toBe(0);
    expect(report.produces.acked).toBe(report.produces.attempted);
    expect(report.lostWrite.examples).toEqual([]);
    expect(report.duplicate.examples).toEqual([]);
    expect(report.inconsistentOffsets.examples).toEqual([]);
    expect(report.uncheckedPartitions).toEqual([]);
    expect(figures.every((f) => f.leaderships === 0 || f.moveMs < 10_000)).toBe(true);
    expect(Math.max(...figures.map((f) => f.groupStallMs)), ended.join("\n")).toBeLessThan(sessionTimeoutMs);
  });
});

/** A group member (the TypeScript Consumer, auto-committing) that records what it is given and when. */
class GroupReader {
  readonly deliveries: Array<{ partition: number; offset: bigint; value: string; atMs: number }> = [];
  /** Its member ids in order: a new one each time it rejoined. */
  readonly memberships: string[] = [];
  private readonly consumer: Consumer;
  private readonly done: Promise<void>;

  constructor(bootstrap: readonly string[]) {
    const consumer = new Consumer({ bootstrap: [...bootstrap], groupId, topics: [topic], from: "earliest", autoCommitIntervalMs: 100, reconnectBackoffMs: 50 });
    this.consumer = consumer;
    this.done = (async () => {
      for await (const r of consumer) {
        if (this.memberships.at(-1) !== consumer.memberId) this.memberships.push(consumer.memberId);
        this.deliveries.push({ partition: r.partition, offset: r.offset, value: Buffer.from(r.value).toString("utf8"), atMs: Date.now() });
      }
    })();
  }

  async close(): Promise<void> {
    await this.consumer.close();
    await this.done;
  }
}
