import { create } from "@bufbuild/protobuf";
import type { Logger } from "pino";
import { CleanupPolicy, TopicConfigSchema } from "../../../gen/ts/tributary/v1/admin_pb.js";
import type { BrokerConfig } from "../../config.js";
import {
  CoordinatorLoadInProgressError,
  CoordinatorNotAvailableError,
  NotCoordinatorError,
  NotLeaderError,
  PartitionOfflineError,
  TributaryError,
} from "../../errors.js";
import { offsetsTopic, type CoordinatorGate, type GroupCoordinator, type GroupLease, type OffsetStore } from "../../groups/index.js";
import type { RecordSpans } from "../../log/index.js";
import type { TopicManager } from "../../topics/index.js";
import type { ClusterNode } from "../cluster-node.js";
import { partitionKey } from "../cluster-state.js";

/** The highest leader epoch that fits above a 16-bit counter in a positive int32. */
const maxGenerationEpoch = 0x7fff;
/** At most one attempt to create __consumer_offsets per this many ms. */
const createRetryMs = 1000;
/** A leadership becomes effective (the replica manager starts the leader epoch) a moment
 * after the metadata sync that applied it, with no event of its own: looked at again this
 * often, besides every sync and every group call. */
const refreshIntervalMs = 250;

/** One offsets partition led here: loading until its replay is done. */
interface Coordination {
  readonly partition: number;
  readonly epoch: number;
  loaded: boolean;
  /** Aborted when the leadership ends: the load stops, members' streams end. */
  readonly ended: AbortController;
  readonly unlisten: () => void;
}

export interface GroupCoordinationOptions {
  readonly node: ClusterNode;
  readonly topics: TopicManager;
  readonly config: BrokerConfig;
  readonly logger: Logger;
}

/**
 * Consumer groups in a cluster (CLUSTER.md section 5): a group's coordinator is the
 * leader of partition murmur2(group) of the replicated `__consumer_offsets`.
 *
 * - The topic is created through etcd like any topic (a guarded txn; the controller
 *   tries as soon as enough brokers are live, any broker when a group call needs it),
 *   with `offsetsTopicReplicationFactor` replicas, never fewer: until then group calls
 *   answer COORDINATOR_NOT_AVAILABLE. Compacted, minInsyncReplicas = min(2, RF).
 * - When this broker becomes leader of one of its partitions, it replays it up to its
 *   log end at that moment (reading below the high watermark, so it waits for the ISR
 *   to confirm the tail); meanwhile the partition's groups answer
 *   COORDINATOR_LOAD_IN_PROGRESS. When the leadership ends (another leader, or a
 *   self-fence: PartitionGate.leadershipEnded), its groups are dropped at once and their
 *   members' streams end with NOT_COORDINATOR.
 * - Commits are appended like an acks=ALL produce and answered only once replicated.
 * - Generations start above (leader epoch << 16), so a member of a deposed coordinator
 *   cannot commit with a generation the new one would accept.
 */
export class GroupCoordination implements CoordinatorGate {
  private readonly led = new Map<number, Coordination>();
  private readonly log: Logger;
  private readonly unsubscribe: () => void;
  private readonly timer: NodeJS.Timeout;
  private coordinator: GroupCoordinator | undefined;
  private offsets: OffsetStore | undefined;
  private creating: Promise<void> | undefined;
  private lastCreateMs = 0;
  private toldWaiting = false;
  private closed = false;

  constructor(private readonly options: GroupCoordinationOptions) {
    this.log = options.logger.child({ component: "coordination" });
    this.unsubscribe = options.node.onSynced(() => this.refresh());
    this.timer = setInterval(() => this.refresh(), refreshIntervalMs);
    this.timer.unref();
  }

  /** Binds the groups' state (created after this, since they need `generationBase`). */
  attach(coordinator: GroupCoordinator, offsets: OffsetStore): void {
    this.coordinator = coordinator;
    this.offsets = offsets;
    this.refresh();
  }

  /** The offsets topic's partition count: etcd's once it exists, else the config's. */
  partitionCount(): number {
    return this.options.node.snapshot?.topics.get(offsetsTopic)?.assignment.partitions.length ?? this.options.config.offsetsTopicPartitions;
  }

  /** The floor of a group's generations here: its offsets partition's leader epoch << 16. */
  generationBase(groupId: string): number {
    const coordination = this.offsets === undefined ? undefined : this.led.get(this.offsets.partitionOf(groupId));
    return coordination === undefined ? 0 : Math.min(coordination.epoch, maxGenerationEpoch) << 16;
  }

