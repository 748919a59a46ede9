/**
 * Replication between brokers in one process over real gRPC streams and real logs
 * (issue 16, CLUSTER.md section 4). The partition-state write is test scaffolding (an
 * in-memory compare-and-swap, see replica-cluster.ts); everything else is the code the
 * broker runs.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { spansOfValues } from "../../helpers/log-records.js";
import { ReplicaCluster, storedFrames, topic } from "./replica-cluster.js";

let cluster: ReplicaCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const waitFor = (check: () => void | Promise<void>, timeout = 10_000) => vi.waitFor(check, { timeout, interval: 20 });

/** Appends one batch at `leader` as the produce path does; with acksAll, waits for the high watermark. */
async function produce(c: ReplicaCluster, leader: number, values: string[], acksAll: boolean): Promise<bigint> {
  const b = c.broker(leader);
  const epoch = b.manager!.checkLeader(topic, 0, { acksAll });
  const result = b.log.append(spansOfValues(values));
  await result.durable;
  const end = result.lastOffset + 1n;
  if (acksAll) await b.manager!.waitForHighWatermark(topic, 0, end, AbortSignal.timeout(10_000), epoch);
  return end;
}

async function expectIdentical(c: ReplicaCluster, ids: number[]): Promise<void> {
  const [first, ...rest] = ids;
  const expected = Buffer.concat(await storedFrames(c.broker(first).dir));
  for (const id of rest) expect(Buffer.concat(await storedFrames(c.broker(id).dir)).equals(expected)).toBe(true);
}

