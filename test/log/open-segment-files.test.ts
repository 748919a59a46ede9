import fs from "node:fs/promises";
import { readdirSync, readlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Log, OpenSegmentFiles, defaultLogConfig } from "../../services/log/index.js";
import { decode, spansOf } from "../helpers/log-records.js";

/** The descriptors this process holds on `.log` files under `dir` (Linux /proc). */
function openSegmentFds(dir: string): number {
  let count = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir + path.sep) && target.endsWith(".log")) count++;
    } catch {
      // closed between the listing and the readlink
    }
  }
  return count;
}

let dir: string;
const logger = pino({ level: "silent" });
const clock = { nowMs: () => 1_700_000_000_000 };
const opened: Log[] = [];

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "tributary-fds-"));
});
afterEach(async () => {
  for (const log of opened.splice(0)) await log.close();
  await fs.rm(dir, { recursive: true, force: true });
});

/**
 * Issue 14 finding 10: every segment kept its file open, so a client making many
 * small segments used up the process's descriptors.
 */
describe("OpenSegmentFiles", () => {
  const maxOpen = 4;
  const batches = 120;
  const open = async (files: OpenSegmentFiles) => {
    const config = { ...defaultLogConfig, segmentBytes: 1024, indexIntervalBytes: 256 };
    const log = await Log.open({ dir, config, logger, clock, openFiles: files });
    opened.push(log);
    return log;
  };
  const readAll = async (log: Log) => {
    const values: string[] = [];
    for (let offset = 0n; offset < log.highWatermark; ) {
      const data = await log.read(offset, 64 * 1024);
      values.push(...decode(data.chunks).map((r) => r.value!));
      offset = data.nextOffset;
    }
    return values;
  };

  it("keeps only a bounded number of sealed segment files open, reopening them to read", async () => {
    const files = new OpenSegmentFiles(maxOpen);
    const log = await open(files);
    let durable: Promise<void> = Promise.resolve();
    for (let i = 0; i < batches; i++) durable = log.append(spansOf([{ value: `v${i}`.padEnd(600, "x") }])).durable;
    await durable;
    await log.flush();
    expect(log.segmentCount).toBeGreaterThan(100);
    // Sealed files beyond the bound are closed; the active segment keeps its own.
    expect(openSegmentFds(dir)).toBeLessThanOrEqual(maxOpen + 1);
    expect(files.openCount).toBeLessThanOrEqual(maxOpen);

    const expected = Array.from({ length: batches }, (_, i) => `v${i}`.padEnd(600, "x"));
    expect(await readAll(log)).toEqual(expected);
    expect(openSegmentFds(dir)).toBeLessThanOrEqual(maxOpen + 1);

    // Reopened from disk: the loaded sealed segments are bounded too, and still read back.
    await log.close();
    opened.splice(0);
    expect(openSegmentFds(dir)).toBe(0);
    const again = await open(new OpenSegmentFiles(maxOpen));
    expect(openSegmentFds(dir)).toBeLessThanOrEqual(maxOpen + 1);
    expect(await readAll(again)).toEqual(expected);
    expect(await again.offsetForTimestamp(0)).toMatchObject({ offset: 0n });
    expect(openSegmentFds(dir)).toBeLessThanOrEqual(maxOpen + 1);
  });

  it("compacts a log whose sealed files come and go, and reads the newest value per key", async () => {
    const files = new OpenSegmentFiles(2);
    const config = { ...defaultLogConfig, segmentBytes: 1024, indexIntervalBytes: 256, cleanupPolicy: "compact" as const };
    const log = await Log.open({ dir, config, logger, clock, openFiles: files });
    opened.push(log);
    let durable: Promise<void> = Promise.resolve();
    for (let i = 0; i < 60; i++) durable = log.append(spansOf([{ key: `k${i % 5}`, value: `v${i}`.padEnd(300, "x") }])).durable;
    await durable;
    await log.flush();
    const result = await log.compact(clock.nowMs());
    expect(result.recordsRemoved).toBeGreaterThan(0);
    expect(openSegmentFds(dir)).toBeLessThanOrEqual(2 + 1);
    const newest = new Map<string, string>();
    for (let offset = 0n; offset < log.highWatermark; ) {
      const data = await log.read(offset, 64 * 1024);
      for (const r of decode(data.chunks)) newest.set(r.key, r.value!.trimEnd().replace(/x+$/, ""));
      offset = data.nextOffset;
    }
    expect(Object.fromEntries(newest)).toEqual({ k0: "v55", k1: "v56", k2: "v57", k3: "v58", k4: "v59" });
    expect(openSegmentFds(dir)).toBeLessThanOrEqual(2 + 1);
  });

  it("keeps every file open without a bound, as before", async () => {
    const log = await Log.open({ dir, config: { ...defaultLogConfig, segmentBytes: 1024 }, logger, clock });
    opened.push(log);
    let durable: Promise<void> = Promise.resolve();
    for (let i = 0; i < 20; i++) durable = log.append(spansOf([{ value: "x".repeat(600) }])).durable;
    await durable;
    expect(openSegmentFds(dir)).toBe(log.segmentCount);
  });
});
