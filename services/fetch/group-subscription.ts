import { create, toBinary } from "@bufbuild/protobuf";
import { InvalidArgumentError, ShuttingDownError, TributaryError } from "../errors.js";
import { coordinatorLost, partitionKey, type AssignorKind, type MemberEvent, type PartitionRef } from "../groups/index.js";
import type { Log } from "../log/index.js";
import type { HandlerContext, RawMessage, StreamSink } from "../rpc/index.js";
import { validateTopicName } from "../topics/index.js";
import { Assignor, SubscribeResponseSchema, type SubscribeRequest } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { truncationPoint } from "./epoch-check.js";
import { encodeOffsetReset, pumpPartition } from "./partition-pump.js";
import { StreamWriter, type StreamBudget } from "./stream-writer.js";
import type { SubscribeDeps } from "./subscribe-handler.js";
import type { TimestampLookups } from "./timestamp-lookups.js";

const assignors: Readonly<Record<number, AssignorKind>> = {
  [Assignor.UNSPECIFIED]: "sticky",
  [Assignor.STICKY]: "sticky",
  [Assignor.RANGE]: "range",
  [Assignor.ROUND_ROBIN]: "round-robin",
};
const maxIdLength = 255;

interface Pump {
  readonly controller: AbortController;
  /** Resolves with the offset after the last record sent (undefined: nothing was read). */
  readonly done: Promise<bigint | undefined>;
  /** Where reading started; undefined until a pump from the leader knows it. */
  start: bigint | undefined;
}

/**
 * A Subscribe stream that is a consumer-group member: it joins on open and
 * leaves when the stream ends. Events from the coordinator are handled in
 * order: `revoked` stops the partitions' pumps and only then tells the
 * client (so no record of a revoked partition follows the revocation);
 * `assignment` is written before any record of a newly assigned partition,
 * whose reading starts at the group's committed offset, else by the request's
 * reset policy (default latest, like Kafka's auto.offset.reset).
 *
 * In a cluster (`groupGate`, `reads`) the stream is served by the group's coordinator
 * only, and ends with NOT_COORDINATOR as soon as this broker stops being it; each owned
 * partition is read from a local replica when this broker has one, else from its leader.
 */
