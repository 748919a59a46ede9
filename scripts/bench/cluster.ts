// The `cluster` phase (issue 16, CLUSTER.md section 6): failover time over many leader
// kills and the cost of replication, each on its own 3-broker cluster (etcd and brokers as
// child processes from dist/, test/helpers/cluster.ts) with the brokers' DEFAULT timeouts
// (brokerSessionTimeoutMs 3000, replicaLagTimeMaxMs 10000), not the suite's shorter ones.
import { cpus, loadavg } from "node:os";
import { createClient } from "../../clients/ts/grpc-client.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { Acks } from "../../gen/ts/tributary/v1/produce_pb.js";
import { defaultConfig } from "../../services/config.js";
import { startCluster } from "../../test/helpers/cluster.js";
import { HistoryChecker } from "../../test/helpers/history-checker.js";
import { buildDistIfStale, describePartitions, produceRate, summarize, waitFullIsr, waitNewLeader, Writers } from "../cluster-load.js";
import { fmtNum, type Figure, type Target } from "./report.js";
import { median, Progress } from "./util.js";

export interface ClusterPhaseOptions {
  /** Leader kills (at least 30 for a p99). */
  readonly kills: number;
  readonly rounds: number;
  /** Seconds per throughput measurement. */
  readonly seconds: number;
  readonly note: (s: string) => void;
}

const defaults = { brokerSessionTimeoutMs: defaultConfig.brokerSessionTimeoutMs, replicaLagTimeMaxMs: defaultConfig.replicaLagTimeMaxMs };
const shared = () => `3 brokers + etcd + the client on ${cpus().length} cores (load average ${loadavg().map((l) => l.toFixed(2)).join(" ")})`;

export async function clusterPhase(options: ClusterPhaseOptions): Promise<{ figures: Figure[]; targets: Target[] }> {
  const built = await buildDistIfStale();
  if (built.length > 0) options.note(`cluster: built dist/ first (${built.length} stale files)`);
  const figures: Figure[] = [];
  const targets: Target[] = [];
  await failover(options, figures, targets);
  await throughput(options, figures, targets);
  return { figures, targets };
}

/**
 * Kill -9 the leader of a partition (round-robin over 3), clock until the first
 * acknowledged acks=ALL produce on it, restart the broker, wait for a full ISR; repeat.
 * One idempotent writer per partition, one record in flight each, back to back, the
 * Producer's default timeouts and retry backoff.
 */
async function failover(options: ClusterPhaseOptions, figures: Figure[], targets: Target[]): Promise<void> {
  const topic = "bench-failover";
  const partitions = 3;
  const cluster = await startCluster({ brokers: 3, proxies: true, config: defaults });
  const checker = new HistoryChecker();
  const samples: number[] = [];
  const problems: string[] = [];
  /** Kills not counted (and repeated): the broker killed had stopped leading the partition. */
  const notLeader: string[] = [];
  const progress = new Progress("cluster failover", options.kills);
  try {
    await createClient(AdminService, cluster.bootstrap[0]).createTopic({ name: topic, partitions, config: { minInsyncReplicas: 2 } });
    if (!(await waitFullIsr(cluster, topic, 3, 30_000))) throw new Error("ISR never filled");
    const writers = new Writers({ bootstrap: cluster.bootstrap, topic, partitions, checker, deliveryTimeoutMs: 120_000 });
    try {
      await writers.progress(50, 30_000);
      for (let n = 0; n < options.kills; n++) {
        const partition = n % partitions;
        const before = (await describePartitions(cluster, topic))[partition];
        const leader = before.leader;
        const broker = cluster.broker(leader);
        const clock = writers.failoverClock(partition);
        broker.process.kill("SIGKILL");
        await broker.process.waitForExit();
        const ms = await Promise.race([clock, new Promise<undefined>((r) => setTimeout(() => r(undefined), 60_000))]);
        if (!(await waitNewLeader(cluster, topic, partition, leader, 30_000))) problems.push(`kill ${n + 1}: no new leader`);
        const after = (await describePartitions(cluster, topic))[partition];
        if (ms === undefined) problems.push(`kill ${n + 1} (broker ${leader}, p${partition}): no acknowledged produce within 60 s`);
        else if (ms < 1000) {
          // Acknowledged as soon as the clock allows (500 ms): no lease lapsed, so the killed broker was not leading.
          notLeader.push(`kill ${n + 1}: broker ${leader} (epoch ${before.leaderEpoch}) → acked after ${ms.toFixed(0)} ms, epoch now ${after.leaderEpoch}`);
          if (notLeader.length < 30) n--;
        } else samples.push(ms);
        await broker.start();
        if (!(await waitFullIsr(cluster, topic, 3, 60_000))) problems.push(`kill ${n + 1}: ISR not full within 60 s of the restart`);
        await writers.progress(20, 30_000);
        if (ms === undefined || ms >= 200) progress.step(`kill ${n + 1}: ${ms === undefined ? "–" : `${(ms / 1000).toFixed(2)} s`}`);
      }
    } finally {
      await writers.stop();
    }
  } finally {
    progress.end();
    await cluster.stop();
  }
  const s = summarize(samples);
  const report = checker.check();
  for (const p of problems) options.note(`cluster failover: ${p}`);
  for (const p of notLeader) options.note(`cluster failover: not counted, not a leader kill: ${p}`);
  figures.push({
    id: "cluster-failover",
    phase: "cluster",
    label: `failover: leader kill -9 → first acked acks=ALL produce (${s.count} kills, p99)`,
    unit: "ms",
    value: s.p99,
    rounds: samples,
    peers: {},
    extra: { p50: s.p50, p99: s.p99, p999: s.p99, max: s.max, count: s.count },
    note: `p50 ${s.p50.toFixed(0)} ms, p99 ${s.p99.toFixed(0)} ms, max ${s.max.toFixed(0)} ms over ${s.count} kills; brokerSessionTimeoutMs ${defaults.brokerSessionTimeoutMs} (default); ${report.produces.acked} acked, ${report.produces.unknown} unknown; ${shared()}`,
  });
  targets.push({
    name: `failover p99 (leader kill → first acked acks=ALL produce, ${s.count} kills)`,
    target: "< 5 s",
    measured: `${(s.p99 / 1000).toFixed(2)} s (p50 ${(s.p50 / 1000).toFixed(2)} s, max ${(s.max / 1000).toFixed(2)} s)`,
    ratio: s.p99 / 5000,
    pass: s.count >= 30 && s.p99 < 5000,
    note: s.count < 30 ? `only ${s.count} kills measured (need 30)` : `brokerSessionTimeoutMs ${defaults.brokerSessionTimeoutMs}`,
  });
}

