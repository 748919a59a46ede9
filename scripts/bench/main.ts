// `npm run bench`: Tributary's benchmark harness. Starts its own broker in a
// temp dir (or targets --broker), a bare grpc-js "ceiling" server with the same
// messages, and the peers asked for with --vs (NATS JetStream, Redis Streams),
// then runs interleaved, repeated rounds (median of >= 3) of: produce,
// subscribe, the TypeScript client, end-to-end latency, fsync policies, and the
// large-data checks (100 subscribers on a big backlog; restart with 100
// partitions of data). Prints a table; --json FILE; --report DIR (markdown + SVG).
import { execFileSync } from "node:child_process";
import { statfsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { cpus, freemem, loadavg, totalmem, tmpdir } from "node:os";
import { parseArgs } from "node:util";
import { Admin, Consumer, Producer } from "../../clients/ts/index.js";
import { FsyncPolicy } from "../../gen/ts/tributary/v1/admin_pb.js";
import { latencyWorker, type LatencyWorker } from "./latency-client.js";
import { install, startNats, startRedis, type Peer } from "./peers.js";
import { clusterPhase } from "./cluster.js";
import { table, writeReport, fmtBytes, fmtNum, type Figure, type Results, type Target } from "./report.js";
import {
  brokerNodeFlags, cleanupAll, closedLoop, drain, fetchRequest, median, overTime, percentile, produceCall, produceRequest, Progress,
  quietMachine, rawClient, removeDir, rssBytes, sampleRss, setDeadline, sleep, startNode, subscribeRequest, tempDir, type Proc, type RawClient,
} from "./util.js";

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    broker: { type: "string" },
    vs: { type: "string", default: "" },
    json: { type: "string" },
    report: { type: "string" },
    rounds: { type: "string" },
    seconds: { type: "string" },
    "skip-large": { type: "boolean", default: false },
    "large-gib": { type: "string" },
    "subscribers-gib": { type: "string" },
    "max-minutes": { type: "string" },
    only: { type: "string" },
    "broker-args": { type: "string", default: "" },
    kills: { type: "string" },
    render: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (args.help) {
  console.log(`Usage: npm run bench -- [options]
  --quick               short rounds (smoke run, about 2 minutes)
  --broker HOST:PORT    measure a running broker instead of starting one (skips RSS and restart checks)
  --vs nats,redis       also measure these peers in the same run (Debian: ${install})
  --json FILE           write all figures as JSON
  --report DIR          write DIR/REPORT.md with SVG charts (docs/bench)
  --rounds N            rounds per measurement (default 3; medians are reported)
  --seconds S           seconds per throughput measurement (default 2, quick 0.4)
  --skip-large          skip the 100-subscriber and restart checks
  --large-gib N         data for the restart check (default 10, quick 0.25)
  --subscribers-gib N   backlog for the 100-subscriber check (default 1, quick 0.1)
  --max-minutes M       stop starting new measurements after M minutes (default 12, quick 3)
  --render FILE         no run: print the table of a --json FILE (and write --report DIR from it)
  --only a,b            run only these phases: produce,subscribe,client,latency,durability,large,cluster
                        (cluster is not run unless named: 3-broker clusters, ~6 minutes)
  --kills N             leader kills in the cluster phase's failover measurement (default 30, quick 5)
  --broker-args="..."   extra flags for the brokers the harness starts (e.g. --broker-args="--stream-buffer-bytes 1048576")`);
  process.exit(0);
}

const quick = args.quick!;
const rounds = Math.max(1, Number(args.rounds ?? 3));
const seconds = Number(args.seconds ?? (quick ? 0.4 : 2));
const latencySeconds = quick ? 0.7 : 4;
/** Uncounted one-second rounds per system before the latency phase's rounds (see latencyPhase). */
const warmupRounds = quick ? 1 : 10;
const rates = [1000, 5000, 20000];
const lanes = 8; // calls in flight for produce
const sendWindow = 8192; // Producer.send() calls outstanding
const natsWindow = 1024; // NATS js.publish acks outstanding
const subscribersGib = Number(args["subscribers-gib"] ?? (quick ? 0.1 : 1));
let largeGib = Number(args["large-gib"] ?? (quick ? 0.25 : 10));
const only = new Set((args.only ?? "produce,subscribe,client,latency,durability,large").split(",").filter(Boolean));
if (args["skip-large"]) only.delete("large");
const vs = args.vs!.split(",").map((s) => s.trim()).filter(Boolean);
const started = Date.now();
setDeadline(started + Number(args["max-minutes"] ?? (quick ? 3 : 12)) * 60_000);

/** A fixed CPU-bound loop, to show how much of the machine this run had (other tenants' load). */
function cpuCheck(): string {
  const t = performance.now();
  let x = 0;
  for (let i = 0; i < 1e8; i++) x += i & 7;
  return `${(performance.now() - t).toFixed(0)} ms${x < 0 ? "" : ""}`;
}
const loadAtStart = loadavg().map((l) => l.toFixed(2)).join(" ");
const cpuAtStart = cpuCheck();

const notes: string[] = [];
const figures: Figure[] = [];
const targets: Target[] = [];
const peerStatus: Results["peers"] = [];
const peers: Peer[] = [];
const note = (s: string) => {
  notes.push(s);
  process.stderr.write(`${process.stderr.isTTY ? "\r\x1b[K" : ""}note: ${s}\n`);
};

const backlog100 = quick ? 200_000 : 2_000_000;
const backlog1k = quick ? 40_000 : 400_000;
const peerBacklog = (n: number) => Math.min(n, quick ? 30_000 : 200_000);

/** Rotates the order of systems from one round to the next. */
const rotate = <T>(items: T[], r: number) => items.map((_, i) => items[(i + r) % items.length]);

function machine(): Record<string, string> {
  let cpu = cpus()[0]?.model ?? "?";
  try {
    cpu = /model name\s*:\s*(.*)/.exec(execFileSync("cat", ["/proc/cpuinfo"], { encoding: "utf8" }))?.[1] ?? cpu;
  } catch {
    /* keep */
  }
  return {
    nproc: String(cpus().length),
    cpu,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB (free ${(freemem() / 2 ** 30).toFixed(1)} GiB)`,
    node: process.version,
    "load average at start / end": `${loadAtStart} / ${loadavg().map((l) => l.toFixed(2)).join(" ")}`,
    "CPU check (1e8-iteration loop) at start / end": `${cpuAtStart} / ${cpuCheck()}`,
  };
}

async function startBroker(dir: string): Promise<Proc> {
  const extra = args["broker-args"]!.split(/\s+/).filter(Boolean);
  // Retention checked every second: the produce topic keeps a bounded size (see producePhase).
  const own = ["--retention-check-interval-ms", "1000"];
  return startNode([...brokerNodeFlags, "services/tributary.mjs", "serve", "--listen", "127.0.0.1:0", "--http", "off", "--data-dir", dir, ...own, ...extra]);
}

// ---------------------------------------------------------------- phases

// The produce topic keeps at most ~192 MiB a partition (retention 128 MiB, segments of
// 64 MiB), as a broker with retention does once it has run a while: its page cache is
// recycled. Kept forever, the run's ~10 GB fill fresh page cache, and on this VM a
// plain write() loop took 4-5× the system CPU per byte once the first few GB were
// written, which then decided the figure (docs/PERFORMANCE.md, "The machine").
const produceTopicConfig = { segmentBytes: 64n << 20n, retentionBytes: 128n << 20n };

async function producePhase(broker: string, bare: string, admin: Admin) {
  await admin.createTopic("bench-produce", 4, produceTopicConfig);
  const cases = [100, 1024].flatMap((size) => [1, 100, 1000].map((batch) => ({ size, batch })));
  const results = new Map<string, number[]>();
  const push = (k: string, v: number) => (results.get(k) ?? results.set(k, []).get(k)!).push(v);
  const progress = new Progress("produce", rounds * cases.length * 2 + rounds * peers.length * 2);
  const clients = { tributary: rawClient(broker), ceiling: rawClient(bare) };
  const requests = new Map(cases.map((c) => [`${c.batch}x${c.size}`, [0, 1, 2, 3].map((p) => produceRequest("bench-produce", c.batch, c.size, p))]));
  for (let r = 0; r < rounds && !overTime(); r++) {
    for (const c of rotate(cases, r)) {
      const reqs = requests.get(`${c.batch}x${c.size}`)!;
      for (const system of rotate(["tributary", "ceiling"] as const, r)) {
        const client = clients[system];
        const rate = await closedLoop(seconds, lanes, async (lane, n) => {
          await produceCall(client, reqs[(lane + n) % 4]);
          return c.batch;
        });
        push(`${system}-${c.batch}x${c.size}`, rate);
        progress.step(`${system} ${c.batch}×${c.size} B: ${fmtNum(rate)} rec/s`);
      }
    }
    for (const size of [100, 1024]) {
      for (const peer of rotate(peers, r)) {
        const rate = await peer.publish(seconds, size);
        push(`${peer.name}-${size}`, rate);
        progress.step(`${peer.name} ${size} B: ${fmtNum(rate)} rec/s`);
      }
    }
  }
  progress.end();
  clients.tributary.close();
  clients.ceiling.close();
  for (const c of cases) {
    const ours = results.get(`tributary-${c.batch}x${c.size}`) ?? [];
    if (!ours.length) continue;
    figures.push({
      id: `produce-${c.batch}x${c.size}`,
      phase: "produce",
      label: `batch ${c.batch} × ${c.size} B, ${lanes} in flight`,
      unit: "rec/s",
      value: median(ours),
      rounds: ours,
      valueBytes: c.size,
      ceiling: median(results.get(`ceiling-${c.batch}x${c.size}`) ?? []),
      ceilingLabel: "bare grpc-js ack",
      peers: Object.fromEntries(peers.map((p) => [p.name, results.has(`${p.name}-${c.size}`) ? median(results.get(`${p.name}-${c.size}`)!) : undefined])),
    });
  }
}

async function writeBacklog(client: RawClient, topic: string, count: number, size: number, partitions: number, onProgress?: (done: number) => void) {
  const batch = Math.max(1, Math.min(1000, Math.floor((4 << 20) / size)));
  const reqs = Array.from({ length: partitions }, (_, p) => produceRequest(topic, batch, size, p));
  let issued = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (issued < count) {
        const n = issued;
        issued += batch;
        await produceCall(client, reqs[(n / batch) % partitions]);
        done += batch;
        onProgress?.(done);
      }
    }),
  );
}

const subscribeFigures = new Map<number, Figure>();
async function subscribePhase(broker: string, bare: string, admin: Admin) {
  const sizes = [
    { size: 100, count: backlog100 },
    { size: 1024, count: backlog1k },
  ];
  const progress = new Progress("subscribe", sizes.length * (1 + peers.length) + rounds * sizes.length * (2 + peers.length));
  const client = rawClient(broker);
  for (const { size, count } of sizes) {
    await admin.createTopic(`bench-sub-${size}`, 1);
    await writeBacklog(client, `bench-sub-${size}`, count, size, 1, (d) => d % 50_000 === 0 && progress.note(`backlog ${size} B: ${fmtNum(d)}`));
    progress.step(`backlog ${size} B ready`);
    for (const peer of peers) {
      await peer.prepareBacklog(`s${size}`, peerBacklog(count), size);
      progress.step(`${peer.name} backlog ${size} B ready`);
    }
  }
  const results = new Map<string, number[]>();
  const push = (k: string, v: number) => (results.get(k) ?? results.set(k, []).get(k)!).push(v);
  const bareClient = rawClient(bare);
  for (let r = 0; r < rounds && !overTime(); r++) {
    for (const { size, count } of rotate(sizes, r)) {
      for (const system of rotate(["tributary", "ceiling", ...peers.map((p) => p.name)], r)) {
        let rate: number;
        if (system === "tributary") rate = await drainFor(count, () => drain(client, subscribeRequest(`bench-sub-${size}`, [0], "earliest"), count));
        else if (system === "ceiling") rate = await drainFor(count, () => drain(bareClient, subscribeRequest(`v${size}`, undefined, BigInt(count)), count));
        else {
          const peer = peers.find((p) => p.name === system)!;
          const n = peerBacklog(count);
          rate = await drainFor(n, async () => n / (await peer.drain(`s${size}`, n)));
        }
        push(`${system}-${size}`, rate);
        progress.step(`${system} ${size} B: ${fmtNum(rate)} rec/s`);
      }
    }
  }
  progress.end();
  client.close();
  bareClient.close();
  for (const { size, count } of sizes) {
    const ours = results.get(`tributary-${size}`) ?? [];
    if (!ours.length) continue;
    const f: Figure = {
      id: `subscribe-${size}`,
      phase: "subscribe",
      label: `drain ${fmtNum(count)} × ${size} B backlog`,
      unit: "rec/s",
      value: median(ours),
      rounds: ours,
      valueBytes: size,
      ceiling: median(results.get(`ceiling-${size}`)!),
      ceilingLabel: "bare grpc-js, pre-encoded",
      peers: Object.fromEntries(peers.map((p) => [p.name, results.has(`${p.name}-${size}`) ? median(results.get(`${p.name}-${size}`)!) : undefined])),
      note: peers.length ? `peers drain ${fmtNum(peerBacklog(count))}` : undefined,
    };
    figures.push(f);
    subscribeFigures.set(size, f);
  }
}

/**
 * Calls `once` (drain `count` records with a new stream from the backlog's start, return
 * the seconds it took) until `seconds` have passed, at least once; records per second
 * over all the drains. One drain of the 2M-record backlog takes about 0.4 s here, short
 * enough for a burst of other work on the machine to decide a round.
 */
async function drainFor(count: number, once: () => Promise<number>): Promise<number> {
  let drains = 0;
  let took = 0;
  do {
    took += await once();
    drains++;
  } while (took < seconds && !overTime());
  return (drains * count) / took;
}

async function clientPhase(broker: string, bare: string, admin: Admin) {
  await admin.createTopic("bench-client", 4);
  const progress = new Progress("client", rounds * 2 * 2 + rounds);
  const results = new Map<string, number[]>();
  const push = (k: string, v: number) => (results.get(k) ?? results.set(k, []).get(k)!).push(v);
  const sendRate = async (address: string, size: number) => {
    const producer = new Producer({ broker: address });
    const value = new Uint8Array(size).fill(97);
    const rate = await closedLoop(seconds, sendWindow, async () => {
      await producer.send({ topic: "bench-client", value });
      return 1;
    });
    await producer.close();
    return rate;
  };
  const consumeCount = Math.min(backlog100, quick ? 50_000 : 500_000);
  for (let r = 0; r < rounds && !overTime(); r++) {
    for (const size of rotate([100, 1024], r)) {
      for (const system of rotate(["tributary", "ceiling"], r)) {
        const rate = await sendRate(system === "tributary" ? broker : bare, size);
        push(`${system}-send-${size}`, rate);
        progress.step(`Producer.send ${system} ${size} B: ${fmtNum(rate)} rec/s`);
      }
    }
    // Group consumer draining the 100 B subscribe backlog from the start, a new group each round.
    const consumer = new Consumer({ broker, groupId: `bench-${Date.now()}-${r}`, topics: ["bench-sub-100"], from: "earliest", autoCommit: false });
    const start = performance.now();
    let n = 0;
    for await (const _ of consumer) {
      if (++n >= consumeCount) break;
    }
    const rate = n / ((performance.now() - start) / 1000);
    await consumer.close();
    push("consumer", rate);
    progress.step(`Consumer: ${fmtNum(rate)} rec/s`);
  }
  progress.end();
  const produce = (size: number) => figures.find((f) => f.id === `produce-1000x${size}`);
  for (const size of [100, 1024]) {
    const ours = results.get(`tributary-send-${size}`) ?? [];
    if (!ours.length) continue;
    figures.push({
      id: `client-send-${size}`,
      phase: "client",
      label: `Producer.send() 1 at a time, ${size} B (${sendWindow} outstanding)`,
      unit: "rec/s",
      value: median(ours),
      rounds: ours,
      valueBytes: size,
      ceiling: median(results.get(`ceiling-send-${size}`)!),
      ceilingLabel: "same Producer against the bare server",
      peers: produce(size)?.peers ?? {},
      note: `peers: NATS js.publish with ${natsWindow} acks outstanding; Redis XADD in pipelines of 500, 4 in flight`,
    });
  }
  const consumed = results.get("consumer") ?? [];
  if (consumed.length) {
    const sub = subscribeFigures.get(100);
    figures.push({
      id: "client-consumer",
      phase: "client",
      label: `group Consumer, ${fmtNum(consumeCount)} × 100 B backlog`,
      unit: "rec/s",
      value: median(consumed),
      rounds: consumed,
      valueBytes: 100,
      ceiling: sub?.ceiling,
      ceilingLabel: "pre-encoded streaming ceiling",
      peers: sub?.peers ?? {},
      note: "peers: NATS ordered push consumer; Redis XREADGROUP COUNT 1000",
    });
  }
}

function stats(samples: number[]) {
  const s = Float64Array.from(samples).sort();
  return { p50: percentile(s, 50), p99: percentile(s, 99), p999: percentile(s, 99.9), max: s.length ? s[s.length - 1] : NaN };
}

async function latencyPhase(broker: string, admin: Admin) {
  await admin.createTopic("bench-latency", 1);
  const systems = ["tributary", ...peers.map((p) => p.name)];
  // Warm-up, the same for every system and not counted: ten rounds of one second at 1k
  // records/s. The first measured round used to be the broker's first traffic after start
  // (code not yet optimized by V8, the new topic's first segment), and its 1k/s p99 was
  // 3-8x the next round's in each of four runs. One warm-up round was not enough: V8
  // deoptimizes stream, HTTP/2, grpc-js and pump code when the next round's new streams
  // bring new object shapes ("wrong map", "code dependencies" in --log-deopt), and each
  // of the first few rounds spent about 2 s re-optimizing, with most of its tail there.
  // Measured rounds after 1, 2, 5 and 10 warm-up rounds: the first one's p99 at 1k/s was
  // 2.6-3.8, 2.6-2.8, 1.8-1.9 and 1.5-1.6 ms; after ten it no longer fell with the round's
  // number (docs/PERFORMANCE.md, "The low-rate latency tail"). A long-running broker is
  // past all of that.
  // Each system's client runs in a process of its own, for the whole phase (latency-worker.ts:
  // from the bench process, every system waited out the GC pauses of a heap that held what
  // the others had left).
  const workers = new Map<string, LatencyWorker>();
  workers.set("tributary", await latencyWorker("tributary", broker, "bench-latency"));
  for (const peer of peers) workers.set(peer.name, await latencyWorker(peer.name, String(peer.port)));
  const latency = (system: string, rate: number, seconds: number) => workers.get(system)!.round(rate, seconds, 100);
  for (const system of systems) {
    for (let i = 0; i < warmupRounds; i++) await latency(system, 1000, 1);
  }
  const progress = new Progress("latency", rounds * rates.length * systems.length);
  const settled: number[] = [];
  const results = new Map<string, Array<ReturnType<typeof stats>>>();
  for (let r = 0; r < rounds && !overTime(); r++) {
    for (const rate of rotate(rates, r)) {
      for (const system of rotate(systems, r)) {
        // Before each round: one uncounted second at the round's rate. Each client and
        // server had sat idle while the others ran, long enough for V8 to shrink its young
        // generation to ~1 MB (a scavenge every ~55 ms at 1k/s, for ~10 s, in the broker and
        // in our client alike: docs/PERFORMANCE.md, "A client process per system"); a stream
        // at a fixed rate is measured in its steady state. Before that, a guard: the machine
        // quiet, so no system's leftover work (a backlog after an overloaded round) lands
        // in the next one's round; it is reported, and has waited at most ~0.75 s so far.
        settled.push(await quietMachine());
        await latency(system, rate, 1);
        const samples = await latency(system, rate, latencySeconds);
        const s = stats(samples);
        const k = `${system}-${rate}`;
        (results.get(k) ?? results.set(k, []).get(k)!).push(s);
        progress.step(`${system} ${fmtNum(rate)}/s: p99 ${s.p99.toFixed(2)} ms`);
      }
    }
  }
  progress.end();
  for (const worker of workers.values()) await worker.stop();
  note(`latency: waited for a quiet machine before each round, median ${median(settled).toFixed(0)} ms, max ${Math.max(...settled).toFixed(0)} ms`);
  const med = (list: Array<ReturnType<typeof stats>>) => ({
    p50: median(list.map((s) => s.p50)),
    p99: median(list.map((s) => s.p99)),
    p999: median(list.map((s) => s.p999)),
    max: median(list.map((s) => s.max)),
  });
  for (const rate of rates) {
    const ours = results.get(`tributary-${rate}`);
    if (!ours) continue;
    const m = med(ours);
    const peersExtra = Object.fromEntries(peers.filter((p) => results.has(`${p.name}-${rate}`)).map((p) => [p.name, med(results.get(`${p.name}-${rate}`)!)]));
    figures.push({
      id: `latency-${rate}`,
      phase: "latency",
      label: `${fmtNum(rate)} records/s, p99 (100 B)`,
      unit: "ms",
      value: m.p99,
      rounds: ours.map((s) => s.p99),
      extra: m,
      peers: Object.fromEntries(Object.entries(peersExtra).map(([k, v]) => [k, v.p99])),
      peersExtra,
      note: "median over rounds of each round's percentile; max is the median of round maxima",
    });
  }
}

async function durabilityPhase(broker: string, admin: Admin) {
  await admin.createTopic("bench-fsync-interval", 8, { fsyncPolicy: FsyncPolicy.INTERVAL });
  await admin.createTopic("bench-fsync-always", 8, { fsyncPolicy: FsyncPolicy.ALWAYS });
  const cases = [1, 8].flatMap((producers) => (["interval", "always"] as const).map((policy) => ({ producers, policy })));
  const progress = new Progress("durability", rounds * cases.length);
  const results = new Map<string, number[]>();
  for (let r = 0; r < rounds && !overTime(); r++) {
    for (const c of rotate(cases, r)) {
      const clients = Array.from({ length: c.producers }, () => rawClient(broker));
      const reqs = Array.from({ length: 8 }, (_, p) => produceRequest(`bench-fsync-${c.policy}`, 100, 100, p));
      const rate = await closedLoop(seconds, c.producers, async (lane) => {
        await produceCall(clients[lane], reqs[lane]);
        return 100;
      });
      for (const cl of clients) cl.close();
      const k = `${c.policy}-${c.producers}`;
      (results.get(k) ?? results.set(k, []).get(k)!).push(rate);
      progress.step(`${c.policy} × ${c.producers}: ${fmtNum(rate)} rec/s`);
    }
  }
  progress.end();
  for (const c of cases) {
    const ours = results.get(`${c.policy}-${c.producers}`);
    if (!ours) continue;
    const interval = results.get(`interval-${c.producers}`);
    figures.push({
      id: `fsync-${c.policy}-${c.producers}`,
      phase: "durability",
      label: `fsync ${c.policy}, ${c.producers} producer${c.producers > 1 ? "s" : ""} × batch 100 × 100 B`,
      unit: "rec/s",
      value: median(ours),
      rounds: ours,
      valueBytes: 100,
      ceiling: c.policy === "always" && interval ? median(interval) : undefined,
      ceilingLabel: "fsync interval, same producers",
      peers: {},
      note: c.policy === "always" ? "ceiling column = fsync interval" : "one call in flight per producer, each on its own partition",
    });
  }
}

async function diskFree(path: string): Promise<number> {
  const s = statfsSync(path);
  return Number(s.bavail) * Number(s.bsize);
}

async function largePhase(admin: Admin, brokerProc: Proc | undefined, brokerAddress: string) {
  // --- 100 subscribers on a big backlog, peak RSS of the broker
  const free = await diskFree(tmpdir());
  const progress = new Progress("large", 4);
  const subBytes = Math.floor(subscribersGib * 2 ** 30);
  if (free < subBytes * 1.3 + (2 << 30)) {
    note(`100-subscriber check skipped: ${fmtBytes(free)} free in ${tmpdir()}, needs ${fmtBytes(subBytes * 1.3)}`);
  } else {
    const client = rawClient(brokerAddress);
    const size = 1024;
    const count = Math.floor(subBytes / size);
    await admin.createTopic("bench-fanout", 4);
    const t0 = performance.now();
    await writeBacklog(client, "bench-fanout", count, size, 4, (d) => d % 100_000 < 1000 && progress.note(`writing ${fmtBytes(d * size)} of ${fmtBytes(subBytes)}`));
    progress.step(`backlog ${fmtBytes(subBytes)} written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const rssBefore = brokerProc ? rssBytes(brokerProc.pid) : Promise.resolve(0);
    const sampler = brokerProc ? sampleRss(brokerProc.pid) : undefined;
    const limitS = quick ? 6 : 30;
    const subscribers = 100;
    const perClient = 10; // 10 channels, 10 streams each
    const channels = Array.from({ length: subscribers / perClient }, () => rawClient(brokerAddress));
    let read = 0;
    let firstData = NaN;
    let finishedStreams = 0;
    const start = performance.now();
    await Promise.race([
      Promise.all(
        Array.from({ length: subscribers }, (_, i) =>
          drain(channels[i % channels.length], subscribeRequest("bench-fanout", undefined, "earliest"), count, (n) => {
            if (read === 0) firstData = (performance.now() - start) / 1000;
            read += n;
          }).then(() => finishedStreams++),
        ),
      ),
      (async () => {
        while (performance.now() - start < limitS * 1000) {
          await sleep(1000);
          progress.note(`100 subscribers: ${fmtBytes(read * size)} read, ${finishedStreams} done`);
        }
      })(),
    ]).catch((err: Error) => note(`100 subscribers: ${err.message}`));
    const elapsed = (performance.now() - start) / 1000;
    const peak = sampler?.stop() ?? NaN;
    for (const ch of channels) ch.close();
    client.close();
    progress.step(`peak RSS ${fmtBytes(peak)}`);
    const rss0 = await rssBefore;
    figures.push({
      id: "fanout-rss",
      phase: "large",
      label: `100 subscribers from earliest on ${fmtBytes(subBytes)} (${elapsed.toFixed(0)} s): broker peak RSS`,
      unit: "bytes",
      value: peak,
      rounds: [peak],
      peers: {},
      note: `RSS before ${fmtBytes(rss0)}; first record after ${firstData.toFixed(1)} s; ${fmtBytes(read * size)} delivered (${((read * size) / 1e6 / elapsed).toFixed(0)} MB/s aggregate), ${finishedStreams}/100 streams finished; bounded at ${limitS} s`,
    });
    targets.push({
      name: `100 subscribers on a ${fmtBytes(subBytes)} backlog: broker RSS`,
      target: "< 512 MiB",
      measured: brokerProc ? fmtBytes(peak) : "n/a (--broker)",
      ratio: peak / (512 * 2 ** 20),
      pass: brokerProc ? peak < 512 * 2 ** 20 : undefined,
      note: `${finishedStreams}/100 streams finished in ${elapsed.toFixed(0)} s${subscribersGib < 1 ? `; scaled down from 1 GiB (--subscribers-gib ${subscribersGib})` : ""}`,
    });
    await admin.deleteTopic("bench-fanout").catch(() => undefined);
  }

  // --- restart with 100 partitions of data
  if (!brokerProc) {
    note("restart check skipped: it needs a broker started by the harness (not --broker)");
    progress.end();
    return;
  }
  const freeNow = await diskFree(tmpdir());
  const wanted = largeGib * 2 ** 30;
  if (freeNow < wanted * 1.15 + (4 << 30)) {
    const scaled = Math.max(0.1, Math.floor(((freeNow - (4 << 30)) / 1.15 / 2 ** 30) * 10) / 10);
    note(`restart check: ${fmtBytes(freeNow)} free in ${tmpdir()}, not enough for ${largeGib} GiB; scaled down to ${scaled} GiB`);
    largeGib = scaled;
  }
  const dir = await tempDir("restart");
  const emptyAt = performance.now();
  let broker = await startBroker(dir);
  const emptyStartS = (performance.now() - emptyAt) / 1000;
  const size = 4096;
  const count = Math.floor((largeGib * 2 ** 30) / size);
  const admin2 = new Admin({ broker: broker.address });
  await admin2.createTopic("bench-restart", 100);
  const client = rawClient(broker.address);
  const t0 = performance.now();
  await writeBacklog(client, "bench-restart", count, size, 100, (d) => d % 50_000 < 1024 && progress.note(`writing ${fmtBytes(d * size)} of ${fmtBytes(count * size)}`));
  const writeS = (performance.now() - t0) / 1000;
  client.close();
  admin2.close();
  progress.step(`${fmtBytes(count * size)} in 100 partitions written in ${writeS.toFixed(0)} s`);
  const stopStart = performance.now();
  const code = await broker.stop("SIGTERM");
  const stopS = (performance.now() - stopStart) / 1000;
  const spawnAt = performance.now();
  broker = await startBroker(dir);
  const listeningS = (performance.now() - spawnAt) / 1000;
  const probe = rawClient(broker.address);
  let fetchedS = NaN;
  for (let i = 0; i < 1000; i++) {
    const ok = await new Promise<boolean>((resolve) =>
      probe.fetch(fetchRequest("bench-restart", 99, 0n, 1024), { deadline: Date.now() + 1000 }, (err) => resolve(!err)),
    );
    if (ok) {
      fetchedS = (performance.now() - spawnAt) / 1000;
      break;
    }
    await sleep(10);
  }
  probe.close();
  const rssAfter = await rssBytes(broker.pid);
  await broker.stop();
  await removeDir(dir);
  progress.end();
  figures.push({
    id: "restart",
    phase: "large",
    label: `restart with 100 partitions, ${fmtBytes(count * size)}: spawn → first Fetch answered`,
    unit: "s",
    value: fetchedS,
    rounds: [fetchedS],
    peers: {},
    note: `"broker listening" after ${listeningS.toFixed(2)} s (${emptyStartS.toFixed(2)} s on an empty data dir); written at ${((count * size) / 1e6 / writeS).toFixed(0)} MB/s; SIGTERM stop took ${stopS.toFixed(2)} s (exit ${code}); RSS after start ${fmtBytes(rssAfter)}; page cache warm`,
  });
  targets.push({
    name: `restart with 100 partitions and ${fmtBytes(count * size)}: serving`,
    target: "≤ 2 s",
    measured: `${fetchedS.toFixed(2)} s`,
    ratio: fetchedS / 2,
    pass: fetchedS <= 2,
    note: `${largeGib < 10 ? `scaled down from 10 GiB (--large-gib ${largeGib}); ` : ""}includes process start-up: an empty data dir takes ${emptyStartS.toFixed(2)} s to "broker listening"`,
  });
}

// ---------------------------------------------------------------- targets

function computeTargets() {
  const get = (id: string) => figures.find((f) => f.id === id);
  const p = get("produce-1000x100");
  if (p?.ceiling) targets.push({ name: "produce 1000 × 100 B, fsync interval", target: "≥ 0.8× bare grpc-js", measured: `${fmtNum(p.value)} rec/s = ${(p.value / p.ceiling).toFixed(2)}× (ceiling ${fmtNum(p.ceiling)})`, ratio: p.value / p.ceiling, pass: p.value / p.ceiling >= 0.8 });
  const s = get("subscribe-100");
  if (s?.ceiling) targets.push({ name: "subscribe 100 B", target: "≥ 0.8× pre-encoded streaming", measured: `${fmtNum(s.value)} rec/s = ${(s.value / s.ceiling).toFixed(2)}× (ceiling ${fmtNum(s.ceiling)})`, ratio: s.value / s.ceiling, pass: s.value / s.ceiling >= 0.8 });
  const c = get("client-send-100");
  if (c) {
    for (const [peer, factor] of [["nats", 2], ["redis", 1]] as const) {
      const v = c.peers[peer];
      targets.push({
        name: `Producer.send() 100 B vs ${peer === "nats" ? "NATS JetStream async publish" : "Redis XADD pipelined"}`,
        target: `≥ ${factor}×`,
        measured: v === undefined ? `${fmtNum(c.value)} rec/s; ${peer} not measured` : `${fmtNum(c.value)} vs ${fmtNum(v)} rec/s = ${(c.value / v).toFixed(2)}×`,
        ratio: v === undefined ? undefined : c.value / v,
        pass: v === undefined ? undefined : c.value / v >= factor,
        note: v === undefined ? `run with --vs ${peer}` : undefined,
      });
    }
  }
  const l = get("latency-5000");
  if (l) targets.push({ name: "end-to-end latency at 5k records/s, p99", target: "≤ 10 ms", measured: `${l.value.toFixed(2)} ms (p50 ${l.extra!.p50.toFixed(2)}, p99.9 ${l.extra!.p999.toFixed(2)}, max ${l.extra!.max.toFixed(1)})`, ratio: l.value / 10, pass: l.value <= 10 });
  const a = get("fsync-always-8");
  if (a?.ceiling) targets.push({ name: "fsync always, 8 producers × batch 100", target: "≥ 0.5× interval", measured: `${fmtNum(a.value)} vs ${fmtNum(a.ceiling)} rec/s = ${(a.value / a.ceiling).toFixed(2)}×`, ratio: a.value / a.ceiling, pass: a.value / a.ceiling >= 0.5 });
}

// ---------------------------------------------------------------- main

async function main() {
  // The cluster phase starts its own clusters: a run of it alone needs no single broker.
  const singleNeeded = [...only].some((phase) => phase !== "cluster");
  const ownDir = args.broker || !singleNeeded ? undefined : await tempDir("broker");
  let brokerProc: Proc | undefined;
  let broker = args.broker;
  if (!broker && singleNeeded) {
    brokerProc = await startBroker(ownDir!);
    broker = brokerProc.address;
  } else if (broker !== undefined && !/^(127\.0\.0\.1|localhost|\[::1\]):\d+$/.test(broker)) {
    throw new Error("--broker must be a loopback address (127.0.0.1:PORT, localhost:PORT or [::1]:PORT)");
  }
  const bare = singleNeeded ? await startNode([...brokerNodeFlags, "--import", "tsx", "scripts/bench/bare-server.ts"]) : undefined;
  for (const name of vs) {
    try {
      const peer = name === "nats" ? await startNats(natsWindow) : name === "redis" ? await startRedis(500, 4) : undefined;
      if (!peer) throw new Error(`unknown peer "${name}" (known: nats, redis)`);
      peers.push(peer);
      peerStatus.push({ name, label: peer.label, durability: peer.durability, short: peer.short, status: "ok" });
    } catch (err) {
      const message = `MISSING — ${(err as Error).message}`;
      peerStatus.push({ name, label: name, durability: "", status: message });
      note(`peer ${name} not measured: ${(err as Error).message}`);
    }
  }
  if (!vs.length) note(`no peers compared (add --vs nats,redis; Debian: ${install})`);
  const admin = new Admin({ broker: broker ?? "127.0.0.1:1" });
  const run = async (phase: string, fn: () => Promise<void>) => {
    if (!only.has(phase)) return;
    if (overTime()) return note(`${phase} skipped: time budget (--max-minutes) used up`);
    try {
      await fn();
    } catch (err) {
      note(`${phase} failed: ${(err as Error).stack ?? err}`);
    }
  };
  // Unique topic names when targeting a shared broker.
  if (args.broker) note("targeting an external broker: topics bench-* are created there (names must be free)");
  await run("produce", () => producePhase(broker!, bare!.address, admin));
  await run("subscribe", () => subscribePhase(broker!, bare!.address, admin));
  await run("client", () => clientPhase(broker!, bare!.address, admin));
  await run("latency", () => latencyPhase(broker!, admin));
  await run("durability", () => durabilityPhase(broker!, admin));
  computeTargets();
  await run("large", () => largePhase(admin, brokerProc, broker!));
  if (!only.has("large")) note("large-data checks skipped (--skip-large)");
  await run("cluster", async () => {
    const kills = Number(args.kills ?? (quick ? 5 : 30));
    const result = await clusterPhase({ kills, rounds, seconds: Math.max(seconds, quick ? 1 : 5), note });
    figures.push(...result.figures);
    targets.push(...result.targets);
  });
  admin.close();
  for (const peer of peers) await peer.close();
  await bare?.stop();
  if (brokerProc) await brokerProc.stop();
  if (ownDir) await removeDir(ownDir);

  const results: Results = {
    startedAt: new Date(started).toISOString(),
    options: { quick, rounds, nodeFlags: brokerNodeFlags.join(" "), produceTopicRetentionBytes: Number(produceTopicConfig.retentionBytes), brokerArgs: args["broker-args"], seconds, latencySeconds, vs, broker: args.broker ?? "own", subscribersGib, largeGib, lanes, sendWindow },
    machine: machine(),
    peers: peerStatus,
    figures,
    targets,
    notes,
    durationS: (Date.now() - started) / 1000,
  };
  console.log(`\n${table(results)}\n\nTotal ${results.durationS.toFixed(0)} s.`);
  if (args.json) await writeFile(args.json, `${JSON.stringify(results, null, 2)}\n`);
  if (args.report) {
    await writeReport(args.report, results);
    console.log(`Report: ${args.report}/REPORT.md`);
  }
}

if (args.render) {
  const results = JSON.parse(await readFile(args.render, "utf8")) as Results;
  console.log(table(results));
  if (args.report) await writeReport(args.report, results);
  process.exit(0);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void cleanupAll().then(() => process.exit(130));
  });
}
try {
  await main();
} finally {
  await cleanupAll();
}
