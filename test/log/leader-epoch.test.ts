/**
 * Leader epochs of a single log (issue 14, finding 7): a new epoch on every start after
 * an unclean shutdown, the checkpoint cut with the log, rebuilt from the frames when
 * missing, and endOffsetForEpoch telling a reader whose records were truncated away.
 * Unclean shutdowns are built from real files: the log's directory copied while it is
 * open (no clean-shutdown marker, as after kill -9), then cut as a power loss would.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Log, defaultLogConfig, type LogConfig, type RecordSpans } from "../../services/log/index.js";
import { LeaderEpochCache } from "../../services/log/leader-epoch-cache.js";
import { readAll, spansOf } from "../helpers/log-records.js";

const spansOfValues = (values: string[]): RecordSpans => spansOf(values.map((value) => ({ value })));
const batch = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`.padEnd(30, "."));

let dir: string;
const clock = { nowMs: () => 1_700_000_000_000 };
const logger = pino({ level: "silent" });
const opened: Log[] = [];

async function open(at: string, overrides: Partial<LogConfig> = {}): Promise<Log> {
  const config = { ...defaultLogConfig, segmentBytes: 2048, indexIntervalBytes: 128, ...overrides };
  const log = await Log.open({ dir: at, config, logger, clock });
  opened.push(log);
  return log;
}

async function close(log: Log): Promise<void> {
  opened.splice(opened.indexOf(log), 1);
  await log.close();
}

async function append(log: Log, prefix: string, batches: number): Promise<void> {
  for (let i = 0; i < batches; i++) log.append(spansOfValues(batch(`${prefix}${i}`, 10)));
  await log.flush();
}

/** The directory as a kill -9 leaves it, copied; the original log stays open (closed by afterEach). */
async function crashCopy(from: string): Promise<string> {
  const to = path.join(dir, `crashed-${Math.random().toString(36).slice(2)}`);
  await fs.mkdir(to);
  for (const name of await fs.readdir(from)) await fs.copyFile(path.join(from, name), path.join(to, name));
  return to;
}

/** Cuts the last segment of `at` so that the log ends at `offset` (a multiple of 10: batches of 10). */
async function loseTailFrom(at: string, offset: number): Promise<void> {
  const bases = (await fs.readdir(at)).filter((n) => n.endsWith(".log")).map((n) => Number(n.slice(0, 20))).sort((a, b) => a - b);
  for (const base of bases.filter((b) => b >= offset && b > bases[0])) await fs.rm(path.join(at, `${String(base).padStart(20, "0")}.log`));
  const base = bases.filter((b) => b < offset || b === bases[0]).pop() as number;
  const file = path.join(at, `${String(base).padStart(20, "0")}.log`);
  const buf = await fs.readFile(file);
  let p = 0;
  while (p < buf.length && Number(buf.readBigInt64LE(p)) < offset) p += 12 + buf.readInt32LE(p + 8);
  await fs.truncate(file, p);
}

