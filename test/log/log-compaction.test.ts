import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Log, defaultLogConfig, type LogConfig } from "../../services/log/index.js";
import { decode, readAll, spansOf, type StoredRecord, type TestRecord } from "../helpers/log-records.js";

// --- helpers ---

/** A stored record without its timestamp: what these tests compare, as they do not model append times. */
type Stored = Omit<StoredRecord, "timestampMs">;
const stored = ({ timestampMs: _, ...record }: StoredRecord): Stored => record;

/** Everything from the log start to the high watermark in reads of `maxBytes`, checked by `readAll`. */
const readStored = async (log: Log, maxBytes = 400): Promise<Stored[]> => (await readAll(log, { maxBytes })).map(stored);

// --- fixture ---

let dir: string;
let now: number;
const clock = { nowMs: () => now };
const logger = pino({ level: "silent" });
const opened: Log[] = [];
const hour = 3600 * 1000;

function config(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...defaultLogConfig, segmentBytes: 1024, indexIntervalBytes: 128, cleanupPolicy: "compact", deleteRetentionMs: hour, ...overrides };
}
async function open(overrides: Partial<LogConfig> = {}, at = dir): Promise<Log> {
  const log = await Log.open({ dir: at, config: config(overrides), logger, clock });
  opened.push(log);
  return log;
}

/** Appends one record per batch (like offset commits), remembering every one. */
class Model {
  readonly records: Stored[] = [];
  constructor(private readonly log: Log) {}
  append(...batch: TestRecord[]): void {
    const result = this.log.append(spansOf(batch));
    batch.forEach((r, i) => this.records.push({ offset: Number(result.baseOffset) + i, key: r.key ?? "", value: r.value }));
  }
  /** What a compaction may keep: the newest per key, every keyless record, every record
   * at or above `activeBase`; tombstones only when `withTombstones`. */
  survivors(activeBase: number, withTombstones: boolean): Stored[] {
    const newest = new Map<string, number>();
    for (const r of this.records) if (r.key !== "") newest.set(r.key, r.offset);
    return this.records.filter((r) => {
      if (r.offset >= activeBase || r.key === "") return true;
      if (newest.get(r.key) !== r.offset) return false;
      return withTombstones || (r.value !== null && r.value !== "");
    });
  }
}

async function segmentBases(at = dir): Promise<number[]> {
  return (await fs.readdir(at))
    .filter((n) => /^\d{20}\.log$/.test(n))
    .map((n) => Number(n.slice(0, 20)))
    .sort((a, b) => a - b);
}
const segmentFile = (base: number, suffix = ".log", at = dir): string => path.join(at, `${String(base).padStart(20, "0")}${suffix}`);

const hotKey = (i: number): string => `group-${i % 5}`;
/** A third of the keys are written once: sealed segments keep some records, with gaps. */
const mixedKey = (i: number): string => (i % 3 === 0 ? `unique-${i}` : hotKey(i));

