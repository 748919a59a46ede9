/**
 * The Log API a replica needs (issue 15, section 1; CLUSTER.md section 4): the written
 * end and the high watermark as two positions.
 */
import fs from "node:fs/promises";
import { watch } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { InvalidArgumentError, OffsetOutOfRangeError, UnavailableError } from "../../services/errors.js";
import { writeFrameHeader } from "../../services/log/batch-frame.js";
import { Log, defaultLogConfig, type LogConfig } from "../../services/log/index.js";
import { decode, readAll, spansOf } from "../helpers/log-records.js";

let dir: string;
const clock = { nowMs: () => 1_700_000_000_000 };
const logger = pino({ level: "silent" });
const opened: Log[] = [];

async function open(at: string, options: { replicated?: boolean; config?: Partial<LogConfig> } = {}): Promise<Log> {
  const config = { ...defaultLogConfig, segmentBytes: 4096, indexIntervalBytes: 128, ...options.config };
  const log = await Log.open({ dir: at, config, logger, clock, replicated: options.replicated });
  opened.push(log);
  return log;
}
/** A protobuf varint. */
function varint(n: number): number[] {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n % 0x80) | 0x80);
  out.push(n);
  return out;
}

/** A batch frame as a leader would have stored it (batch-frame.ts): records `values` at
 * offsets from `base`, stamped with `epoch` (and a producer id and sequence if given). */
function frame(base: number, epoch: number, values: string[], producer?: { id: bigint; sequence: bigint }): Buffer {
  const entries = values.map((value, i) => {
    const offset = Buffer.alloc(8);
    offset.writeBigInt64LE(BigInt(base + i));
    const inner = Buffer.from([0x09, ...offset, 0x10, ...varint(1_600_000_000_000 + base + i), 0x22, ...varint(Buffer.byteLength(value)), ...Buffer.from(value)]);
    return Buffer.from([0x0a, ...varint(inner.length), ...inner]);
  });
  const body = Buffer.concat(entries);
  const buf = Buffer.concat([Buffer.alloc(63), body]);
  writeFrameHeader(buf, 0, {
    baseOffset: base,
    frameLength: buf.length,
    recordCount: values.length,
    leaderEpoch: epoch,
    firstTimestamp: 1_600_000_000_000 + base,
    maxTimestamp: 1_600_000_000_000 + base + values.length - 1,
    producerId: producer?.id ?? -1n,
    baseSequence: producer?.sequence ?? -1n,
  });
  return buf;
}

/** The frames stored in the log directory `at` (its segment files in order) whose base
 * offset is at or above `from`: what a leader sends a follower. */
async function storedFrames(at: string, from: number): Promise<Buffer[]> {
  const names = (await fs.readdir(at)).filter((n) => /^\d{20}\.log$/.test(n)).sort();
  const frames: Buffer[] = [];
  for (const name of names) {
    const buf = await fs.readFile(path.join(at, name));
    for (let p = 0; p < buf.length; p += 12 + buf.readInt32LE(p + 8)) {
      if (Number(buf.readBigInt64LE(p)) >= from) frames.push(buf.subarray(p, p + 12 + buf.readInt32LE(p + 8)));
    }
  }
  return frames;
}

async function valuesOf(log: Log): Promise<Array<string | null>> {
  return (await readAll(log, { maxBytes: 300, contiguous: true })).map((r) => r.value);
}

