/**
 * The Log API a leader and a restarted replica need (issue 16, CLUSTER.md section 4):
 * whole frames up to the written end for the followers, a leader epoch started from the
 * controller's number, no local epoch after an unclean start in a cluster, and the high
 * watermark restored from its checkpoint as min(checkpoint, log end).
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Log, defaultLogConfig, type LogConfig } from "../../services/log/index.js";
import { highWatermarkCheckpointFile } from "../../services/log/log.js";
import { readAll, spansOf, spansOfValues } from "../helpers/log-records.js";

let dir: string;
const clock = { nowMs: () => 1_700_000_000_000 };
const logger = pino({ level: "silent" });
const opened: Log[] = [];

async function open(at: string, options: { replicated?: boolean; config?: Partial<LogConfig> } = {}): Promise<Log> {
  const config = { ...defaultLogConfig, segmentBytes: 1024, indexIntervalBytes: 128, ...options.config };
  const log = await Log.open({ dir: at, config, logger, clock, replicated: options.replicated, highWatermarkCheckpointIntervalMs: 1 });
  opened.push(log);
  return log;
}

async function close(log: Log): Promise<void> {
  opened.splice(opened.indexOf(log), 1);
  await log.close();
}

/** Every frame of the segment files in `at`, in order. */
async function storedFrames(at: string): Promise<Buffer[]> {
  const frames: Buffer[] = [];
  for (const name of (await fs.readdir(at)).filter((n) => /^\d{20}\.log$/.test(n)).sort()) {
    const buf = await fs.readFile(path.join(at, name));
    for (let p = 0; p < buf.length; p += 12 + buf.readInt32LE(p + 8)) frames.push(buf.subarray(p, p + 12 + buf.readInt32LE(p + 8)));
  }
  return frames;
}

/** Every frame from `from` on, through readFrames with a small budget. */
async function readAllFrames(log: Log, from: bigint, maxBytes = 200): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let offset = from; ; ) {
    const { frames, nextOffset } = await log.readFrames(offset, maxBytes);
    if (frames.length === 0) return out;
    for (let p = 0; p < frames.length; p += 12 + frames.readInt32LE(p + 8)) out.push(frames.subarray(p, p + 12 + frames.readInt32LE(p + 8)));
    offset = nextOffset;
  }
}

/** The directory as a kill -9 leaves it (no clean-shutdown marker), copied. */
async function crashCopy(from: string): Promise<string> {
  const to = path.join(dir, `crashed-${Math.random().toString(36).slice(2)}`);
  await fs.mkdir(to);
  for (const name of await fs.readdir(from)) await fs.copyFile(path.join(from, name), path.join(to, name));
  return to;
}

