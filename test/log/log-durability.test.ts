/**
 * Power-loss safety of the log (issue 14, finding 6): the order of durable steps at a
 * roll, and recovery from the on-disk states a power loss can leave (a sealed segment
 * that lost its unsynced tail while a later one survived). The states are built by hand
 * from real files: copied while the log is open (no clean-shutdown marker, as after a
 * kill -9) and then cut or zeroed as lost writes would be.
 */
import fs from "node:fs/promises";
import { watch, type FSWatcher } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Log, defaultLogConfig, type LogConfig } from "../../services/log/index.js";
import { readAll, spansOf, fillEightBatches, spansOfValues, valueBatch } from "../helpers/log-records.js";


let dir: string;
const clock = { nowMs: () => 1_700_000_000_000 };
const logger = pino({ level: "silent" });
const opened: Log[] = [];
const watchers: FSWatcher[] = [];
const fileIn = (at: string, base: number, suffix = ".log"): string => path.join(at, `${String(base).padStart(20, "0")}${suffix}`);

async function open(at: string, overrides: Partial<LogConfig> = {}): Promise<Log> {
  const config = { ...defaultLogConfig, segmentBytes: 2048, indexIntervalBytes: 128, ...overrides };
  const log = await Log.open({ dir: at, config, logger, clock });
  opened.push(log);
  return log;
}


/** The partition's files as a kill -9 leaves them (no clean close), copied to a new directory. */
async function crashCopy(from: string): Promise<string> {
  const to = path.join(dir, `crashed-${Math.random().toString(36).slice(2)}`);
  await fs.mkdir(to);
  for (const name of await fs.readdir(from)) await fs.copyFile(path.join(from, name), path.join(to, name));
  return to;
}

/** Base offsets of the segment files in `at`, ascending. */
async function segmentBases(at: string): Promise<number[]> {
  return (await fs.readdir(at))
    .filter((n) => n.endsWith(".log"))
    .map((n) => Number(n.slice(0, 20)))
    .sort((a, b) => a - b);
}

/** Start positions of the frames in a .log file (baseOffset int64, batchLength int32). */
async function frameStarts(file: string): Promise<number[]> {
  const buf = await fs.readFile(file);
  const starts: number[] = [];
  for (let p = 0; p < buf.length; p += 12 + buf.readInt32LE(p + 8)) starts.push(p);
  return starts;
}

