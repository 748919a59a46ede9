/**
 * The follower side of replication toward one leader broker (Kafka's
 * ReplicaFetcherThread; CLUSTER.md section 4): one ReplicaService.Replicate stream, one
 * fetch at a time for every partition followed from that leader, then the next.
 *
 * Per partition and answer:
 * - a diverging epoch (KIP-320): truncate to where the histories agree, by the leader's
 *   epochs (KIP-101/KIP-279): to min(leader's end of that epoch, own end of it) when this
 *   log has that epoch, else to the end of its own largest epoch below it, and ask again
 *   (the next fetch carries the new last epoch) until the leader agrees. Never to the
 *   high watermark: that lost acknowledged records in Kafka before KIP-101;
 * - frames: appended verbatim (Log.appendAsFollower), then awaited until written (fsynced
 *   under fsync policy `always`): the next fetch reports the written end only, which is
 *   what the leader counts toward its high watermark and the ISR;
 * - the leader's high watermark: this log's becomes min(it, own written end);
 * - OFFSET_OUT_OF_RANGE below the leader's log start offset (it deleted what this
 *   replica lacks): the log is emptied and starts at the leader's log start offset;
 * - another error: that partition waits a backoff, the others go on.
 * A transport error, or no answer within the wait plus replicaRequestTimeoutMs, closes
 * the stream; it reopens after a backoff that doubles up to ten times the base.
 *
 * Epoch and leader changes come from the ReplicaManager (`add` with the new view,
 * `remove`): an answer for a partition whose entry changed while it was in flight is
 * dropped.
 */
import { ReplicaService, type ReplicaData, type ReplicateResponse } from "../../../gen/ts/tributary/cluster/v1/replica_pb.js";
import type { Log } from "../../log/index.js";
import { RpcClient, type BidiStream } from "../../rpc/index.js";
import type { PartitionView, ReplicationConfig, ReplicationDeps } from "./replication-deps.js";
import { ReplicateRequestSchema } from "../../../gen/ts/tributary/cluster/v1/replica_pb.js";

interface FollowedPartition {
  readonly view: PartitionView;
  readonly log: Log;
  /** Not fetched before this time (after an error). */
  retryAtMs: number;
  /** The handling of its last answer (an append or a truncation), settled. */
  inflight: Promise<void>;
}

interface Exchange {
  resolve(response: ReplicateResponse): void;
  reject(err: Error): void;
}

export class ReplicaFetcher {
  private readonly partitions = new Map<string, FollowedPartition>();
  private client: RpcClient | null = null;
  private stream: BidiStream<typeof ReplicateRequestSchema> | null = null;
  private exchange: Exchange | null = null;
  private closed = false;
  private wakeIdle: (() => void) | null = null;
  private readonly running: Promise<void>;

  constructor(
    readonly leaderId: number,
    private readonly deps: ReplicationDeps,
    private readonly config: ReplicationConfig,
  ) {
    this.running = this.run();
  }

  /** Follows `view`'s partition from this leader (replacing an older entry of it), once
   * `after` (the previous fetcher's work on it) is settled. */
  add(view: PartitionView, log: Log, after?: Promise<void>): void {
    const key = `${view.topic}/${view.partition}`;
    const inflight = after ?? this.partitions.get(key)?.inflight ?? Promise.resolve();
    const entry: FollowedPartition = { view, log, retryAtMs: after === undefined ? 0 : Infinity, inflight };
    this.partitions.set(key, entry);
    if (after !== undefined) {
      void after.then(() => {
        entry.retryAtMs = 0;
        this.wakeIdle?.();
      });
    }
    this.wakeIdle?.();
  }

  /** Stops following the partition; resolves once the handling of an answer in flight
   * for it (an append, a truncation) is over, so that a leadership starting next is not
   * undercut by it. */
  remove(topic: string, partition: number): Promise<void> {
    const key = `${topic}/${partition}`;
    const p = this.partitions.get(key);
    this.partitions.delete(key);
    return p?.inflight ?? Promise.resolve();
  }

