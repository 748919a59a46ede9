/**
 * Creating, deleting and growing topics in a cluster: etcd transactions any broker
 * may run (the one that received the admin call), not the controller. Each is
 * guarded so that concurrent callers cannot both win: a create compares that the
 * topic key does not exist, a delete or a grow compares the topic key's mod
 * revision read just before. The controller owns what happens afterwards
 * (elections); these only write a partition's first state: its first replica
 * leads, every replica is in sync under its current broker epoch.
 *
 * Atomicity and etcd's 128 operations per txn: a topic appears when its topic key
 * does, and readers (MetadataCache, the controller) look partitions up from topic
 * keys, so a partition key without its topic, or beyond its topic's partition
 * count, is never served. Up to `maxTxnOps - 2` new partitions go in the txn that
 * writes the topic key. More are written first, in batches each guarded like the
 * final txn (topic key absent, or unchanged for a grow), and the topic key last.
 * Batches do not require the partition keys to be absent: a create that died
 * half-way leaves partition keys without a topic, and the next create of that
 * name overwrites them. Two creators racing with batches may interleave their
 * partition keys; only one writes the topic key, and a partition state that names
 * another topic id or brokers outside its replica list is written anew by the
 * controller (decide.ts) before any broker serves it (brokers check both).
 */
import { create, fromJsonString, toJsonString } from "@bufbuild/protobuf";
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import {
  BrokerRegistrationSchema,
  PartitionAssignmentSchema,
  PartitionStateSchema,
  TopicAssignmentSchema,
  type PartitionState,
  type TopicAssignment,
} from "../../../gen/ts/tributary/cluster/v1/metadata_pb.js";
import type { TopicConfig } from "../../../gen/ts/tributary/v1/admin_pb.js";
import { systemClock, type Clock } from "../../clock.js";
import { InvalidArgumentError, TributaryError, UnavailableError, UnknownTopicError } from "../../errors.js";
import { validateTopicName } from "../../topics/index.js";
import type { ClusterKeys } from "../cluster-keys.js";
import type { Compare, EtcdClient, TxnOp } from "../etcd/etcd-client.js";
import { newPartitionState } from "./new-partition-state.js";
import { continuationIndex, placeReplicas, type PlacementBroker } from "./placement.js";
import { inBatches, maxTxnOps } from "./txn-batches.js";

/** How often a delete or grow re-reads after a concurrent change of the same topic. */
const maxAttempts = 5;

export interface TopicWritesOptions {
  readonly client: EtcdClient;
  readonly keys: ClusterKeys;
  readonly logger: Logger;
  /** Stamps `created_time_ms`. Default the system clock. */
  readonly clock?: Clock;
}

export interface CreateTopicRequest {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** The settings that differ from the broker defaults (validated by the caller). */
  readonly config?: TopicConfig;
}

export class TopicWrites {
  private readonly client: EtcdClient;
  private readonly keys: ClusterKeys;
  private readonly logger: Logger;
  private readonly clock: Clock;

  constructor(options: TopicWritesOptions) {
    this.client = options.client;
    this.keys = options.keys;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
  }

  /**
   * Places the partitions on the live brokers and writes the topic with a new
   * random topic id. The config is validated by the caller (admin), and so is
   * whether the name may be created by a client (internal topics).
   * @throws TributaryError ALREADY_EXISTS TOPIC_EXISTS; InvalidArgumentError
   *   INVALID_REPLICATION_FACTOR (more replicas than live brokers), INVALID_PARTITIONS,
   *   INVALID_TOPIC_NAME;
   *   EtcdError when etcd is unavailable (the topic may or may not exist: describe it)
   */
  async createTopic(request: CreateTopicRequest): Promise<TopicAssignment> {
    const { name } = request;
    // Also here, not only in admin: a "/" in a name would break the key layout.
    validateTopicName(name);
    validatePartitionCount(request.partitions);
    const live = await this.liveBrokers();
    const placement = placeReplicas({
      brokers: live.placement,
      partitionCount: request.partitions,
      replicationFactor: request.replicationFactor,
    });
    const topicId = randomUUID();
    const assignment = create(TopicAssignmentSchema, {
      topicId,
      name,
      config: request.config,
      partitions: placement.map((replicas) => create(PartitionAssignmentSchema, { replicas })),
      createdTimeMs: BigInt(this.clock.nowMs()),
    });
    const states = placement.map((replicas) => newPartitionState(topicId, replicas, live.epochs, 0)!);
    const guard: Compare = { key: this.keys.topic(name), target: "create", value: 0n };
    const written = await this.writeTopic(name, assignment, states, 0, guard);
    if (!written) throw new TributaryError("exists", "TOPIC_EXISTS", `topic ${name} already exists`);
    this.logger.info({ topic: name, topicId, partitions: request.partitions, replicationFactor: request.replicationFactor }, "topic created");
    return assignment;
  }

