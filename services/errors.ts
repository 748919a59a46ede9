/**
 * The broker's typed errors. Every error a client can cause, or can retry, is a
 * `TributaryError` with a stable `reason` (clients branch on it; it travels in
 * the `tributary-reason` trailing metadata) and a `kind` that the one mapping
 * table in `services/rpc/status.ts` turns into a gRPC status code. Anything
 * else that escapes a handler is a server fault: the client sees INTERNAL
 * "internal error" and the cause goes to the log.
 *
 * This file imports nothing, so the storage engine can throw these too.
 */

/** What went wrong, in the terms of DESIGN.md's status table. */
export type ErrorKind =
  | "invalid" // the request is malformed or breaks a rule: INVALID_ARGUMENT
  | "not_found" // NOT_FOUND
  | "exists" // ALREADY_EXISTS
  | "out_of_range" // OUT_OF_RANGE
  | "precondition" // FAILED_PRECONDITION: state does not allow it (stale generation...)
  | "unavailable" // UNAVAILABLE: retry later (shutting down, partition busy)
  | "exhausted" // RESOURCE_EXHAUSTED: a limit, a full disk
  | "data_loss" // DATA_LOSS: a checksum failed
  | "unimplemented" // UNIMPLEMENTED
  | "unauthenticated" // UNAUTHENTICATED: no or bad credentials (services/auth)
  | "permission_denied"; // PERMISSION_DENIED: an ACL does not allow it (services/auth)

