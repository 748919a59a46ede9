import type { MessageInitShape } from "@bufbuild/protobuf";
import { parseHostPort, type BrokerConfig } from "../config.js";
import { InvalidArgumentError, OffsetOutOfRangeError } from "../errors.js";
import type { CoordinatorGate, GroupCoordinator, OffsetStore } from "../groups/index.js";
import type { ServiceImpl } from "../rpc/index.js";
import { refuseInternalTopic, validateTopicConfig, validateTopicName, type Topic, type TopicManager } from "../topics/index.js";
import type { AdminService, TopicDescriptionSchema } from "../../gen/ts/tributary/v1/admin_pb.js";
import { TimestampLookups } from "../fetch/index.js";
import type { MemberReads } from "../fetch/index.js";
import { createGroupAdmin } from "./group-admin.js";
import { configToMessage, overridesFromMessage } from "./topic-config-message.js";
import type { Clock } from "../clock.js";
import type { ClusterAdmin, SecurityStore } from "../cluster/index.js";
import { createClusterSecurityAdmin, createConfigSecurityAdmin } from "./security-admin.js";
import { validateGroupId } from "../commit/index.js";
import { offsetsTopic } from "../groups/index.js";
import { partitionForKey } from "../partitioner/index.js";

export interface AdminDeps {
  readonly topics: TopicManager;
  readonly config: BrokerConfig;
  readonly version: string;
  /** The broker features this build supports with their levels (services/cluster/features.ts);
   * a single broker shows them as finalized (it is the only live broker). */
  readonly features: Readonly<Record<string, number>>;
  /** The gRPC address clients reach this broker at, once listening. */
  readonly advertised: () => { host: string; port: number };
  readonly coordinator: GroupCoordinator;
  readonly offsets: OffsetStore;
  readonly clock: Clock;
  /** The broker-wide gate of timestamp lookups; default one of the service's own. */
  readonly lookups?: TimestampLookups;
  /** Cluster mode: topic changes go through etcd, descriptions carry replication state. */
  readonly cluster?: ClusterAdmin;
  /** Cluster mode: groups are served by their coordinators (FindCoordinator says where). */
  readonly groupGate?: CoordinatorGate;
  /** Cluster mode: tokens, ACLs and quotas live in etcd; the security calls change them there. */
  readonly security?: SecurityStore;
  /** Cluster mode: where partitions' offsets are read (the local replica or the leader). */
  readonly reads?: MemberReads;
}