/**
 * acks=ALL on an RF 3 topic (minInsyncReplicas 2) against acks=LEADER on an RF 1 topic,
 * the same cluster, interleaved rounds: the Producer (TS client) sending 100 B records,
 * 8 lanes × 200 outstanding sends, round-robin over 3 partitions.
 */
async function throughput(options: ClusterPhaseOptions, figures: Figure[], targets: Target[]): Promise<void> {
  const cluster = await startCluster({ brokers: 3, config: defaults });
  const cases = [
    { id: "all-rf3", topic: "bench-rf3", acks: Acks.ALL, rf: 3, label: "acks=ALL, RF 3, minInsyncReplicas 2" },
    { id: "leader-rf1", topic: "bench-rf1", acks: Acks.LEADER, rf: 1, label: "acks=LEADER, RF 1" },
  ];
  const results = new Map<string, number[]>(cases.map((c) => [c.id, []]));
  const progress = new Progress("cluster throughput", options.rounds * cases.length);
  try {
    const admin = createClient(AdminService, cluster.bootstrap[0]);
    for (const c of cases) {
      await admin.createTopic({ name: c.topic, partitions: 3, replicationFactor: c.rf, config: c.rf === 3 ? { minInsyncReplicas: 2 } : {} });
    }
    if (!(await waitFullIsr(cluster, "bench-rf3", 3, 30_000))) throw new Error("ISR of bench-rf3 never filled");
    for (let r = 0; r < options.rounds; r++) {
      for (const c of r % 2 === 0 ? cases : [...cases].reverse()) {
        const rate = await produceRate({ bootstrap: cluster.bootstrap, topic: c.topic, acks: c.acks, seconds: options.seconds });
        results.get(c.id)!.push(rate);
        progress.step(`${c.id}: ${fmtNum(rate)} rec/s`);
      }
    }
  } finally {
    progress.end();
    await cluster.stop();
  }
  const all = median(results.get("all-rf3")!);
  const leader = median(results.get("leader-rf1")!);
  for (const c of cases) {
    figures.push({
      id: `cluster-produce-${c.id}`,
      phase: "cluster",
      label: `Producer.send() 100 B, ${c.label}`,
      unit: "rec/s",
      value: median(results.get(c.id)!),
      rounds: results.get(c.id)!,
      valueBytes: 100,
      ceiling: c.id === "all-rf3" ? leader : undefined,
      ceilingLabel: "acks=LEADER RF 1, same run",
      peers: {},
      note: `${shared()}: every replica's fetches and fsyncs compete with the client for the same cores`,
    });
  }
  targets.push({
    name: "acks=ALL RF 3 produce vs acks=LEADER RF 1 (same run)",
    target: "reported",
    measured: `${fmtNum(all)} vs ${fmtNum(leader)} rec/s = ${(all / leader).toFixed(2)}×`,
    ratio: all / leader,
    pass: undefined,
    note: shared(),
  });
}
