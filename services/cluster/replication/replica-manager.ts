/**
 * Replication on one broker (Kafka's ReplicaManager; CLUSTER.md section 4): for every
 * partition this broker replicates, leads it (PartitionLeader) or follows its leader
 * (one ReplicaFetcher per leader broker), as the latest metadata says (`apply`). Answers
 * the produce path's questions: may this broker append now (`checkLeader`), and when is
 * an acks=ALL batch committed (`waitForHighWatermark`). Serves ReplicaService
 * (`service`, bound by the server through services/rpc bindService).
 *
 * Leadership starts only once the controller's epoch is saved in the log
 * (Log.startLeaderEpoch); until then `checkLeader` answers NOT_LEADER. The ISR shrink
 * check runs on a timer every quarter of replicaLagTimeMaxMs.
 *
 * Wiring (ClusterNode):
 * - open every local replica's Log with `replicated: true` before the first `apply`
 *   of its partition (`deps.log` answers it);
 * - `apply(view)` on every metadata change of a partition whose replicas include this
 *   broker (and once per partition after the initial read); `remove` when the topic is
 *   deleted or the broker is no longer a replica (then close the Log);
 * - bind `service` (`bindService(ReplicaService, manager.service, ...)`) on the server;
 * - produce: `const epoch = checkLeader(topic, p, { acksAll })` then, in the same tick,
 *   `Log.append`; after `durable`, for acks=ALL
 *   `await waitForHighWatermark(topic, p, lastOffset + 1n, signal, epoch)`;
 * - fetch/subscribe: serve only when `leaderEpoch(topic, p) !== undefined` and
 *   `deps.isFresh()`; readers see the Log's high watermark as today;
 * - on self-fence or shutdown: `close()` (leaderships end, fetchers stop).
 */
import { FencedLeaderEpochError, NotEnoughReplicasError, NotLeaderError, UnknownLeaderEpochError } from "../../errors.js";
import { partitionKey } from "../cluster-state.js";
import { PartitionLeader } from "./partition-leader.js";
import { ReplicaFetcher } from "./replica-fetcher.js";
import { createReplicaService, type ReplicaServiceImpl } from "./replica-service.js";
import { resolveReplicationConfig, type PartitionView, type ReplicationConfig, type ReplicationDeps } from "./replication-deps.js";

