import { InvalidArgumentError, OffsetOutOfRangeError } from "../errors.js";
import type { Log } from "../log/index.js";
import type { SubscribeRequest } from "../../gen/ts/tributary/v1/fetch_pb.js";

/**
 * Where an explicit subscription starts in one partition, from the request's
 * `start_position` oneof. Default latest (new records only), like Kafka's
 * auto.offset.reset. A given offset outside the log is OUT_OF_RANGE: the
 * client asked for something that is not there.
 */
export async function resolveStartOffset(
  start: SubscribeRequest["startPosition"],
  partition: number,
  log: Log,
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
      const found = await log.offsetForTimestamp(Number(start.value));
      return found === null ? log.highWatermark : found.offset;
    }
    case "offsets": {
      const entry = start.value.offsets.find((o) => o.partition === partition);
      return entry === undefined ? log.highWatermark : checkedOffset(entry.offset, log);
    }
  }
}

function checkedOffset(offset: bigint, log: Log): bigint {
  if (offset < log.logStartOffset || offset > log.logEndOffset) {
    throw new OffsetOutOfRangeError(offset, log.logStartOffset, log.logEndOffset);
  }
  return offset;
}