const values = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`.padEnd(20, "."));

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "tributary-leader-log-"));
});
afterEach(async () => {
  for (const log of opened.splice(0)) await log.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("Log.readFrames", () => {
  it("returns the stored frames byte for byte, across segments, up to the written end and not the high watermark", async () => {
    const at = path.join(dir, "l");
    const log = await open(at, { replicated: true });
    await log.startLeaderEpoch(3);
    for (let i = 0; i < 12; i++) log.append(spansOfValues(values(`b${i}-`, 3)), { producerId: 5n, sequence: BigInt(i * 3) });
    await log.flush();
    expect(log.segmentCount).toBeGreaterThan(2);
    expect(log.highWatermark).toBe(0n); // nothing acknowledged by followers yet
    const stored = await storedFrames(at);
    expect(await readAllFrames(log, 0n)).toEqual(stored);
    expect(await readAllFrames(log, 9n, 1)).toEqual(stored.slice(3)); // one frame at least, per call
    expect(stored.every((f) => f.readInt32LE(12) === 3 && f.readBigInt64LE(43) === 5n)).toBe(true);
    await expect(log.readFrames(10n, 100)).rejects.toMatchObject({ reason: "OFFSET_INSIDE_BATCH" });
    await expect(log.readFrames(37n, 100)).rejects.toMatchObject({ reason: "OFFSET_OUT_OF_RANGE" });
    expect((await log.readFrames(36n, 100)).frames.length).toBe(0);
    // Appended but not yet written: not sent.
    log.append(spansOfValues(["late"]));
    expect((await log.readFrames(36n, 100)).frames.length).toBe(0);
  });
});

describe("Log.onWrittenEnd", () => {
  it("tells a leader of each new written end, in time to raise the high watermark to it", async () => {
    const log = await open(path.join(dir, "l"), { replicated: true });
    const seen: bigint[] = [];
    log.onWrittenEnd(() => seen.push(log.advanceHighWatermark(log.writtenEndOffset))); // a leader alone in its ISR
    await log.append(spansOfValues(values("a", 2))).durable;
    await log.append(spansOfValues(values("b", 3))).durable;
    expect(seen).toEqual([2n, 5n]);
    expect(log.highWatermark).toBe(5n);
  });
});

describe("Log.startLeaderEpoch", () => {
  it("starts the controller's epoch at the log end, saves it, and stamps it on appends", async () => {
    const at = path.join(dir, "l");
    const log = await open(at, { replicated: true });
    expect(log.leaderEpochs()).toEqual([]);
    await log.startLeaderEpoch(4);
    await log.append(spansOfValues(values("a", 2))).durable;
    await log.startLeaderEpoch(4); // idempotent
    await log.startLeaderEpoch(7);
    await log.append(spansOfValues(values("b", 1))).durable;
    expect(log.leaderEpochs()).toEqual([{ epoch: 4, startOffset: 0 }, { epoch: 7, startOffset: 2 }]);
    expect(await fs.readFile(path.join(at, "leader-epoch-checkpoint"), "utf8")).toBe("0\n2\n4 0\n7 2\n");
    expect((await storedFrames(at)).map((f) => f.readInt32LE(12))).toEqual([4, 7]);
    await expect(log.startLeaderEpoch(6)).rejects.toMatchObject({ reason: "LEADER_EPOCH_DECREASED" });
  });

  it("lets a follower's frames replace an epoch it started but wrote nothing in", async () => {
    const leader = await open(path.join(dir, "leader"), { replicated: true });
    await leader.startLeaderEpoch(4);
    await leader.append(spansOfValues(values("a", 2))).durable;
    const follower = await open(path.join(dir, "follower"), { replicated: true });
    await follower.startLeaderEpoch(5); // led epoch 5 and wrote nothing
    await follower.appendAsFollower((await leader.readFrames(0n, 1000)).frames).durable;
    expect(follower.leaderEpochs()).toEqual([{ epoch: 4, startOffset: 0 }]);
  });
});

describe("compaction of a replicated log", () => {
  it("keeps each frame's leader epoch, so a follower copying compacted frames learns the leader's epochs", async () => {
    const leader = await open(path.join(dir, "leader"), { replicated: true, config: { cleanupPolicy: "compact", segmentBytes: 600 } });
    for (const epoch of [1, 2]) {
      await leader.startLeaderEpoch(epoch);
      // Every other record overwrites one key: each segment keeps records (none is emptied).
      for (let i = 0; i < 12; i++) leader.append(spansOf([{ key: i % 2 === 0 ? `same-${epoch}` : `k${epoch}-${i}`, value: `e${epoch}-${i}`.padEnd(24, ".") }]));
      await leader.flush();
    }
    leader.advanceHighWatermark(leader.writtenEndOffset);
    expect((await leader.compact(clock.nowMs())).recordsRemoved).toBeGreaterThan(0);
    const frames = await readAllFrames(leader, 0n);
    const epochs = frames.map((f) => f.readInt32LE(12));
    expect(epochs[0]).toBe(1);
    expect(epochs.every((e, i) => i === 0 || e >= epochs[i - 1])).toBe(true); // never 0 after a higher one
    const follower = await open(path.join(dir, "follower"), { replicated: true, config: { cleanupPolicy: "compact", segmentBytes: 600 } });
    // The compacted segments end below their successors' bases: the follower rolls over those gaps.
    await follower.appendAsFollower(Buffer.concat(frames)).durable;
    expect(follower.leaderEpochs().map((e) => e.epoch)).toEqual([1, 2]);
    expect(follower.logEndOffset).toBe(leader.logEndOffset);
    expect(await readAllFrames(follower, 0n)).toEqual(frames);
    await close(follower);
    const reopened = await open(path.join(dir, "follower"), { replicated: true, config: { cleanupPolicy: "compact", segmentBytes: 600 } });
    expect(reopened.logEndOffset).toBe(leader.logEndOffset);
    expect(await readAllFrames(reopened, 0n)).toEqual(frames);
  });

  it("rolls over a gap at an empty log too (the leader's first segment compacted away), and reopens", async () => {
    const leader = await open(path.join(dir, "leader"), { replicated: true });
    await leader.startLeaderEpoch(1);
    await leader.append(spansOfValues(values("a", 3))).durable;
    const frame = (await leader.readFrames(0n, 1000)).frames;
    frame.writeBigInt64LE(5n, 0); // as if it started at 5 (the crc leaves out the base offset)
    const compacted = { replicated: true, config: { cleanupPolicy: "compact" as const } };
    const follower = await open(path.join(dir, "follower"), compacted);
    await follower.appendAsFollower(frame).durable;
    expect([follower.logStartOffset, follower.logEndOffset]).toEqual([0n, 8n]);
    await close(follower);
    const reopened = await open(path.join(dir, "follower"), compacted);
    expect(reopened.logEndOffset).toBe(8n);
    expect(await readAllFrames(reopened, 5n)).toEqual([frame]);
    // One broker's delete-policy log refuses any gap.
    const plain = await open(path.join(dir, "plain"), { replicated: true });
    expect(() => plain.appendAsFollower(frame)).toThrow(expect.objectContaining({ reason: "OFFSET_MISMATCH" }));
  });
});

describe("Log.truncateFullyAndStartAt", () => {
  it("empties the log and starts it at an offset above its end, durably, and appends continue there", async () => {
    const at = path.join(dir, "f");
    const log = await open(at, { replicated: true });
    await log.startLeaderEpoch(1);
    for (let i = 0; i < 10; i++) await log.append(spansOfValues(values(`a${i}-`, 3))).durable;
    expect(log.segmentCount).toBeGreaterThan(1);
    await expect(log.truncateFullyAndStartAt(30n)).rejects.toMatchObject({ reason: "BAD_OFFSET" });
    await log.truncateFullyAndStartAt(50n);
    expect([log.logStartOffset, log.logEndOffset, log.highWatermark, log.segmentCount]).toEqual([50n, 50n, 50n, 1]);
    expect(log.leaderEpochs()).toEqual([]);
    const crashed = await open(await crashCopy(at), { replicated: true }); // before any append: no segment file yet
    expect([crashed.logStartOffset, crashed.logEndOffset]).toEqual([50n, 50n]);
    const leader = await open(path.join(dir, "leader"), { replicated: true });
    await leader.startLeaderEpoch(2);
    for (let i = 0; i < 52; i++) leader.append(spansOfValues([`l${i}`]));
    await leader.flush();
    const frames = await readAllFrames(leader, 50n);
    await log.appendAsFollower(Buffer.concat(frames)).durable;
    expect(log.leaderEpochs()).toEqual([{ epoch: 2, startOffset: 50 }]);
    await close(log);
    const reopened = await open(at, { replicated: true });
    expect([reopened.logStartOffset, reopened.logEndOffset]).toEqual([50n, 52n]);
    expect(await readAllFrames(reopened, 50n)).toEqual(frames);
  });
});

describe("a replicated log after an unclean shutdown", () => {
  it("starts no leader epoch of its own (the controller owns epoch numbers)", async () => {
    const log = await open(path.join(dir, "l"), { replicated: true });
    await log.startLeaderEpoch(2);
    await log.append(spansOfValues(values("a", 3))).durable;
    const restarted = await open(await crashCopy(path.join(dir, "l")), { replicated: true });
    expect(restarted.leaderEpochs()).toEqual([{ epoch: 2, startOffset: 0 }]);
    const single = await open(await crashCopy(path.join(dir, "l")));
    expect(single.leaderEpochs()).toEqual([{ epoch: 2, startOffset: 0 }, { epoch: 3, startOffset: 3 }]); // one broker: as before
  });
});

describe("the high watermark checkpoint", () => {
  it("restarts a replicated log at min(checkpoint, log end), hides the rest until the high watermark passes it", async () => {
    const at = path.join(dir, "l");
    let log = await open(at, { replicated: true });
    await log.startLeaderEpoch(1);
    for (let i = 0; i < 6; i++) await log.append(spansOfValues(values(`b${i}-`, 2))).durable;
    expect(log.advanceHighWatermark(8n)).toBe(8n);
    await close(log);
    expect(await fs.readFile(path.join(at, highWatermarkCheckpointFile), "utf8")).toBe("8\n");
    log = await open(at, { replicated: true });
    expect([log.highWatermark, log.logEndOffset, log.writtenEndOffset]).toEqual([8n, 12n, 12n]);
    expect((await readAll(log)).length).toBe(8);
    expect(log.advanceHighWatermark(10n)).toBe(8n); // the tail becomes visible as a whole
    expect(log.advanceHighWatermark(12n)).toBe(12n);
    expect((await readAll(log)).length).toBe(12);
  });

  it("saves the checkpoint while the high watermark moves, and a crash restarts from it", async () => {
    const at = path.join(dir, "l");
    const log = await open(at, { replicated: true });
    await log.startLeaderEpoch(1);
    for (let i = 0; i < 4; i++) await log.append(spansOfValues(values(`b${i}-`, 2))).durable;
    log.advanceHighWatermark(4n);
    const file = path.join(at, highWatermarkCheckpointFile);
    for (let tries = 0; (await fs.readFile(file, "utf8").catch(() => "")) !== "4\n"; tries++) {
      expect(tries).toBeLessThan(1000);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const restarted = await open(await crashCopy(at), { replicated: true });
    expect([restarted.highWatermark, restarted.logEndOffset]).toEqual([4n, 8n]);
  });

  it("starts at the log start without a checkpoint, and a one-broker log ignores it", async () => {
    const at = path.join(dir, "l");
    const log = await open(at);
    await log.append(spansOfValues(values("a", 5))).durable;
    await close(log);
    expect(await fs.readFile(path.join(at, highWatermarkCheckpointFile)).catch(() => null)).toBeNull();
    const replicated = await open(at, { replicated: true });
    expect(replicated.highWatermark).toBe(0n);
    await close(replicated);
    await fs.writeFile(path.join(at, highWatermarkCheckpointFile), "2\n");
    expect((await open(at)).highWatermark).toBe(5n);
  });

  it("a follower's high watermark is min(leader's high watermark, its own written end)", async () => {
    const leader = await open(path.join(dir, "leader"), { replicated: true });
    await leader.startLeaderEpoch(1);
    await leader.append(spansOfValues(values("a", 5))).durable;
    const follower = await open(path.join(dir, "follower"), { replicated: true });
    await follower.appendAsFollower((await leader.readFrames(0n, 1000)).frames).durable;
    expect(follower.advanceHighWatermark(9n)).toBe(5n);
  });
});