  /**
   * Appends to an offsets partition as an acks=ALL produce does: checked as leader with
   * enough in-sync replicas, appended, durable here, then acknowledged once the high
   * watermark passed it in the same leader epoch.
   */
  async append(partition: number, spans: RecordSpans): Promise<void> {
    const { node, topics } = this.options;
    try {
      const epoch = node.checkWrite(offsetsTopic, partition, true);
      const log = topics.get(offsetsTopic).logs[partition];
      const result = log.append(spans);
      await result.durable;
      await node.acknowledge(offsetsTopic, partition, result.lastOffset, true, epoch, undefined);
    } catch (err) {
      // The partition's leadership ended under the commit: for the group's client that is
      // the coordinator moving (the commit may or may not have survived: it asks the new one).
      if (err instanceof NotLeaderError || err instanceof PartitionOfflineError) throw this.notCoordinator(partition);
      throw err;
    }
  }

  checkCoordinator(groupId: string): GroupLease {
    const { node } = this.options;
    const snapshot = node.snapshot;
    if (snapshot?.topics.get(offsetsTopic) === undefined || this.offsets === undefined) {
      this.ensureOffsetsTopic();
      throw new CoordinatorNotAvailableError(groupId, `${offsetsTopic} does not exist yet`);
    }
    const partition = this.offsets.partitionOf(groupId);
    // Synchronous lease check, as for a produce: a paused broker serves nothing.
    const epoch = node.leaderEpochOf(offsetsTopic, partition);
    if (epoch !== this.led.get(partition)?.epoch) this.refresh();
    const coordination = this.led.get(partition);
    if (coordination !== undefined && !coordination.ended.signal.aborted && epoch === coordination.epoch) {
      if (!coordination.loaded) throw new CoordinatorLoadInProgressError(groupId);
      return { partition, ended: coordination.ended.signal };
    }
    const leader = snapshot.partitions.get(partitionKey(offsetsTopic, partition))?.state.leader ?? -1;
    if (leader < 0) throw new CoordinatorNotAvailableError(groupId, `its partition ${partition} of ${offsetsTopic} has no live leader`);
    if (leader === node.id && epoch !== undefined) throw new CoordinatorLoadInProgressError(groupId);
    throw new NotCoordinatorError(groupId, leader === node.id ? undefined : node.brokerAddress(leader));
  }

  findCoordinator(groupId: string): { brokerId: number; address: string; partition: number } {
    // Cut off from etcd (lease not fresh), this broker's metadata may name a coordinator
    // that is no longer one, itself included: the client asks another broker.
    if (!this.options.node.inContact()) {
      throw new CoordinatorNotAvailableError(groupId, "this broker is cut off from etcd; ask another broker");
    }
    const snapshot = this.options.node.snapshot;
    if (snapshot?.topics.get(offsetsTopic) === undefined || this.offsets === undefined) {
      this.ensureOffsetsTopic();
      throw new CoordinatorNotAvailableError(groupId, `${offsetsTopic} does not exist yet`);
    }
    const partition = this.offsets.partitionOf(groupId);
    const leader = snapshot.partitions.get(partitionKey(offsetsTopic, partition))?.state.leader ?? -1;
    const address = leader < 0 ? undefined : snapshot.brokers.get(leader)?.registration.address;
    if (address === undefined) throw new CoordinatorNotAvailableError(groupId, `its partition ${partition} of ${offsetsTopic} has no live leader`);
    return { brokerId: leader, address, partition };
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.unsubscribe();
    for (const partition of [...this.led.keys()]) this.resign(partition, "broker stopping");
  }

  /** Level-triggered: matches the coordinations to the offsets partitions led here now. */
  private refresh(): void {
    if (this.closed || this.offsets === undefined) return;
    const { node } = this.options;
    const snapshot = node.snapshot;
    const exists = snapshot?.topics.get(offsetsTopic) !== undefined;
    if (!exists && snapshot?.controller?.brokerId === node.id) this.ensureOffsetsTopic();
    const count = exists ? this.partitionCount() : 0;
    for (const [partition, coordination] of this.led) {
      const epoch = partition < count ? node.leaderEpochOf(offsetsTopic, partition) : undefined;
      if (epoch !== coordination.epoch || coordination.ended.signal.aborted) this.resign(partition, "leadership ended");
    }
    for (let partition = 0; partition < count; partition++) {
      const epoch = node.leaderEpochOf(offsetsTopic, partition);
      if (epoch !== undefined && !this.led.has(partition)) this.take(partition, epoch);
    }
  }

