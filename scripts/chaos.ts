/**
 * Chaos run (CLUSTER.md section 6, issue 16): a 3-broker cluster (etcd and brokers as
 * child processes from dist/), a topic with RF 3 and minInsyncReplicas 2, idempotent
 * acks=ALL writers (one per partition) and a reader, and a random fault schedule until
 * the time is up: kill -9 a leader or a follower, SIGSTOP/SIGCONT a leader, cut a broker
 * off from the other brokers, cut a broker off from etcd. Every fault is healed and a
 * full ISR awaited before the next. At the end: the writers stop, the ISR is full, every
 * broker stops cleanly and every replica's files are read; the history checker's table
 * (lost-write, duplicate, inconsistent-offsets, nonmonotonic-poll, poll-skip), the
 * replicas-identical check and the failover times (leader kill → first acknowledged
 * acks=ALL produce on that partition: count, p50, p99, max) are printed. Exit code 1 on
 * any anomaly, including a fault that did not heal in time.
 *
 * Faults go through the fault-injecting TCP proxies of test/helpers/cluster.ts; with
 * --netns (root), through real network isolation instead (scripts/chaos-netns.ts):
 * each broker in its own network namespace, `nft` drop rules to cut it off.
 *
 * Usage: npm run chaos -- --minutes N [--brokers 3] [--partitions 3] [--seed S] [--netns]
 *   [--pause-ms 10] (between one writer's sends: bounds the history on long runs)
 *   [--session-timeout-ms 3000] (brokerSessionTimeoutMs; the default is the broker's)
 */
import { parseArgs } from "node:util";
import { Admin } from "../clients/ts/admin.js";
import { startCluster, type TestCluster } from "../test/helpers/cluster.js";
import { HistoryChecker } from "../test/helpers/history-checker.js";
import {
  buildDistIfStale,
  describePartitions,
  readReplicaFiles,
  Reader,
  summarize,
  waitFullIsr,
  waitNewLeader,
  Writers,
  type FaultNetwork,
  type FinalRead,
} from "./cluster-load.js";
import { prng } from "./torture.js";

const { values: args } = parseArgs({
  options: {
    minutes: { type: "string", default: "2" },
    brokers: { type: "string", default: "3" },
    partitions: { type: "string", default: "3" },
    seed: { type: "string" },
    netns: { type: "boolean", default: false },
    "pause-ms": { type: "string", default: "10" },
    "session-timeout-ms": { type: "string" },
    help: { type: "boolean", default: false },
  },
});

const faultKinds = ["kill-leader", "kill-follower", "pause-leader", "cut-from-brokers", "cut-from-etcd"] as const;
type FaultKind = (typeof faultKinds)[number];

/** One fault of the schedule, as printed and kept for the report. */
interface FaultRecord {
  readonly n: number;
  readonly kind: FaultKind;
  readonly broker: number;
  readonly partition: number;
  readonly atS: number;
  holdMs: number;
  /** Leaders and ISRs just before the fault was healed: shows the fault took hold. */
  beforeHeal?: string;
  /** Leader kills: kill → first acknowledged acks=ALL produce on the partition. */
  failoverMs?: number;
  /** Leader kills: acknowledged under 1 s (no lease can lapse that fast), so the broker was not leading (not counted). */
  notLeaderKill?: boolean;
  /** What did not happen in time (an anomaly). */
  problems: string[];
}


const topic = "chaos";
const replicationFactor = 3;

