/**
 * Crash torture: producers append with acks (and a tool commits group offsets)
 * to a `tributary serve` child process, which is SIGKILLed after a random,
 * bounded delay and restarted on the same data directory; after every restart
 * every acknowledged record is checked (content, offset, no gaps, no
 * duplicates) and so is every acknowledged commit.
 *
 * Two topics: one with fsync `always`, one with the default `interval`. Both
 * must keep every acknowledged record across kill -9: an acknowledged append
 * has been written to the OS, which keeps the bytes when the process dies.
 * Only a machine crash (power loss, kernel panic) could lose the last
 * `flushIntervalMs` of the `interval` topic, and this tool cannot cause one.
 *
 * Usage: npm run torture -- [--cycles N] [--seconds S] [--seed X] [--max-kill-ms MS]
 *   --cycles N       crash cycles (default 20)
 *   --seconds S      stop starting new cycles after S seconds (default 300)
 *   --seed X         PRNG seed (default: random, printed)
 *   --max-kill-ms MS upper bound of the random kill delay per cycle (default 1500)
 *
 * With --power-loss, each kill is also a power cut: the data directory is on a FUSE
 * file system that then drops everything not fsynced (scripts/power-loss.ts, which
 * also takes --segment-bytes B and --flush-interval-ms MS).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createClient } from "../clients/ts/index.js";
import { AdminService, FsyncPolicy } from "../gen/ts/tributary/v1/admin_pb.js";
import { CommitService } from "../gen/ts/tributary/v1/commit_pb.js";
import { FetchService } from "../gen/ts/tributary/v1/fetch_pb.js";
import { ProduceService } from "../gen/ts/tributary/v1/produce_pb.js";
import { startChildBroker, type ChildBroker } from "../test/helpers/child-broker.js";
import { producerLoop } from "./producer-loop.js";

export interface TortureOptions {
  cycles: number;
  /** Stop starting new cycles after this many seconds (at least one cycle runs). */
  seconds?: number;
  seed?: number;
  /** The kill delay of each cycle is drawn uniformly from [minKillMs, maxKillMs]. */
  minKillMs?: number;
  maxKillMs?: number;
  producersPerTopic?: number;
  partitions?: number;
  log?: (line: string) => void;
}

export interface TopicFigures {
  topic: string;
  fsync: "always" | "interval";
  /** Records acknowledged over the whole run. */
  acked: number;
  /** Records in the log at the end (acknowledged ones plus any written but unacknowledged at a kill). */
  stored: number;
}

export interface TortureResult {
  seed: number;
  cyclesRun: number;
  /** Acknowledged records checked, summed over every post-restart verification. */
  recordChecks: number;
  /** Distinct acknowledged records verified in the final pass. */
  recordsVerified: number;
  /** Acknowledged commits, and committed offsets checked over every verification. */
  commitsAcked: number;
  offsetChecks: number;
  killDelaysMs: number[];
  topics: TopicFigures[];
}

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with --seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class TortureFailure extends Error {}

function check(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new TortureFailure(message());
}

interface TopicState {
  name: string;
  fsync: "always" | "interval";
  /** `${partition}:${offset}` -> value, for acknowledged records. */
  acked: Map<string, string>;
  stored: number;
}

const group = "torture-group";
const decoder = new TextDecoder();

