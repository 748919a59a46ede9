import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Logger } from "pino";
import type { BrokerConfig } from "../config.js";
import { InvalidArgumentError, TributaryError } from "../errors.js";
import type { AppendResult, RecordSpans } from "../log/index.js";
import type { TrafficMetrics } from "../metrics/index.js";
import { validateTopicName, type Topic, type TopicManager } from "../topics/index.js";
import { create } from "@bufbuild/protobuf";
import {
  Acks,
  ProduceStreamResponseSchema,
  type ProducePartitionResultSchema,
  type ProduceResponseSchema,
} from "../../gen/ts/tributary/v1/produce_pb.js";
import { encodeProduceStreamAnswer } from "./produce-answer.js";
import type { PipelineCodec } from "../rpc/index.js";
import { partitionForKey } from "../partitioner/index.js";
import { ParseScratch, parseProduceRequest, type ProduceRequestView } from "./produce-request.js";
import type { PartitionGate } from "../cluster/index.js";

type ProduceResponseInit = MessageInitShape<typeof ProduceResponseSchema>;
type PartitionResultInit = MessageInitShape<typeof ProducePartitionResultSchema>;

export interface ProduceDeps {
  readonly topics: TopicManager;
  readonly config: BrokerConfig;
  readonly logger: Logger;
  /** Records and bytes in, counted once per partition batch. */
  readonly metrics?: TrafficMetrics;
  /** Cluster mode: leadership and ISR checks (services/cluster); none on one broker. */
  readonly gate?: PartitionGate;
}

/**
 * The Produce request parser for bindService (MethodCodec.request): the one
 * walk of a request's bytes, whose view both the ACL check (its topic) and the
 * handler act on (issue 14: two parsers that disagreed let a principal write
 * to a topic it was not allowed). The view's arrays are this parser's scratch,
 * reused by every call: bindService hands the view to the handler in the same
 * tick, and the handler reads them only before its first await.
 */
export function createProduceParser(config: Pick<BrokerConfig, "maxBatchRecords">): (bytes: Buffer) => ProduceRequestView {
  const limits = { maxBatchRecords: config.maxBatchRecords };
  const scratch = new ParseScratch();
  return (bytes) => parseProduceRequest(bytes, limits, scratch);
}

/**
 * ProduceService.ProduceStream's answers (services/rpc/pipelined-stream.ts): every
 * request of the stream is a Produce of the same handler, its response or its
 * error wrapped with the request's index.
 */
export const produceStreamCodec: PipelineCodec = {
  answer: (index, outcome) =>
    outcome.error === undefined
      ? encodeProduceStreamAnswer(index, outcome.response as ProduceResponseInit)
      : create(ProduceStreamResponseSchema, { requestIndex: index, result: { case: "error", value: outcome.error } }),
};

/**
 * ProduceService.Produce over a parsed request (createProduceParser): choose
 * each record's partition, and append each partition's records as one batch
 * straight from the request buffer. Offsets
 * are assigned synchronously, so records of one partition keep the request's
 * order. A request spanning partitions is not atomic across them (as in
 * Kafka): a failure on one partition leaves the others appended, and an
 * idempotent retry then answers those as duplicates.
 */
export function createProduceHandler(deps: ProduceDeps) {
  const { topics, config, logger, metrics, gate } = deps;
  const log = logger.child({ component: "produce" });

  return async function produce(view: ProduceRequestView, context?: { signal?: AbortSignal }): Promise<ProduceResponseInit> {
    validateTopicName(view.topic);
    const topic = topics.mutable(view.topic);
    const requestBytes = checkRecordSizes(view, topic.config.maxRecordBytes);
    const acks = checkAcks(view.acks);
    const idempotence = checkIdempotence(view);
    const acksAll = acks === Acks.ALL;

    const appended: Array<{ partition: number; result: AppendResult; indexes?: number[]; epoch: number }> = [];
    if (view.partition !== undefined) {
      const logOf = topics.mutablePartition(topic.name, view.partition);
      const epoch = gate?.checkWrite(topic.name, view.partition, acksAll) ?? -1;
      const result = logOf.append(view, idempotence);
      appended.push({ partition: view.partition, result, epoch });
      if (!result.duplicate) metrics?.countIn(topic.name, view.partition, view.count, requestBytes);
    } else {
      const groups = groupByPartition(view, topic, gate);
      // Every partition is checked before any is appended: a refused request wrote nothing.
      const epochs = groups.map((group) => gate?.checkWrite(topic.name, group.partition, acksAll) ?? -1);
      for (const [i, group] of groups.entries()) {
        const result = topic.logs[group.partition].append(group.spans, idempotence);
        appended.push({ partition: group.partition, result, indexes: group.indexes, epoch: epochs[i] });
        if (!result.duplicate) metrics?.countIn(topic.name, group.partition, group.spans.count, group.bytes);
      }
    }

    const durable = Promise.all(appended.map((a) => a.result.durable));
    if (acks === Acks.NONE) {
      // Nothing was promised; a failed write is the broker's to report.
      durable.catch((err: unknown) => log.warn({ err, topic: topic.name }, "acks=none append failed"));
    } else {
      await durable;
      if (gate !== undefined) {
        await Promise.all(
          appended.map((a) => gate.acknowledge(topic.name, a.partition, a.result.lastOffset, acksAll, a.epoch, context?.signal)),
        );
      }
    }
    return {
      results: appended.map(({ partition, result, indexes }): PartitionResultInit => ({
        partition,
        baseOffset: result.baseOffset,
        recordCount: Number(result.lastOffset - result.baseOffset + 1n),
        logAppendTimeMs: BigInt(result.logAppendTimeMs),
        duplicate: result.duplicate,
        recordIndexes: indexes ?? [],
      })),
    };
  };
}