/** The leaderEpoch header field of every frame in `at`'s segments, by base offset. */
async function frameEpochs(at: string): Promise<Array<[number, number]>> {
  const out: Array<[number, number]> = [];
  for (const name of (await fs.readdir(at)).filter((n) => n.endsWith(".log")).sort()) {
    const buf = await fs.readFile(path.join(at, name));
    for (let p = 0; p < buf.length; p += 12 + buf.readInt32LE(p + 8)) out.push([Number(buf.readBigInt64LE(p)), buf.readInt32LE(p + 12)]);
  }
  return out;
}

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "tributary-epochs-"));
});
afterEach(async () => {
  for (const log of opened.splice(0)) await log.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("Log leader epochs", () => {
  it("stays at epoch 0 across clean restarts and writes the checkpoint", async () => {
    const at = path.join(dir, "p");
    let log = await open(at);
    await append(log, "a", 3);
    await close(log);
    log = await open(at);
    expect(log.leaderEpoch).toBe(0);
    expect(log.leaderEpochs()).toEqual([{ epoch: 0, startOffset: 0 }]);
    expect(await fs.readFile(path.join(at, "leader-epoch-checkpoint"), "utf8")).toBe("0\n1\n0 0\n");
    expect(log.endOffsetForEpoch(0)).toEqual({ epoch: 0, endOffset: 30n });
  });

  it("starts a new epoch after an unclean shutdown and stamps it on new frames", async () => {
    const log = await open(path.join(dir, "p"));
    await append(log, "a", 5);
    const crashed = await crashCopy(path.join(dir, "p"));
    const restarted = await open(crashed);
    expect(restarted.leaderEpoch).toBe(1);
    expect(restarted.leaderEpochs()).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 1, startOffset: 50 }]);
    await append(restarted, "b", 2);
    expect((await frameEpochs(crashed)).map(([, e]) => e)).toEqual([0, 0, 0, 0, 0, 1, 1]);
    expect(restarted.endOffsetForEpoch(0)).toEqual({ epoch: 0, endOffset: 50n });
    expect(restarted.endOffsetForEpoch(1)).toEqual({ epoch: 1, endOffset: 70n });
    expect(restarted.epochForOffset(49n)).toBe(0);
    expect(restarted.epochForOffset(50n)).toBe(1);
  });

  it("ends the old epoch at the truncation point when the tail was lost, so reused offsets are detectable", async () => {
    const log = await open(path.join(dir, "p"));
    await append(log, "a", 8); // offsets 0..79, read by someone up to 80 at epoch 0
    const crashed = await crashCopy(path.join(dir, "p"));
    await loseTailFrom(crashed, 50);
    const restarted = await open(crashed);
    expect(restarted.logEndOffset).toBe(50n);
    await append(restarted, "new", 4); // offsets 50..89 now hold other records
    const end = restarted.endOffsetForEpoch(0);
    expect(end).toEqual({ epoch: 0, endOffset: 50n });
    // A reader at offset 80 whose last record had epoch 0 is past the end of its history.
    expect(80n > end.endOffset).toBe(true);
    // One at 40 is not.
    expect(40n <= end.endOffset).toBe(true);
    expect((await readAll(restarted, { from: 50n, maxBytes: 1000 })).map((r) => r.value)).toEqual([
      ...batch("new0", 10),
      ...batch("new1", 10),
      ...batch("new2", 10),
      ...batch("new3", 10),
    ]);
  });

  it("never reuses an epoch whose records were all lost", async () => {
    const log = await open(path.join(dir, "p"));
    await append(log, "a", 5);
    const first = await crashCopy(path.join(dir, "p"));
    const epoch1 = await open(first);
    await append(epoch1, "b", 2); // epoch 1 at 50..69
    const second = await crashCopy(first);
    await loseTailFrom(second, 50); // every record of epoch 1 lost
    const epoch2 = await open(second);
    expect(epoch2.leaderEpoch).toBe(2);
    expect(epoch2.leaderEpochs()).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 2, startOffset: 50 }]);
    // A reader that consumed epoch 1's record 69 learns its history ended at 50.
    expect(epoch2.endOffsetForEpoch(1)).toEqual({ epoch: 0, endOffset: 50n });
  });

  it("rebuilds a missing or damaged checkpoint from the frames' epochs", async () => {
    const log = await open(path.join(dir, "p"));
    await append(log, "a", 5);
    const crashed = await crashCopy(path.join(dir, "p"));
    let restarted = await open(crashed);
    await append(restarted, "b", 3);
    await close(restarted);
    await fs.rm(path.join(crashed, "leader-epoch-checkpoint"));
    restarted = await open(crashed);
    expect(restarted.leaderEpochs()).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 1, startOffset: 50 }]);
    expect(restarted.leaderEpoch).toBe(1);
    await close(restarted);
    await fs.writeFile(path.join(crashed, "leader-epoch-checkpoint"), "0\n2\n1 50\n0 0\n"); // not increasing
    restarted = await open(crashed);
    expect(restarted.leaderEpochs()).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 1, startOffset: 50 }]);
  });
});

describe("LeaderEpochCache.endOffsetFor", () => {
  it("answers the largest epoch at or below the one asked and where it ended", async () => {
    const cache = LeaderEpochCache.empty(dir);
    cache.assign(0, 0);
    cache.assign(2, 100);
    cache.assign(5, 250);
    expect(cache.endOffsetFor(0, 300)).toEqual({ epoch: 0, endOffset: 100 });
    expect(cache.endOffsetFor(1, 300)).toEqual({ epoch: 0, endOffset: 100 });
    expect(cache.endOffsetFor(3, 300)).toEqual({ epoch: 2, endOffset: 250 });
    expect(cache.endOffsetFor(5, 300)).toEqual({ epoch: 5, endOffset: 300 });
    expect(cache.endOffsetFor(6, 300)).toEqual({ epoch: -1, endOffset: -1 });
    expect(cache.endOffsetFor(-1, 300)).toEqual({ epoch: -1, endOffset: -1 });
    expect([cache.epochForOffset(99), cache.epochForOffset(100), cache.epochForOffset(1000)]).toEqual([0, 2, 5]);
    cache.truncateFromEnd(200);
    expect(cache.toArray()).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 2, startOffset: 100 }]);
  });
});