export async function runTorture(options: TortureOptions): Promise<TortureResult> {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = prng(seed);
  const log = options.log ?? (() => undefined);
  const partitions = options.partitions ?? 3;
  const producersPerTopic = options.producersPerTopic ?? 2;
  const minKillMs = options.minKillMs ?? 50;
  const maxKillMs = Math.max(minKillMs, options.maxKillMs ?? 1500);
  const deadline = Date.now() + (options.seconds ?? Infinity) * 1000;
  const dataDir = await mkdtemp(join(tmpdir(), "tributary-torture-"));
  const topics: TopicState[] = [
    { name: "torture-always", fsync: "always", acked: new Map(), stored: 0 },
    { name: "torture-interval", fsync: "interval", acked: new Map(), stored: 0 },
  ];
  // Committed offsets: per `${topic}/${partition}`, the last acknowledged value and
  // the one possibly in flight at the kill (either may be what the broker kept).
  const committed = new Map<string, { acked: bigint | undefined; inFlight: bigint | undefined }>();
  const result: TortureResult = {
    seed,
    cyclesRun: 0,
    recordChecks: 0,
    recordsVerified: 0,
    commitsAcked: 0,
    offsetChecks: 0,
    killDelaysMs: [],
    topics: [],
  };
  let broker: ChildBroker | undefined;
  const kill = async () => {
    if (!broker || broker.process.exitCode !== null || broker.process.signalCode !== null) return;
    broker.process.kill("SIGKILL");
    await broker.exited;
  };

  try {
    broker = await startChildBroker(dataDir);
    {
      const admin = createClient(AdminService, broker.address);
      try {
        for (const t of topics) {
          await admin.createTopic({
            name: t.name,
            partitions,
            config: t.fsync === "always" ? { fsyncPolicy: FsyncPolicy.ALWAYS } : undefined,
          });
        }
      } finally {
        admin.close();
      }
    }

    for (let cycle = 0; cycle < options.cycles && (cycle === 0 || Date.now() < deadline); cycle++) {
      if (cycle > 0) broker = await startChildBroker(dataDir);
      const b: ChildBroker = broker;
      // Every restart: what was acknowledged before must all be there.
      const verified = await verify(b.address, topics, committed, partitions);
      result.recordChecks += verified.records;
      result.offsetChecks += verified.offsets;

      const produce = createClient(ProduceService, b.address);
      const commit = createClient(CommitService, b.address);
      let stop = false;
      const loops: Array<Promise<void>> = [];
      for (const t of topics) {
        for (let producer = 0; producer < producersPerTopic; producer++) {
          loops.push(
            producerLoop({
              produce,
              topic: t.name,
              partitions,
              random,
              label: `c${cycle}/${t.name}/p${producer}`,
              keyed: true,
              stopped: () => stop,
              onAck: (partition, base, values) => values.forEach((v, i) => t.acked.set(`${partition}:${base + BigInt(i)}`, v)),
            }),
          );
        }
      }
      // A tool's commits (no member id, generation 0), one at a time.
      loops.push(
        (async () => {
          for (let n = 0; !stop; n++) {
            const topic = topics[n % topics.length].name;
            const partition = Math.floor(n / topics.length) % partitions;
            const key = `${topic}/${partition}`;
            const entry = committed.get(key) ?? { acked: undefined, inFlight: undefined };
            committed.set(key, entry);
            const offset = BigInt(cycle * 1_000_000 + n);
            entry.inFlight = offset;
            try {
              await commit.commit({ groupId: group, memberId: "", generation: 0, offsets: [{ topic, partition, offset }] });
            } catch {
              return; // unacknowledged: the broker may or may not have kept it
            }
            entry.acked = offset;
            entry.inFlight = undefined;
            result.commitsAcked++;
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        })(),
      );

      const delay = Math.round(minKillMs + random() * (maxKillMs - minKillMs));
      result.killDelaysMs.push(delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
      await kill();
      stop = true;
      await Promise.all(loops);
      produce.close();
      commit.close();
      result.cyclesRun++;
      log(`cycle ${cycle + 1}: killed after ${delay} ms; acked so far ${topics.map((t) => `${t.name}=${t.acked.size}`).join(" ")}`);
    }

    // The final restart and check.
    broker = await startChildBroker(dataDir);
    const verified = await verify(broker.address, topics, committed, partitions);
    result.recordChecks += verified.records;
    result.offsetChecks += verified.offsets;
    result.recordsVerified = verified.records;
    broker.process.kill("SIGTERM");
    await broker.exited;
    result.topics = topics.map((t) => ({ topic: t.name, fsync: t.fsync, acked: t.acked.size, stored: t.stored }));
    return result;
  } finally {
    await kill();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * Reads every partition from offset 0 to its log end: offsets contiguous, each
 * value stored once, every acknowledged record at its acknowledged offset with
 * its content; then every committed offset is the last acknowledged commit or
 * the one in flight at the kill.
 */
async function verify(
  address: string,
  topics: TopicState[],
  committed: Map<string, { acked: bigint | undefined; inFlight: bigint | undefined }>,
  partitions: number,
): Promise<{ records: number; offsets: number }> {
  const fetch = createClient(FetchService, address);
  const admin = createClient(AdminService, address);
  const commit = createClient(CommitService, address);
  let records = 0;
  let offsets = 0;
  try {
    for (const t of topics) {
      const described = await admin.describeTopic({ name: t.name });
      const seen = new Set<string>();
      let found = 0;
      let stored = 0;
      for (let p = 0; p < partitions; p++) {
        const end = described.topic!.partitions.find((x) => x.partition === p)!.logEndOffset;
        let offset = 0n;
        for (let reads = 0; offset < end; reads++) {
          check(reads < 1_000_000, () => `${t.name}/${p}: the read loop does not advance`);
          const answer = await fetch.fetch({ topic: t.name, partition: p, offset, maxBytes: 1 << 20 });
          check(answer.records.length > 0, () => `${t.name}/${p}: empty read at ${offset} below the log end ${end}`);
          for (const r of answer.records) {
            check(r.offset === offset, () => `${t.name}/${p}: offset ${r.offset} where ${offset} was expected (a gap)`);
            const value = decoder.decode(r.value);
            check(!seen.has(value), () => `${t.name}/${p}: ${value} stored twice (at ${r.offset})`);
            check(value.includes(`/${t.name}/`), () => `${t.name}/${p}: foreign value ${value} at ${r.offset}`);
            seen.add(value);
            const expected = t.acked.get(`${p}:${r.offset}`);
            if (expected !== undefined) {
              check(value === expected, () => `${t.name}/${p}@${r.offset}: ${value}, acknowledged as ${expected}`);
              found++;
            }
            offset++;
            stored++;
          }
        }
        // Nothing acknowledged may lie past the log end.
        for (const key of t.acked.keys()) {
          const [kp, ko] = key.split(":");
          check(Number(kp) !== p || BigInt(ko) < end, () => `${t.name}/${p}: acknowledged offset ${ko} lost (log end ${end}, fsync ${t.fsync})`);
        }
      }
      check(found === t.acked.size, () => `${t.name}: ${t.acked.size - found} acknowledged records missing (fsync ${t.fsync})`);
      records += found;
      t.stored = stored;
    }
    const fetched = await commit.fetchCommitted({ groupId: group });
    const actual = new Map(fetched.offsets.map((o) => [`${o.topic}/${o.partition}`, o.offset]));
    for (const [key, entry] of committed) {
      const got = actual.get(key);
      const allowed = [entry.acked, entry.inFlight].filter((x) => x !== undefined);
      if (allowed.length === 0) continue;
      check(
        (got !== undefined && allowed.includes(got)) || (entry.acked === undefined && got === undefined),
        () => `commit ${key}: broker has ${got}, acknowledged ${entry.acked}, in flight ${entry.inFlight}`,
      );
      // What the broker kept is now the committed value.
      entry.acked = got;
      entry.inFlight = undefined;
      if (got !== undefined) offsets++;
    }
  } finally {
    fetch.close();
    admin.close();
    commit.close();
  }
  return { records, offsets };
}

function argValue(args: string[], name: string): number | undefined {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const value = Number(args[at + 1]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} needs a non-negative number`);
  return value;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes("--power-loss")) {
    const { powerLossMain } = await import("./power-loss.js");
    return powerLossMain(args, argValue);
  }
  const cycles = argValue(args, "--cycles") ?? 20;
  const seconds = argValue(args, "--seconds") ?? 300;
  const seed = argValue(args, "--seed");
  const maxKillMs = argValue(args, "--max-kill-ms");
  const started = Date.now();
  const r = await runTorture({ cycles, seconds, seed, maxKillMs, log: (line) => console.log(line) });
  console.log(`seed ${r.seed}`);
  console.log(`cycles run: ${r.cyclesRun} (kill delays ${r.killDelaysMs.join(", ")} ms)`);
  for (const t of r.topics) console.log(`topic ${t.topic} (fsync ${t.fsync}): ${t.acked} acknowledged, ${t.stored} stored, 0 missing`);
  console.log(`records verified: ${r.recordsVerified} acknowledged records in the final pass; ${r.recordChecks} record checks over ${r.cyclesRun + 1} restarts`);
  console.log(`commits: ${r.commitsAcked} acknowledged; ${r.offsetChecks} committed offsets checked`);
  console.log("fsync interval also lost nothing: kill -9 leaves written bytes with the OS; only a machine crash could lose its last flushIntervalMs.");
  console.log(`OK in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof TortureFailure ? `FAILED: ${err.message}` : err);
    process.exitCode = 1;
  });
}