export async function runGroupSubscription(
  request: SubscribeRequest,
  sink: StreamSink<RawMessage>,
  context: HandlerContext,
  deps: SubscribeDeps & { readonly maxBytes: number; readonly budget: StreamBudget; readonly lookups: TimestampLookups },
): Promise<void> {
  const { topics, coordinator, offsets, maxBytes, budget, lookups, reads } = deps;
  checkGroupRequest(request);
  const lease = deps.groupGate?.checkCoordinator(request.groupId);
  // Each distinct name once: the list's own length may be anything the request size allows.
  const wanted = [...new Set(request.topics)];
  for (const topic of wanted) {
    validateTopicName(topic);
    topics.get(topic);
  }
  const assignor = assignors[request.assignor];
  if (assignor === undefined) throw new InvalidArgumentError("INVALID_SUBSCRIPTION", `unknown assignor ${request.assignor}`);

  const stop = new AbortController();
  const onEnd = () => stop.abort();
  const ended = context.signal;
  if (ended.aborted) stop.abort();
  else ended.addEventListener("abort", onEnd, { once: true });
  const queue: MemberEvent[] = [];
  let wake: (() => void) | undefined;
  let failure: unknown;
  const notify = () => wake?.();
  stop.signal.addEventListener("abort", notify, { once: true });
  const onShutdown = () => stop.abort();
  topics.shutdown.addEventListener("abort", onShutdown, { once: true });
  // Cluster mode: this broker stopped coordinating the group; the member goes to the new one.
  let lostCoordinator: unknown;
  const onCoordinatorLost = () => {
    lostCoordinator ??= lease?.ended.reason;
    stop.abort();
  };
  if (lease?.ended.aborted) onCoordinatorLost();
  else lease?.ended.addEventListener("abort", onCoordinatorLost, { once: true });

  const handle = coordinator.join({
    groupId: request.groupId,
    instanceId: request.instanceId,
    clientId: request.clientId,
    host: context.peer,
    topics: wanted,
    assignor,
    deliver: (event) => {
      queue.push(event);
      notify();
    },
  });
  context.sendHeaders();
  const writer = new StreamWriter(sink, budget);
  const pumps = new Map<string, Pump>();
  /** Stops a partition's reading; true when it sent records beyond the group's commit. */
  const stopPump = async (key: string, p?: PartitionRef): Promise<boolean> => {
    const pump = pumps.get(key);
    if (pump === undefined) return false;
    pumps.delete(key);
    pump.controller.abort();
    const end = await pump.done.catch(() => null);
    if (end === undefined) return false; // a pump from the leader that never started read nothing
    if (p === undefined || end === null) return true;
    return end > (offsets.get(request.groupId, p.topic, p.partition)?.offset ?? pump.start ?? end);
  };

  try {
    while (!stop.signal.aborted) {
      if (failure !== undefined) throw failure;
      const event = queue.shift();
      if (event === undefined) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      if (event.kind === "fenced") {
        throw new TributaryError("precondition", "FENCED_INSTANCE", "another stream joined with this instance id");
      }
      if (event.kind === "revoked") {
        const uncommitted = await Promise.all(event.partitions.map((p) => stopPump(partitionKey(p), p)));
        await writer.write(encodeEvent({ case: "revoked", value: { generation: event.generation, partitions: [...event.partitions] } }), stop.signal);
        if (request.neverCommits || !uncommitted.includes(true)) {
          coordinator.acknowledgeRevocation(request.groupId, handle.memberId, event.generation);
        }
        continue;
      }
      await writer.write(
        encodeEvent({
          case: "assignment",
          value: { generation: event.generation, memberId: event.memberId, partitions: [...event.partitions] },
        }),
        stop.signal,
      );
      const assigned = new Set(event.partitions.map(partitionKey));
      for (const key of [...pumps.keys()]) if (!assigned.has(key)) await stopPump(key);
      for (const p of event.partitions) {
        const key = partitionKey(p);
        if (pumps.has(key)) continue;
        if (reads !== undefined && reads.localReplica(p.topic, p.partition) === undefined) {
          // Not a replica here: read from the partition's leader.
          if (!topics.find(p.topic)) continue; // deleted since the assignment was computed
          const controller = new AbortController();
          const committed = offsets.get(request.groupId, p.topic, p.partition);
          const pump: Pump = { controller, done: Promise.resolve(undefined), start: undefined };
          const done = reads.pumpFromLeader({
            topic: p.topic,
            partition: p.partition,
            committed: committed === undefined ? undefined : { offset: committed.offset, leaderEpoch: committed.leaderEpoch },
            reset: request.startPosition,
            maxBytes,
            writer,
            signal: AbortSignal.any([stop.signal, controller.signal]),
            onStart: (offset) => (pump.start = offset),
          });
          done.catch((err: unknown) => {
            failure ??= err;
            notify();
          });
          pumps.set(key, Object.assign(pump, { done }));
          continue;
        }
        let log: Log;
        let closed: AbortSignal;
        try {
          const topic = topics.get(p.topic);
          log = topic.logs[p.partition];
          closed = topic.closed;
        } catch {
          continue; // deleted since the assignment was computed; a rebalance follows
        }
        if (log === undefined) continue;
        const controller = new AbortController();
        const start = await startOffset(request, p, log, (requested, reset, truncated) =>
          writer.write(encodeOffsetReset(p.topic, p.partition, requested, reset, truncated), stop.signal),
        );
        const done = pumpPartition({
          topic: p.topic,
          partition: p.partition,
          log,
          start,
          maxBytes,
          writer,
          signals: [stop.signal, controller.signal, closed],
          traffic: deps.metrics?.partition(p.topic, p.partition),
        });
        done.catch((err: unknown) => {
          failure ??= err;
          notify();
        });
        pumps.set(key, { controller, done, start });
      }
    }
  } finally {
    handle.leave();
    stop.abort();
    await Promise.all([...pumps.keys()].map((key) => stopPump(key)));
    writer.close();
    ended.removeEventListener("abort", onEnd);
    topics.shutdown.removeEventListener("abort", onShutdown);
    lease?.ended.removeEventListener("abort", onCoordinatorLost);
  }
  if (lostCoordinator !== undefined && !ended.aborted) throw coordinatorLost(request.groupId, lostCoordinator);
  if (topics.shutdown.aborted) throw new ShuttingDownError();

  /** The committed offset, else the reset policy; an out-of-range commit is reset and
   * reported. A commit past a truncation of the log (its stored leader epoch ended
   * below it here: the offsets after the truncation point now hold other records) is
   * reset to the truncation point, not by the policy (KIP-320). */
  async function startOffset(
    req: SubscribeRequest,
    p: PartitionRef,
    log: Log,
    reportReset: (requested: bigint, reset: bigint, truncated: boolean) => Promise<void>,
  ): Promise<bigint> {
    const committed = offsets.get(req.groupId, p.topic, p.partition);
    const truncatedAt = committed === undefined ? null : truncationPoint(log, committed.offset, committed.leaderEpoch);
    if (committed !== undefined && truncatedAt !== null) {
      await reportReset(committed.offset, truncatedAt, true);
      return truncatedAt;
    }
    if (committed !== undefined && committed.offset >= log.logStartOffset && committed.offset <= log.logEndOffset) {
      return committed.offset;
    }
    const reset = await resetOffset(req, log, lookups);
    if (committed !== undefined) await reportReset(committed.offset, reset, false);
    return reset;
  }
}

async function resetOffset(request: SubscribeRequest, log: Log, lookups: TimestampLookups): Promise<bigint> {
  switch (request.startPosition.case) {
    case "earliest":
      return log.logStartOffset;
    case "timestampMs": {
      const found = await lookups.offsetForTimestamp(log, Number(request.startPosition.value));
      return found === null ? log.highWatermark : found.offset;
    }
    default:
      return log.highWatermark;
  }
}

function checkGroupRequest(request: SubscribeRequest): void {
  if (request.topic !== "" || request.partitions.length > 0) {
    throw new InvalidArgumentError("INVALID_SUBSCRIPTION", "a group subscription names topics, not topic/partitions");
  }
  if (request.topics.length === 0) {
    throw new InvalidArgumentError("INVALID_SUBSCRIPTION", "a group subscription needs at least one topic");
  }
  if (request.groupId.length > maxIdLength || request.instanceId.length > maxIdLength || request.clientId.length > maxIdLength) {
    throw new InvalidArgumentError("INVALID_SUBSCRIPTION", `group, instance and client ids are at most ${maxIdLength} characters`);
  }
  const start = request.startPosition;
  if (start.case === "offset" || start.case === "offsets") {
    throw new InvalidArgumentError(
      "INVALID_START",
      "a group starts at its committed offsets; its reset policy is earliest, latest or timestamp_ms",
    );
  }
  if (start.case === "timestampMs" && start.value < 0n) {
    throw new InvalidArgumentError("INVALID_START", "timestamp_ms must not be negative");
  }
}

function encodeEvent(event: NonNullable<Parameters<typeof create<typeof SubscribeResponseSchema>>[1]>["event"]): Buffer {
  return Buffer.from(toBinary(SubscribeResponseSchema, create(SubscribeResponseSchema, { event })));
}
