import { fromJsonString, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import type { Logger } from "pino";
import {
  BrokerRegistrationSchema,
  ControllerRegistrationSchema,
  PartitionStateSchema,
  ReplicaStateSchema,
  TopicAssignmentSchema,
} from "../../gen/ts/tributary/cluster/v1/metadata_pb.js";
import type { ClusterKeys } from "./cluster-keys.js";
import {
  partitionKey,
  type ClusterSnapshot,
  type LiveBroker,
  type PartitionEntry,
  type ReplicaStateEntry,
  type TopicEntry,
} from "./cluster-state.js";
import type { EtcdClient, KeyValue, WatchEvent } from "./etcd/index.js";

/** How long to wait before reading again after a failed read or a broken watch. */
const retryMs = 250;

/**
 * The cluster's metadata as this broker sees it (CLUSTER.md section 2, "Watches"):
 * the whole prefix read at one revision, then a watch from the next revision with
 * every event applied in order. When the watch ends (compaction, a dead etcd member,
 * any error) the prefix is read again and a new watch starts from that read: no event
 * is lost and the snapshot never goes back in revision. Brokers serve cluster
 * metadata (DescribeCluster, DescribeTopic, leaders) from it; decisions that must not
 * act on stale data are etcd transactions that compare revisions.
 *
 * Listeners are told after each batch of events (or re-read), with the new snapshot.
 */
export class MetadataCache {
  private snapshot: ClusterSnapshot;
  private watch: { close(): void } | undefined;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(snapshot: ClusterSnapshot) => void>();
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly etcd: EtcdClient,
    private readonly keys: ClusterKeys,
    private readonly logger: Logger,
    snapshot: ClusterSnapshot,
  ) {
    this.snapshot = snapshot;
  }

  /** Reads the prefix and starts watching it. @throws EtcdError when etcd does not answer */
  static async start(etcd: EtcdClient, keys: ClusterKeys, logger: Logger): Promise<MetadataCache> {
    const log = logger.child({ component: "metadata" });
    const cache = new MetadataCache(etcd, keys, log, await readSnapshot(etcd, keys, log));
    cache.startWatch();
    return cache;
  }

  get current(): ClusterSnapshot {
    return this.snapshot;
  }

  onChange(listener: (snapshot: ClusterSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves once the snapshot has reached `revision` (a write this broker made is
   * then visible in it); rejects after `timeoutMs`.
   */
  waitForRevision(revision: bigint, timeoutMs: number): Promise<void> {
    return this.waitUntil(() => this.snapshot.revision >= revision, timeoutMs);
  }

  /** Resolves once `predicate(snapshot)` holds; rejects after `timeoutMs`. */
  waitUntil(predicate: (snapshot: ClusterSnapshot) => boolean, timeoutMs: number): Promise<void> {
    if (predicate(this.snapshot)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate(this.snapshot)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`cluster metadata did not reach the expected state within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.watch?.close();
    this.watch = undefined;
  }

  private startWatch(): void {
    if (this.closed) return;
    this.watch = this.etcd.watch(
      this.keys.root,
      { prefix: true, startRevision: this.snapshot.revision + 1n, prevKv: false },
      {
        events: (events, revision) => this.apply(events, revision),
        cancelled: (reason, detail) => {
          this.logger.info({ reason, compactRevision: detail.compactRevision, err: detail.err }, "metadata watch ended; reading again");
          this.watch = undefined;
          this.reread();
        },
      },
    );
  }

  private reread(): void {
    if (this.closed) return;
    readSnapshot(this.etcd, this.keys, this.logger).then(
      (snapshot) => {
        if (this.closed) return;
        // A read from a member behind the one watched cannot go back in time.
        if (snapshot.revision >= this.snapshot.revision) this.publish(snapshot);
        this.startWatch();
      },
      (err: unknown) => {
        this.logger.warn({ err }, "reading cluster metadata failed; retrying");
        this.retryTimer = setTimeout(() => this.reread(), retryMs);
      },
    );
  }

  private apply(events: WatchEvent[], revision: bigint): void {
    const next = mutableCopy(this.snapshot);
    for (const event of events) applyEvent(next, this.keys, event, this.logger);
    next.revision = revision > next.revision ? revision : next.revision;
    this.publish(next);
  }

  private publish(snapshot: ClusterSnapshot): void {
    this.snapshot = snapshot;
    for (const listener of this.listeners) {
      try {
        listener(snapshot);
      } catch (err) {
        this.logger.error({ err }, "metadata listener failed");
      }
    }
    for (const waiter of [...this.waiters]) waiter();
  }
}

interface MutableSnapshot {
  revision: bigint;
  brokers: Map<number, LiveBroker>;
  controller: { brokerId: number; epoch: bigint } | undefined;
  topics: Map<string, TopicEntry>;
  partitions: Map<string, PartitionEntry>;
  replicaStates: Map<string, ReplicaStateEntry>;
}

function emptySnapshot(revision: bigint): MutableSnapshot {
  return { revision, brokers: new Map(), controller: undefined, topics: new Map(), partitions: new Map(), replicaStates: new Map() };
}

function mutableCopy(s: ClusterSnapshot): MutableSnapshot {
  return {
    revision: s.revision,
    brokers: new Map(s.brokers),
    controller: s.controller,
    topics: new Map(s.topics),
    partitions: new Map(s.partitions),
    replicaStates: new Map(s.replicaStates),
  };
}

/** The whole prefix at one revision (CLUSTER.md: the level-triggered read). */
export async function readSnapshot(etcd: EtcdClient, keys: ClusterKeys, logger: Logger): Promise<ClusterSnapshot> {
  const { kvs, revision } = await etcd.range(keys.root, { prefix: true });
  const snapshot = emptySnapshot(revision);
  for (const kv of kvs) applyEvent(snapshot, keys, { type: "put", kv }, logger);
  return snapshot;
}

function applyEvent(s: MutableSnapshot, keys: ClusterKeys, event: WatchEvent, logger: Logger): void {
  const key = keys.parse(event.kv.key);
  if (key === undefined) return;
  const put = event.type === "put";
  switch (key.kind) {
    case "broker": {
      const registration = put ? decode(BrokerRegistrationSchema, event.kv, logger) : undefined;
      if (registration === undefined) s.brokers.delete(key.id);
      else s.brokers.set(key.id, { registration, brokerEpoch: event.kv.createRevision });
      return;
    }
    case "controller": {
      const controller = put ? decode(ControllerRegistrationSchema, event.kv, logger) : undefined;
      s.controller = controller === undefined ? undefined : { brokerId: controller.brokerId, epoch: event.kv.createRevision };
      return;
    }
    case "topic": {
      const assignment = put ? decode(TopicAssignmentSchema, event.kv, logger) : undefined;
      if (assignment === undefined) s.topics.delete(key.name);
      else s.topics.set(key.name, { assignment, modRevision: event.kv.modRevision });
      return;
    }
    case "partition": {
      const id = partitionKey(key.name, key.partition);
      const state = put ? decode(PartitionStateSchema, event.kv, logger) : undefined;
      if (state === undefined) s.partitions.delete(id);
      else s.partitions.set(id, { topic: key.name, partition: key.partition, state, modRevision: event.kv.modRevision });
      return;
    }
    case "replica-state": {
      const id = `${key.name}/${key.partition}/${key.brokerId}`;
      const state = put ? decode(ReplicaStateSchema, event.kv, logger) : undefined;
      if (state === undefined) s.replicaStates.delete(id);
      else s.replicaStates.set(id, { topic: key.name, partition: key.partition, brokerId: key.brokerId, state });
      return;
    }
  }
}

/** A value written by a newer version may have fields this one does not know: ignored. */
function decode<Desc extends DescMessage>(schema: Desc, kv: KeyValue, logger: Logger): MessageShape<Desc> | undefined {
  try {
    return fromJsonString(schema, kv.value.toString("utf8"), { ignoreUnknownFields: true });
  } catch (err) {
    logger.error({ err, key: kv.key }, "unreadable cluster metadata value; ignored");
    return undefined;
  }
}