  get size(): number {
    return this.partitions.size;
  }

  has(topic: string, partition: number, leaderEpoch: number): boolean {
    return this.partitions.get(`${topic}/${partition}`)?.view.entry.state.leaderEpoch === leaderEpoch;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.dropStream(new Error("fetcher closed"));
    this.wakeIdle?.();
    await this.running;
  }

  private async run(): Promise<void> {
    let backoffMs = this.config.replicaFetchBackoffMs;
    while (!this.closed) {
      const now = this.deps.clock.nowMs();
      const ready = [...this.partitions.values()].filter((p) => p.retryAtMs <= now && p.log.writtenEndOffset === p.log.logEndOffset);
      if (ready.length === 0) {
        const next = Math.min(...[...this.partitions.values()].map((p) => p.retryAtMs));
        await this.idle(Number.isFinite(next) ? Math.max(1, next - now) : this.config.replicaFetchWaitMaxMs);
        continue;
      }
      try {
        const response = await this.fetch(ready);
        await Promise.all(response.partitions.map((data) => this.handle(data)));
        // (handle sets each partition's `inflight` synchronously, before its first await.)
        backoffMs = this.config.replicaFetchBackoffMs;
      } catch (err) {
        if (this.closed) break;
        this.deps.logger.warn({ err, leader: this.leaderId }, "replica fetch failed: reconnecting");
        this.dropStream(err as Error);
        await this.idle(backoffMs);
        backoffMs = Math.min(backoffMs * 2, this.config.replicaFetchBackoffMs * 10);
      }
    }
    this.dropStream(new Error("fetcher closed"));
  }

