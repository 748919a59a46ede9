import type { Logger } from "pino";
import type { BrokerConfig } from "../config.js";
import { InvalidArgumentError, ShuttingDownError, TributaryError, UnknownTopicError } from "../errors.js";
import type { CoordinatorGate, GroupCoordinator, OffsetStore } from "../groups/index.js";
import type { MemberReads } from "./member-reads.js";
import type { TrafficMetrics } from "../metrics/index.js";
import type { HandlerContext, RawMessage, StreamSink } from "../rpc/index.js";
import { validateTopicName, type Topic, type TopicManager } from "../topics/index.js";
import type { SubscribeRequest } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { boundedMaxBytes } from "./fetch-handler.js";
import { runGroupSubscription } from "./group-subscription.js";
import { truncationPoint } from "./epoch-check.js";
import { encodeOffsetReset, pumpPartition } from "./partition-pump.js";
import { checkListLength, checkPartition, resolveStartOffset, startOffsetsByPartition } from "./start-position.js";
import { StreamBudget, StreamWriter } from "./stream-writer.js";
import { TimestampLookups } from "./timestamp-lookups.js";
import type { PartitionGate } from "../cluster/index.js";

export interface SubscribeDeps {
  readonly topics: TopicManager;
  readonly config: BrokerConfig;
  readonly logger: Logger;
  readonly coordinator: GroupCoordinator;
  readonly offsets: OffsetStore;
  /** Records and bytes out per partition. */
  readonly metrics?: TrafficMetrics;
  /** The broker-wide read budget shared with Fetch; default one of Subscribe's own. */
  readonly budget?: StreamBudget;
  /** The broker-wide gate of timestamp lookups; default one of Subscribe's own. */
  readonly lookups?: TimestampLookups;
  /** Cluster mode: explicit partitions are served by their leader only (services/cluster). */
  readonly gate?: PartitionGate;
  /** Cluster mode: a group is served by its coordinator only (services/cluster/coordinator). */
  readonly groupGate?: CoordinatorGate;
  /** Cluster mode: where a member's partitions are read from (a local replica or the leader). */
  readonly reads?: MemberReads;
}

/**
 * FetchService.Subscribe. With `group_id` the stream is a group membership
 * (group-subscription.ts); otherwise it reads explicit partitions of one
 * topic, one pump per partition (partition-pump.ts), all writing through one
 * byte-bounded StreamWriter so that a slow reader holds a bounded amount of
 * broker memory however many partitions it reads.
 */