/** @returns the records' total size in bytes */
function checkRecordSizes(view: ProduceRequestView, maxRecordBytes: number): number {
  let total = 0;
  for (let i = 0; i < view.count; i++) {
    const size = view.ends[i] - view.starts[i];
    total += size;
    if (size > maxRecordBytes) {
      throw new TributaryError(
        "exhausted",
        "RECORD_TOO_LARGE",
        `record ${i} is ${size} bytes; the topic's limit is ${maxRecordBytes}`,
      );
    }
  }
  return total;
}

function checkAcks(acks: number): Acks {
  if (acks === Acks.UNSPECIFIED) return Acks.LEADER;
  if (acks === Acks.NONE || acks === Acks.LEADER || acks === Acks.ALL) return acks;
  throw new InvalidArgumentError("INVALID_ACKS", `acks ${acks} is not a known level`);
}

function checkIdempotence(view: ProduceRequestView): { producerId?: bigint; sequence?: bigint } {
  const { producerId, sequence } = view;
  if (producerId === undefined && sequence === undefined) return {};
  if (producerId === undefined || sequence === undefined || producerId === 0n || sequence < 0n) {
    throw new InvalidArgumentError(
      "INVALID_IDEMPOTENCE",
      "idempotent produce needs both a non-zero producer_id and a non-negative sequence",
    );
  }
  return { producerId, sequence };
}

interface PartitionGroup {
  partition: number;
  spans: RecordSpans;
  indexes: number[];
  /** The records' total size in bytes. */
  bytes: number;
}

/**
 * Kafka's default partitioner for keyed records; round-robin across the
 * topic's partitions for records without a key (an empty key counts as none).
 */
function groupByPartition(view: ProduceRequestView, topic: Topic, gate: PartitionGate | undefined): PartitionGroup[] {
  const partitions = topic.logs.length;
  // Cluster mode: records without a key go round-robin over the partitions led here
  // (a thin client sends them to any broker); with none led here, over all of them,
  // and checkWrite then names a leader.
  const local = gate === undefined ? [] : Array.from({ length: partitions }, (_, p) => p).filter((p) => gate.leads(topic.name, p));
  const roundRobin = local.length > 0 ? () => local[topic.nextRoundRobin++ % local.length] : () => topic.nextRoundRobin++ % partitions;
  const partitionOf = new Uint32Array(view.count);
  const counts = new Uint32Array(partitions);
  for (let i = 0; i < view.count; i++) {
    const keyStart = view.keyStarts[i];
    const keyEnd = view.keyEnds[i];
    const p =
      keyEnd > keyStart
        ? partitionForKey(view.source, partitions, keyStart, keyEnd)
        : roundRobin();
    partitionOf[i] = p;
    counts[p]++;
  }
  topic.nextRoundRobin %= local.length > 0 ? local.length : partitions;

  const groups: PartitionGroup[] = [];
  const groupOf: PartitionGroup[] = new Array(partitions);
  for (let p = 0; p < partitions; p++) {
    const count = counts[p];
    if (count === 0) continue;
    const group: PartitionGroup = {
      partition: p,
      spans: {
        source: view.source,
        starts: new Uint32Array(count),
        ends: new Uint32Array(count),
        timestamps: new Float64Array(count),
        count: 0,
      },
      indexes: [],
      bytes: 0,
    };
    groups.push(group);
    groupOf[p] = group;
  }
  for (let i = 0; i < view.count; i++) {
    const group = groupOf[partitionOf[i]];
    const spans = group.spans as { -readonly [K in keyof RecordSpans]: RecordSpans[K] };
    const j = spans.count++;
    spans.starts[j] = view.starts[i];
    spans.ends[j] = view.ends[i];
    spans.timestamps[j] = view.timestamps[i];
    group.bytes += view.ends[i] - view.starts[i];
    group.indexes.push(i);
  }
  return groups;
}
