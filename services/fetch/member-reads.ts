import type { Log } from "../log/index.js";
import type { SubscribeRequest } from "../../gen/ts/tributary/v1/fetch_pb.js";
import type { StreamWriter } from "./stream-writer.js";

/** Where a partition a group member owns starts when it has no usable commit. */
export type ResetPolicy = SubscribeRequest["startPosition"];

export interface LeaderPumpOptions {
  readonly topic: string;
  readonly partition: number;
  /** The group's commit (offset and the leader epoch of the record before it), if any. */
  readonly committed: { readonly offset: bigint; readonly leaderEpoch?: number } | undefined;
  /** Used without a commit, and when the commit is out of the leader's range. */
  readonly reset: ResetPolicy;
  readonly maxBytes: number;
  readonly writer: StreamWriter;
  /** Aborted when the partition must stop (stream ended, revoked). */
  readonly signal: AbortSignal;
  /** Called once the start offset is known. */
  readonly onStart: (offset: bigint) => void;
}

/**
 * Cluster mode: how a coordinator's member stream reads the partitions a member owns
 * (CLUSTER.md section 5). A partition this broker holds a replica of is read from it,
 * below its high watermark, like one broker's; any other is read from its leader over
 * gRPC, following leader changes. The implementation is services/cluster/coordinator.
 */
export interface MemberReads {
  /** The local replica's log, or undefined when this broker is not a replica of the
   * partition (its local log for it, if any, is empty and never served). */
  localReplica(topic: string, partition: number): Log | undefined;
  /**
   * Streams the partition from its leader into `writer` as SubscribeResponse records
   * (and offset_reset) events, from the commit or the reset policy; across leader
   * changes it resumes at the offset after the last record written, so nothing is
   * skipped or repeated. Resolves, when `signal` aborts, with the offset after the last
   * record written (undefined when the start was never resolved).
   */
  pumpFromLeader(options: LeaderPumpOptions): Promise<bigint | undefined>;
  /**
   * A partition's earliest offset, high watermark ("latest") or first offset at or after
   * a timestamp (else the high watermark), from the local replica when this broker has
   * one, else from the leader (ListOffsets): DescribeGroup's lag and ResetGroupOffsets
   * at a coordinator that holds no replica.
   */
  listOffset(topic: string, partition: number, spec: OffsetSpec): Promise<bigint>;
}

/** What listOffset looks up. */
export type OffsetSpec = { readonly case: "earliest" } | { readonly case: "latest" } | { readonly case: "timestampMs"; readonly value: bigint };