export function createSubscribeHandler(deps: SubscribeDeps) {
  const { topics, config } = deps;
  const log = deps.logger.child({ component: "subscribe" });
  const budget = deps.budget ?? new StreamBudget(config.subscribeMemoryBytes, config.streamBufferBytes);
  const lookups = deps.lookups ?? new TimestampLookups();

  return async function subscribe(request: SubscribeRequest, sink: StreamSink<RawMessage>, context: HandlerContext): Promise<void> {
    const maxBytes = boundedMaxBytes(request.maxBytes, config.fetchMaxBytes);
    if (request.groupId !== "") return runGroupSubscription(request, sink, context, { ...deps, maxBytes, budget, lookups });
    if (request.topic === "") {
      throw new InvalidArgumentError("INVALID_SUBSCRIPTION", "set topic (explicit partitions) or group_id");
    }
    validateTopicName(request.topic);
    const topic = topics.get(request.topic);
    const startOffsets = startOffsetsByPartition(request.startPosition, topic.name, topic.logs.length);
    const partitions = choosePartitions(request, topic, startOffsets);
    if (deps.gate !== undefined) for (const p of partitions) deps.gate.checkRead(topic.name, p);
    const starts: bigint[] = [];
    const truncations: Array<{ partition: number; requested: bigint; reset: bigint }> = [];
    const lastEpochs = explicitPositions(request, startOffsets);
    for (const p of partitions) {
      // The reader's last epoch is checked before the range: past a truncation it may be past the log end.
      const position = lastEpochs(p);
      const reset = position === undefined ? null : truncationPoint(topic.logs[p], position.offset, position.lastFetchedEpoch);
      if (reset !== null) truncations.push({ partition: p, requested: (position as ExplicitPosition).offset, reset });
      starts.push(reset ?? (await resolveStartOffset(request.startPosition, p, topic.logs[p], lookups, startOffsets)));
    }

    // Headers go out once the start offsets are fixed: a client that has seen
    // them knows every record appended from now on will reach it.
    context.sendHeaders();
    const stop = new AbortController();
    const onEnd = () => stop.abort();
    const ended = context.signal;
    if (ended.aborted) stop.abort();
    else ended.addEventListener("abort", onEnd, { once: true });
    const writer = new StreamWriter(sink, budget);
    // Cluster mode: the stream ends with NOT_LEADER once this broker stops leading one of
    // its partitions, so that the client goes to the new leader.
    let leadershipLost: unknown;
    const leaderships = deps.gate === undefined ? [] : partitions.map((p) => deps.gate!.leadershipEnded(topic.name, p));
    const onLeadershipLost = (event: Event) => {
      leadershipLost ??= (event.target as AbortSignal).reason;
      stop.abort();
    };
    for (const signal of leaderships) {
      if (signal.aborted) onLeadershipLost({ target: signal } as unknown as Event);
      else signal.addEventListener("abort", onLeadershipLost, { once: true });
    }
    log.debug({ topic: topic.name, partitions: partitions.length }, "subscription opened");
    try {
      for (const t of truncations) {
        await writer.write(encodeOffsetReset(topic.name, t.partition, t.requested, t.reset, true), stop.signal);
      }
      await Promise.all(
        partitions.map((partition, i) =>
          pumpPartition({
            topic: topic.name,
            partition,
            log: topic.logs[partition],
            start: starts[i],
            maxBytes,
            writer,
            signals: [stop.signal, topic.closed],
            traffic: deps.metrics?.partition(topic.name, partition),
          }),
        ),
      ).catch((err: unknown) => {
        stop.abort();
        throw err;
      });
    } finally {
      writer.close();
      ended.removeEventListener("abort", onEnd);
      for (const signal of leaderships) signal.removeEventListener("abort", onLeadershipLost);
      log.debug({ topic: topic.name }, "subscription closed");
    }
    if (leadershipLost !== undefined && !ended.aborted) throw leadershipLost;
    if (stop.signal.aborted) return;
    // The topic went away under the stream: deleted, or the broker is stopping.
    throw topicGone(topics, topic);
  };
}

/** Why a topic's signal aborted while a stream was reading it. */
export function topicGone(topics: TopicManager, topic: Topic): TributaryError {
  if (!topics.list(true).includes(topic)) {
    return new UnknownTopicError(`topic ${topic.name} was deleted`);
  }
  return new ShuttingDownError();
}

interface ExplicitPosition {
  readonly offset: bigint;
  readonly lastFetchedEpoch?: number;
}

/** The explicit start position of each partition, with the reader's last epoch when it
 * gave one (`startOffsets` is the `offsets` case, as built by startOffsetsByPartition). */
function explicitPositions(
  request: SubscribeRequest,
  startOffsets: ReadonlyMap<number, ExplicitPosition> | undefined,
): (partition: number) => ExplicitPosition | undefined {
  const start = request.startPosition;
  if (start.case === "offset") {
    const lastFetchedEpoch = request.lastFetchedEpoch;
    const position = { offset: start.value, lastFetchedEpoch };
    return () => (lastFetchedEpoch === undefined ? undefined : position);
  }
  return (partition) => startOffsets?.get(partition);
}

/** The partitions listed (duplicates dropped), else those with a start offset, else all.
 * Linear in the request, which is refused unwalked when longer than the topic. */
function choosePartitions(request: SubscribeRequest, topic: Topic, startOffsets: ReadonlyMap<number, unknown> | undefined): number[] {
  const wanted = request.partitions;
  checkListLength(wanted.length, topic.logs.length, "partitions");
  if (wanted.length === 0 && startOffsets !== undefined && startOffsets.size > 0) return [...startOffsets.keys()];
  if (wanted.length === 0) return topic.logs.map((_, p) => p);
  const unique = [...new Set(wanted)];
  for (const p of unique) checkPartition(p, topic.name, topic.logs.length);
  return unique;
}