async function values(log: Log): Promise<Array<string | null>> {
  return (await readAll(log, { maxBytes: 300, contiguous: true })).map((r) => r.value);
}

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "tributary-durability-"));
});
afterEach(async () => {
  for (const w of watchers.splice(0)) w.close();
  for (const log of opened.splice(0)) await log.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("Log durability at a roll", () => {
  it("saves the sealed segment's indexes (after its fdatasync) before its successor's file exists", async () => {
    const at = path.join(dir, "p");
    const log = await open(at);
    const events: string[] = [];
    // inotify reports the directory's changes in the order they happened.
    watchers.push(watch(at, (_event, name) => name !== null && events.push(name)));
    log.append(spansOfValues(valueBatch("a", 30)));
    await log.append(spansOfValues(valueBatch("b", 30))).durable; // rolls: the first segment is sealed
    expect(log.segmentCount).toBe(2);
    const successor = path.basename(fileIn(at, 30));
    await vi.waitFor(() => expect(events).toContain(successor));
    const created = events.indexOf(successor);
    expect(events.indexOf(path.basename(fileIn(at, 0, ".index")))).toBeGreaterThanOrEqual(0);
    expect(events.indexOf(path.basename(fileIn(at, 0, ".index")))).toBeLessThan(created);
    expect(events.indexOf(path.basename(fileIn(at, 0, ".timeindex")))).toBeLessThan(created);
    expect(events.indexOf(path.basename(fileIn(at, 0, ".timeindex")))).toBeGreaterThanOrEqual(0);
  });

  it("does no file I/O in the append that rolls: the successor's file appears with the flush", async () => {
    const at = path.join(dir, "p");
    const log = await open(at);
    await log.append(spansOfValues(valueBatch("a", 30))).durable;
    const result = log.append(spansOfValues(valueBatch("b", 30)));
    expect(log.segmentCount).toBe(2);
    await expect(fs.stat(fileIn(at, 30))).rejects.toMatchObject({ code: "ENOENT" });
    await result.durable;
    await expect(fs.stat(fileIn(at, 30))).resolves.toBeDefined();
    expect(await values(log)).toEqual([...valueBatch("a", 30), ...valueBatch("b", 30)]);
  });
});

describe("Log recovery after a power loss", () => {
  it("truncates the log at a sealed segment that lost its tail, removing the later segments", async () => {
    const log = await open(path.join(dir, "p"));
    const all = await fillEightBatches(log);
    const crashed = await crashCopy(path.join(dir, "p"));
    const bases = await segmentBases(crashed);
    expect(bases.length).toBeGreaterThan(2);
    const starts = await frameStarts(fileIn(crashed, bases[1]));
    await fs.truncate(fileIn(crashed, bases[1]), starts[1]); // the second segment kept one batch
    const recovered = await open(crashed);
    const hole = bases[1] + 10;
    expect([recovered.logEndOffset, recovered.highWatermark]).toEqual([BigInt(hole), BigInt(hole)]);
    expect(await values(recovered)).toEqual(all.slice(0, hole));
    expect(await segmentBases(crashed)).toEqual(bases.slice(0, 2));
    expect((await recovered.append(spansOfValues(["after"])).durable, recovered.logEndOffset)).toBe(BigInt(hole + 1));
    await recovered.close();
    opened.splice(opened.indexOf(recovered), 1);
    const again = await open(crashed);
    expect(await values(again)).toEqual([...all.slice(0, hole), "after"]);
  });

  it("truncates at a sealed segment whose tail reads as zeros (the file kept its size, not its data)", async () => {
    const log = await open(path.join(dir, "p"));
    const all = await fillEightBatches(log);
    const crashed = await crashCopy(path.join(dir, "p"));
    const bases = await segmentBases(crashed);
    const file = fileIn(crashed, bases[0]);
    const starts = await frameStarts(file);
    const size = (await fs.stat(file)).size;
    const handle = await fs.open(file, "r+");
    await handle.write(Buffer.alloc(size - starts[2]), 0, size - starts[2], starts[2]);
    await handle.close();
    const recovered = await open(crashed);
    expect(recovered.logEndOffset).toBe(20n);
    expect(await values(recovered)).toEqual(all.slice(0, 20));
    expect(await segmentBases(crashed)).toEqual([0]);
    expect((await fs.stat(file)).size).toBe(starts[2]);
  });

  it("checks a sealed segment with sound indexes against its successor's base offset", async () => {
    // One index entry per segment (at position 0): it stays valid when the file is cut at a frame boundary.
    const config = { indexIntervalBytes: 1 << 20 };
    const log = await open(path.join(dir, "p"), config);
    const all = await fillEightBatches(log);
    const crashed = await crashCopy(path.join(dir, "p"));
    const bases = await segmentBases(crashed);
    const starts = await frameStarts(fileIn(crashed, bases[0]));
    expect(starts.length).toBeGreaterThan(2);
    await fs.truncate(fileIn(crashed, bases[0]), starts[2]);
    const recovered = await open(crashed, config);
    expect(recovered.logEndOffset).toBe(20n);
    expect(await values(recovered)).toEqual(all.slice(0, 20));
    expect(await segmentBases(crashed)).toEqual([0]);
  });

  it("leaves a cleanly closed log whole, and a clean close leaves the marker that open removes", async () => {
    const at = path.join(dir, "p");
    const log = await open(at);
    const all = await fillEightBatches(log);
    await log.close();
    opened.splice(opened.indexOf(log), 1);
    expect(await fs.readdir(at)).toContain("clean-shutdown");
    const reopened = await open(at);
    expect(await fs.readdir(at)).not.toContain("clean-shutdown");
    expect(reopened.logEndOffset).toBe(80n);
    expect(await values(reopened)).toEqual(all);
  });
});
