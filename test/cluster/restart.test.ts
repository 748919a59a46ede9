import { fromJsonString } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../clients/ts/grpc-client.js";
import { PartitionStateSchema, type PartitionState } from "../../gen/ts/tributary/cluster/v1/metadata_pb.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { Acks, ProduceService } from "../../gen/ts/tributary/v1/produce_pb.js";
import { ClusterKeys } from "../../services/cluster/cluster-keys.js";
import { EtcdClient, type WatchEvent } from "../../services/cluster/etcd/index.js";
import { startCluster, testSessionTimeoutMs, type TestCluster } from "../helpers/cluster.js";
import { createClusterTopic } from "../helpers/cluster-topic.js";

const topic = "restarted";
const partitions = 3;
/** Records per partition written while the victim is paused: what it must catch up on. */
const behindBy = 300;

/**
 * CLUSTER.md section 2 ("a new broker epoch on every boot") and KIP-966: a broker killed
 * (-9) and started again before its old lease expired finds its old key still in etcd.
 * It must register a new incarnation (a new create revision, the broker epoch), the
 * controller must take the old incarnation out of every ISR, and the new one may join
 * an ISR, or lead, only once it has caught up. Judged from etcd itself (every partition
 * state change, watched) and from the broker's own log ends.
 */
describe("a broker restarted within its old lease's TTL", () => {
  let cluster: TestCluster;
  let etcd: EtcdClient;
  const keys = new ClusterKeys("test");
  beforeAll(async () => {
    cluster = await startCluster({ brokers: 3 });
    etcd = new EtcdClient({ endpoints: cluster.etcd.endpoints });
    await createClusterTopic(cluster, topic, partitions);
  });
  afterAll(async () => {
    etcd?.close();
    await cluster?.stop();
  });

  const stateOf = (value: Buffer): PartitionState => fromJsonString(PartitionStateSchema, value.toString("utf8"), { ignoreUnknownFields: true });

  it("gets a new epoch, leaves the ISR and rejoins it only after catching up; leads only while in the ISR", async () => {
    const admin = createClient(AdminService, cluster.bootstrap[0]);
    const described = (await admin.describeTopic({ name: topic })).topic!;
    // The victim leads partition `led` and follows the others.
    const victim = described.partitions[0].leader;
    const led = described.partitions.filter((p) => p.leader === victim).map((p) => p.partition);
    const oldRegistration = (await etcd.get(keys.broker(victim)))!;
    const oldEpoch = oldRegistration.createRevision;

    // Every change from here on, as etcd ordered it.
    const events: Array<{ event: WatchEvent; victimLogEnds?: Promise<bigint[]> }> = [];
    let newEpoch: bigint | undefined;
    let watchEnded: string | undefined;
    const victimLogEnds = async () => {
      const t = (await createClient(AdminService, cluster.broker(victim).address).describeTopic({ name: topic }, { deadline: 2000 })).topic!;
      return t.partitions.map((p) => p.logEndOffset);
    };
    const watch = etcd.watch(keys.root, { prefix: true, startRevision: oldRegistration.modRevision + 1n }, {
      events(batch) {
        for (const event of batch) {
          const parsed = keys.parse(event.kv.key);
          if (parsed?.kind === "broker" && parsed.id === victim && event.type === "put") newEpoch = event.kv.createRevision;
          // The moment the new incarnation enters an ISR: how far is its log then?
          const joins =
            parsed?.kind === "partition" &&
            event.type === "put" &&
            newEpoch !== undefined &&
            stateOf(event.kv.value).isr.some((m) => m.brokerId === victim && m.brokerEpoch === newEpoch);
          events.push({ event, victimLogEnds: joins ? victimLogEnds().catch(() => undefined as never) : undefined });
        }
      },
      cancelled(reason) {
        watchEnded = reason;
      },
    });
    try {
      // Paused (well within its lease), the victim misses `behindBy` records per
      // partition, written acks=LEADER at each leader; then kill -9 and start it at once.
      const leaders = new Map(described.partitions.map((p) => [p.partition, p.leader]));
      cluster.broker(victim).process.pause();
      const pausedAt = Date.now();
      await Promise.all(
        [...leaders].filter(([, leader]) => leader !== victim).map(async ([partition, first]) => {
          let leader = first;
          for (let i = 0; i < behindBy; i += 100) {
            const records = Array.from({ length: 100 }, (_, j) => ({ value: Buffer.from(`p${partition}-${i + j}`) }));
            for (let attempt = 0; ; attempt++) {
              try {
                await createClient(ProduceService, cluster.broker(leader).address).produce({ topic, partition, records, acks: Acks.LEADER }, { deadline: 2000 });
                break;
              } catch (err) {
                // A busy machine can move a leadership meanwhile: follow it, a few times.
                if (attempt >= 5) throw err;
                const other = cluster.brokers.find((b) => b.id !== victim)!;
                const now = (await createClient(AdminService, other.address).describeTopic({ name: topic }, { deadline: 2000 })).topic!;
                leader = now.partitions[partition].leader;
              }
            }
          }
        }),
      );
      cluster.broker(victim).process.kill("SIGKILL");
      await cluster.broker(victim).process.waitForExit();
      const oldKeyAtRestart = await etcd.get(keys.broker(victim));
      // The premise: the old lease had not expired, its key was still there.
      expect(oldKeyAtRestart?.createRevision).toBe(oldEpoch);
      expect(Date.now() - pausedAt).toBeLessThan(testSessionTimeoutMs);
      await cluster.broker(victim).start();

      const current = (await etcd.get(keys.broker(victim)))!;
      expect(current.createRevision).toBeGreaterThan(oldEpoch);
      expect(current.lease).not.toBe(oldRegistration.lease);

      // Every partition ends with the new incarnation in its ISR, the old one in none.
      const states = async () => (await etcd.range(keys.topicPartitions(topic), { prefix: true })).kvs.map((kv) => stateOf(kv.value));
      await expect
        .poll(
          async () =>
            (await states()).every(
              (s) =>
                s.isr.some((m) => m.brokerId === victim && m.brokerEpoch === current.createRevision) &&
                !s.isr.some((m) => m.brokerId === victim && m.brokerEpoch !== current.createRevision),
            ),
          { timeout: 20_000, interval: 100 },
        )
        .toBe(true);
      const endRevision = (await etcd.range(keys.root, { prefix: true })).revision;
      await expect.poll(() => events.at(-1)?.event.kv.modRevision ?? 0n, { timeout: 5_000 }).toBeGreaterThanOrEqual(endRevision);
    } finally {
      watch.close();
    }

    // The history: once the new incarnation registered, no partition state names the old
    // incarnation as leader; the new one leads only while in the ISR; it joins an ISR only
    // with its log caught up (at least every record written while it was away).
    expect(watchEnded).toBeUndefined();
    expect(newEpoch).toBeDefined();
    let registered = false;
    const violations: string[] = [];
    for (const { event, victimLogEnds: ends } of events) {
      const parsed = keys.parse(event.kv.key);
      if (parsed?.kind === "broker" && parsed.id === victim && event.type === "put") registered = true;
      if (parsed?.kind !== "partition" || event.type !== "put" || !registered) continue;
      const s = stateOf(event.kv.value);
      const inIsrNew = s.isr.some((m) => m.brokerId === victim && m.brokerEpoch === newEpoch);
      if (s.leader === victim && (!inIsrNew || s.leaderBrokerEpoch !== newEpoch)) {
        violations.push(`rev ${event.kv.modRevision}: p${parsed.partition} led by ${victim} (broker epoch ${s.leaderBrokerEpoch}) with ISR ${JSON.stringify(s.isr.map((m) => [m.brokerId, String(m.brokerEpoch)]))}`);
      }
      if (ends !== undefined) {
        const logEnds = await ends;
        // Partitions it led missed nothing; the others missed `behindBy` records.
        const needed = led.includes(parsed.partition) ? 0n : BigInt(behindBy);
        if (logEnds !== undefined && logEnds[parsed.partition] < needed) {
          violations.push(`rev ${event.kv.modRevision}: p${parsed.partition} took ${victim} into the ISR at log end ${logEnds[parsed.partition]} < ${needed}`);
        }
      }
    }
    expect(violations).toEqual([]);
    // The ISR joins were seen (the check above was not vacuous).
    expect(events.filter((e) => e.victimLogEnds !== undefined).length).toBeGreaterThan(0);
  });
});
