import type { MessageInitShape } from "@bufbuild/protobuf";
import type { BrokerConfig } from "../config.js";
import { InvalidArgumentError, OffsetOutOfRangeError } from "../errors.js";
import type { GroupCoordinator, OffsetStore } from "../groups/index.js";
import type { ServiceImpl } from "../rpc/index.js";
import { validateTopicName, type Topic, type TopicManager } from "../topics/index.js";
import type { AdminService, TopicDescriptionSchema } from "../../gen/ts/tributary/v1/admin_pb.js";
import { TimestampLookups } from "../fetch/index.js";
import { createGroupAdmin } from "./group-admin.js";
import { configToMessage, overridesFromMessage } from "./topic-config-message.js";
import type { Clock } from "../clock.js";

export interface AdminDeps {
  readonly topics: TopicManager;
  readonly config: BrokerConfig;
  readonly version: string;
  /** The gRPC address clients reach this broker at, once listening. */
  readonly advertised: () => { host: string; port: number };
  readonly coordinator: GroupCoordinator;
  readonly offsets: OffsetStore;
  readonly clock: Clock;
  /** The broker-wide gate of timestamp lookups; default one of the service's own. */
  readonly lookups?: TimestampLookups;
}

/** AdminService: thin handlers over TopicManager and each partition's Log. */
export function createAdminService(deps: AdminDeps): ServiceImpl<(typeof AdminService)["method"]> {
  const { topics, config } = deps;
  const lookups = deps.lookups ?? new TimestampLookups();
  const describe = (topic: Topic): MessageInitShape<typeof TopicDescriptionSchema> => ({
    name: topic.name,
    config: configToMessage(topic.config),
    internal: topic.internal,
    createdTimeMs: BigInt(topic.createdTimeMs),
    partitions: topic.logs.map((log, partition) => ({
      partition,
      logStartOffset: log.logStartOffset,
      logEndOffset: log.logEndOffset,
      highWatermark: log.highWatermark,
      sizeBytes: BigInt(log.sizeBytes),
      segmentCount: log.segmentCount,
      leader: config.brokerId,
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
      const topic = await topics.create(request.name, request.partitions, overridesFromMessage(request.config));
      return { topic: describe(topic) };
    },
    async deleteTopic(request) {
      validateTopicName(request.name);
      await topics.delete(request.name);
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
      return { topic: describe(namedTopic(request.name)) };
    },
    async createPartitions(request) {
      validateTopicName(request.name);
      return { topic: describe(await topics.createPartitions(request.name, request.totalCount)) };
    },
    async updateTopicConfig(request) {
      validateTopicName(request.name);
      return { topic: describe(await topics.updateConfig(request.name, overridesFromMessage(request.config))) };
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
      const before = request.beforeOffset === -1n ? log.highWatermark : request.beforeOffset;
      if (before < 0n || before > log.highWatermark) {
        throw new OffsetOutOfRangeError(before, log.logStartOffset, log.highWatermark);
      }
      return { logStartOffset: await log.deleteRecordsBefore(before) };
    },
    async describeCluster() {
      const { host, port } = deps.advertised();
      return {
        clusterId: topics.clusterId,
        controllerId: config.brokerId,
        brokers: [{ id: config.brokerId, host, port, version: deps.version }],
      };
    },
    ...createGroupAdmin({ ...deps, lookups }),
  };
}
