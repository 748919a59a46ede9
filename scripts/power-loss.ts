/**
 * Power-loss torture: a `tributary serve` child process keeps its data directory on
 * lazyfs (test/helpers/lazyfs: a FUSE file system that keeps unsynced writes and
 * directory entries in memory). Producers append with acks to two topics (fsync
 * `always` and `interval`, small segments so that rolls are frequent), and two readers
 * per partition follow each log with Fetch: one keeps its position in memory, the
 * other in its group's committed offsets (with the epoch) and resumes from them after
 * each restart. After a random delay the broker is SIGKILLed and the unsynced state
 * dropped at once: a power cut. After every restart each partition is read from start
 * to end and checked by the history checker (test/helpers/ack-history.ts), and every
 * record a reader consumed is compared with what the log now holds at its offset.
 *
 * What must hold (docs/storage.md, "Power-loss testing"): `always` loses no
 * acknowledged record; `interval` loses at most a suffix (no hole), acknowledged
 * within about `flushIntervalMs` of the cut (checked when cycles are longer); neither
 * has a gap in its offsets or a changed record at an acknowledged offset; and no reader
 * holds a record that the log now has another record at (`readerDivergent`,
 * `committerDivergent`): when a lost offset is reused, a reader past it must be told
 * (offset reset), not served new data past its position.
 *
 * Run longer: npm run torture -- --power-loss [--cycles N] [--seconds S] [--seed X]
 *   [--max-kill-ms MS] [--segment-bytes B] [--flush-interval-ms MS] [--journal | --strict]
 * (--journal: directory entries become durable at any fsync, as on ext4; --strict: only
 * at an fsync of their directory, as POSIX promises; default: the two in turn.)
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { createClient, type ServiceClient } from "../clients/ts/index.js";
import { AdminService, FsyncPolicy } from "../gen/ts/tributary/v1/admin_pb.js";
import { CommitService } from "../gen/ts/tributary/v1/commit_pb.js";
import { FetchService } from "../gen/ts/tributary/v1/fetch_pb.js";
import { ProduceService } from "../gen/ts/tributary/v1/produce_pb.js";
import { AckHistory, addFigures, emptyFigures, type PartitionFigures, type StoredPartition } from "../test/helpers/ack-history.js";
import { startChildBroker, type ChildBroker } from "../test/helpers/child-broker.js";
import { mountLazyFs, type LazyFsEntries } from "../test/helpers/lazyfs/lazy-fs-mount.js";
import { producerLoop } from "./producer-loop.js";
import { prng } from "./torture.js";

export interface PowerLossOptions {
  cycles: number;
  /** Stop starting new cycles after this many seconds (at least one cycle runs). */
  seconds?: number;
  seed?: number;
  /** Each cycle's time to the cut is drawn uniformly from [minKillMs, maxKillMs]. */
  minKillMs?: number;
  maxKillMs?: number;
  partitions?: number;
  producersPerTopic?: number;
  /** The topics' segment size, in bytes (small: rolls are where holes come from). */
  segmentBytes?: number;
  /** The `interval` topic's fsync period, in ms. */
  flushIntervalMs?: number;
  /** When lazyfs makes directory entries durable (see lazy-fs-mount.ts); `alternate`
   * switches every cycle, starting with journal. Default alternate. */
  entries?: LazyFsEntries | "alternate";
  log?: (line: string) => void;
}

export interface PowerLossTopic {
  readonly topic: string;
  readonly fsync: "always" | "interval";
  /** Summed over its partitions and the run's cuts. */
  readonly figures: PartitionFigures;
  /** Records a reader consumed that the log later held another record at. */
  readerDivergent: number;
  /** Offset resets (truncated) the readers were given: lost offsets detected. */
  readerResets: number;
  /** As `readerDivergent`, for the readers that resume from their group's commits. */
  committerDivergent: number;
  /** As `readerResets`, for the readers that resume from their group's commits. */
  committerResets: number;
  /** Records in the log at the end. */
  stored: number;
}

export interface PowerLossResult {
  seed: number;
  /** The `interval` topic's fsync period, in ms. */
  flushIntervalMs: number;
  cyclesRun: number;
  killDelaysMs: number[];
  topics: PowerLossTopic[];
  /** Reads that could not go on (a partition unreadable from some offset). */
  problems: string[];
}

/** How late after its period the `interval` fsync may complete (timer, fsync time). */
const intervalSlackMs = 1000;

