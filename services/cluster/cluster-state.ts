/**
 * The cluster's metadata as one broker sees it: a snapshot of the etcd keys under
 * the cluster's root at one revision (CLUSTER.md section 2), kept current by
 * MetadataCache's watch. Plain readonly values; the controller and the replication
 * layer read them, never change them (changes are etcd transactions).
 */
import type {
  BrokerRegistration,
  PartitionState,
  ReplicaState,
  TopicAssignment,
} from "../../gen/ts/tributary/cluster/v1/metadata_pb.js";

/** A live broker: its registration and its broker epoch (the key's create revision). */
export interface LiveBroker {
  readonly registration: BrokerRegistration;
  readonly brokerEpoch: bigint;
}

/** A topic's assignment with the key's mod revision. */
export interface TopicEntry {
  readonly assignment: TopicAssignment;
  readonly modRevision: bigint;
}

/** A partition's state with the key's mod revision (the partition epoch: every
 * change compares it). */
export interface PartitionEntry {
  readonly topic: string;
  readonly partition: number;
  readonly state: PartitionState;
  readonly modRevision: bigint;
}

/** A replica state reported after an unclean start (KIP-966). */
export interface ReplicaStateEntry {
  readonly topic: string;
  readonly partition: number;
  readonly brokerId: number;
  readonly state: ReplicaState;
}

export interface ClusterSnapshot {
  /** The etcd revision the snapshot reflects. */
  readonly revision: bigint;
  readonly brokers: ReadonlyMap<number, LiveBroker>;
  /** The controller's broker id and epoch (create revision), if one is elected. */
  readonly controller: { readonly brokerId: number; readonly epoch: bigint } | undefined;
  readonly topics: ReadonlyMap<string, TopicEntry>;
  /** Keyed by `${topic}/${partition}`. */
  readonly partitions: ReadonlyMap<string, PartitionEntry>;
  /** Keyed by `${topic}/${partition}/${brokerId}`. */
  readonly replicaStates: ReadonlyMap<string, ReplicaStateEntry>;
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}