const batch = (prefix: string, n: number) => spansOf(Array.from({ length: n }, (_, i) => ({ value: `${prefix}${i}` })));

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "tributary-replication-"));
});
afterEach(async () => {
  for (const log of opened.splice(0)) await log.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("Log high watermark and written end", () => {
  it("on one broker moves the high watermark with the written end", async () => {
    const log = await open(path.join(dir, "p"));
    const result = log.append(batch("a", 3));
    expect([log.logEndOffset, log.writtenEndOffset, log.highWatermark]).toEqual([3n, 0n, 0n]);
    await result.durable;
    expect([log.logEndOffset, log.writtenEndOffset, log.highWatermark]).toEqual([3n, 3n, 3n]);
    expect(log.advanceHighWatermark(1n)).toBe(3n); // never back
  });

  it("in a replicated log moves the high watermark only when told, in whole flushes, never past the written end", async () => {
    const log = await open(path.join(dir, "p"), { replicated: true });
    const woken: bigint[] = [];
    log.onHighWatermark(() => woken.push(log.highWatermark));
    await log.append(batch("a", 3)).durable;
    await log.append(batch("b", 2)).durable;
    expect([log.logEndOffset, log.writtenEndOffset, log.highWatermark]).toEqual([5n, 5n, 0n]);
    expect((await log.read(0n, 1000)).recordCount).toBe(0);

    expect(log.advanceHighWatermark(2n)).toBe(0n); // inside the first flush: stays
    expect(log.advanceHighWatermark(4n)).toBe(3n);
    const read = await log.read(0n, 1000);
    expect(decode(read.chunks).map((r) => r.value)).toEqual(["a0", "a1", "a2"]);
    expect(read.highWatermark).toBe(3n);
    expect(log.advanceHighWatermark(100n)).toBe(5n); // up to the written end only
    expect(decode((await log.read(3n, 1000)).chunks).map((r) => r.value)).toEqual(["b0", "b1"]);
    expect(woken).toEqual([3n, 5n]);
    expect(() => log.advanceHighWatermark(-1n)).toThrow(InvalidArgumentError);
  });

  it("keeps a bounded number of flushes above a high watermark that cannot move, merging the oldest, and loses no record", async () => {
    const log = await open(path.join(dir, "p"), { replicated: true, config: { segmentBytes: 64 * 1024 } });
    const flushes = 5000;
    for (let i = 0; i < flushes; i++) await log.append(batch(`f${i}-`, 1)).durable;
    const marks = (log as unknown as { writtenMarks: unknown[] }).writtenMarks;
    expect(marks.length).toBeLessThanOrEqual(4096);
    // The oldest flushes were merged: the high watermark moves in a coarser step there, never past the offset given.
    const first = log.advanceHighWatermark(10n);
    expect(first).toBeLessThanOrEqual(10n);
    expect(log.advanceHighWatermark(BigInt(flushes))).toBe(BigInt(flushes));
    const all = await readAll(log);
    expect(all.map((r) => r.value)).toEqual(Array.from({ length: flushes }, (_, i) => `f${i}-0`));
  });
});

describe("Log.appendAsFollower", () => {
  it("appends frames verbatim: offsets, epochs and producer ids kept, epochs and producer state follow", async () => {
    const at = path.join(dir, "f");
    const log = await open(at);
    const frames = Buffer.concat([
      frame(0, 0, ["a", "b"]),
      frame(2, 3, ["c"], { id: 7n, sequence: 0n }),
      frame(3, 3, ["d", "e"], { id: 7n, sequence: 1n }),
      frame(5, 5, ["f"]),
    ]);
    const result = log.appendAsFollower(frames);
    expect([result.baseOffset, result.lastOffset]).toEqual([0n, 5n]);
    await result.durable;
    expect(await valuesOf(log)).toEqual(["a", "b", "c", "d", "e", "f"]);
    expect(log.leaderEpochs()).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 3, startOffset: 2 },
      { epoch: 5, startOffset: 5 },
    ]);
    expect(log.endOffsetForEpoch(4)).toEqual({ epoch: 3, endOffset: 5n });
    expect(log.leaderEpoch).toBe(5);
    // The producer's batches are known: a retry is a duplicate with the follower's offsets.
    expect(log.append(spansOf([{ value: "d" }]), { producerId: 7n, sequence: 1n })).toMatchObject({ duplicate: true, baseOffset: 3n, lastOffset: 4n });
    // Byte-identical: the follower's file is the frames.
    expect(Buffer.concat(await storedFrames(at, 0))).toEqual(frames);
    // The checkpoint was saved before the frames were written: it survives a crash copy.
    const copy = path.join(dir, "copy");
    await fs.cp(at, copy, { recursive: true });
    expect(await fs.readFile(path.join(copy, "leader-epoch-checkpoint"), "utf8")).toBe("0\n3\n0 0\n3 2\n5 5\n");
  });

  it("saves a new epoch's checkpoint before the frame that starts it reaches the file", async () => {
    const at = path.join(dir, "f");
    const log = await open(at);
    await log.appendAsFollower(frame(0, 0, ["a"])).durable;
    const events: string[] = [];
    // inotify reports the directory's changes in the order they happened.
    const watcher = watch(at, (_event, name) => name !== null && events.push(name));
    try {
      await log.appendAsFollower(frame(1, 4, ["b"])).durable;
      const segment = "00000000000000000000.log";
      await vi.waitFor(() => expect(events).toEqual(expect.arrayContaining(["leader-epoch-checkpoint", segment])));
      expect(events.indexOf("leader-epoch-checkpoint")).toBeLessThan(events.indexOf(segment));
    } finally {
      watcher.close();
    }
  });

  it("refuses a bad crc, a gap, an overlap, a torn frame and a lower epoch, appending none of the frames", async () => {
    const log = await open(path.join(dir, "f"));
    await log.appendAsFollower(frame(0, 2, ["a"])).durable;
    const corrupt = frame(1, 2, ["b"]);
    corrupt[corrupt.length - 1] ^= 1;
    const cases: Array<[Buffer, string]> = [
      [Buffer.concat([frame(1, 2, ["b"]), corrupt]), "BAD_FRAME"],
      [frame(1, 2, ["b"]).subarray(0, 70), "BAD_FRAME"],
      [frame(2, 2, ["b"]), "OFFSET_MISMATCH"],
      [frame(0, 2, ["b"]), "OFFSET_MISMATCH"],
      [Buffer.concat([frame(1, 2, ["b"]), frame(2, 1, ["c"])]), "LEADER_EPOCH_DECREASED"],
      [Buffer.alloc(0), "EMPTY_BATCH"],
    ];
    for (const [frames, reason] of cases) {
      expect(() => log.appendAsFollower(frames)).toThrow(expect.objectContaining({ reason }));
    }
    expect(log.logEndOffset).toBe(1n);
    expect(await valuesOf(log)).toEqual(["a"]);
  });
});