export class ReplicaManager {
  /** The ReplicaService implementation: `bindService(ReplicaService, manager.service, log, ...)`. */
  readonly service: ReplicaServiceImpl;
  private readonly config: ReplicationConfig;
  private readonly views = new Map<string, PartitionView>();
  private readonly leaders = new Map<string, PartitionLeader>();
  /** Leaderships being started (the epoch saved in the log), by key: the epoch. */
  private readonly becoming = new Map<string, { readonly epoch: number }>();
  private readonly fetchers = new Map<number, ReplicaFetcher>();
  /** Followed partitions: their leader's broker id. */
  private readonly followed = new Map<string, number>();
  private readonly shrinkTimer: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly deps: ReplicationDeps) {
    this.config = resolveReplicationConfig(deps.config);
    this.service = createReplicaService((topic, partition) => this.leaders.get(partitionKey(topic, partition)), this.config);
    this.shrinkTimer = setInterval(
      () => {
        for (const leader of this.leaders.values()) leader.maybeShrinkIsr();
      },
      Math.max(5, Math.floor(this.config.replicaLagTimeMaxMs / 4)),
    );
    this.shrinkTimer.unref();
  }

  /**
   * Applies the latest metadata of a partition this broker replicates: leads it when the
   * state names this broker (in this incarnation) as leader, follows the leader
   * otherwise, nothing while it is offline or when this broker has no log or is not a
   * replica. Idempotent; an older view (lower mod revision) than the last is ignored.
   */
  apply(view: PartitionView): void {
    if (this.closed) return;
    const key = partitionKey(view.topic, view.partition);
    const previous = this.views.get(key);
    if (previous !== undefined && previous.topicId === view.topicId && view.entry.modRevision < previous.entry.modRevision) return;
    this.views.set(key, view);
    const state = view.entry.state;
    const me = this.deps.brokerId;
    const log = this.deps.log(view.topic, view.partition);
    if (log === undefined || !view.replicas.includes(me)) {
      this.stopLeading(key);
      this.stopFollowing(key);
      return;
    }
    if (state.leader === me) {
      const followingEnded = this.stopFollowing(key);
      if (state.leaderBrokerEpoch !== 0n && state.leaderBrokerEpoch !== this.deps.brokerEpoch()) {
        this.stopLeading(key); // elected in an earlier incarnation: the controller elects again
        return;
      }
      const leader = this.leaders.get(key);
      if (leader !== undefined && leader.leaderEpoch === state.leaderEpoch && leader.view.topicId === view.topicId) {
        leader.update(view);
        return;
      }
      this.stopLeading(key);
      if (this.becoming.get(key)?.epoch === state.leaderEpoch) return;
      const token = { epoch: state.leaderEpoch };
      this.becoming.set(key, token);
      followingEnded.then(() => {
        if (this.becoming.get(key) !== token || this.closed) throw new Error("superseded");
        return PartitionLeader.become(view, log, this.deps, this.config);
      }).then(
        (started) => {
          if (this.becoming.get(key) !== token || this.closed) {
            started.close();
            return;
          }
          this.becoming.delete(key);
          this.leaders.set(key, started);
          started.update(this.views.get(key) ?? view);
          this.deps.logger.info({ topic: view.topic, partition: view.partition, leaderEpoch: token.epoch }, "became leader");
        },
        (err: unknown) => {
          if (this.becoming.get(key) !== token) return; // superseded by newer metadata
          this.becoming.delete(key);
          this.deps.logger.error({ err, topic: view.topic, partition: view.partition, leaderEpoch: token.epoch }, "could not become leader");
        },
      );
      return;
    }
    this.stopLeading(key);
    if (state.leader < 0) {
      this.stopFollowing(key);
      return;
    }
    const previousFetcherDone = this.followed.get(key) !== state.leader ? this.stopFollowing(key) : undefined;
    let fetcher = this.fetchers.get(state.leader);
    if (fetcher === undefined) {
      fetcher = new ReplicaFetcher(state.leader, this.deps, this.config);
      this.fetchers.set(state.leader, fetcher);
    }
    if (!fetcher.has(view.topic, view.partition, state.leaderEpoch) || previous?.topicId !== view.topicId) {
      fetcher.add(view, log, previousFetcherDone);
      this.deps.logger.info({ topic: view.topic, partition: view.partition, leader: state.leader, leaderEpoch: state.leaderEpoch }, "following");
    }
    this.followed.set(key, state.leader);
  }

  /** Stops replicating a partition (deleted, or no longer assigned here). */
  remove(topic: string, partition: number): void {
    const key = partitionKey(topic, partition);
    this.views.delete(key);
    this.stopLeading(key);
    this.stopFollowing(key);
  }

  /**
   * Before appending a produce: throws unless this broker leads the partition now, its
   * lease is fresh, `leaderEpoch` (when the request carries one) is the current one, and,
   * for acks=ALL, the ISR has at least minInsyncReplicas members. Synchronous: call it
   * right before Log.append, in the same tick. Returns the leader epoch (for
   * `waitForHighWatermark`).
   * @throws NotLeaderError NOT_LEADER (with the leader's address when known),
   *   FencedLeaderEpochError, UnknownLeaderEpochError, NotEnoughReplicasError
   */
  checkLeader(topic: string, partition: number, options: { acksAll: boolean; leaderEpoch?: number }): number {
    const key = partitionKey(topic, partition);
    const leader = this.leaders.get(key);
    if (leader === undefined) throw new NotLeaderError(topic, partition, this.leaderAddress(key));
    if (!this.deps.isFresh()) throw new NotLeaderError(topic, partition, undefined, "this broker's lease is not fresh");
    const epoch = options.leaderEpoch;
    if (epoch !== undefined && epoch < leader.leaderEpoch) throw new FencedLeaderEpochError(topic, partition, epoch, leader.leaderEpoch);
    if (epoch !== undefined && epoch > leader.leaderEpoch) throw new UnknownLeaderEpochError(topic, partition, epoch, leader.leaderEpoch);
    const min = leader.view.minInsyncReplicas;
    if (options.acksAll && leader.isrSize < min) throw new NotEnoughReplicasError(topic, partition, leader.isrSize, min);
    return leader.leaderEpoch;
  }

  /**
   * acks=ALL: resolves once the high watermark reaches `offset` (the batch's last offset
   * + 1), checking the lease synchronously then; rejects with NOT_LEADER (retriable)
   * when the leadership (of `leaderEpoch`, when given) ends first or the lease is not
   * fresh, or with the signal's reason.
   */
  waitForHighWatermark(topic: string, partition: number, offset: bigint, signal: AbortSignal, leaderEpoch?: number): Promise<void> {
    const key = partitionKey(topic, partition);
    const leader = this.leaders.get(key);
    if (leader === undefined || (leaderEpoch !== undefined && leader.leaderEpoch !== leaderEpoch)) {
      return Promise.reject(new NotLeaderError(topic, partition, this.leaderAddress(key)));
    }
    return leader.waitForHighWatermark(offset, signal);
  }

  /** The leader epoch this broker leads the partition in, undefined when it does not lead it. */
  leaderEpoch(topic: string, partition: number): number | undefined {
    return this.leaders.get(partitionKey(topic, partition))?.leaderEpoch;
  }

  /** Stops everything: leaderships end (waiting produces fail, retriable), fetchers close. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.shrinkTimer);
    for (const key of [...this.leaders.keys()]) this.stopLeading(key);
    this.becoming.clear();
    const fetchers = [...this.fetchers.values()];
    this.fetchers.clear();
    this.followed.clear();
    await Promise.all(fetchers.map((f) => f.close()));
  }

  private leaderAddress(key: string): string | undefined {
    const id = this.views.get(key)?.entry.state.leader;
    return id === undefined || id < 0 || id === this.deps.brokerId ? undefined : this.deps.brokerAddress(id);
  }

  private stopLeading(key: string): void {
    this.becoming.delete(key);
    const leader = this.leaders.get(key);
    if (leader === undefined) return;
    this.leaders.delete(key);
    leader.close();
    this.deps.logger.info({ partition: key, leaderEpoch: leader.leaderEpoch }, "stopped leading");
  }

  /** Resolves once an answer being applied to the partition (append, truncation) is done. */
  private stopFollowing(key: string): Promise<void> {
    const leaderId = this.followed.get(key);
    if (leaderId === undefined) return Promise.resolve();
    this.followed.delete(key);
    const fetcher = this.fetchers.get(leaderId);
    if (fetcher === undefined) return Promise.resolve();
    const [topic, partition] = splitKey(key);
    const settled = fetcher.remove(topic, partition);
    if (fetcher.size === 0) {
      this.fetchers.delete(leaderId);
      void fetcher.close();
    }
    return settled.catch(() => undefined);
  }
}

function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf("/");
  return [key.slice(0, at), Number(key.slice(at + 1))];
}