async function main(): Promise<number> {
  if (args.help) {
    console.log("npm run chaos -- --minutes N [--brokers 3] [--partitions 3] [--seed S] [--netns] [--pause-ms 10] [--session-timeout-ms MS]");
    return 0;
  }
  const minutes = Number(args.minutes);
  const brokerCount = Number(args.brokers);
  const partitions = Number(args.partitions);
  const seed = args.seed !== undefined ? Number(args.seed) : Math.floor(Math.random() * 2 ** 31);
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const between = (lo: number, hi: number) => Math.round(lo + random() * (hi - lo));
  const started = Date.now();
  const elapsedS = () => (Date.now() - started) / 1000;
  const log = (line: string) => console.log(`[${elapsedS().toFixed(1).padStart(7)} s] ${line}`);
  log(`seed ${seed}; ${minutes} min; ${brokerCount} brokers; topic ${topic}: ${partitions} partitions, RF ${replicationFactor}, minInsyncReplicas 2; ${args.netns ? "network namespaces + nft" : "fault proxies"}`);

  const built = await buildDistIfStale();
  if (built.length > 0) log(`built dist/ (${built.length} stale files)`);

  const config: Record<string, number> = { replicaLagTimeMaxMs: 2000 };
  if (args["session-timeout-ms"] !== undefined) config.brokerSessionTimeoutMs = Number(args["session-timeout-ms"]);
  else config.brokerSessionTimeoutMs = 3000; // the broker's default, not the suite's 2000

  let cluster: TestCluster | undefined;
  let network: FaultNetwork | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: cleaning up`);
    void (cleanup?.() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const checker = new HistoryChecker();
  const schedule: FaultRecord[] = [];
  let writers: Writers | undefined;
  let reader: Reader | undefined;
  let finals: FinalRead[] = [];
  const healProblems: string[] = [];
  try {
    if (args.netns) {
      const { startNetnsCluster } = await import("./chaos-netns.js");
      const started = await startNetnsCluster({ brokers: brokerCount, config, log });
      cluster = started.cluster;
      network = started.network;
      cleanup = started.cleanup;
    } else {
      const c = await startCluster({ brokers: brokerCount, proxies: true, config });
      cluster = c;
      cleanup = () => c.stop();
      network = proxyNetwork(c);
    }
    const admin = new Admin({ bootstrap: cluster.bootstrap });
    await admin.createTopic(topic, partitions, { minInsyncReplicas: 2 });
    admin.close();
    if (!(await waitFullIsr(cluster, topic, replicationFactor, 30_000))) throw new Error("the topic's ISR never filled");
    log(`cluster up: ${cluster.bootstrap.join(", ")}`);

    writers = new Writers({ bootstrap: cluster.bootstrap, topic, partitions, checker, pauseMs: Number(args["pause-ms"]), requestTimeoutMs: 5_000, deliveryTimeoutMs: 30_000 });
    reader = new Reader("reader-1", cluster.bootstrap, topic, partitions, checker, log);
    if (!(await writers.progress(20, 30_000))) throw new Error("writers acknowledged nothing for 30 s");

    const endMs = started + minutes * 60_000;
    for (let n = 1; Date.now() < endMs && !interrupted; n++) {
      const kind = pick(faultKinds);
      const partition = Math.floor(random() * partitions);
      const state = (await describePartitions(cluster, topic))[partition];
      const leader = state.leader;
      const followers = state.replicas.filter((b) => b !== leader);
      const brokerId = kind === "kill-follower" ? pick(followers) : kind === "cut-from-brokers" || kind === "cut-from-etcd" ? pick(state.replicas) : leader;
      const fault: FaultRecord = { n, kind, broker: brokerId, partition, atS: elapsedS(), holdMs: 0, problems: [] };
      schedule.push(fault);
      const broker = cluster.broker(brokerId);
      const ackedBefore = writers.acked;
      switch (kind) {
        case "kill-leader": {
          const clock = writers.failoverClock(partition);
          broker.process.kill("SIGKILL");
          await broker.process.waitForExit();
          if (!(await waitNewLeader(cluster, topic, partition, brokerId, 30_000))) fault.problems.push("no new leader within 30 s");
          const failoverMs = await Promise.race([clock, new Promise<undefined>((r) => setTimeout(() => r(undefined), 30_000))]);
          if (failoverMs === undefined) fault.problems.push("no acknowledged produce within 30 s");
          else if (failoverMs < 1000) fault.notLeaderKill = true; // acked under 1 s: no lease lapsed, it was not leading
          else fault.failoverMs = failoverMs;
          fault.holdMs = between(0, 3000);
          await sleep(fault.holdMs);
          await broker.start().catch((err: Error) => fault.problems.push(`restart failed: ${err.message.split("\n")[0]}`));
          break;
        }
        case "kill-follower": {
          broker.process.kill("SIGKILL");
          await broker.process.waitForExit();
          fault.holdMs = between(500, 5000);
          await sleep(fault.holdMs);
          await broker.start().catch((err: Error) => fault.problems.push(`restart failed: ${err.message.split("\n")[0]}`));
          break;
        }
        case "pause-leader": {
          broker.process.pause();
          fault.holdMs = between(1000, 8000); // below and above the session timeout
          await sleep(fault.holdMs);
          fault.beforeHeal = await stateLine(cluster, topic);
          broker.process.resume();
          break;
        }
        case "cut-from-brokers": {
          await network.cutFromBrokers(brokerId);
          fault.holdMs = between(1000, 8000);
          await sleep(fault.holdMs);
          fault.beforeHeal = await stateLine(cluster, topic);
          await network.heal(brokerId);
          break;
        }
        case "cut-from-etcd": {
          await network.cutFromEtcd(brokerId);
          fault.holdMs = between(1000, 8000);
          await sleep(fault.holdMs);
          fault.beforeHeal = await stateLine(cluster, topic);
          await network.heal(brokerId);
          break;
        }
      }
      if (!(await waitFullIsr(cluster, topic, replicationFactor, 60_000))) fault.problems.push("ISR not full within 60 s of healing");
      if (!(await writers.progress(10, 30_000))) fault.problems.push("writers acknowledged nothing within 30 s after the ISR was full");
      log(
        `#${n} ${kind} broker ${brokerId} (partition ${partition}, hold ${fault.holdMs} ms)` +
          (fault.failoverMs !== undefined ? `; failover ${fault.failoverMs.toFixed(0)} ms` : "") +
          (fault.notLeaderKill ? "; not counted as a failover: acked at once, leadership had moved" : "") +
          (fault.beforeHeal !== undefined ? `; before heal ${fault.beforeHeal}` : "") +
          `; acked ${writers.acked - ackedBefore} during; total acked ${writers.acked}, read ${reader.reads}` +
          (fault.problems.length > 0 ? `; PROBLEM: ${fault.problems.join("; ")}` : ""),
      );
      if (fault.problems.length > 0) for (const b of cluster.brokers) log(`  broker ${b.id} last log lines:\n    ${b.process.logs.slice(-8).join("\n    ")}`);
    }

    log("faults over: stopping writers, waiting for a full ISR and the reader to catch up");
    await writers.stop();
    if (!(await waitFullIsr(cluster, topic, replicationFactor, 60_000))) healProblems.push("ISR not full at the end");
    const described = await describePartitions(cluster, topic);
    const total = described.reduce((n, p) => n + Number(p.highWatermark), 0);
    const readerCaughtUp = await waitUntilReader(reader, checker, total, 60_000);
    if (!readerCaughtUp) healProblems.push(`reader did not read up to the high watermarks (${total} records) within 60 s`);
    await reader.stop();
    const highWatermarks = described.map((p) => p.highWatermark);
    await Promise.all(cluster.brokers.map((b) => b.process.stop()));
    finals = await readReplicaFiles(cluster, topic, highWatermarks, checker);
  } catch (err) {
    healProblems.push(`run failed: ${(err as Error).stack ?? err}`);
    await writers?.stop().catch(() => undefined);
    await reader?.stop().catch(() => undefined);
  } finally {
    await cleanup?.().catch((err: Error) => console.error(`cleanup: ${err.message}`));
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }

  // ---------------------------------------------------------------- report
  const report = checker.check();
  const byKind = new Map<string, number>();
  for (const f of schedule) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
  console.log(`\n=== chaos: seed ${seed}, ${elapsedS().toFixed(0)} s, ${schedule.length} faults (${[...byKind].map(([k, v]) => `${k} ${v}`).join(", ")})`);
  console.log(checker.formatTable(report));
  let replicasIdentical = finals.length === partitions;
  for (const f of finals) {
    const ok = f.comparison.identical && f.matchesHighWatermark;
    if (!ok) replicasIdentical = false;
    console.log(
      `replicas p${f.partition}: high watermark ${f.highWatermark}; held ${[...f.heldByBroker].map(([id, n]) => `broker ${id} ${n}`).join(", ")}; ` +
        `${f.comparison.identical ? "identical" : `${f.comparison.count} offsets differ, e.g. ${f.comparison.examples.map((e) => `@${e.offset}: ${[...e.values].map(([b, v]) => `${b}=${v}`).join(" ")}`).join("; ")}`}` +
        (f.matchesHighWatermark ? "" : " (longest replica != high watermark)"),
    );
  }
  console.log(`${"replicas-identical".padEnd(22)}${String(replicasIdentical).padStart(6)}`);
  const kills = schedule.filter((f) => f.failoverMs !== undefined).map((f) => f.failoverMs!);
  const s = summarize(kills);
  const notCounted = schedule.filter((f) => f.notLeaderKill).length;
  console.log(`failover (leader kill -9 → first acked acks=ALL produce on that partition): count ${s.count}${notCounted > 0 ? ` (${notCounted} kills not counted: leadership had moved)` : ""}, p50 ${s.p50.toFixed(0)} ms, p99 ${s.p99.toFixed(0)} ms, max ${s.max.toFixed(0)} ms`);
  const problems = [...schedule.filter((f) => f.problems.length > 0).map((f) => `#${f.n} ${f.kind} broker ${f.broker} p${f.partition} at ${f.atS.toFixed(0)} s: ${f.problems.join("; ")}`), ...healProblems];
  for (const p of problems) console.log(`PROBLEM ${p}`);
  const ok = report.valid && report.uncheckedPartitions.length === 0 && replicasIdentical && problems.length === 0;
  console.log(ok ? `OK (seed ${seed})` : `FAILED (seed ${seed}): replay with --seed ${seed}`);
  return ok ? 0 : 1;
}