/** The promises of docs/storage.md that a run broke, one line each (empty: all held). */
export function brokenPromises(result: PowerLossResult): string[] {
  const broken: string[] = [...result.problems];
  for (const t of result.topics) {
    const f = t.figures;
    if (t.fsync === "always" && f.lost > 0) broken.push(`${t.topic}: ${f.lost} acknowledged records lost under fsync always`);
    if (t.fsync === "interval" && f.maxLostAgeMs > result.flushIntervalMs + intervalSlackMs) {
      broken.push(`${t.topic}: lost a record acknowledged ${f.maxLostAgeMs} ms before the cut (fsync every ${result.flushIntervalMs} ms)`);
    }
    if (f.holes > 0) broken.push(`${t.topic}: ${f.holes} lost acknowledged records below a surviving one (holes)`);
    if (f.skipped > 0) broken.push(`${t.topic}: ${f.skipped} offsets missing inside the log (gaps)`);
    if (f.mismatched > 0) broken.push(`${t.topic}: ${f.mismatched} acknowledged offsets holding another record`);
    if (t.readerDivergent > 0) broken.push(`${t.topic}: readers hold ${t.readerDivergent} records the log now has others at (offsets reused silently)`);
    if (t.committerDivergent > 0) {
      broken.push(`${t.topic}: readers resuming from group commits hold ${t.committerDivergent} records the log now has others at (offsets reused silently)`);
    }
  }
  return broken;
}

interface Reader {
  /** Set for a reader that commits its position (with the epoch) and resumes from it. */
  readonly group?: string;
  position: number;
  /** The leader epoch of the record at `position` - 1, as the broker gave it (KIP-320). */
  lastEpoch: number | undefined;
  /** offset -> value, as consumed. */
  readonly consumed: Map<number, string>;
}

interface TopicState {
  readonly result: PowerLossTopic;
  readonly histories: AckHistory[];
  /** Per partition: the reader that keeps its position in memory. */
  readonly readers: Reader[];
  /** Per partition: the reader that keeps it in its group's commits. */
  readonly committers: Reader[];
}

const decoder = new TextDecoder();
const outOfRange = 11; // grpc status OUT_OF_RANGE