  /**
   * Deletes the topic key, its partition states and replica states in one txn.
   * Brokers see the topic key go and delete their replicas.
   * @throws UnknownTopicError; UnavailableError CONCURRENT_MODIFICATION when the
   *   topic kept changing; EtcdError
   */
  async deleteTopic(name: string): Promise<void> {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const kv = await this.client.get(this.keys.topic(name));
      if (kv === undefined) throw new UnknownTopicError(`topic ${name} does not exist`);
      const result = await this.client.txn({
        compare: [{ key: kv.key, target: "mod", value: kv.modRevision }],
        success: [
          { delete: { key: kv.key } },
          { delete: { key: this.keys.topicPartitions(name), prefix: true } },
          { delete: { key: this.keys.topicReplicaStates(name), prefix: true } },
        ],
      });
      if (result.succeeded) {
        this.logger.info({ topic: name }, "topic deleted");
        return;
      }
    }
    throw concurrentModification(name);
  }

  /**
   * Grows the topic to `totalCount` partitions, placing only the new ones (with
   * the topic's replication factor, continuing its placement).
   * @throws UnknownTopicError; InvalidArgumentError INVALID_PARTITIONS (not
   *   larger than today), INVALID_REPLICATION_FACTOR; UnavailableError
   *   CONCURRENT_MODIFICATION; EtcdError
   */
  async createPartitions(name: string, totalCount: number): Promise<TopicAssignment> {
    validatePartitionCount(totalCount);
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const kv = await this.client.get(this.keys.topic(name));
      if (kv === undefined) throw new UnknownTopicError(`topic ${name} does not exist`);
      const current = fromJsonString(TopicAssignmentSchema, kv.value.toString("utf8"), { ignoreUnknownFields: true });
      const count = current.partitions.length;
      if (totalCount <= count) {
        throw new InvalidArgumentError("INVALID_PARTITIONS", `the new partition count must be larger than the current ${count}`);
      }
      const live = await this.liveBrokers();
      const start = continuationIndex(live.placement, current.partitions[0]?.replicas[0] ?? 0);
      const placement = placeReplicas({
        brokers: live.placement,
        partitionCount: totalCount - count,
        replicationFactor: current.partitions[0]?.replicas.length ?? 1,
        firstPartition: count,
        startIndex: start,
        replicaShift: start,
      });
      const assignment = create(TopicAssignmentSchema, {
        topicId: current.topicId,
        name: current.name,
        config: current.config,
        createdTimeMs: current.createdTimeMs,
        partitions: [...current.partitions, ...placement.map((replicas) => create(PartitionAssignmentSchema, { replicas }))],
      });
      const states = placement.map((replicas) => newPartitionState(current.topicId, replicas, live.epochs, 0)!);
      const guard: Compare = { key: kv.key, target: "mod", value: kv.modRevision };
      if (await this.writeTopic(name, assignment, states, count, guard)) {
        this.logger.info({ topic: name, partitions: totalCount }, "partitions created");
        return assignment;
      }
    }
    throw concurrentModification(name);
  }

  /**
   * Writes the states of partitions `firstPartition`... and then the topic key,
   * every txn guarded by `guard`. False when the guard failed (nothing more written).
   */
  private async writeTopic(
    name: string,
    assignment: TopicAssignment,
    states: PartitionState[],
    firstPartition: number,
    guard: Compare,
  ): Promise<boolean> {
    const puts: TxnOp[] = states.map((state, i) => ({
      put: { key: this.keys.partition(name, firstPartition + i), value: toJsonString(PartitionStateSchema, state) },
    }));
    // One compare; the last txn also puts the topic key.
    const perTxn = maxTxnOps - 2;
    const batches = inBatches(puts, perTxn);
    const last = batches.pop() ?? [];
    for (const batch of batches) {
      const result = await this.client.txn({ compare: [guard], success: batch });
      if (!result.succeeded) return false;
    }
    const topicPut: TxnOp = { put: { key: this.keys.topic(name), value: toJsonString(TopicAssignmentSchema, assignment) } };
    const result = await this.client.txn({ compare: [guard], success: [...last, topicPut] });
    return result.succeeded;
  }

  private async liveBrokers(): Promise<{ placement: PlacementBroker[]; epochs: Map<number, bigint> }> {
    const { kvs } = await this.client.range(this.keys.brokers, { prefix: true });
    const placement: PlacementBroker[] = [];
    const epochs = new Map<number, bigint>();
    for (const kv of kvs) {
      const what = this.keys.parse(kv.key);
      if (what?.kind !== "broker") continue;
      try {
        const registration = fromJsonString(BrokerRegistrationSchema, kv.value.toString("utf8"), { ignoreUnknownFields: true });
        placement.push({ id: what.id, rack: registration.rack });
        epochs.set(what.id, kv.createRevision);
      } catch (err) {
        this.logger.warn({ err, key: kv.key }, "broker registration does not parse; not placing replicas on it");
      }
    }
    return { placement, epochs };
  }
}

function validatePartitionCount(count: number): void {
  if (!Number.isInteger(count) || count < 1) {
    throw new InvalidArgumentError("INVALID_PARTITIONS", "partitions must be at least 1");
  }
}

function concurrentModification(name: string): UnavailableError {
  return new UnavailableError("CONCURRENT_MODIFICATION", `topic ${name} kept changing; try again`);
}