  private idle(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeIdle = () => {
        this.wakeIdle = null;
        done();
      };
    });
  }

  /** Sends one fetch for `ready` and waits for its answer (bounded). */
  private fetch(ready: FollowedPartition[]): Promise<ReplicateResponse> {
    const stream = this.openStream();
    return new Promise<ReplicateResponse>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error("no answer from the leader in time")),
        this.config.replicaFetchWaitMaxMs + this.config.replicaRequestTimeoutMs,
      );
      this.exchange = {
        resolve: (response) => {
          clearTimeout(timer);
          resolve(response);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      stream.send({
        brokerId: this.deps.brokerId,
        brokerEpoch: this.deps.brokerEpoch(),
        maxWaitMs: this.config.replicaFetchWaitMaxMs,
        maxBytes: this.config.replicaFetchMaxBytes,
        partitions: ready.map(({ view, log }) => {
          const end = log.logEndOffset;
          return {
            topic: view.topic,
            topicId: view.topicId,
            partition: view.partition,
            currentLeaderEpoch: view.entry.state.leaderEpoch,
            fetchOffset: end,
            lastFetchedEpoch: end > 0n ? log.epochForOffset(end - 1n) : -1,
          };
        }),
      });
    });
  }

  private openStream(): BidiStream<typeof ReplicateRequestSchema> {
    if (this.stream !== null) return this.stream;
    const address = this.deps.brokerAddress(this.leaderId);
    if (address === undefined) throw new Error(`leader ${this.leaderId} has no known address`);
    if (this.client === null || this.client.address !== address) {
      this.client?.close();
      this.client = this.deps.interBrokerClient?.(address) ?? new RpcClient(address);
    }
    const stream = this.client.openBidiStream(ReplicaService.typeName, ReplicaService.method.replicate, {
      onMessage: (response) => {
        const exchange = this.exchange;
        this.exchange = null;
        exchange?.resolve(response);
      },
      onEnd: (end) => {
        if (this.stream === stream) this.stream = null;
        const exchange = this.exchange;
        this.exchange = null;
        exchange?.reject(end ?? new Error("the leader ended the stream"));
      },
    });
    this.stream = stream;
    return stream;
  }

  private dropStream(err: Error): void {
    const stream = this.stream;
    this.stream = null;
    const exchange = this.exchange;
    this.exchange = null;
    exchange?.reject(err);
    stream?.cancel();
    if (this.closed) {
      this.client?.close();
      this.client = null;
    }
  }

  /** Applies one partition's answer (see the file comment). */
  private handle(data: ReplicaData): Promise<void> {
    const p = this.partitions.get(`${data.topic}/${data.partition}`);
    if (p === undefined) return Promise.resolve();
    const done = this.apply(p, data);
    p.inflight = done;
    return done;
  }

  private async apply(p: FollowedPartition, data: ReplicaData): Promise<void> {
    const key = `${data.topic}/${data.partition}`;
    const current = (): boolean => !this.closed && this.partitions.get(key) === p;
    const log = p.log;
    try {
      if (data.error === "OFFSET_OUT_OF_RANGE" && data.logStartOffset > log.logEndOffset) {
        // The leader deleted what this replica lacks: start again at its log start.
        this.deps.logger.warn({ topic: data.topic, partition: data.partition, leaderLogStartOffset: data.logStartOffset }, "behind the leader's log start: emptying the log");
        if (current()) await log.truncateFullyAndStartAt(data.logStartOffset);
        return;
      }
      if (data.error !== "") {
        if (data.error !== "UNKNOWN_LEADER_EPOCH") this.deps.logger.info({ topic: data.topic, partition: data.partition, leader: this.leaderId, reason: data.error }, "replica fetch refused");
        p.retryAtMs = this.deps.clock.nowMs() + this.config.replicaFetchBackoffMs;
        return;
      }
      if (data.divergingEpoch !== undefined) {
        const target = this.truncationPoint(log, data.divergingEpoch.epoch, data.divergingEpoch.endOffset);
        this.deps.logger.warn(
          { topic: data.topic, partition: data.partition, leaderEpoch: data.divergingEpoch.epoch, leaderEndOffset: data.divergingEpoch.endOffset, truncateTo: target },
          "diverging epoch: truncating",
        );
        if (current()) await log.truncateTo(target);
        return;
      }
      if (data.frames.length > 0) {
        if (!current()) return;
        const frames = Buffer.from(data.frames.buffer, data.frames.byteOffset, data.frames.byteLength);
        await log.appendAsFollower(frames).durable;
      }
      if (!current()) return;
      log.advanceHighWatermark(data.highWatermark); // capped at the written end: min(leader's, own)
      if (data.logStartOffset > log.logStartOffset && data.logStartOffset <= log.highWatermark) {
        await log.deleteRecordsBefore(data.logStartOffset);
      }
    } catch (err) {
      this.deps.logger.warn({ err, topic: data.topic, partition: data.partition, leader: this.leaderId }, "replica fetch answer not applied");
      p.retryAtMs = this.deps.clock.nowMs() + this.config.replicaFetchBackoffMs * 10;
    }
  }

  /** Where to truncate on a diverging epoch {epoch, endOffset} from the leader (KIP-279). */
  private truncationPoint(log: Log, epoch: number, leaderEndOffset: bigint): bigint {
    let target: bigint;
    if (epoch < 0 || leaderEndOffset < 0n) {
      target = log.logStartOffset; // the leader knows none of this log's epochs
    } else {
      const own = log.endOffsetForEpoch(epoch);
      if (own.epoch < 0) target = log.logStartOffset;
      else if (own.epoch === epoch) target = own.endOffset < leaderEndOffset ? own.endOffset : leaderEndOffset;
      else target = own.endOffset; // this log lacks the leader's epoch: cut its later epochs, ask again
    }
    if (target > log.logEndOffset) target = log.logEndOffset;
    return target < log.logStartOffset ? log.logStartOffset : target;
  }
}
