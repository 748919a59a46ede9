import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { InvalidArgumentError, OffsetOutOfRangeError, OutOfOrderSequenceError, UnavailableError } from "../../services/errors.js";
import { Log, defaultLogConfig, type FetchData, type LogConfig } from "../../services/log/index.js";
import { decode, spansOf, type StoredRecord, type TestRecord } from "../helpers/log-records.js";

// --- helpers ---

const values = (n: number, prefix = "v", size = 0): TestRecord[] =>
  Array.from({ length: n }, (_, i) => ({ value: `${prefix}${i}`.padEnd(size, "x") }));

function expectContiguous(fetched: FetchData, from: bigint): StoredRecord[] {
  const records = decode(fetched.chunks);
  expect(records.length).toBe(fetched.recordCount);
  expect(fetched.bytes).toBe(fetched.chunks.reduce((n, c) => n + c.length, 0));
  records.forEach((r, i) => expect(BigInt(r.offset)).toBe(from + BigInt(i)));
  expect(fetched.nextOffset).toBe(from + BigInt(records.length));
  return records;
}

// --- fixture ---

let dir: string;
let now: number;
const clock = { nowMs: () => now };
const logger = pino({ level: "silent" });
const opened: Log[] = [];

function config(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...defaultLogConfig, indexIntervalBytes: 256, ...overrides };
}
async function open(overrides: Partial<LogConfig> = {}): Promise<Log> {
  const log = await Log.open({ dir, config: config(overrides), logger, clock });
  opened.push(log);
  return log;
}
async function appendAll(log: Log, batches: TestRecord[][]): Promise<void> {
  let durable: Promise<void> = Promise.resolve();
  for (const b of batches) durable = log.append(spansOf(b)).durable;
  await durable;
}

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "tributary-log-"));
  now = 1_700_000_000_000;
});
afterEach(async () => {
  for (const log of opened.splice(0)) await log.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("Log", () => {
  it("assigns contiguous offsets and reads back offsets, timestamps, keys and values", async () => {
    const log = await open();
    const first = log.append(spansOf([{ value: "a", key: "k1" }, { value: "b", timestampMs: 1234 }]));
    expect(first).toMatchObject({ baseOffset: 0n, lastOffset: 1n, logAppendTimeMs: now, duplicate: false });
    now += 5;
    const second = log.append(spansOf([{ value: "c" }]));
    expect(second.baseOffset).toBe(2n);
    await second.durable;
    expect(log.highWatermark).toBe(3n);
    const fetched = await log.read(0n, 1 << 20);
    expect(expectContiguous(fetched, 0n)).toEqual([
      { offset: 0, timestampMs: now - 5, key: "k1", value: "a" },
      { offset: 1, timestampMs: 1234, key: "", value: "b" },
      { offset: 2, timestampMs: now, key: "", value: "c" },
    ]);
    expect(fetched).toMatchObject({ firstOffset: 0n, highWatermark: 3n, logStartOffset: 0n });
  });

  it("reads from the middle of a batch, from memory and from the file", async () => {
    const log = await open({ segmentBytes: 4096 });
    await appendAll(log, [values(50, "a", 40), values(50, "b", 40), values(50, "c", 40)]);
    expect(log.segmentCount).toBe(3); // the first batches are read from sealed files
    for (const offset of [7n, 50n, 73n, 149n]) {
      const records = expectContiguous(await log.read(offset, 1 << 20), offset);
      expect(records[0].value?.replace(/x+$/, "")).toBe(`${"abc"[Math.floor(Number(offset) / 50)]}${Number(offset) % 50}`);
    }
  });

  it("bounds a read by maxBytes but always returns at least one record", async () => {
    const log = await open();
    await appendAll(log, [values(20, "r", 100)]);
    const one = await log.read(3n, 10);
    expect(one.recordCount).toBe(1);
    expect(one.bytes).toBeGreaterThan(10);
    const some = await log.read(3n, 500);
    expect(some.recordCount).toBe(Math.floor(500 / one.bytes));
    expect(some.bytes).toBeLessThanOrEqual(500);
    expectContiguous(some, 3n);
  });

  it("returns nothing at the high watermark and rejects offsets outside the log", async () => {
    const log = await open();
    await appendAll(log, [values(3)]);
    const empty = await log.read(3n, 1000);
    expect(empty).toMatchObject({ recordCount: 0, bytes: 0, chunks: [], firstOffset: 3n, nextOffset: 3n });
    await expect(log.read(4n, 1000)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    await expect(log.read(-1n, 1000)).rejects.toMatchObject({ reason: "OFFSET_OUT_OF_RANGE" });
  });

  it("hides records until they are handed to the OS and then wakes high watermark listeners", async () => {
    const log = await open();
    const seen: bigint[] = [];
    const unsubscribe = log.onHighWatermark(() => seen.push(log.highWatermark));
    const result = log.append(spansOf(values(4)));
    expect(log.logEndOffset).toBe(4n);
    expect(log.highWatermark).toBe(0n);
    expect((await log.read(0n, 1000)).recordCount).toBe(0);
    await vi.waitFor(() => expect(seen).toEqual([4n]));
    await result.durable;
    unsubscribe();
    await appendAll(log, [values(1)]);
    expect(seen).toEqual([4n]);
  });

  it("acks fsyncPolicy always only after the bytes are in the file, sharing one flush per tick", async () => {
    const log = await open({ fsyncPolicy: "always" });
    const a = log.append(spansOf(values(10)));
    const b = log.append(spansOf(values(10)));
    await Promise.all([a.durable, b.durable]);
    expect(log.highWatermark).toBe(20n);
    const file = await fs.readFile(path.join(dir, "00000000000000000000.log"));
    expect(file.length).toBe(log.sizeBytes);
    expect(decode((await log.read(0n, 1 << 20)).chunks)).toHaveLength(20);
  });

  it("never changes chunks it handed out, even when the tail buffer fills up", async () => {
    const log = await open();
    await appendAll(log, [values(10, "x", 50)]);
    const fetched = await log.read(5n, 1 << 20);
    const copies = fetched.chunks.map((c) => Buffer.from(c));
    for (let i = 0; i < 40; i++) log.append(spansOf(values(100, `y${i}-`, 100)));
    await log.flush();
    fetched.chunks.forEach((c, i) => expect(c.equals(copies[i])).toBe(true));
    expectContiguous(await log.read(900n, 1 << 20), 900n);
  });

  it("lets an idle partition's tail buffer go, then reads from the file and appends into a new one", async () => {
    const log = await open();
    await appendAll(log, [values(50, "a", 100)]);
    const held = (await log.read(10n, 1 << 20)).chunks.map((c) => Buffer.from(c));
    const active = (log as unknown as { active: { dropIdleTail(): boolean; tailBuffer: Buffer | null } }).active;
    expect(active.dropIdleTail()).toBe(false); // the first check only notes the size
    log.append(spansOf(values(5, "b", 100)));
    expect(active.dropIdleTail()).toBe(false); // appended since (and not yet written)
    await log.flush();
    expect(active.dropIdleTail()).toBe(true); // no append since the previous check, all written: dropped
    expect(active.tailBuffer).toBeNull();
    const fromFile = await log.read(10n, 1 << 20);
    expect(Buffer.concat(fromFile.chunks).subarray(0, Buffer.concat(held).length).equals(Buffer.concat(held))).toBe(true);
    expectContiguous(fromFile, 10n);
    await appendAll(log, [values(5, "c", 100)]);
    expectContiguous(await log.read(50n, 1 << 20), 50n);
    expect((await log.read(59n, 1 << 20)).recordCount).toBe(1);
  });

  it("rolls a segment before an append that would exceed segmentBytes", async () => {
    const log = await open({ segmentBytes: 2000 });
    await appendAll(log, [values(10, "a", 100)]);
    expect(log.segmentCount).toBe(1);
    await appendAll(log, [values(10, "b", 100)]);
    expect(log.segmentCount).toBe(2);
    const names = (await fs.readdir(dir)).filter((n) => n.endsWith(".log")).sort();
    expect(names).toEqual(["00000000000000000000.log", "00000000000000000010.log"]);
    expectContiguous(await log.read(0n, 1 << 20), 0n);
    expectContiguous(await log.read(10n, 1 << 20), 10n);
  });

  it("rolls a segment once its first append is segmentMs old", async () => {
    const log = await open({ segmentMs: 60_000 });
    await appendAll(log, [values(1)]);
    now += 59_999;
    await appendAll(log, [values(1)]);
    expect(log.segmentCount).toBe(1);
    now += 1;
    await appendAll(log, [values(1)]);
    expect(log.segmentCount).toBe(2);
  });

  it("deletes segments older than retentionMs, rolling the active one when all expired", async () => {
    const log = await open({ segmentBytes: 1500, retentionMs: 10_000 });
    await appendAll(log, [values(10, "a", 100)]);
    now += 5_000;
    await appendAll(log, [values(10, "b", 100)]);
    now += 5_000;
    await appendAll(log, [values(10, "c", 100)]);
    expect(log.segmentCount).toBe(3);
    expect(await log.applyRetention(now + 1)).toBe(1); // only the first is older than 10 s
    expect(log.logStartOffset).toBe(10n);
    await expect(log.read(0n, 100)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    expect(await log.applyRetention(now + 10_001)).toBe(2);
    expect(log.segmentCount).toBe(1);
    expect(log.logStartOffset).toBe(30n);
    expect(log.append(spansOf(values(1))).baseOffset).toBe(30n);
  });

  it("deletes the oldest sealed segments while the log exceeds retentionBytes", async () => {
    const log = await open({ segmentBytes: 1500, retentionBytes: 2500 });
    for (const p of ["a", "b", "c", "d"]) await appendAll(log, [values(10, p, 100)]);
    expect(log.segmentCount).toBe(4);
    const perSegment = log.sizeBytes / 4; // equal records, equal segments
    // Kafka's rule: delete a segment only if the log stays at or above retentionBytes.
    const expected = Math.floor((log.sizeBytes - 2500) / perSegment);
    expect(await log.applyRetention(now)).toBe(expected);
    expect(log.sizeBytes).toBeGreaterThanOrEqual(2500);
    expect(log.sizeBytes - perSegment).toBeLessThan(2500);
    expect(log.logStartOffset).toBe(BigInt(40 - 10 * log.segmentCount));
    await log.close();
    const tiny = await open({ segmentBytes: 1500, retentionBytes: 0 });
    const sealed = tiny.segmentCount - 1;
    expect(await tiny.applyRetention(now)).toBe(sealed);
    expect(await tiny.applyRetention(now)).toBe(0); // never the active segment
    expect(tiny.segmentCount).toBe(1);
  });

  it("advances logStartOffset with deleteRecordsBefore, deletes whole segments, and keeps it across reopen", async () => {
    let log = await open({ segmentBytes: 1500 });
    for (const p of ["a", "b", "c"]) await appendAll(log, [values(10, p, 100)]);
    await expect(log.deleteRecordsBefore(31n)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    expect(await log.deleteRecordsBefore(15n)).toBe(15n);
    expect(log.segmentCount).toBe(2);
    expect(await log.deleteRecordsBefore(3n)).toBe(15n);
    await expect(log.read(14n, 100)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    expectContiguous(await log.read(15n, 100), 15n);
    await log.close();
    log = await open({ segmentBytes: 1500 });
    expect(log.logStartOffset).toBe(15n);
    expect(log.logEndOffset).toBe(30n);
  });

  it("answers an idempotent retry with the original offsets and rejects an old sequence", async () => {
    const log = await open();
    const producerId = 42n;
    const first = log.append(spansOf(values(3)), { producerId, sequence: 0n });
    log.append(spansOf(values(2)), { producerId: 7n, sequence: 0n });
    const retry = log.append(spansOf(values(3)), { producerId, sequence: 0n });
    expect(retry).toMatchObject({ baseOffset: 0n, lastOffset: 2n, duplicate: true, logAppendTimeMs: first.logAppendTimeMs });
    await retry.durable;
    expect(log.highWatermark).toBe(5n);
    expect(log.append(spansOf(values(1)), { producerId, sequence: 10n }).baseOffset).toBe(5n); // gaps allowed
    expect(() => log.append(spansOf(values(1)), { producerId, sequence: 5n })).toThrow(OutOfOrderSequenceError);
    expect(log.logEndOffset).toBe(6n);
  });

  it("remembers idempotent batches across a clean reopen", async () => {
    let log = await open();
    await appendAll(log, [values(2)]);
    await log.append(spansOf(values(3)), { producerId: 1n, sequence: 4n }).durable;
    await log.close();
    log = await open();
    expect(log.append(spansOf(values(3)), { producerId: 1n, sequence: 4n })).toMatchObject({ baseOffset: 2n, duplicate: true });
  });

  it("finds the first offset whose timestamp reaches a target, with non-monotonic timestamps", async () => {
    const log = await open({ segmentBytes: 1200, indexIntervalBytes: 100 });
    const timestamps: number[] = [];
    let seed = 3;
    for (let b = 0; b < 30; b++) {
      const batch: TestRecord[] = [];
      for (let i = 0; i < 5; i++) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        const ts = 1_000_000 + b * 1000 + (seed % 5000) - 2000; // drifting up, out of order
        timestamps.push(ts);
        batch.push({ value: `t${timestamps.length}`, timestampMs: ts });
      }
      log.append(spansOf(batch));
    }
    await log.flush();
    expect(log.segmentCount).toBeGreaterThan(2);
    for (let target = 990_000; target < 1_035_000; target += 777) {
      const i = timestamps.findIndex((t) => t >= target);
      const expected = i < 0 ? null : { offset: BigInt(i), timestampMs: timestamps[i] };
      expect(await log.offsetForTimestamp(target)).toEqual(expected);
    }
    await log.deleteRecordsBefore(40n);
    expect((await log.offsetForTimestamp(0))?.offset).toBe(40n);
  });

  it("keeps offsets contiguous while appends, reads, retention and deletions interleave", async () => {
    const log = await open({ segmentBytes: 3000, retentionBytes: 12_000, fsyncPolicy: "always" });
    const reads: Promise<unknown>[] = [];
    for (let round = 0; round < 60; round++) {
      log.append(spansOf(values(7, `r${round}-`, 60)));
      if (round % 3 === 0) reads.push(log.read(log.logStartOffset, 2000).catch((err: unknown) => err));
      if (round % 10 === 9) reads.push(log.applyRetention(now), log.deleteRecordsBefore(log.highWatermark / 2n));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await log.flush();
    for (const r of await Promise.all(reads)) expect(r).not.toBeInstanceOf(Error);
    let offset = log.logStartOffset;
    while (offset < log.highWatermark) offset += BigInt(expectContiguous(await log.read(offset, 5000), offset).length);
    expect(offset).toBe(420n);
    expect(log.sizeBytes).toBeLessThan(12_000 + 3000);
  });

  it("applies a new config from the next append and rejects unknown keys", async () => {
    const log = await open();
    await appendAll(log, [values(10, "a", 100)]);
    log.updateConfig(config({ segmentBytes: 1000 }));
    await appendAll(log, [values(1)]);
    expect(log.segmentCount).toBe(2);
    expect(() => log.updateConfig({ ...config(), segmentByte: 1 } as LogConfig)).toThrow(expect.objectContaining({ reason: "INVALID_LOG_CONFIG" }));
  });

  it("refuses empty batches, bad spans and use after close", async () => {
    const log = await open();
    expect(() => log.append({ ...spansOf([]), count: 0 })).toThrow(InvalidArgumentError);
    const bad = spansOf(values(1));
    bad.ends[0] = bad.source.length + 1;
    expect(() => log.append(bad)).toThrow(expect.objectContaining({ reason: "BAD_SPAN" }));
    await log.close();
    await log.close(); // idempotent
    expect(() => log.append(spansOf(values(1)))).toThrow(UnavailableError);
    expect(() => log.append(spansOf(values(1)))).toThrow(expect.objectContaining({ reason: "LOG_CLOSED" }));
    await expect(log.read(0n, 10)).rejects.toMatchObject({ reason: "LOG_CLOSED" });
  });

  it("removes its directory on delete", async () => {
    const log = await Log.open({ dir: path.join(dir, "p-0"), config: config(), logger, clock });
    await appendAll(log, [values(3)]);
    await log.delete();
    await expect(fs.stat(path.join(dir, "p-0"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});
