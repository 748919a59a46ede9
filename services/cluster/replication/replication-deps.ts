/**
 * What the replication layer needs from the rest of the broker (the lead's ClusterNode
 * builds it): metadata views of the partitions this broker replicates, its identity and
 * lease, its logs, other brokers' addresses, and the partition-state compare-and-swap.
 * Passed in, as Kafka passes ReplicaManager its collaborators, so the replication code
 * imports neither etcd nor the metadata cache.
 */
import type { Logger } from "pino";
import type { IsrMember } from "../../../gen/ts/tributary/cluster/v1/metadata_pb.js";
import type { Clock } from "../../clock.js";
import type { Log } from "../../log/index.js";
import type { RpcClient } from "../../rpc/index.js";
import type { PartitionEntry } from "../cluster-state.js";

/** One partition this broker replicates, as the metadata cache sees it now. */
export interface PartitionView {
  readonly topic: string;
  readonly topicId: string;
  readonly partition: number;
  /** The replica list, preferred leader first. */
  readonly replicas: readonly number[];
  /** The partition state (leader, leader epoch, ISR) and its mod revision. */
  readonly entry: PartitionEntry;
  /** The topic's minInsyncReplicas (default 1). */
  readonly minInsyncReplicas: number;
}

/** Replication settings; every field has a default (`resolveReplicationConfig`). */
export interface ReplicationConfig {
  /** A follower not caught up to the leader's log end for this long leaves the ISR
   * (CLUSTER.md section 4). Default 10000 ms. */
  replicaLagTimeMaxMs: number;
  /** How long a leader holds a follower's fetch when nothing is new. Default 500 ms. */
  replicaFetchWaitMaxMs: number;
  /** Frames per partition in one answer (at least one frame is sent). Default 1 MiB. */
  replicaFetchMaxBytes: number;
  /** First delay before a follower reconnects after an error; doubles up to 10x. Default 100 ms. */
  replicaFetchBackoffMs: number;
  /** A follower whose fetch has no answer after the wait plus this reconnects. Default 10000 ms. */
  replicaRequestTimeoutMs: number;
}

export const defaultReplicationConfig: Readonly<ReplicationConfig> = {
  replicaLagTimeMaxMs: 10_000,
  replicaFetchWaitMaxMs: 500,
  replicaFetchMaxBytes: 1024 * 1024,
  replicaFetchBackoffMs: 100,
  replicaRequestTimeoutMs: 10_000,
};

export interface ReplicationDeps {
  readonly brokerId: number;
  /** This broker's current incarnation (its registration's create revision). */
  brokerEpoch(): bigint;
  /** LeaseKeeper.isFresh: checked synchronously before acknowledging a write or serving
   * a fetch (a paused leader that resumes must not acknowledge before it checks). */
  isFresh(): boolean;
  /** The local replica's Log (opened with `replicated: true`), undefined when absent. */
  log(topic: string, partition: number): Log | undefined;
  /** A live broker's "host:port", undefined when it is not registered. */
  brokerAddress(id: number): string | undefined;
  /** A live broker's broker epoch, undefined when it is not registered. */
  liveBrokerEpoch(id: number): bigint | undefined;
  /** Whether a live broker is in controlled shutdown (its registration's `shutting_down`):
   * the controller takes it out of every ISR, so a leader must not take it back in. */
  isShuttingDown(id: number): boolean;
  /**
   * Compare-and-swap of the partition state with `isr` (leader and epoch unchanged),
   * guarded by `view.entry.modRevision` and by this broker's registration still having
   * its broker epoch. The new entry on success, undefined on a conflict (the leader then
   * waits for newer metadata through `ReplicaManager.apply`). Rejects on etcd failure.
   */
  alterPartitionState(view: PartitionView, isr: IsrMember[]): Promise<PartitionEntry | undefined>;
  /** A client to another broker, with the inter-broker principal's credentials and TLS
   * (services/cluster/inter-broker.ts). Default: plaintext without credentials. */
  interBrokerClient?(address: string): RpcClient;
  readonly config?: Partial<ReplicationConfig>;
  readonly logger: Logger;
  readonly clock: Clock;
}

/** The config with its defaults filled in. */
export function resolveReplicationConfig(config: Partial<ReplicationConfig> = {}): ReplicationConfig {
  return { ...defaultReplicationConfig, ...config };
}