/** AdminService: thin handlers over TopicManager and each partition's Log. */
export function createAdminService(deps: AdminDeps): ServiceImpl<(typeof AdminService)["method"]> {
  const { topics, config, cluster } = deps;
  const lookups = deps.lookups ?? new TimestampLookups();
  // Outside a cluster this broker is the only replica and leads everything, in epoch 0
  // or whatever its unclean starts made (the log's own epoch).
  const replication = (topic: Topic, partition: number) => {
    if (cluster === undefined || topic.topicId === undefined) {
      return { leader: config.brokerId, replicas: [config.brokerId], isr: [config.brokerId], leaderEpoch: topic.logs[partition].leaderEpoch };
    }
    const r = cluster.partition(topic.name, partition);
    return { leader: r.leader, replicas: [...r.replicas], isr: [...r.isr], leaderEpoch: r.leaderEpoch };
  };
  const describe = (topic: Topic): MessageInitShape<typeof TopicDescriptionSchema> => ({
    name: topic.name,
    config: configToMessage(topic.config),
    internal: topic.internal,
    createdTimeMs: BigInt(topic.createdTimeMs),
    topicId: topic.topicId ?? "",
    replicationFactor: cluster !== undefined && topic.topicId !== undefined ? cluster.replicationFactor(topic.name) : 1,
    partitions: topic.logs.map((log, partition) => ({
      partition,
      logStartOffset: log.logStartOffset,
      logEndOffset: log.logEndOffset,
      highWatermark: log.highWatermark,
      sizeBytes: BigInt(log.sizeBytes),
      segmentCount: log.segmentCount,
      ...replication(topic, partition),
    })),
  });
  const namedTopic = (name: string) => {
    validateTopicName(name);
    return topics.get(name);
  };
  const partitionLog = (name: string, partition: number) => {
    validateTopicName(name);
    return topics.partition(name, partition);
  };

  return {
    async createTopic(request) {
      const overrides = overridesFromMessage(request.config);
      if (cluster !== undefined) {
        // The same checks as on one broker, before anything reaches etcd.
        validateTopicName(request.name);
        refuseInternalTopic(request.name);
        validateTopicConfig(overrides, config);
        if (!(request.partitions >= 1 && request.partitions <= config.maxPartitionsPerTopic)) {
          throw new InvalidArgumentError("INVALID_PARTITIONS", `partitions must be from 1 to ${config.maxPartitionsPerTopic}`);
        }
        return { topic: describe(await cluster.createTopic(request.name, request.partitions, request.replicationFactor, request.config)) };
      }
      if (request.replicationFactor !== undefined && request.replicationFactor !== 1) {
        throw new InvalidArgumentError(
          "INVALID_REPLICATION_FACTOR",
          `a single broker keeps one replica; replication_factor ${request.replicationFactor} needs a cluster (docs/cluster.md)`,
        );
      }
      const topic = await topics.create(request.name, request.partitions, overrides);
      return { topic: describe(topic) };
    },
    async deleteTopic(request) {
      validateTopicName(request.name);
      if (cluster !== undefined && topics.find(request.name)?.topicId !== undefined) await cluster.deleteTopic(request.name);
      else await topics.delete(request.name);
      return {};
    },
    async listTopics(request, context) {
      // With authentication on, only the topics the principal may see (docs/security.md).
      return {
        topics: topics
          .list(request.includeInternal)
          .filter((t) => context.visible("topic", t.name))
          .map((t) => ({
            name: t.name,
            partitions: t.logs.length,
            internal: t.internal,
          })),
      };
    },
    async describeTopic(request) {
      cluster?.checkMetadataFresh();
      return { topic: describe(namedTopic(request.name)) };
    },
    async createPartitions(request) {
      validateTopicName(request.name);
      if (cluster !== undefined && topics.mutable(request.name).topicId !== undefined) {
        return { topic: describe(await cluster.createPartitions(request.name, request.totalCount)) };
      }
      return { topic: describe(await topics.createPartitions(request.name, request.totalCount)) };
    },
    async updateTopicConfig(request) {
      validateTopicName(request.name);
      const overrides = overridesFromMessage(request.config);
      if (cluster !== undefined && topics.mutable(request.name).topicId !== undefined) {
        validateTopicConfig(overrides, config);
        return { topic: describe(await cluster.updateTopicConfig(request.name, request.config)) };
      }
      return { topic: describe(await topics.updateConfig(request.name, overrides)) };
    },
    async listOffsets(request) {
      const log = partitionLog(request.topic, request.partition);
      switch (request.spec.case) {
        case "earliest":
          return { offset: log.logStartOffset, timestampMs: -1n };
        case "timestampMs": {
          if (request.spec.value < 0n) {
            throw new InvalidArgumentError("INVALID_TIMESTAMP", "timestamp_ms must not be negative");
          }
          const found = await lookups.offsetForTimestamp(log, Number(request.spec.value));
          return found === null
            ? { offset: log.highWatermark, timestampMs: -1n }
            : { offset: found.offset, timestampMs: BigInt(found.timestampMs) };
        }
        default:
          return { offset: log.highWatermark, timestampMs: -1n };
      }
    },
    async deleteRecords(request) {
      validateTopicName(request.topic);
      const log = topics.mutablePartition(request.topic, request.partition);
      if (cluster !== undefined && topics.find(request.topic)?.topicId !== undefined) cluster.checkLeader(request.topic, request.partition);
      const before = request.beforeOffset === -1n ? log.highWatermark : request.beforeOffset;
      if (before < 0n || before > log.highWatermark) {
        throw new OffsetOutOfRangeError(before, log.logStartOffset, log.highWatermark);
      }
      return { logStartOffset: await log.deleteRecordsBefore(before) };
    },
    async describeCluster() {
      const { host, port } = deps.advertised();
      if (cluster !== undefined) {
        cluster.checkMetadataFresh();
        return {
          clusterId: config.clusterName,
          controllerId: cluster.controllerId(),
          brokers: cluster.brokers().map((b) => {
            const at = parseHostPort(b.address);
            return {
              id: b.id,
              address: b.address,
              rack: b.rack,
              version: b.version,
              host: at?.host ?? "",
              port: at?.port ?? 0,
              supportedFeatures: b.supportedFeatures,
              shuttingDown: b.shuttingDown,
            };
          }),
          finalizedFeatures: cluster.finalizedFeatures(),
        };
      }
      // A single broker is the only live broker: its features are the finalized ones.
      return {
        clusterId: topics.clusterId,
        controllerId: config.brokerId,
        brokers: [
          {
            id: config.brokerId,
            host,
            port,
            version: deps.version,
            address: `${host.includes(":") ? `[${host}]` : host}:${port}`,
            rack: config.rack ?? "",
            supportedFeatures: { ...deps.features },
          },
        ],
        finalizedFeatures: { ...deps.features },
      };
    },
    async findCoordinator(request) {
      validateGroupId(request.groupId);
      if (deps.groupGate !== undefined) return deps.groupGate.findCoordinator(request.groupId);
      const { host, port } = deps.advertised();
      const partitions = topics.get(offsetsTopic).logs.length;
      return {
        brokerId: config.brokerId,
        address: `${host.includes(":") ? `[${host}]` : host}:${port}`,
        partition: partitionForKey(Buffer.from(request.groupId), partitions),
      };
    },
    ...createGroupAdmin({ ...deps, lookups }),
    ...(deps.security !== undefined ? createClusterSecurityAdmin(deps.security, config.interBrokerPrincipal) : createConfigSecurityAdmin(config)),
  };
}