/** Appends `rounds` single-record batches over several segments. */
async function commits(log: Log, model: Model, rounds = 60, prefix = "v", keyOf = hotKey): Promise<void> {
  for (let i = 0; i < rounds; i++) model.append({ key: keyOf(i), value: `${prefix}${i}`.padEnd(20, ".") });
  await log.flush();
}

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "tributary-compaction-"));
  now = 1_700_000_000_000;
});
afterEach(async () => {
  for (const log of opened.splice(0)) await log.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("Log compaction", () => {
  it("keeps the newest record per key at its original offset and reads across the gaps in order", async () => {
    const log = await open();
    const model = new Model(log);
    await commits(log, model, 60, "v", mixedKey);
    const bases = await segmentBases();
    expect(bases.length).toBeGreaterThan(3);
    const activeBase = bases[bases.length - 1];
    const before = log.sizeBytes;

    const result = await log.compact(now);
    const expected = model.survivors(activeBase, true);
    expect(result.recordsRemoved).toBe(model.records.length - expected.length);
    expect(result.segmentsRewritten + result.segmentsDeleted).toBeGreaterThan(0);
    expect(log.sizeBytes).toBeLessThan(before);
    expect(await readStored(log)).toEqual(expected);
    expect(await readStored(log, 1)).toEqual(expected); // one record per read
    expect(await readStored(log, 1 << 20)).toEqual(expected);
    expect(log.logStartOffset).toBe(0n);
    expect(log.logEndOffset).toBe(60n);

    expect(await log.compact(now)).toEqual({ segmentsRewritten: 0, segmentsDeleted: 0, recordsRemoved: 0 });
    const sealedSurvivor = expected.find((r) => r.key !== "" && r.offset < activeBase) as Stored;
    model.append({ key: sealedSurvivor.key, value: "newer" });
    await log.flush();
    expect((await log.compact(now)).recordsRemoved).toBe(1);
    expect((await readStored(log)).some((r) => r.offset === sealedSurvivor.offset)).toBe(false);
  });

  it("starts a read of a removed offset at the next record, inside a frame and across segments", async () => {
    const log = await open();
    const model = new Model(log);
    await commits(log, model, 60, "v", mixedKey);
    const bases = await segmentBases();
    await log.compact(now);
    const kept = model.survivors(bases[bases.length - 1], true).map((r) => r.offset);
    expect(kept.filter((o) => o < bases[bases.length - 1]).length).toBeGreaterThan(10);
    for (let offset = 0; offset < 60; offset++) {
      const fetched = await log.read(BigInt(offset), 1);
      const next = kept.find((o) => o >= offset) as number;
      expect(decode(fetched.chunks).map((r) => r.offset)).toEqual([next]);
      expect([fetched.firstOffset, fetched.nextOffset]).toEqual([BigInt(next), BigInt(next + 1)]);
      const rest = await log.read(BigInt(offset), 1 << 20); // to the end of its segment
      const records = decode(rest.chunks).map((r) => r.offset);
      expect(records).toEqual(kept.filter((o) => o >= offset).slice(0, records.length));
      expect(rest.nextOffset).toBe(BigInt(records[records.length - 1] + 1));
    }
  });

  it("keeps a newest tombstone until deleteRetentionMs after its segment's newest record, then removes it", async () => {
    const log = await open();
    const model = new Model(log);
    model.append({ key: "gone", value: "1" }, { key: "empty", value: "1" }, { key: "stays", value: "1" });
    model.append({ key: "gone", value: null }); // no value field
    model.append({ key: "empty", value: "" }); // an empty value
    now += 1000;
    await commits(log, model, 40); // rolls: the tombstones' segment is sealed
    const bases = await segmentBases();
    const activeBase = bases[bases.length - 1];
    const tombstoneSegmentMax = now - 1000;

    await log.compact(now);
    let records = await readStored(log);
    expect(records.filter((r) => r.offset < 5)).toEqual([
      { offset: 2, key: "stays", value: "1" },
      { offset: 3, key: "gone", value: null },
      { offset: 4, key: "empty", value: "" },
    ]);
    now = tombstoneSegmentMax + hour;
    await log.compact(now);
    expect((await readStored(log)).filter((r) => r.offset < 5)).toHaveLength(3); // not yet: strictly after
    now += 1;
    const result = await log.compact(now);
    expect(result.recordsRemoved).toBe(2);
    records = await readStored(log);
    expect(records.filter((r) => r.offset < 5)).toEqual([{ offset: 2, key: "stays", value: "1" }]);
    expect(records).toEqual(model.survivors(activeBase, false));
    expect(log.logStartOffset).toBe(0n);
  });

  it("keeps every record without a key and never touches the active segment", async () => {
    const log = await open({ segmentBytes: 4096 });
    const model = new Model(log);
    for (let i = 0; i < 30; i++) model.append({ value: `keyless-${i}` }, { key: "", value: `empty-key-${i}` }, { key: "k", value: `${i}` });
    await log.flush();
    const bases = await segmentBases();
    const activeBase = bases[bases.length - 1];
    const activeBytes = await fs.readFile(segmentFile(activeBase));
    await log.compact(now);
    expect(await fs.readFile(segmentFile(activeBase))).toEqual(activeBytes);
    const records = await readStored(log);
    expect(records.filter((r) => r.key === "")).toHaveLength(60);
    expect(records).toEqual(model.survivors(activeBase, true));
    expect(records.filter((r) => r.key === "k" && r.offset < activeBase)).toEqual([]); // all superseded by the active segment
  });

  it("deletes segments it empties but keeps the first, so logStartOffset survives a reopen", async () => {
    let log = await open();
    const model = new Model(log);
    await commits(log, model, 40, "old");
    await commits(log, model, 5, "new"); // each key's newest is in the last segments
    const bases = await segmentBases();
    const result = await log.compact(now);
    expect(result.segmentsDeleted).toBeGreaterThan(0);
    const left = await segmentBases();
    expect(left[0]).toBe(0);
    expect(left.length).toBe(bases.length - result.segmentsDeleted);
    expect((await fs.stat(segmentFile(0))).size).toBe(0);
    const expected = model.survivors(bases[bases.length - 1], true);
    expect(await readStored(log)).toEqual(expected);
    expect(await log.read(0n, 1)).toMatchObject({ firstOffset: BigInt(expected[0].offset) });
    await log.close();

    log = await open();
    expect([log.logStartOffset, log.logEndOffset]).toEqual([0n, 45n]);
    expect(await readStored(log)).toEqual(expected);
    expect(await log.applyRetention(now + 365 * 24 * hour)).toBe(0); // compact: nothing deleted by age
    expect(await readStored(log)).toEqual(expected);
  });

  it("preserves everything across a reopen, with rebuilt indexes too, and keeps appending at the log end", async () => {
    let log = await open();
    const model = new Model(log);
    model.append({ key: "idem", value: "x" });
    await commits(log, model, 60, "v", mixedKey);
    const bases = await segmentBases();
    await log.compact(now);
    const expected = await readStored(log);
    const timestamps = await log.offsetForTimestamp(now);
    await log.close();

    log = await open();
    expect(await readStored(log)).toEqual(expected);
    expect(await log.offsetForTimestamp(now)).toEqual(timestamps);
    await log.close();
    for (const name of await fs.readdir(dir)) if (/index$/.test(name)) await fs.rm(path.join(dir, name));
    log = await open();
    expect(await readStored(log)).toEqual(expected);
    expect(await readStored(log, 1)).toEqual(expected);

    const model2 = new Model(log);
    model2.append({ key: "group-0", value: "after" });
    expect(model2.records[0].offset).toBe(61);
    await log.flush();
    expect((await readStored(log)).slice(-1)).toEqual([{ offset: 61, key: "group-0", value: "after" }]);
    expect(bases.length).toBeGreaterThan(2);
  });

  it("finds offsets by timestamp across compacted segments", async () => {
    const log = await open();
    const model = new Model(log);
    const times: number[] = [];
    for (let i = 0; i < 60; i++) {
      now += 10;
      times.push(now);
      model.append({ key: mixedKey(i), value: `${i}`.padEnd(20, ".") });
    }
    await log.flush();
    const bases = await segmentBases();
    await log.compact(now);
    const kept = model.survivors(bases[bases.length - 1], true).map((r) => r.offset);
    for (const i of [0, 5, 17, 33, 59]) {
      const offset = kept.find((o) => o >= i) as number;
      expect(await log.offsetForTimestamp(times[i])).toEqual({ offset: BigInt(offset), timestampMs: times[offset] });
    }
  });

  describe("after a crash during the swap", () => {
    /** The directory before and after a compaction, both closed cleanly. */
    async function beforeAndAfter(): Promise<{ before: string; expectedBefore: Stored[]; expectedAfter: Stored[]; base: number }> {
      let log = await open();
      const model = new Model(log);
      for (let i = 0; i < 60; i++) model.append({ key: i % 2 === 0 ? `unique-${i}` : "hot", value: `v${i}`.padEnd(20, ".") });
      await log.flush(); // every sealed segment keeps about half its records
      const expectedBefore = await readStored(log);
      await log.close();
      const before = path.join(dir, "before");
      await fs.mkdir(before);
      for (const name of await fs.readdir(dir)) if (name !== "before") await fs.copyFile(path.join(dir, name), path.join(before, name));
      log = await open();
      expect(await log.compact(now)).toMatchObject({ segmentsRewritten: (await segmentBases()).length - 1, segmentsDeleted: 0 });
      const expectedAfter = await readStored(log);
      await log.close();
      const bases = await segmentBases();
      const base = bases[1]; // a rewritten segment that is not the first
      expect((await fs.stat(segmentFile(base))).size).toBeLessThan((await fs.stat(segmentFile(base, ".log", before))).size);
      return { before, expectedBefore, expectedAfter, base };
    }

    async function reopenChecked(at: string, expected: Stored[]): Promise<void> {
      const log = await open({}, at);
      expect(await readStored(log)).toEqual(expected);
      expect(await readStored(log, 1)).toEqual(expected);
      expect((await fs.readdir(at)).filter((n) => /\.(cleaned|tmp)$/.test(n))).toEqual([]);
      const end = log.logEndOffset;
      expect(log.append(spansOf([{ key: "z", value: "after" }])).baseOffset).toBe(end);
      await log.flush();
      expect((await readStored(log)).slice(-1)).toEqual([{ offset: Number(end), key: "z", value: "after" }]);
    }

    it("recovers the old segment when the .cleaned file was being written", async () => {
      const { before, expectedBefore, base } = await beforeAndAfter();
      const cleaned = await fs.readFile(segmentFile(base));
      await fs.writeFile(`${segmentFile(base, ".log", before)}.cleaned`, cleaned.subarray(0, cleaned.length >> 1));
      await reopenChecked(before, expectedBefore);
    });

    it("recovers the old segment when its indexes were already removed before the rename", async () => {
      const { before, expectedBefore, base } = await beforeAndAfter();
      await fs.copyFile(segmentFile(base), `${segmentFile(base, ".log", before)}.cleaned`);
      await fs.rm(segmentFile(base, ".index", before));
      await fs.rm(segmentFile(base, ".timeindex", before));
      await reopenChecked(before, expectedBefore);
    });

    it("recovers the new segment when the rename happened but its indexes were not saved", async () => {
      const { before, expectedBefore, expectedAfter, base } = await beforeAndAfter();
      await fs.copyFile(segmentFile(base), segmentFile(base, ".log", before));
      await fs.rm(segmentFile(base, ".index", before));
      await fs.rm(segmentFile(base, ".timeindex", before));
      await fs.writeFile(`${segmentFile(base, ".index", before)}.tmp`, Buffer.alloc(16));
      // Only that segment is compacted: its gaps, and everything else as before.
      const next = (await segmentBases())[2];
      const expected = expectedBefore.filter((r) => r.offset < base || r.offset >= next || expectedAfter.some((a) => a.offset === r.offset));
      expect(expected.length).toBeLessThan(expectedBefore.length);
      await reopenChecked(before, expected);
    });
  });

  it("stays consistent while compactions, reads and appends interleave", async () => {
    const log = await open({ fsyncPolicy: "always" });
    const model = new Model(log);
    await commits(log, model, 40, "v", mixedKey);
    const held = await log.read(0n, 1 << 20); // chunks read before any swap stay valid
    const heldCopy = held.chunks.map((c) => Buffer.from(c));
    const known = new Map<number, Stored>();

    const checkRead = async (from: bigint, maxBytes: number): Promise<void> => {
      const fetched = await log.read(from, maxBytes);
      const records = decode(fetched.chunks);
      for (const r of records) expect(stored(r)).toEqual(known.get(r.offset));
      if (records.length > 0) {
        expect(fetched.firstOffset).toBe(BigInt(records[0].offset));
        expect(fetched.nextOffset).toBe(BigInt(records[records.length - 1].offset + 1));
      }
    };
    let done = false;
    let reads = 0;
    // Readers with a read always in flight, so that swaps happen under them.
    const readers = Array.from({ length: 8 }, async (_, r) => {
      for (let i = 0; !done; i++, reads++) {
        for (const rec of model.records) known.set(rec.offset, rec);
        await checkRead(BigInt((r * 13 + i * 7) % Number(log.highWatermark)), r % 2 === 0 ? 1 : 1 << 20);
        if (i % 5 === 0) await log.offsetForTimestamp(now);
      }
    });
    const writer = (async () => {
      for (let pass = 0; pass < 8; pass++) {
        for (let i = 0; i < 8; i++) model.append({ key: mixedKey(pass * 8 + i), value: `p${pass}-${i}`.padEnd(30, ".") });
        await log.compact(now);
      }
    })();
    await writer.finally(() => (done = true));
    await Promise.all(readers);
    expect(reads).toBeGreaterThan(50);
    held.chunks.forEach((c, i) => expect(c.equals(heldCopy[i])).toBe(true));

    await log.flush();
    await log.compact(now);
    const bases = await segmentBases();
    expect(await readStored(log)).toEqual(model.survivors(bases[bases.length - 1], true));
    expect(log.logEndOffset).toBe(104n);
  });

  it("drops no tombstone while an older segment is damaged, and leaves the damaged segment alone", async () => {
    let log = await open();
    const model = new Model(log);
    model.append({ key: "k", value: "old" });
    for (let i = 0; i < 12; i++) model.append({ value: `filler-a${i}`.padEnd(40, ".") });
    model.append({ key: "k", value: null });
    for (let i = 0; i < 12; i++) model.append({ value: `filler-b${i}`.padEnd(40, ".") });
    await log.flush();
    const bases = await segmentBases();
    expect(bases.length).toBeGreaterThan(2);
    const tombstone = model.records[13].offset;
    expect(tombstone).toBeGreaterThanOrEqual(bases[1]); // in a later sealed segment
    await log.close();
    const file = await fs.readFile(segmentFile(0));
    const last = file.length - 30; // inside the last frame of the first segment
    file[last] ^= 0x40;
    await fs.writeFile(segmentFile(0), file);

    log = await open();
    now += 365 * 24 * hour;
    const result = await log.compact(now);
    expect(result.recordsRemoved).toBe(0);
    expect(decode((await log.read(0n, 1)).chunks).map(stored)).toEqual([{ offset: 0, key: "k", value: "old" }]);
    expect(decode((await log.read(BigInt(tombstone), 1)).chunks).map(stored)).toEqual([{ offset: tombstone, key: "k", value: null }]);
  });

  it("fills and checks the compaction settings", async () => {
    const log = await open({ cleanupPolicy: undefined, deleteRetentionMs: undefined });
    expect(() => log.updateConfig(config({ cleanupPolicy: "shred" as "compact" }))).toThrow(expect.objectContaining({ reason: "INVALID_LOG_CONFIG" }));
    expect(() => log.updateConfig(config({ deleteRetentionMs: -1 }))).toThrow(expect.objectContaining({ reason: "INVALID_LOG_CONFIG" }));
    expect(defaultLogConfig).toMatchObject({ cleanupPolicy: "delete", deleteRetentionMs: 24 * hour });
  });
});
