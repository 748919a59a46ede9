import { once } from "node:events";
import { Metadata, type ServerWritableStream } from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { BrokerConfig } from "../config.js";
import { InvalidArgumentError, OffsetOutOfRangeError, TributaryError } from "../errors.js";
import type { FetchData } from "../log/index.js";
import { validateTopicName, type Topic, type TopicManager } from "../topics/index.js";
import type { SubscribeRequest } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { boundedMaxBytes } from "./fetch-handler.js";
import { resolveStartOffset } from "./start-position.js";
import { waitForRecords } from "./wait-for-records.js";
import { WireWriter } from "./wire-writer.js";

export interface SubscribeDeps {
  readonly topics: TopicManager;
  readonly config: BrokerConfig;
  readonly logger: Logger;
}

/**
 * FetchService.Subscribe for explicit partitions: one reader per partition
 * reads what is there, writes it as a pre-encoded SubscribeResponse, and
 * otherwise waits for the log's high-watermark event. Memory per stream is
 * bounded: a reader holds at most one message of `max_bytes` and stops while
 * the stream's write buffer is full (write() false -> wait for drain).
 */
export function createSubscribeHandler(deps: SubscribeDeps) {
  const { topics, config } = deps;
  const log = deps.logger.child({ component: "subscribe" });

  return async function subscribe(
    request: SubscribeRequest,
    call: ServerWritableStream<unknown, unknown>,
  ): Promise<void> {
    if (request.groupId !== "") {
      throw new TributaryError(
        "unimplemented",
        "GROUPS_NOT_IMPLEMENTED",
        "consumer-group subscriptions are not implemented yet; subscribe to explicit partitions",
      );
    }
    if (request.topic === "") {
      throw new InvalidArgumentError("INVALID_SUBSCRIPTION", "set topic (explicit partitions) or group_id");
    }
    validateTopicName(request.topic);
    const topic = topics.get(request.topic);
    const maxBytes = boundedMaxBytes(request.maxBytes, config.fetchMaxBytes);
    const partitions = choosePartitions(request, topic);
    const starts: bigint[] = [];
    for (const p of partitions) {
      const partitionLog = topics.partition(topic.name, p);
      starts.push(await resolveStartOffset(request.startPosition, p, partitionLog));
    }

    // Headers go out once the start offsets are fixed: a client that has seen
    // them knows every record appended from now on will reach it.
    call.sendMetadata(new Metadata());
    const stop = new AbortController();
    const onEnd = () => stop.abort();
    call.once("cancelled", onEnd);
    call.once("close", onEnd);
    const signals = [stop.signal, topic.closed];
    const topicBytes = Buffer.byteLength(topic.name);
    log.debug({ topic: topic.name, partitions: partitions.length }, "subscription opened");

    const pump = async (partition: number, next: bigint) => {
      const partitionLog = topic.logs[partition];
      while (!stop.signal.aborted && !topic.closed.aborted) {
        let data: FetchData;
        try {
          data = await partitionLog.read(next, maxBytes);
        } catch (err) {
          // Retention or DeleteRecords moved the log start past this reader:
          // continue at the log start and say so, as auto.offset.reset=earliest.
          if (err instanceof OffsetOutOfRangeError && next < partitionLog.logStartOffset) {
            const reset = partitionLog.logStartOffset;
            if (!call.write(encodeOffsetReset(topic.name, partition, next, reset))) await drained(call, stop.signal);
            next = reset;
            continue;
          }
          throw err;
        }
        if (data.recordCount === 0) {
          await waitForRecords(partitionLog, next, Number.POSITIVE_INFINITY, signals);
          continue;
        }
        next = data.nextOffset;
        if (!call.write(encodeRecords(data, topic.name, topicBytes, partition))) await drained(call, stop.signal);
      }
    };

    try {
      await Promise.all(partitions.map((p, i) => pump(p, starts[i]))).catch((err: unknown) => {
        stop.abort();
        throw err;
      });
    } finally {
      call.removeListener("cancelled", onEnd);
      call.removeListener("close", onEnd);
      log.debug({ topic: topic.name }, "subscription closed");
    }
    if (stop.signal.aborted) return;
    // The topic went away under the stream: deleted, or the broker is stopping.
    if (!topics.list(true).includes(topic)) {
      throw new TributaryError("not_found", "UNKNOWN_TOPIC", `topic ${topic.name} was deleted`);
    }
    throw new TributaryError("unavailable", "SHUTTING_DOWN", "broker is shutting down");
  };
}

function choosePartitions(request: SubscribeRequest, topic: Topic): number[] {
  let wanted = request.partitions;
  if (wanted.length === 0 && request.startPosition.case === "offsets") {
    wanted = request.startPosition.value.offsets.map((o) => o.partition);
  }
  if (wanted.length === 0) return topic.logs.map((_, p) => p);
  const unique = [...new Set(wanted)];
  for (const p of unique) {
    if (!Number.isInteger(p) || p < 0 || p >= topic.logs.length) {
      throw new TributaryError(
        "not_found",
        "UNKNOWN_PARTITION",
        `topic ${topic.name} has partitions 0 to ${topic.logs.length - 1}; ${p} does not exist`,
      );
    }
  }
  return unique;
}

async function drained(call: ServerWritableStream<unknown, unknown>, signal: AbortSignal): Promise<void> {
  try {
    await once(call, "drain", { signal });
  } catch {
    // Aborted: the stream ended while full; the caller's loop sees the signal.
  }
}

// SubscribeResponse.records (1) = PartitionRecords { records = 1 (stored
// entries), topic = 2, partition = 3, high_watermark = 4 }.
function encodeRecords(data: FetchData, topic: string, topicBytes: number, partition: number): Buffer {
  const trailer = new WireWriter(topicBytes + 32)
    .stringField(2, topic)
    .varintField(3, partition)
    .varintField(4, data.highWatermark)
    .finish();
  const innerLength = data.bytes + trailer.length;
  const header = new WireWriter(6).lengthPrefix(1, innerLength).finish();
  return Buffer.concat([header, ...data.chunks, trailer], header.length + innerLength);
}

// SubscribeResponse.offset_reset (4) = OffsetReset { topic = 1, partition = 2,
// requested_offset = 3, reset_offset = 4 }.
function encodeOffsetReset(topic: string, partition: number, requested: bigint, reset: bigint): Buffer {
  const inner = new WireWriter(Buffer.byteLength(topic) + 40)
    .stringField(1, topic)
    .varintField(2, partition)
    .varintField(3, requested)
    .varintField(4, reset)
    .finish();
  const header = new WireWriter(6).lengthPrefix(4, inner.length).finish();
  return Buffer.concat([header, inner]);
}

