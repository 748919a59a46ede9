/**
 * One partition this broker leads, in one leader epoch (Kafka's Partition on the
 * leader side; CLUSTER.md section 4): it answers its followers' fetches, tracks each
 * follower's log end and when it last caught up, moves the high watermark, and changes
 * the ISR by compare-and-swap.
 *
 * - Follower log end: the `fetch_offset` of its last fetch that did not diverge (its
 *   written, and under fsync policy `always` fsynced, log end).
 * - Caught up (Kafka's rule): a fetch at or above the leader's written end at that
 *   moment, or at or above the leader's written end at the follower's previous fetch
 *   (then it was caught up at that previous fetch's time).
 * - High watermark: the smallest log end over the maximal ISR (the committed ISR plus
 *   the members of an ISR change still in flight), the leader's own being its written
 *   end; it moves only while the committed ISR has at least minInsyncReplicas members
 *   (KIP-966), and not before it reaches the start offset of this leader's epoch (a new
 *   leader does not expose a high watermark its followers have not confirmed on its own
 *   history, the Raft rule). A member counts only in the incarnation (broker epoch) the
 *   ISR names.
 * - Shrink: a member not caught up for replicaLagTimeMaxMs, or fetching in another
 *   incarnation (it restarted), is removed. Expand: a replica whose log end is at or
 *   above the high watermark and the start of this epoch joins with its broker epoch
 *   (the one registered now). One change in flight at a time; after a conflict nothing
 *   changes until newer metadata arrives (`update`).
 *
 * Single-threaded (the event loop): state changes happen in synchronous sections.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import { IsrMemberSchema, type IsrMember } from "../../../gen/ts/tributary/cluster/v1/metadata_pb.js";
import { DivergingEpochSchema, type ReplicaDataSchema, type ReplicaFetch } from "../../../gen/ts/tributary/cluster/v1/replica_pb.js";
import { NotLeaderError, TributaryError } from "../../errors.js";
import type { Log } from "../../log/index.js";
import type { PartitionEntry } from "../cluster-state.js";
import type { PartitionView, ReplicationConfig, ReplicationDeps } from "./replication-deps.js";

export type ReplicaDataInit = MessageInitShape<typeof ReplicaDataSchema>;

interface FollowerState {
  readonly brokerEpoch: bigint;
  logEndOffset: bigint;
  lastCaughtUpTimeMs: number;
  lastFetchTimeMs: number;
  lastFetchLeaderEndOffset: bigint;
}

interface HighWatermarkWaiter {
  readonly offset: bigint;
  resolve(): void;
  reject(err: Error): void;
}

export class PartitionLeader {
  private viewNow: PartitionView;
  private readonly followers = new Map<number, FollowerState>();
  /** The ISR being written (compare-and-swap in flight), or null. */
  private pendingIsr: IsrMember[] | null = null;
  /** The mod revision a compare-and-swap conflicted on: no change until a newer one. */
  private conflictRevision: bigint | null = null;
  private readonly waiters = new Set<HighWatermarkWaiter>();
  private readonly wakers = new Set<() => void>();
  private readonly unsubscribe: Array<() => void>;
  private readonly sinceMs: number;
  private closed = false;

  private constructor(
    view: PartitionView,
    readonly log: Log,
    readonly leaderEpoch: number,
    /** Where this leader's epoch starts in its log. */
    readonly epochStartOffset: bigint,
    private readonly deps: ReplicationDeps,
    private readonly config: ReplicationConfig,
  ) {
    this.viewNow = view;
    this.sinceMs = deps.clock.nowMs();
    this.unsubscribe = [
      log.onWrittenEnd(() => {
        this.maybeAdvanceHighWatermark();
        this.wake();
      }),
      log.onHighWatermark(() => {
        this.settleWaiters();
        this.wake();
      }),
    ];
  }

  /** Becomes the leader of `view`'s epoch: starts the epoch in the log (saved), then leads. */
  static async become(view: PartitionView, log: Log, deps: ReplicationDeps, config: ReplicationConfig): Promise<PartitionLeader> {
    const epoch = view.entry.state.leaderEpoch;
    await log.startLeaderEpoch(epoch);
    const start = log.leaderEpochs().find((e) => e.epoch === epoch)?.startOffset ?? Number(log.logEndOffset);
    const leader = new PartitionLeader(view, log, epoch, BigInt(start), deps, config);
    leader.maybeAdvanceHighWatermark();
    return leader;
  }

  get view(): PartitionView {
    return this.viewNow;
  }

  /** The committed ISR's size (what acks=ALL compares with minInsyncReplicas). */
  get isrSize(): number {
    return this.viewNow.entry.state.isr.length;
  }

  /** Newer metadata of the same leader epoch (an ISR change, ours or the controller's). */
  update(view: PartitionView): void {
    if (view.entry.modRevision < this.viewNow.entry.modRevision) return;
    if (view.entry.modRevision !== this.conflictRevision) this.conflictRevision = null;
    this.viewNow = view;
    this.maybeAdvanceHighWatermark();
    this.wake();
  }

  /** Calls `waker` on news for fetches held by the replica service; returns the unsubscribe. */
  onNews(waker: () => void): () => void {
    this.wakers.add(waker);
    return () => this.wakers.delete(waker);
  }

  /** Answers one partition of a follower's fetch (ReplicaService.Replicate). */
  async fetch(f: ReplicaFetch, followerId: number, followerEpoch: bigint, maxBytes: number): Promise<ReplicaDataInit> {
    const base = { topic: f.topic, partition: f.partition };
    const answer = (error: string): ReplicaDataInit => ({ ...base, error, ...this.positions() });
    if (this.closed) return answer("NOT_LEADER");
    if (f.topicId !== this.viewNow.topicId) return answer("UNKNOWN_TOPIC_ID");
    if (f.currentLeaderEpoch < this.leaderEpoch) return answer("FENCED_LEADER_EPOCH");
    if (f.currentLeaderEpoch > this.leaderEpoch) return answer("UNKNOWN_LEADER_EPOCH");
    if (!this.deps.isFresh()) return answer("NOT_LEADER");
    // KIP-320: does the follower's last epoch end at or after its fetch offset here?
    if (f.lastFetchedEpoch >= 0) {
      const end = this.log.endOffsetForEpoch(f.lastFetchedEpoch);
      if (end.epoch !== f.lastFetchedEpoch || end.endOffset < f.fetchOffset) {
        return { ...answer(""), divergingEpoch: create(DivergingEpochSchema, { epoch: end.epoch, endOffset: end.endOffset }) };
      }
    }
    if (f.fetchOffset < this.log.logStartOffset || f.fetchOffset > this.log.logEndOffset) return answer("OFFSET_OUT_OF_RANGE");
    this.noteFetch(followerId, followerEpoch, f.fetchOffset);
    let frames: Buffer;
    try {
      frames = (await this.log.readFrames(f.fetchOffset, maxBytes)).frames;
    } catch (err) {
      if (err instanceof TributaryError) return answer(err.reason);
      throw err;
    }
    return { ...answer(""), frames };
  }

  private positions(): { highWatermark: bigint; logStartOffset: bigint; logEndOffset: bigint } {
    return { highWatermark: this.log.highWatermark, logStartOffset: this.log.logStartOffset, logEndOffset: this.log.writtenEndOffset };
  }

  private noteFetch(followerId: number, brokerEpoch: bigint, fetchOffset: bigint): void {
    const now = this.deps.clock.nowMs();
    const leaderEnd = this.log.writtenEndOffset;
    let state = this.followers.get(followerId);
    if (state === undefined || state.brokerEpoch !== brokerEpoch) {
      state = { brokerEpoch, logEndOffset: -1n, lastCaughtUpTimeMs: 0, lastFetchTimeMs: now, lastFetchLeaderEndOffset: -1n };
      this.followers.set(followerId, state);
    }
    if (fetchOffset >= leaderEnd) state.lastCaughtUpTimeMs = now;
    else if (state.lastFetchLeaderEndOffset >= 0n && fetchOffset >= state.lastFetchLeaderEndOffset) {
      state.lastCaughtUpTimeMs = Math.max(state.lastCaughtUpTimeMs, state.lastFetchTimeMs);
    }
    state.lastFetchTimeMs = now;
    state.lastFetchLeaderEndOffset = leaderEnd;
    state.logEndOffset = fetchOffset < this.log.logEndOffset ? fetchOffset : this.log.logEndOffset;
    this.maybeExpandIsr(followerId, state);
    this.maybeAdvanceHighWatermark();
  }

  /** The committed ISR plus the members of a change in flight. */
  private maximalIsr(): IsrMember[] {
    const isr = [...this.viewNow.entry.state.isr];
    for (const m of this.pendingIsr ?? []) if (!isr.some((o) => o.brokerId === m.brokerId)) isr.push(m);
    return isr;
  }

  /** Recomputes the high watermark (see the file comment). */
  maybeAdvanceHighWatermark(): void {
    if (this.closed || this.isrSize < this.viewNow.minInsyncReplicas) return;
    let hw = this.log.writtenEndOffset;
    for (const m of this.maximalIsr()) {
      if (m.brokerId === this.deps.brokerId) continue;
      const state = this.followers.get(m.brokerId);
      if (state === undefined || state.brokerEpoch !== m.brokerEpoch || state.logEndOffset < 0n) return; // not known yet
      if (state.logEndOffset < hw) hw = state.logEndOffset;
    }
    if (hw < this.epochStartOffset || hw <= this.log.highWatermark) return;
    this.log.advanceHighWatermark(hw);
  }

  private maybeExpandIsr(followerId: number, state: FollowerState): void {
    if (!this.canChangeIsr() || !this.viewNow.replicas.includes(followerId)) return;
    const isr = this.viewNow.entry.state.isr;
    if (isr.some((m) => m.brokerId === followerId && m.brokerEpoch === state.brokerEpoch)) return;
    if (isr.some((m) => m.brokerId === followerId)) return; // its old incarnation leaves first (shrink)
    if (state.logEndOffset < this.log.highWatermark || state.logEndOffset < this.epochStartOffset) return;
    if (this.deps.liveBrokerEpoch(followerId) !== state.brokerEpoch) return;
    // In controlled shutdown: the controller took it out; acks=ALL must not wait on it again.
    if (this.deps.isShuttingDown(followerId)) return;
    this.alterIsr([...isr, create(IsrMemberSchema, { brokerId: followerId, brokerEpoch: state.brokerEpoch })], "expand");
  }

  /** Removes the members that fell behind (called periodically by the ReplicaManager). */
  maybeShrinkIsr(): void {
    if (!this.canChangeIsr()) return;
    const now = this.deps.clock.nowMs();
    const lagMs = this.config.replicaLagTimeMaxMs;
    const isr = this.viewNow.entry.state.isr;
    const out = isr.filter((m) => {
      if (m.brokerId === this.deps.brokerId) return false;
      const state = this.followers.get(m.brokerId);
      if (state === undefined) return now - this.sinceMs > lagMs;
      if (state.brokerEpoch !== m.brokerEpoch) return true; // it restarted: the old incarnation is gone
      return now - Math.max(state.lastCaughtUpTimeMs, this.sinceMs) > lagMs;
    });
    if (out.length > 0) this.alterIsr(isr.filter((m) => !out.includes(m)), "shrink");
  }

  private canChangeIsr(): boolean {
    return !this.closed && this.pendingIsr === null && this.conflictRevision === null && this.deps.isFresh();
  }

  private alterIsr(isr: IsrMember[], kind: "expand" | "shrink"): void {
    const view = this.viewNow;
    // Shrink: the maximal ISR is the committed one until the write lands; expand: it
    // includes the new member at once (either way the larger set holds the high watermark).
    this.pendingIsr = isr;
    const ids = isr.map((m) => m.brokerId);
    this.deps.logger.info({ topic: view.topic, partition: view.partition, leaderEpoch: this.leaderEpoch, isr: ids, kind }, "ISR change");
    this.deps.alterPartitionState(view, isr).then(
      (entry: PartitionEntry | undefined) => {
        this.pendingIsr = null;
        if (this.closed) return;
        if (entry === undefined) {
          this.conflictRevision = view.entry.modRevision;
          this.deps.logger.info({ topic: view.topic, partition: view.partition, kind }, "ISR change conflicted: waiting for newer metadata");
        } else if (entry.modRevision > this.viewNow.entry.modRevision) {
          this.viewNow = { ...this.viewNow, entry };
        }
        this.maybeAdvanceHighWatermark();
        this.wake();
      },
      (err: unknown) => {
        this.pendingIsr = null;
        this.deps.logger.warn({ err, topic: view.topic, partition: view.partition, kind }, "ISR change failed");
      },
    );
  }

  /**
   * acks=ALL: resolves once the high watermark reaches `offset` (one past the batch) in
   * this epoch, after a synchronous lease check; rejects with NOT_LEADER when the lease is
   * not fresh then, when this leadership ends first, or with the signal's reason.
   */
  waitForHighWatermark(offset: bigint, signal: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(this.lostLeadership());
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.waiters.delete(waiter);
        reject(signal.reason as Error);
      };
      const waiter: HighWatermarkWaiter = {
        offset,
        resolve: () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        },
        reject: (err) => {
          signal.removeEventListener("abort", onAbort);
          reject(err);
        },
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiters.add(waiter);
      this.settleWaiters();
    });
  }

  private settleWaiters(): void {
    if (this.waiters.size === 0) return;
    const hw = this.log.highWatermark;
    for (const waiter of this.waiters) {
      if (hw < waiter.offset) continue;
      this.waiters.delete(waiter);
      // Synchronous at acknowledgement time: a paused leader that resumes does not ack.
      if (this.deps.isFresh()) waiter.resolve();
      else waiter.reject(new NotLeaderError(this.viewNow.topic, this.viewNow.partition, undefined, "this broker's lease is not fresh"));
    }
  }

  private lostLeadership(): NotLeaderError {
    return new NotLeaderError(this.viewNow.topic, this.viewNow.partition, undefined, `leadership of epoch ${this.leaderEpoch} ended`);
  }

  private wake(): void {
    for (const waker of this.wakers) waker();
  }

  /** Ends this leadership: waiting acks=ALL produces fail (retriable), held fetches wake. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.unsubscribe) off();
    const err = this.lostLeadership();
    for (const waiter of this.waiters) waiter.reject(err);
    this.waiters.clear();
    this.wake();
  }
}