  /** This broker leads an offsets partition: replay it, then serve its groups. */
  private take(partition: number, epoch: number): void {
    const { node, topics } = this.options;
    const offsets = this.offsets!;
    const log = topics.find(offsetsTopic)?.logs[partition];
    if (log === undefined) return; // not applied locally yet: the next sync brings it
    const ended = new AbortController();
    const leadership = node.leadershipEnded(offsetsTopic, partition);
    const onEnd = () => {
      ended.abort(this.notCoordinator(partition));
      this.refresh();
    };
    leadership.addEventListener("abort", onEnd, { once: true });
    const coordination: Coordination = {
      partition,
      epoch,
      loaded: false,
      ended,
      unlisten: () => leadership.removeEventListener("abort", onEnd),
    };
    this.led.set(partition, coordination);
    if (leadership.aborted) {
      onEnd();
      return;
    }
    const endOffset = log.logEndOffset;
    const startedMs = Date.now();
    this.log.info({ partition, epoch, endOffset }, "coordinator: loading offsets partition");
    offsets.load(partition, log, endOffset, ended.signal).then(
      (records) => {
        if (this.led.get(partition) !== coordination || ended.signal.aborted) return;
        coordination.loaded = true;
        this.log.info({ partition, epoch, records, ms: Date.now() - startedMs }, "coordinator: offsets partition loaded");
      },
      (err: unknown) => {
        if (this.led.get(partition) !== coordination) return;
        if (!ended.signal.aborted) this.log.warn({ err, partition }, "coordinator: loading an offsets partition failed");
        this.resign(partition, "load failed");
        // Level-triggered: tried again at the next metadata change while still leader.
      },
    );
  }

  /** Stops coordinating an offsets partition: its groups go, their streams end. */
  private resign(partition: number, why: string): void {
    const coordination = this.led.get(partition);
    if (coordination === undefined) return;
    this.led.delete(partition);
    coordination.unlisten();
    const offsets = this.offsets!;
    if (!coordination.ended.signal.aborted) coordination.ended.abort(this.notCoordinator(partition));
    const dropped = this.coordinator?.drop((groupId) => offsets.partitionOf(groupId) === partition) ?? [];
    offsets.drop(partition);
    this.log.info({ partition, epoch: coordination.epoch, groups: dropped.length, why }, "coordinator: offsets partition given up");
  }

  /** What streams of an offsets partition's groups end with: the new coordinator's address
   * when the metadata already names it. */
  private notCoordinator(partition: number): NotCoordinatorError {
    const { node } = this.options;
    const leader = node.snapshot?.partitions.get(partitionKey(offsetsTopic, partition))?.state.leader ?? -1;
    const address = leader >= 0 && leader !== node.id ? node.brokerAddress(leader) : undefined;
    return new NotCoordinatorError(`of ${offsetsTopic} partition ${partition}`, address, "this broker stopped coordinating it");
  }

  /** Creates __consumer_offsets through etcd, at most once a second, one attempt at a time. */
  private ensureOffsetsTopic(): void {
    if (this.creating !== undefined || this.closed || Date.now() - this.lastCreateMs < createRetryMs) return;
    this.lastCreateMs = Date.now();
    const { config, node } = this.options;
    const rf = config.offsetsTopicReplicationFactor;
    const topicConfig = create(TopicConfigSchema, { cleanupPolicy: CleanupPolicy.COMPACT, minInsyncReplicas: Math.min(2, rf) });
    this.creating = node
      .createInternalTopic(offsetsTopic, config.offsetsTopicPartitions, rf, topicConfig)
      .then(
        () => this.log.info({ partitions: config.offsetsTopicPartitions, replicationFactor: rf }, `${offsetsTopic} created`),
        (err: unknown) => {
          const reason = err instanceof TributaryError ? err.reason : undefined;
          if (reason === "TOPIC_EXISTS") return;
          if (reason === "INVALID_REPLICATION_FACTOR") {
            if (this.toldWaiting) return;
            this.toldWaiting = true; // once, not every second
            this.log.info({ replicationFactor: rf }, `${offsetsTopic} waits for enough live brokers (offsetsTopicReplicationFactor is never lowered)`);
            return;
          }
          this.log.warn({ err }, `creating ${offsetsTopic} failed; retried on the next group call`);
        },
      )
      .finally(() => (this.creating = undefined));
  }
}