const values = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe("replication", () => {
  it("copies frames byte for byte to every follower; acks=ALL answers only once every ISR member has the batch", async () => {
    cluster = await ReplicaCluster.create({ replicas: [1, 2, 3], minInsyncReplicas: 2 });
    const c = cluster;
    for (const id of [1, 2, 3]) await c.start(id);
    c.elect(1, [1, 2, 3]);
    await waitFor(() => expect(c.broker(1).manager!.leaderEpoch(topic, 0)).toBe(1));
    for (let i = 0; i < 30; i++) {
      const end = await produce(c, 1, values(`b${i}`, 1 + (i % 4)), true);
      // At acknowledgement, every ISR member has written the batch (fsync policy always: fsynced).
      for (const id of [2, 3]) expect(c.broker(id).log.writtenEndOffset).toBeGreaterThanOrEqual(end);
      expect(c.broker(1).log.highWatermark).toBeGreaterThanOrEqual(end);
    }
    const end = c.broker(1).log.logEndOffset;
    await waitFor(() => {
      for (const id of [2, 3]) expect(c.broker(id).log.highWatermark).toBe(end);
    });
    await expectIdentical(c, [1, 2, 3]);
    expect(c.broker(1).log.segmentCount).toBeGreaterThan(1);
    const frames = await storedFrames(c.broker(2).dir);
    expect(frames.every((f) => f.readInt32LE(12) === 1)).toBe(true); // the leader's epoch kept
    expect(c.isr()).toEqual([1, 2, 3]);
  });

  it("holds the high watermark at the slowest ISR member; a stopped follower leaves the ISR after replicaLagTimeMaxMs and rejoins once caught up", async () => {
    cluster = await ReplicaCluster.create({ replicas: [1, 2, 3], config: { replicaLagTimeMaxMs: 500 } });
    const c = cluster;
    for (const id of [1, 2, 3]) await c.start(id);
    c.elect(1, [1, 2, 3]);
    await waitFor(() => expect(c.broker(1).manager!.leaderEpoch(topic, 0)).toBe(1));
    await produce(c, 1, values("a", 3), true);
    await c.stop(3);
    const stoppedEnd = c.broker(3).log.writtenEndOffset;
    const end = await produce(c, 1, values("b", 5), false);
    await waitFor(() => expect(c.broker(2).log.writtenEndOffset).toBe(end));
    // While 3 is in the ISR, it holds the high watermark at its log end.
    if (c.isr().includes(3)) expect(c.broker(1).log.highWatermark).toBe(stoppedEnd);
    await waitFor(() => expect(c.isr()).toEqual([1, 2]));
    await waitFor(() => expect(c.broker(1).log.highWatermark).toBe(end));
    await produce(c, 1, values("c", 2), true); // acks=ALL with minInsyncReplicas 1 goes on without 3
    await c.start(3);
    await waitFor(() => expect(c.isr()).toEqual([1, 2, 3]));
    // It rejoined in its new incarnation.
    expect(c.entry.state.isr.find((m) => m.brokerId === 3)?.brokerEpoch).toBe(c.broker(3).brokerEpoch);
    const last = await produce(c, 1, values("d", 2), true);
    expect(c.broker(3).log.writtenEndOffset).toBeGreaterThanOrEqual(last);
    await expectIdentical(c, [1, 2, 3]);
  });

  it("refuses acks=ALL before writing when the ISR is below minInsyncReplicas, and stops the high watermark", async () => {
    cluster = await ReplicaCluster.create({ replicas: [1, 2], minInsyncReplicas: 2 });
    const c = cluster;
    for (const id of [1, 2]) await c.start(id);
    c.elect(1, [1]);
    await waitFor(() => expect(c.broker(1).manager!.leaderEpoch(topic, 0)).toBe(1));
    await c.stop(2);
    const m = c.broker(1).manager!;
    expect(() => m.checkLeader(topic, 0, { acksAll: true })).toThrow(expect.objectContaining({ reason: "NOT_ENOUGH_REPLICAS", kind: "unavailable" }));
    expect(c.broker(1).log.logEndOffset).toBe(0n);
    const end = await produce(c, 1, values("a", 2), false); // acks=LEADER is taken
    expect(c.broker(1).log.highWatermark).toBe(0n); // but not exposed while the ISR is too small
    await c.start(2);
    await waitFor(() => expect(c.isr()).toEqual([1, 2]));
    await waitFor(() => expect(c.broker(1).log.highWatermark).toBe(end));
    await produce(c, 1, values("b", 1), true);
  });

  it("fences stale epochs and answers NOT_LEADER with the leader's address elsewhere", async () => {
    cluster = await ReplicaCluster.create({ replicas: [1, 2] });
    const c = cluster;
    for (const id of [1, 2]) await c.start(id);
    c.elect(1, [1, 2]);
    await waitFor(() => expect(c.broker(1).manager!.leaderEpoch(topic, 0)).toBe(1));
    c.elect(2);
    await waitFor(() => expect(c.broker(2).manager!.leaderEpoch(topic, 0)).toBe(2));
    await waitFor(() =>
      expect(() => c.broker(1).manager!.checkLeader(topic, 0, { acksAll: false })).toThrow(
        expect.objectContaining({ reason: "NOT_LEADER", trailers: { "tributary-leader": c.broker(2).address } }),
      ),
    );
    const m2 = c.broker(2).manager!;
    expect(() => m2.checkLeader(topic, 0, { acksAll: false, leaderEpoch: 1 })).toThrow(expect.objectContaining({ reason: "FENCED_LEADER_EPOCH" }));
    expect(() => m2.checkLeader(topic, 0, { acksAll: false, leaderEpoch: 3 })).toThrow(expect.objectContaining({ reason: "UNKNOWN_LEADER_EPOCH" }));
    expect(m2.checkLeader(topic, 0, { acksAll: true, leaderEpoch: 2 })).toBe(2);
    // A leader whose lease is not fresh neither appends nor acknowledges.
    c.broker(2).fresh = false;
    expect(() => m2.checkLeader(topic, 0, { acksAll: false })).toThrow(expect.objectContaining({ reason: "NOT_LEADER" }));
  });

  it("a leader whose lease lapsed does not acknowledge, even once the high watermark passes the batch", async () => {
    cluster = await ReplicaCluster.create({ replicas: [1, 2] });
    const c = cluster;
    const b = c.broker(1);
    // Runs before the leader's own high watermark listener (registered when it starts
    // leading): the lease lapses (a pause) just as the follower's copy commits the batch.
    let lapseAt = -1n;
    b.log.onHighWatermark(() => {
      if (lapseAt >= 0n && b.log.highWatermark >= lapseAt) b.fresh = false;
    });
    for (const id of [1, 2]) await c.start(id);
    c.elect(1, [1, 2]);
    await waitFor(() => expect(b.manager!.leaderEpoch(topic, 0)).toBe(1));
    b.manager!.checkLeader(topic, 0, { acksAll: true });
    const result = b.log.append(spansOfValues(["x"]));
    lapseAt = result.lastOffset + 1n;
    const ack = b.manager!.waitForHighWatermark(topic, 0, lapseAt, AbortSignal.timeout(10_000));
    await expect(ack).rejects.toMatchObject({ reason: "NOT_LEADER" });
    expect(b.log.highWatermark).toBe(lapseAt);
    expect(c.broker(2).log.writtenEndOffset).toBe(lapseAt);
  });

  it("a divergent follower truncates by leader epochs to where the logs agree, never to its high watermark, and ends identical (KIP-101/279)", async () => {
    cluster = await ReplicaCluster.create({ replicas: [1, 2] });
    const c = cluster;
    const a = c.broker(1).log; // the old leader, with records the others never got
    const b = c.broker(2).log; // the new leader
    // b: epoch 1 at [0, 10), epoch 2 at [10, 12), epoch 4 at [12, 16).
    await b.startLeaderEpoch(1);
    for (let i = 0; i < 5; i++) await b.append(spansOfValues(values(`e1-${i}`, 2))).durable;
    // a copied epoch 1 verbatim, then led epoch 3 alone: [10, 14) never replicated.
    await a.appendAsFollower((await b.readFrames(0n, 1 << 20)).frames).durable;
    await a.startLeaderEpoch(3);
    for (let i = 0; i < 2; i++) await a.append(spansOfValues(values(`lost-${i}`, 2))).durable;
    a.advanceHighWatermark(4n); // a's high watermark lags far behind what it shares with b
    await b.startLeaderEpoch(2);
    await b.append(spansOfValues(values("e2", 2))).durable;
    await b.startLeaderEpoch(4);
    for (let i = 0; i < 2; i++) await b.append(spansOfValues(values(`e4-${i}`, 2))).durable;
    b.advanceHighWatermark(16n);
    const ends: bigint[] = [];
    a.onHighWatermark(() => ends.push(a.logEndOffset)); // called after every truncation
    // The controller's epoch 4 names b the leader; a follows.
    c.entry = { ...c.entry, state: { ...c.entry.state, leaderEpoch: 3 } };
    await c.start(1);
    await c.start(2);
    c.elect(2, [2]);
    await waitFor(() => expect(a.logEndOffset).toBe(16n));
    await waitFor(() => expect(a.highWatermark).toBe(16n));
    expect(Math.min(...ends.map(Number))).toBe(10); // truncated to 10 (epoch 3's start): never to 4
    expect(a.leaderEpochs()).toEqual(b.leaderEpochs());
    await expectIdentical(c, [1, 2]);
    await waitFor(() => expect(c.isr()).toEqual([1, 2]));
  });

  it("moves leadership: the new leader goes on from its log, the old one follows, and every replica ends identical", async () => {
    cluster = await ReplicaCluster.create({ replicas: [1, 2, 3], minInsyncReplicas: 2 });
    const c = cluster;
    for (const id of [1, 2, 3]) await c.start(id);
    c.elect(1, [1, 2, 3]);
    await waitFor(() => expect(c.broker(1).manager!.leaderEpoch(topic, 0)).toBe(1));
    for (let i = 0; i < 5; i++) await produce(c, 1, values(`one${i}`, 2), true);
    const committed = c.broker(1).log.highWatermark;
    c.elect(2);
    await waitFor(() => expect(c.broker(2).manager!.leaderEpoch(topic, 0)).toBe(2));
    expect(() => c.broker(1).manager!.checkLeader(topic, 0, { acksAll: true })).toThrow(expect.objectContaining({ reason: "NOT_LEADER" }));
    for (let i = 0; i < 5; i++) await produce(c, 2, values(`two${i}`, 3), true);
    const end = c.broker(2).log.logEndOffset;
    await waitFor(() => {
      for (const id of [1, 3]) expect(c.broker(id).log.highWatermark).toBe(end);
    });
    expect(end).toBe(committed + 15n);
    await expectIdentical(c, [1, 2, 3]);
    expect(c.broker(1).log.leaderEpochs()).toEqual([{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: Number(committed) }]);
  });

  it("a follower restarted from its files starts below its log end (high-watermark checkpoint) and catches up", async () => {
    cluster = await ReplicaCluster.create({ replicas: [1, 2], config: { replicaLagTimeMaxMs: 300 } });
    const c = cluster;
    for (const id of [1, 2]) await c.start(id);
    c.elect(1, [1, 2]);
    await waitFor(() => expect(c.broker(1).manager!.leaderEpoch(topic, 0)).toBe(1));
    for (let i = 0; i < 4; i++) await produce(c, 1, values(`a${i}`, 2), true);
    await c.stop(2);
    await c.reopenLog(2);
    const restarted = c.broker(2).log;
    // Its checkpoint may lag its log end, never pass it.
    expect(restarted.highWatermark).toBeLessThanOrEqual(restarted.logEndOffset);
    await waitFor(() => expect(c.isr()).toEqual([1]));
    await produce(c, 1, values("b", 3), true);
    await c.start(2);
    await waitFor(() => expect(c.isr()).toEqual([1, 2]));
    const end = c.broker(1).log.logEndOffset;
    await waitFor(() => expect(c.broker(2).log.highWatermark).toBe(end));
    await expectIdentical(c, [1, 2]);
  });

  it("a follower behind the leader's log start offset starts again there and catches up", async () => {
    cluster = await ReplicaCluster.create({ replicas: [1, 2], config: { replicaLagTimeMaxMs: 300 } });
    const c = cluster;
    for (const id of [1, 2]) await c.start(id);
    c.elect(1, [1, 2]);
    await waitFor(() => expect(c.broker(1).manager!.leaderEpoch(topic, 0)).toBe(1));
    await produce(c, 1, values("a", 4), true);
    await c.stop(2);
    await waitFor(() => expect(c.isr()).toEqual([1]));
    for (let i = 0; i < 5; i++) await produce(c, 1, values(`b${i}`, 2), true);
    await c.broker(1).log.deleteRecordsBefore(10n); // past the stopped follower's end (4)
    await c.start(2);
    await waitFor(() => expect(c.isr()).toEqual([1, 2]));
    const follower = c.broker(2).log;
    expect(follower.logStartOffset).toBe(10n);
    await waitFor(() => expect(follower.highWatermark).toBe(14n));
    const from = (frames: Buffer[]) => Buffer.concat(frames.filter((f) => f.readBigInt64LE(0) >= 10n));
    expect(from(await storedFrames(c.broker(2).dir)).equals(from(await storedFrames(c.broker(1).dir)))).toBe(true);
  });
});