describe("Log.truncateTo", () => {
  it("removes every record from a batch boundary on, across segments, and appends continue there", async () => {
    const at = path.join(dir, "t");
    const log = await open(at, { config: { segmentBytes: 400 } });
    for (let i = 0; i < 12; i++) log.appendAsFollower(frame(i * 3, i < 6 ? 1 : 2, [`${i}a`, `${i}b`, `${i}c`], { id: 9n, sequence: BigInt(i) }));
    await log.flush();
    expect(log.segmentCount).toBeGreaterThan(3);
    const all = await valuesOf(log);
    await expect(log.truncateTo(13n)).rejects.toMatchObject({ reason: "OFFSET_INSIDE_BATCH" });
    await expect(log.truncateTo(-1n)).rejects.toBeInstanceOf(InvalidArgumentError);
    await log.truncateTo(15n);
    expect([log.logEndOffset, log.writtenEndOffset, log.highWatermark]).toEqual([15n, 15n, 15n]);
    expect(await valuesOf(log)).toEqual(all.slice(0, 15));
    expect(log.leaderEpochs()).toEqual([{ epoch: 1, startOffset: 0 }]);
    await expect(log.read(16n, 100)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    // Producer state lost the truncated batches: sequence 5 (offsets 15-17) is new again.
    expect(log.append(spansOf([{ value: "again" }]), { producerId: 9n, sequence: 5n })).toMatchObject({ duplicate: false, baseOffset: 15n });
    await log.truncateTo(15n);
    await log.appendAsFollower(frame(15, 4, ["x"])).durable;
    expect(await valuesOf(log)).toEqual([...all.slice(0, 15), "x"]);
    await log.truncateTo(99n); // at or past the end: nothing
    await log.close();
    const reopened = await open(at, { config: { segmentBytes: 400 } });
    expect(await valuesOf(reopened)).toEqual([...all.slice(0, 15), "x"]);
    expect(reopened.leaderEpochs()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 4, startOffset: 15 },
    ]);
  });

  it("refuses below the log start offset and wakes readers waiting past the new end", async () => {
    const log = await open(path.join(dir, "t"), { config: { segmentBytes: 400 } });
    for (let i = 0; i < 6; i++) log.appendAsFollower(frame(i * 3, 0, ["a", "b", "c"]));
    await log.flush();
    await log.deleteRecordsBefore(6n);
    await expect(log.truncateTo(3n)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    let woken = 0;
    log.onHighWatermark(() => woken++);
    await log.truncateTo(9n);
    expect(woken).toBe(1);
    expect([log.logStartOffset, log.logEndOffset, log.highWatermark]).toEqual([6n, 9n, 9n]);
    await log.truncateTo(6n); // everything readable goes; the log start stays
    expect([log.logStartOffset, log.logEndOffset]).toEqual([6n, 6n]);
    expect((await log.read(6n, 100)).recordCount).toBe(0);
  });

  it("fails appends with LOG_TRUNCATING while it runs, and they succeed after it", async () => {
    const log = await open(path.join(dir, "t"));
    await log.append(batch("a", 5)).durable;
    await log.append(batch("b", 5)).durable;
    let finished = false;
    const truncating = log.truncateTo(5n).then(() => (finished = true));
    let refused: unknown = null;
    while (!finished && refused === null) {
      try {
        log.append(batch("early", 1)); // before the truncation takes the queue: truncated too
      } catch (err) {
        refused = err;
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await truncating;
    expect(refused).toBeInstanceOf(UnavailableError);
    expect(refused).toMatchObject({ reason: "LOG_TRUNCATING" });
    await log.append(batch("c", 1)).durable;
    expect(await valuesOf(log)).toEqual(["a0", "a1", "a2", "a3", "a4", "c0"]);
  });
});

/** A small deterministic random generator (mulberry32), so that a failure can be replayed from its seed. */
function random(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

interface ModelRecord {
  readonly value: string;
  readonly epoch: number;
  /** First record of its batch: a truncation point. */
  readonly batchStart: boolean;
}

/** What endOffsetForEpoch must answer (KIP-101/279), from the records' epochs: the
 * largest epoch at or below `epoch` and the offset where it ended. `empty` is the epoch
 * a log without records holds (0 for a new log, none after a truncation to 0). */
function modelEndOffset(records: readonly ModelRecord[], epoch: number, empty: number | null): { epoch: number; endOffset: bigint } {
  const starts: Array<{ epoch: number; start: number }> = [];
  records.forEach((r, offset) => {
    if (starts.length === 0 || starts[starts.length - 1].epoch !== r.epoch) starts.push({ epoch: r.epoch, start: offset });
  });
  if (starts.length === 0 && empty !== null) starts.push({ epoch: empty, start: 0 });
  const unknown = { epoch: -1, endOffset: -1n };
  if (epoch < 0 || starts.length === 0 || epoch > starts[starts.length - 1].epoch) return unknown;
  const below = starts.filter((s) => s.epoch <= epoch);
  if (below.length === 0) return { epoch, endOffset: BigInt(starts[0].start) };
  const floor = below[below.length - 1];
  const next = starts[starts.indexOf(floor) + 1];
  return { epoch: floor.epoch, endOffset: BigInt(next === undefined ? records.length : next.start) };
}

describe("Log replication, model-based", () => {
  it("keeps a leader log and a follower that reconciles by leader epoch equal to a simple model", async () => {
    const seeds = [1, 2, 3];
    const done = { truncations: 0, followerTruncations: 0, reopens: 0, catchUps: 0 };
    for (const seed of seeds) {
      const rnd = random(seed);
      const leaderDir = path.join(dir, `leader-${seed}`);
      const followerDir = path.join(dir, `follower-${seed}`);
      const config = { segmentBytes: 600, indexIntervalBytes: 64 };
      let leader = await open(leaderDir, { config });
      const follower = await open(followerDir, { config });
      let model: ModelRecord[] = [];
      let emptyEpoch: number | null = 0;
      let epoch = 0;
      let largestEpoch = 0;
      const check = async (): Promise<void> => {
        const where = `seed ${seed}`;
        expect(await valuesOf(leader), where).toEqual(model.map((r) => r.value));
        expect(leader.logEndOffset, where).toBe(BigInt(model.length));
        for (let e = -1; e <= largestEpoch + 1; e++) expect(leader.endOffsetForEpoch(e), `${where} epoch ${e}`).toEqual(modelEndOffset(model, e, emptyEpoch));
        for (let o = 0; o < model.length; o++) expect(leader.epochForOffset(BigInt(o)), `${where} offset ${o}`).toBe(model[o].epoch);
      };
      for (let step = 0; step < 60; step++) {
        const op = rnd(10);
        if (op < 6) {
          // The leader appends a few batches; epochs never go down (a new leader's are higher).
          if (rnd(3) === 0) epoch += 1 + rnd(2);
          largestEpoch = Math.max(largestEpoch, epoch);
          const frames: Buffer[] = [];
          for (let b = rnd(3) + 1; b > 0; b--) {
            const values = Array.from({ length: rnd(4) + 1 }, (_, i) => `s${seed}-${step}-${b}-${i}`);
            frames.push(frame(model.length, epoch, values));
            values.forEach((value, i) => model.push({ value, epoch, batchStart: i === 0 }));
          }
          await leader.appendAsFollower(Buffer.concat(frames)).durable;
          emptyEpoch = null;
        } else if (op < 8) {
          // An unclean election: the leader loses a suffix, and its next records come in a new epoch.
          const points = [...model.keys()].filter((o) => model[o].batchStart);
          points.push(model.length);
          const to = points[rnd(points.length)];
          await leader.truncateTo(BigInt(to));
          if (to < model.length) done.truncations++;
          if (to < model.length && to === 0) emptyEpoch = null; // at the end: nothing happens
          model = model.slice(0, to);
          epoch = largestEpoch + 1;
        } else if (op < 9) {
          await leader.close();
          opened.splice(opened.indexOf(leader), 1);
          leader = await open(leaderDir, { config });
          done.reopens++;
          if (model.length === 0 && emptyEpoch === null) emptyEpoch = 0; // a clean open of a log without epochs starts epoch 0
        } else {
          // The follower catches up: truncate by leader epoch until the logs agree, then copy frames.
          for (;;) {
            const end = follower.logEndOffset;
            if (end === 0n) break;
            const last = follower.epochForOffset(end - 1n);
            const answer = leader.endOffsetForEpoch(last);
            let to = answer.endOffset < 0n ? 0n : answer.endOffset;
            if (answer.epoch >= 0 && answer.epoch < last) {
              const own = follower.endOffsetForEpoch(answer.epoch).endOffset;
              if (own >= 0n && own < to) to = own;
            }
            if (to >= end) break;
            await follower.truncateTo(to);
            done.followerTruncations++;
          }
          const frames = await storedFrames(leaderDir, Number(follower.logEndOffset));
          done.catchUps++;
          while (frames.length > 0) await follower.appendAsFollower(Buffer.concat(frames.splice(0, rnd(3) + 1))).durable;
          expect(await valuesOf(follower), `seed ${seed} step ${step}`).toEqual(model.map((r) => r.value));
          for (let o = 0; o < model.length; o++) expect(follower.epochForOffset(BigInt(o))).toBe(model[o].epoch);
        }
        await leader.flush();
        await check();
      }
    }
    // The operations the test is about all happened.
    for (const [what, n] of Object.entries(done)) expect(n, what).toBeGreaterThan(2);
  });
});
