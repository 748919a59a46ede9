import type { BrokerConfig } from "../config.js";
import { InvalidArgumentError, OffsetOutOfRangeError } from "../errors.js";
import type { FetchData, Log } from "../log/index.js";
import type { TrafficMetrics } from "../metrics/index.js";
import { validateTopicName, type TopicManager } from "../topics/index.js";
import { PartsMessage, type HandlerContext } from "../rpc/index.js";
import { create, toBinary } from "@bufbuild/protobuf";
import { FetchResponseSchema, type FetchRequest } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { truncationPoint } from "./epoch-check.js";
import { ReadAbortedError, StreamBudget } from "./stream-writer.js";
import { waitForRecords } from "./wait-for-records.js";
import { WireWriter } from "../wire/index.js";
import type { PartitionGate } from "../cluster/index.js";

export interface FetchDeps {
  readonly topics: TopicManager;
  readonly config: BrokerConfig;
  /** Records and bytes out, counted once per answer. */
  readonly metrics?: TrafficMetrics;
  /** The broker-wide read budget shared with Subscribe; default one of Fetch's own
   * (subscribeMemoryBytes). */
  readonly budget?: StreamBudget;
  /** Cluster mode: only the leader serves reads (services/cluster); none on one broker. */
  readonly gate?: PartitionGate;
}

/**
 * FetchService.Fetch: a long-poll read of one partition. The answer is the
 * stored record entries (already `records = 1` on the wire) followed by a
 * trailer with high_watermark, log_start_offset, next_offset and leader_epoch: no
 * record is decoded or re-encoded. With `last_fetched_epoch`, a reader past a
 * truncation of the log gets `offset_reset` instead of records (epoch-check.ts).
 */
export function createFetchHandler(deps: FetchDeps) {
  const { topics, config, metrics } = deps;
  const budget = deps.budget ?? new StreamBudget(config.subscribeMemoryBytes, config.streamBufferBytes);

  return async function fetch(request: FetchRequest, context: HandlerContext): Promise<PartsMessage> {
    validateTopicName(request.topic);
    const topic = topics.get(request.topic);
    const log = topics.partition(request.topic, request.partition);
    deps.gate?.checkRead(topic.name, request.partition);
    const maxBytes = boundedMaxBytes(request.maxBytes, config.fetchMaxBytes);
    if (request.maxWaitMs < 0 || request.minBytes < 0) {
      throw new InvalidArgumentError("INVALID_FETCH", "max_wait_ms and min_bytes must not be negative");
    }
    const offset = request.offset;
    // Before the range check: a reader past a truncation may also be past the log end.
    const truncatedAt = truncationPoint(log, offset, request.lastFetchedEpoch);
    if (truncatedAt !== null) return encodeTruncated(request, log, truncatedAt);
    if (offset < log.logStartOffset || offset > log.logEndOffset) {
      throw new OffsetOutOfRangeError(offset, log.logStartOffset, log.logEndOffset);
    }

    const minBytes = Math.max(1, request.minBytes);
    const deadline = Date.now() + Math.min(request.maxWaitMs, config.fetchMaxWaitMs);
    const cancelled = context.signal;
    let data = await boundedRead(log, offset, maxBytes, budget, cancelled);
    while (data.bytes < minBytes && data.bytes < maxBytes) {
      const remaining = deadline - Date.now();
      if (remaining <= 0 || cancelled.aborted || topic.closed.aborted) break;
      await waitForRecords(log, data.nextOffset, remaining, [cancelled, topic.closed]);
      if (log.highWatermark <= data.nextOffset && data.nextOffset <= log.logEndOffset) continue; // else re-read: records, or out of range after a truncation
      data = await boundedRead(log, offset, maxBytes, budget, cancelled);
    }
    // Cluster mode: a long poll may have outlived this broker's leadership or lease;
    // checked again, synchronously, before the answer goes.
    deps.gate?.checkRead(topic.name, request.partition);
    if (data.recordCount > 0) metrics?.countOut(topic.name, request.partition, data.recordCount, data.bytes);
    return encodeFetchResponse(data, log);
  };
}

/**
 * `log.read` with its memory under the broker-wide budget (issue 14: 60 Fetches of
 * 1 KiB reading one 16 MiB batch at once added 660 MiB). A stored batch larger than
 * `maxBytes` is read whole, for its checksum, only once the budget admits it (or as
 * its one overdraft), into a pooled buffer; the records the answer needs are copied
 * out so the answer does not pin the batch, and the bytes go back when the read ends.
 * A call cancelled while its read waits for room gets an empty answer, which grpc-js
 * drops: the client is gone, and nothing was read for it.
 */
async function boundedRead(log: Log, offset: bigint, maxBytes: number, budget: StreamBudget, signal: AbortSignal): Promise<FetchData> {
  const releases: Array<() => void> = [];
  const buffers: Buffer[] = [];
  try {
    const data = await log.read(offset, maxBytes, {
      admitLargeRead: async (bytes) => {
        releases.push(await budget.admitRead(bytes, signal));
        const buffer = budget.takeLargeBuffer(bytes);
        buffers.push(buffer);
        return buffer;
      },
    });
    if (buffers.length === 0) return data;
    return { ...data, chunks: data.bytes === 0 ? [] : [Buffer.concat(data.chunks, data.bytes)] };
  } catch (err) {
    if (!(err instanceof ReadAbortedError)) throw err;
    const { highWatermark, logStartOffset } = log;
    return { chunks: [], bytes: 0, recordCount: 0, firstOffset: offset, nextOffset: offset, highWatermark, logStartOffset, readBytes: 0 };
  } finally {
    for (const buffer of buffers) budget.giveLargeBuffer(buffer); // nothing points into them now
    for (const release of releases) release();
  }
}

/** A request's max_bytes: 0 means the broker's limit; never more than it. */
export function boundedMaxBytes(requested: number, limit: number): number {
  if (requested < 0) throw new InvalidArgumentError("INVALID_FETCH", "max_bytes must not be negative");
  return requested === 0 ? limit : Math.min(requested, limit);
}

// FetchResponse: records = 1 (the stored entries), high_watermark = 2,
// log_start_offset = 3, next_offset = 4, leader_epoch = 5 (when known).
function encodeFetchResponse(data: FetchData, log: Log): PartsMessage {
  const epoch = data.nextOffset > 0n ? log.epochForOffset(data.nextOffset - 1n) : -1;
  const trailer = new WireWriter(40)
    .varintField(2, data.highWatermark)
    .varintField(3, data.logStartOffset)
    .varintField(4, data.nextOffset);
  if (epoch >= 0) trailer.varintField(5, epoch);
  return new PartsMessage([...data.chunks, trailer.finish()]);
}

/** The answer to a reader past a truncation (see truncationPoint): no records, next
 * offset and offset_reset at the truncation point. Rare: built with protobuf-es. */
function encodeTruncated(request: FetchRequest, log: Log, truncatedAt: bigint): PartsMessage {
  const epoch = truncatedAt > 0n ? log.epochForOffset(truncatedAt - 1n) : -1;
  const response = create(FetchResponseSchema, {
    highWatermark: log.highWatermark,
    logStartOffset: log.logStartOffset,
    nextOffset: truncatedAt,
    leaderEpoch: epoch >= 0 ? epoch : undefined,
    offsetReset: { topic: request.topic, partition: request.partition, requestedOffset: request.offset, resetOffset: truncatedAt, truncated: true },
  });
  return new PartsMessage([Buffer.from(toBinary(FetchResponseSchema, response))]);
}