export class TributaryError extends Error {
  override name = "TributaryError";
  /** Trailing metadata the rpc layer sends with the error's status besides its reason
   * (services/rpc/status.ts), e.g. `tributary-leader` on NOT_LEADER. */
  trailers: Readonly<Record<string, string>> | undefined = undefined;
  /**
   * @param kind how the rpc layer reports it
   * @param reason a stable UPPER_SNAKE identifier, part of the API
   * @param message for humans; may include client input, never payloads
   */
  constructor(
    readonly kind: ErrorKind,
    readonly reason: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The request is malformed or breaks a rule. The client must change it. */
export class InvalidArgumentError extends TributaryError {
  override name = "InvalidArgumentError";
  constructor(reason: string, message: string, options?: ErrorOptions) {
    super("invalid", reason, message, options);
  }
}

/** Request bytes that are not valid protobuf (a truncated varint, a length past the end,
 * a tag the spec forbids) or a request that breaks a wire rule of this API. The client
 * must fix its encoder; nothing was stored. */
export class MalformedRequestError extends InvalidArgumentError {
  override name = "MalformedRequestError";
  constructor(detail: string, options?: ErrorOptions) {
    super("MALFORMED_REQUEST", `malformed request: ${detail}`, options);
  }
}

/** The error a WireReader over request bytes throws: MalformedRequestError. */
export function malformedRequest(detail: string): MalformedRequestError {
  return new MalformedRequestError(detail);
}

/** An offset below the log start offset or above the log end offset. Clients
 * reset to a valid offset (ListOffsets) and read again. */
export class OffsetOutOfRangeError extends TributaryError {
  override name = "OffsetOutOfRangeError";
  constructor(
    readonly offset: bigint,
    readonly logStartOffset: bigint,
    readonly logEndOffset: bigint,
  ) {
    super(
      "out_of_range",
      "OFFSET_OUT_OF_RANGE",
      `offset ${offset} is outside [${logStartOffset}, ${logEndOffset}]`,
    );
  }
}

/** A topic that does not exist, or was deleted while a stream read it. The client
 * creates it (or fixes the name) and asks again. */
export class UnknownTopicError extends TributaryError {
  override name = "UnknownTopicError";
  constructor(message: string) {
    super("not_found", "UNKNOWN_TOPIC", message);
  }
}

/** A partition number outside the topic's partitions 0 to count - 1. */
export class UnknownPartitionError extends TributaryError {
  override name = "UnknownPartitionError";
  constructor(topic: string, partition: number, partitionCount: number) {
    super("not_found", "UNKNOWN_PARTITION", `topic ${topic} has partitions 0 to ${partitionCount - 1}; ${partition} does not exist`);
  }
}

/** A configuration value (a topic config, a broker or console option) out of range
 * or unknown. The operator or client changes it; nothing was applied. */
export class InvalidConfigError extends InvalidArgumentError {
  override name = "InvalidConfigError";
  constructor(message: string, options?: ErrorOptions) {
    super("INVALID_CONFIG", message, options);
  }
}

/** The broker is out of file descriptors, or would be after opening what a request
 * needs (topics/open-file-budget.ts). Retry after topics are deleted or the limit is
 * raised; nothing was created. */
export class TooManyOpenFilesError extends TributaryError {
  override name = "TooManyOpenFilesError";
  constructor(message: string, options?: ErrorOptions) {
    super("exhausted", "TOO_MANY_OPEN_FILES", message, options);
  }
}

/** Stored bytes failed their checksum. The partition's other data stays
 * readable; an operator restores from a replica or deletes the records. */
export class CorruptDataError extends TributaryError {
  override name = "CorruptDataError";
  constructor(message: string, options?: ErrorOptions) {
    super("data_loss", "CORRUPT_DATA", message, options);
  }
}

/** The disk is full (ENOSPC/EDQUOT). Produce fails; reads keep working;
 * writes resume when space returns. */
export class StorageFullError extends TributaryError {
  override name = "StorageFullError";
  constructor(options?: ErrorOptions) {
    super("exhausted", "STORAGE_FULL", "no space left on the data directory", options);
  }
}

/** The log or broker is closing or closed. Retriable against a broker that is up. */
export class UnavailableError extends TributaryError {
  override name = "UnavailableError";
  constructor(reason: string, message: string, options?: ErrorOptions) {
    super("unavailable", reason, message, options);
  }
}

/** The broker is closing: calls in flight end with this, and a client retries
 * against a broker that is up. */
export class ShuttingDownError extends UnavailableError {
  override name = "ShuttingDownError";
  constructor() {
    super("SHUTTING_DOWN", "broker is shutting down");
  }
}

/** Idempotent produce: the sequence is lower than the last one appended for
 * this producer and partition, and not one of the recent batches whose
 * offsets are remembered. The producer must not reuse old sequences. */
export class OutOfOrderSequenceError extends TributaryError {
  override name = "OutOfOrderSequenceError";
  constructor(message: string) {
    super("precondition", "OUT_OF_ORDER_SEQUENCE", message);
  }
}

/** Trailing-metadata key naming the partition leader's "host:port" on NOT_LEADER. */
export const leaderMetadataKey = "tributary-leader";

/** This broker does not lead the partition (in cluster mode), or cannot be sure it still
 * does (its etcd lease is not fresh). Retriable: the client refreshes its metadata and
 * sends to the leader, whose address the `tributary-leader` trailer carries when known. */
export class NotLeaderError extends UnavailableError {
  override name = "NotLeaderError";
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly leaderAddress: string | undefined,
    detail = "this broker is not its leader",
  ) {
    super("NOT_LEADER", `partition ${topic}/${partition}: ${detail}`);
    if (leaderAddress !== undefined) this.trailers = { [leaderMetadataKey]: leaderAddress };
  }
}

/** acks=ALL with fewer in-sync replicas than the topic's minInsyncReplicas: refused
 * before anything is written. Retriable once followers catch up. */
export class NotEnoughReplicasError extends UnavailableError {
  override name = "NotEnoughReplicasError";
  constructor(topic: string, partition: number, isr: number, minInsyncReplicas: number) {
    super("NOT_ENOUGH_REPLICAS", `partition ${topic}/${partition} has ${isr} in-sync replicas, fewer than minInsyncReplicas ${minInsyncReplicas}`);
  }
}

/** A request carried a leader epoch older than this broker's for the partition (a
 * deposed leader's follower, a client with stale metadata). Retriable after a metadata
 * refresh. */
export class FencedLeaderEpochError extends UnavailableError {
  override name = "FencedLeaderEpochError";
  constructor(topic: string, partition: number, requestEpoch: number, currentEpoch: number) {
    super("FENCED_LEADER_EPOCH", `partition ${topic}/${partition}: leader epoch ${requestEpoch} is older than ${currentEpoch}`);
  }
}

/** A request carried a leader epoch newer than this broker knows (its metadata lags).
 * Retriable: this broker learns the epoch from etcd shortly. */
export class UnknownLeaderEpochError extends UnavailableError {
  override name = "UnknownLeaderEpochError";
  constructor(topic: string, partition: number, requestEpoch: number, currentEpoch: number) {
    super("UNKNOWN_LEADER_EPOCH", `partition ${topic}/${partition}: leader epoch ${requestEpoch} is newer than ${currentEpoch}`);
  }
}

/** Cluster mode: the partition has no live leader (every in-sync replica is down, and
 * unclean election is off). Retriable: it comes back with its last in-sync replica. */
export class PartitionOfflineError extends UnavailableError {
  override name = "PartitionOfflineError";
  constructor(topic: string, partition: number) {
    super("PARTITION_OFFLINE", `partition ${topic}/${partition} has no live leader`);
  }
}

/** Cluster mode: a group call reached a broker that is not the group's coordinator (the
 * leader of the group's partition of __consumer_offsets), or one that stopped being it
 * while the call or a member's stream ran. Retriable: the client asks FindCoordinator
 * (or reads the `tributary-leader` trailer, when known) and goes there. */
export class NotCoordinatorError extends UnavailableError {
  override name = "NotCoordinatorError";
  constructor(
    readonly groupId: string,
    readonly coordinatorAddress: string | undefined,
    detail = "this broker is not its coordinator",
  ) {
    super("NOT_COORDINATOR", `group ${groupId}: ${detail}`);
    if (coordinatorAddress !== undefined) this.trailers = { [leaderMetadataKey]: coordinatorAddress };
  }
}

/** Cluster mode: this broker became the group's coordinator and is still replaying its
 * partition of __consumer_offsets. Retriable shortly, at the same broker. */
export class CoordinatorLoadInProgressError extends UnavailableError {
  override name = "CoordinatorLoadInProgressError";
  constructor(groupId: string) {
    super("COORDINATOR_LOAD_IN_PROGRESS", `group ${groupId}: the coordinator is loading the group's offsets`);
  }
}

/** Cluster mode: the group has no coordinator now: __consumer_offsets does not exist yet
 * (fewer live brokers than offsetsTopicReplicationFactor; never created smaller) or the
 * group's partition of it has no live leader. Retriable. */
export class CoordinatorNotAvailableError extends UnavailableError {
  override name = "CoordinatorNotAvailableError";
  constructor(groupId: string, detail: string) {
    super("COORDINATOR_NOT_AVAILABLE", `group ${groupId}: ${detail}`);
  }
}

/** A broker cut off from etcd (its lease not fresh) does not answer cluster metadata:
 * its view may be stale (CLUSTER.md section 2, self-fencing). Clients ask another broker. */
export class MetadataStaleError extends UnavailableError {
  override name = "MetadataStaleError";
  constructor() {
    super("METADATA_STALE", "this broker is cut off from etcd and its cluster metadata may be stale; ask another broker");
  }
}