export async function runPowerLoss(options: PowerLossOptions): Promise<PowerLossResult> {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = prng(seed);
  const log = options.log ?? (() => undefined);
  const partitions = options.partitions ?? 2;
  const producersPerTopic = options.producersPerTopic ?? 2;
  const minKillMs = options.minKillMs ?? 100;
  const maxKillMs = Math.max(minKillMs, options.maxKillMs ?? 1500);
  const segmentBytes = options.segmentBytes ?? 16 * 1024;
  const flushIntervalMs = options.flushIntervalMs ?? 1000;
  const deadline = Date.now() + (options.seconds ?? Infinity) * 1000;
  const topics: TopicState[] = (["always", "interval"] as const).map((fsync) => ({
    result: { topic: `power-${fsync}`, fsync, figures: emptyFigures(), readerDivergent: 0, readerResets: 0, committerDivergent: 0, committerResets: 0, stored: 0 },
    histories: Array.from({ length: partitions }, () => new AckHistory()),
    readers: Array.from({ length: partitions }, (): Reader => ({ position: 0, lastEpoch: undefined, consumed: new Map() })),
    committers: Array.from({ length: partitions }, (): Reader => ({ group: `power-${fsync}-readers`, position: 0, lastEpoch: undefined, consumed: new Map() })),
  }));
  const result: PowerLossResult = { seed, flushIntervalMs, cyclesRun: 0, killDelaysMs: [], topics: [], problems: [] };

  const entries = options.entries ?? "alternate";
  const fs = await mountLazyFs();
  let broker: ChildBroker | undefined;
  const kill = async () => {
    if (!broker || broker.process.exitCode !== null || broker.process.signalCode !== null) return;
    broker.process.kill("SIGKILL");
    await broker.exited;
  };
  try {
    // The data directory itself must survive a cut: a real one exists before the broker.
    const dataDir = join(fs.mountpoint, "data");
    await mkdir(dataDir);
    await fs.sync();
    broker = await startChildBroker(dataDir, ["--min-segment-bytes", String(segmentBytes)]);
    const admin = createClient(AdminService, broker.address);
    try {
      for (const { result: t } of topics) {
        await admin.createTopic({
          name: t.topic,
          partitions,
          config: {
            fsyncPolicy: t.fsync === "always" ? FsyncPolicy.ALWAYS : FsyncPolicy.INTERVAL,
            segmentBytes: BigInt(segmentBytes),
            flushIntervalMs: BigInt(flushIntervalMs),
          },
        });
      }
    } finally {
      admin.close();
    }

    for (let cycle = 0; cycle < options.cycles && (cycle === 0 || Date.now() < deadline); cycle++) {
      const b: ChildBroker = broker;
      const model: LazyFsEntries = entries !== "alternate" ? entries : cycle % 2 === 0 ? "journal" : "strict";
      await fs.setEntries(model);
      const cycleStarted = Date.now();
      const produce = createClient(ProduceService, b.address);
      const fetch = createClient(FetchService, b.address);
      const commit = createClient(CommitService, b.address);
      await resumeFromCommits(commit, topics);
      let stop = false;
      const loops: Array<Promise<void>> = [];
      for (const t of topics) {
        for (let producer = 0; producer < producersPerTopic; producer++) {
          loops.push(
            producerLoop({
              produce,
              topic: t.result.topic,
              partitions,
              random,
              label: `c${cycle}/${t.result.topic}/p${producer}`,
              stopped: () => stop,
              onAck: (partition, base, values) => {
                const at = Date.now();
                values.forEach((v, i) => t.histories[partition].acked(Number(base) + i, v, at));
              },
            }),
          );
        }
        for (let partition = 0; partition < partitions; partition++) {
          loops.push(follow(fetch, commit, t, partition, t.readers[partition], () => stop));
          loops.push(follow(fetch, commit, t, partition, t.committers[partition], () => stop));
        }
      }

      const delay = Math.round(minKillMs + random() * (maxKillMs - minKillMs));
      result.killDelaysMs.push(delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
      // The cut: the process dies, then what it did not make durable is gone.
      await kill();
      const cutAtMs = Date.now();
      await fs.drop();
      stop = true;
      await Promise.all(loops);
      produce.close();
      fetch.close();
      commit.close();
      result.cyclesRun++;

      // The restart after the cut: checked, then the next cycle's broker.
      broker = await startChildBroker(dataDir, ["--min-segment-bytes", String(segmentBytes)]);
      const lines = await checkAfterCut(broker.address, topics, partitions, cutAtMs, result.problems);
      log(`cycle ${cycle + 1} (entries ${model}): cut after ${delay} ms; ${lines.join("; ")}; ${Date.now() - cycleStarted} ms`);
    }
    broker.process.kill("SIGTERM");
    await broker.exited;
    if (fs.errors() !== "") result.problems.push(`lazyfs failed inside its model: ${fs.errors()}`);
    for (const t of topics) for (const h of t.histories) addFigures(t.result.figures, h.figures);
    result.topics = topics.map((t) => t.result);
    return result;
  } finally {
    await kill();
    await fs.unmount();
  }
}

/** Reads every partition whole and checks it against the history and the readers. */
async function checkAfterCut(address: string, topics: TopicState[], partitions: number, cutAtMs: number, problems: string[]): Promise<string[]> {
  const admin = createClient(AdminService, address);
  const fetch = createClient(FetchService, address);
  const lines: string[] = [];
  try {
    for (const t of topics) {
      const described = await admin.describeTopic({ name: t.result.topic });
      const cut = emptyFigures();
      let stored = 0;
      for (let p = 0; p < partitions; p++) {
        const info = described.topic!.partitions.find((x) => x.partition === p)!;
        const partition = await readPartition(fetch, t.result.topic, p, Number(info.logStartOffset), Number(info.logEndOffset), problems);
        stored += partition.records.size;
        addFigures(cut, t.histories[p].afterCut(partition, cutAtMs));
        t.result.readerDivergent += divergent(t.readers[p], partition);
        t.result.committerDivergent += divergent(t.committers[p], partition);
      }
      t.result.stored = stored;
      lines.push(`${t.result.topic}: ${stored} stored, lost ${cut.lost} (holes ${cut.holes}), gaps ${cut.skipped}, mismatched ${cut.mismatched}`);
    }
  } finally {
    admin.close();
    fetch.close();
  }
  return lines;
}

async function readPartition(
  fetch: FetchClient,
  topic: string,
  partition: number,
  logStartOffset: number,
  logEndOffset: number,
  problems: string[],
): Promise<StoredPartition> {
  const records = new Map<number, string>();
  let offset = logStartOffset;
  while (offset < logEndOffset) {
    const answer = await fetch.fetch({ topic, partition, offset: BigInt(offset), maxBytes: 1 << 20 });
    if (answer.records.length === 0) {
      const next = Number(answer.nextOffset);
      if (next > offset) {
        offset = next; // the log skips offsets here: the checker counts them
        continue;
      }
      problems.push(`${topic}/${partition}: empty read at ${offset} below the log end ${logEndOffset}`);
      break;
    }
    for (const r of answer.records) records.set(Number(r.offset), decoder.decode(r.value));
    offset = Number(answer.records[answer.records.length - 1].offset) + 1;
  }
  return { records, logStartOffset, logEndOffset };
}

/** `npm run torture -- --power-loss ...`: prints the figures; exit code 1 if a promise broke. */
export async function powerLossMain(args: string[], argValue: (args: string[], name: string) => number | undefined): Promise<void> {
  const started = Date.now();
  const r = await runPowerLoss({
    cycles: argValue(args, "--cycles") ?? 20,
    seconds: argValue(args, "--seconds") ?? 600,
    seed: argValue(args, "--seed"),
    maxKillMs: argValue(args, "--max-kill-ms"),
    segmentBytes: argValue(args, "--segment-bytes"),
    flushIntervalMs: argValue(args, "--flush-interval-ms"),
    entries: args.includes("--journal") ? "journal" : args.includes("--strict") ? "strict" : "alternate",
    log: (line) => console.log(line),
  });
  console.log(`seed ${r.seed}`);
  console.log(`cycles (power cuts): ${r.cyclesRun}; cut after ${r.killDelaysMs.join(", ")} ms`);
  for (const t of r.topics) {
    const f = t.figures;
    console.log(
      `topic ${t.topic} (fsync ${t.fsync}): ${f.acked} acknowledged, ${f.lost} lost (oldest ${f.maxLostAgeMs} ms before the cut), ` +
        `${f.holes} holes, ${f.skipped} offsets skipped, ${f.mismatched} mismatched, ${f.reused} reused offsets, ` +
        `${t.readerDivergent} read by a reader then replaced silently (${t.readerResets} reader resets), ` +
        `${t.committerDivergent} by a reader resuming from commits (${t.committerResets} resets); ${t.stored} stored at the end`,
    );
  }
  const broken = brokenPromises(r);
  for (const line of broken) console.log(`BROKEN: ${line}`);
  console.log(`${broken.length === 0 ? "OK" : "FAILED"} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (broken.length > 0) process.exitCode = 1;
}

type FetchClient = ServiceClient<typeof FetchService.method>;
type CommitClient = ServiceClient<typeof CommitService.method>;

/**
 * One reader's loop until `stopped()` or the broker dies: Fetch from its position with
 * the epoch of the last record it read (KIP-320); on a truncated offset reset, forget
 * what it read from the reset offset on and read again. A reader with a group commits
 * its position and epoch after each answer.
 */
async function follow(fetch: FetchClient, commit: CommitClient, t: TopicState, partition: number, reader: Reader, stopped: () => boolean): Promise<void> {
  const topic = t.result.topic;
  while (!stopped()) {
    let answer;
    try {
      answer = await fetch.fetch({ topic, partition, offset: BigInt(reader.position), lastFetchedEpoch: reader.lastEpoch, maxWaitMs: 200, maxBytes: 256 * 1024 });
    } catch (err) {
      if ((err as { code?: number }).code !== outOfRange) return; // the broker died
      // Past the log end (records lost in a cut): a reader with no other information
      // waits there for the log to grow back.
      await new Promise((resolve) => setTimeout(resolve, 20));
      continue;
    }
    if (answer.offsetReset?.truncated) {
      if (reader.group === undefined) t.result.readerResets++;
      else t.result.committerResets++;
      reader.position = Number(answer.offsetReset.resetOffset);
      for (const offset of reader.consumed.keys()) if (offset >= reader.position) reader.consumed.delete(offset);
      reader.lastEpoch = answer.leaderEpoch;
    } else {
      // A reader that resumed from an older commit reads some offsets again: what it
      // reads now is what it processed last.
      for (const r of answer.records) {
        reader.consumed.set(Number(r.offset), decoder.decode(r.value));
        reader.position = Number(r.offset) + 1;
      }
      if (answer.records.length === 0) continue;
      reader.lastEpoch = answer.leaderEpoch;
    }
    if (reader.group === undefined) continue;
    try {
      await commit.commit({
        groupId: reader.group,
        memberId: "",
        generation: 0,
        offsets: [{ topic, partition, offset: BigInt(reader.position), leaderEpoch: reader.lastEpoch }],
      });
    } catch {
      return; // the broker died: the commit may or may not have been kept
    }
  }
}

/** The committing readers start each cycle where their group's commits say (with the
 * committed epoch), or at 0 when the group has none: not where they were. What they
 * read from there on they will read again (a commit lost in the cut is older), so it
 * no longer counts as consumed. */
async function resumeFromCommits(commit: CommitClient, topics: TopicState[]): Promise<void> {
  for (const t of topics) {
    const group = t.committers[0].group!;
    const { offsets } = await commit.fetchCommitted({ groupId: group, topic: t.result.topic });
    t.committers.forEach((reader, partition) => {
      const committed = offsets.find((o) => o.partition === partition);
      reader.position = committed === undefined ? 0 : Number(committed.offset);
      reader.lastEpoch = committed?.leaderEpoch;
      for (const offset of reader.consumed.keys()) if (offset >= reader.position) reader.consumed.delete(offset);
    });
  }
}

/** Records the reader consumed at offsets the log now holds other records at (each
 * counted once: the reader's view is then set to the log's). */
function divergent(reader: Reader, stored: StoredPartition): number {
  let count = 0;
  for (const [offset, value] of reader.consumed) {
    const now = stored.records.get(offset);
    if (now !== undefined && now !== value) {
      count++;
      reader.consumed.set(offset, now);
    }
  }
  return count;
}
