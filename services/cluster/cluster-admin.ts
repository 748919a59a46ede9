import type { TopicConfig } from "../../gen/ts/tributary/v1/admin_pb.js";
import type { Topic } from "../topics/index.js";

/** A partition's replication state for DescribeTopic. */
export interface PartitionReplication {
  /** The leader's broker id, -1 while offline. */
  readonly leader: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly leaderEpoch: number;
}

/** A live broker for DescribeCluster. */
export interface ClusterBroker {
  readonly id: number;
  readonly address: string;
  readonly rack: string;
  readonly version: string;
  /** The features it advertises, each with its highest level (services/cluster/features.ts). */
  readonly supportedFeatures: Readonly<Record<string, number>>;
  /** In controlled shutdown: its leaderships are being moved away. */
  readonly shuttingDown: boolean;
}

/**
 * What AdminService does differently in cluster mode (services/admin): topic changes
 * are etcd transactions every broker then applies (services/cluster/cluster-node.ts);
 * descriptions carry leaders, replicas and ISRs from the metadata cache. Each change
 * answers once this broker has applied it locally, so a DescribeTopic right after a
 * CreateTopic through the same broker sees the topic.
 */
export interface ClusterAdmin {
  /** @throws InvalidArgumentError INVALID_REPLICATION_FACTOR; TributaryError TOPIC_EXISTS */
  createTopic(name: string, partitions: number, replicationFactor: number | undefined, config: TopicConfig | undefined): Promise<Topic>;
  deleteTopic(name: string): Promise<void>;
  createPartitions(name: string, totalCount: number): Promise<Topic>;
  updateTopicConfig(name: string, config: TopicConfig | undefined): Promise<Topic>;
  partition(topic: string, partition: number): PartitionReplication;
  /** DeleteRecords is the leader's (followers copy its log start offset).
   * @throws NotLeaderError with the leader's address */
  checkLeader(topic: string, partition: number): void;
  replicationFactor(topic: string): number;
  brokers(): ClusterBroker[];
  controllerId(): number;
  /** Each feature at the lowest level every live broker advertises (those at 0 left out). */
  finalizedFeatures(): Record<string, number>;
  /**
   * Before answering cluster metadata (DescribeTopic, DescribeCluster): a broker cut off
   * from etcd may hold a stale view, e.g. still name itself leader. Clients that read it
   * would keep sending to it; refused, they ask another broker.
   * @throws MetadataStaleError METADATA_STALE
   */
  checkMetadataFresh(): void;
}