/** The proxies of test/helpers/cluster.ts: "drop" in front of a broker's gRPC port cuts it off from the brokers and clients; in front of its etcd endpoint, from etcd. */
function proxyNetwork(cluster: TestCluster): FaultNetwork {
  return {
    async cutFromBrokers(id) {
      cluster.broker(id).proxy!.setMode("drop");
    },
    async cutFromEtcd(id) {
      cluster.broker(id).etcdProxy!.setMode("drop");
    },
    async heal(id) {
      cluster.broker(id).proxy!.setMode("pass");
      cluster.broker(id).etcdProxy!.setMode("pass");
    },
  };
}

async function waitUntilReader(reader: Reader, checker: HistoryChecker, total: number, timeoutMs: number): Promise<boolean> {
  void checker;
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (reader.reads >= total) return true;
    await sleep(200);
  }
  return false;
}

/** "p0 L1 isr 1,2 | p1 ..." as the first broker that answers sees it. */
async function stateLine(cluster: TestCluster, topic: string): Promise<string> {
  try {
    return (await describePartitions(cluster, topic)).map((p, i) => `p${i} L${p.leader} isr ${p.isr.join(",")}`).join(" | ");
  } catch {
    return "no broker answered";
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

process.exitCode = await main().catch((err: unknown) => {
  console.error(err);
  return 1;
});
// Child processes and sockets may keep the loop alive after a failure: everything is stopped by now.
process.exit(process.exitCode);
