import assert from "node:assert";
import { InvalidArgumentError, OffsetOutOfRangeError, UnknownPartitionError } from "../errors.js";
import type { Log } from "../log/index.js";
import type { SubscribeRequest } from "../../gen/ts/tributary/v1/fetch_pb.js";
import type { PartitionOffset } from "../../gen/ts/tributary/v1/record_pb.js";
import type { TimestampLookups } from "./timestamp-lookups.js";

/**
 * The `offsets` start position of an explicit Subscribe as a map from partition
 * to offset, built in one pass over the request (issue 14: a `find` per
 * partition over a million entries cost 13.6 s of CPU). A list can hold at most
 * one entry per partition of the topic, so a longer one is refused before it
 * is walked (PARTITION_LIST_TOO_LONG), a partition named twice is ambiguous
 * (DUPLICATE_PARTITION), and one the topic lacks is UNKNOWN_PARTITION, as in
 * the `partitions` list. Undefined for the other start positions.
 */
export function startOffsetsByPartition(
  start: SubscribeRequest["startPosition"],
  topic: string,
  partitionCount: number,
): ReadonlyMap<number, PartitionOffset> | undefined {
  if (start.case !== "offsets") return undefined;
  const entries = start.value.offsets;
  checkListLength(entries.length, partitionCount, "start offsets");
  const byPartition = new Map<number, PartitionOffset>();
  for (const entry of entries) {
    const { partition } = entry;
    checkPartition(partition, topic, partitionCount);
    if (byPartition.has(partition)) {
      throw new InvalidArgumentError("DUPLICATE_PARTITION", `the start offsets name partition ${partition} more than once`);
    }
    byPartition.set(partition, entry);
  }
  return byPartition;
}

/** A partitions or start offsets list longer than the topic's partition count cannot be
 * valid: it is refused before any per-entry work. */
export function checkListLength(length: number, partitionCount: number, what: string): void {
  if (length > partitionCount) {
    throw new InvalidArgumentError(
      "PARTITION_LIST_TOO_LONG",
      `the request lists ${length} ${what}; the topic has ${partitionCount} partitions`,
    );
  }
}

export function checkPartition(partition: number, topic: string, partitionCount: number): void {
  if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
    throw new UnknownPartitionError(topic, partition, partitionCount);
  }
}

/**
 * Where an explicit subscription starts in one partition, from the request's
 * `start_position` oneof. Default latest (new records only), like Kafka's
 * auto.offset.reset. A given offset outside the log is OUT_OF_RANGE: the
 * client asked for something that is not there. `startOffsets` is the
 * `offsets` case as built by startOffsetsByPartition.
 */
export async function resolveStartOffset(
  start: SubscribeRequest["startPosition"],
  partition: number,
  log: Log,
  lookups: TimestampLookups,
  startOffsets?: ReadonlyMap<number, PartitionOffset>,
): Promise<bigint> {
  switch (start.case) {
    case "earliest":
      return log.logStartOffset;
    case undefined:
    case "latest":
      return log.highWatermark;
    case "offset":
      return checkedOffset(start.value, log);
    case "timestampMs": {
      if (start.value < 0n) throw new InvalidArgumentError("INVALID_START", "timestamp_ms must not be negative");
      const found = await lookups.offsetForTimestamp(log, Number(start.value));
      return found === null ? log.highWatermark : found.offset;
    }
    case "offsets": {
      assert(startOffsets !== undefined, "the offsets start position is resolved through its map");
      const offset = startOffsets.get(partition)?.offset;
      return offset === undefined ? log.highWatermark : checkedOffset(offset, log);
    }
  }
}

function checkedOffset(offset: bigint, log: Log): bigint {
  if (offset < log.logStartOffset || offset > log.logEndOffset) {
    throw new OffsetOutOfRangeError(offset, log.logStartOffset, log.logEndOffset);
  }
  return offset;
}
