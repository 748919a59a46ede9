import { create, toBinary } from "@bufbuild/protobuf";
import type { Logger } from "pino";
import { AdminService, type ListOffsetsRequest } from "../../../gen/ts/tributary/v1/admin_pb.js";
import { FetchService, SubscribeResponseSchema, type FetchResponse } from "../../../gen/ts/tributary/v1/fetch_pb.js";
import { encodeOffsetReset, type LeaderPumpOptions, type MemberReads, type OffsetSpec, type ResetPolicy } from "../../fetch/index.js";
import { PartitionOfflineError, UnavailableError } from "../../errors.js";
import type { Log } from "../../log/index.js";
import { GrpcCode, type RpcClient } from "../../rpc/index.js";
import type { TopicManager } from "../../topics/index.js";
import type { ClusterNode } from "../cluster-node.js";
import { partitionKey } from "../cluster-state.js";

/** How long one Fetch at the leader waits for records (a long poll). */
const fetchMaxWaitMs = 500;
/** Bound on one call to the leader: a black-holed leader is given up and looked up again. */
const callDeadlineMs = 10_000;
/** Pauses between attempts while a partition has no reachable leader. */
const minBackoffMs = 50;
const maxBackoffMs = 1000;
/** A smart client's header: answer NOT_LEADER rather than forward (CLUSTER.md section 5). */
const noForward = { "tributary-no-forward": "1" };

/**
 * MemberReads for a coordinator (services/fetch/member-reads.ts): a local replica when
 * this broker holds one, else FetchService.Fetch at the partition's leader, through the
 * one inter-broker client factory (ClusterNode.interBrokerClient: the inter-broker
 * principal, over TLS when the broker has TLS), one client per broker address.
 */
export class LeaderReads implements MemberReads {
  private readonly clients = new Map<string, RpcClient>();
  private readonly log: Logger;
  private closed = false;

  constructor(
    private readonly node: ClusterNode,
    private readonly topics: TopicManager,
    logger: Logger,
  ) {
    this.log = logger.child({ component: "leader-reads" });
  }

  localReplica(topic: string, partition: number): Log | undefined {
    if (!this.node.isReplica(topic, partition)) return undefined;
    return this.topics.find(topic)?.logs[partition];
  }

  async pumpFromLeader(options: LeaderPumpOptions): Promise<bigint | undefined> {
    const { topic, partition, writer, signal } = options;
    let next: bigint | undefined;
    let lastEpoch: number | undefined;
    let backoffMs = minBackoffMs;
    /** Until a record was read, an out-of-range start is the commit's: the reset policy
     * decides. Afterwards the log start passed the reader (retention, DeleteRecords): it
     * continues there, as a pump of a local log does. */
    let readAny = false;
    while (!signal.aborted && !this.closed) {
      const client = this.leaderClient(topic, partition);
      try {
        if (client === undefined) throw new Error("no live leader");
        if (next === undefined) {
          if (options.committed !== undefined) {
            // The first Fetch checks it: its epoch (KIP-320) and its range.
            next = options.committed.offset;
            lastEpoch = options.committed.leaderEpoch;
          } else {
            next = await this.resetOffset(client, topic, partition, options.reset, signal);
          }
          options.onStart(next);
        }
        const response: FetchResponse = await client.unary(
          FetchService.typeName,
          FetchService.method.fetch,
          { topic, partition, offset: next, maxBytes: options.maxBytes, maxWaitMs: fetchMaxWaitMs, lastFetchedEpoch: lastEpoch },
          { signal, deadlineMs: callDeadlineMs, metadata: noForward },
        );
        backoffMs = minBackoffMs;
        if (signal.aborted) break;
        if (response.offsetReset !== undefined) {
          const requested = next;
          next = response.nextOffset;
          lastEpoch = response.leaderEpoch;
          await writer.write(encodeOffsetReset(topic, partition, requested, next, true), signal);
          continue;
        }
        if (response.records.length === 0) {
          // Compaction may have removed everything up to the high watermark: move past it.
          if (response.nextOffset > next) next = response.nextOffset;
          continue;
        }
        const message = Buffer.from(
          toBinary(
            SubscribeResponseSchema,
            create(SubscribeResponseSchema, {
              event: {
                case: "records",
                value: { records: response.records, topic, partition, highWatermark: response.highWatermark, leaderEpoch: response.leaderEpoch },
              },
            }),
          ),
        );
        // write() sends at once unless the stream already ended: only then is the
        // position moved, so a resumed read neither skips nor repeats a record.
        if (signal.aborted) break;
        const written = writer.write(message, signal);
        next = response.nextOffset;
        lastEpoch = response.leaderEpoch;
        readAny = true;
        await written;
      } catch (err) {
        if (signal.aborted || this.closed) break;
        const code = (err as { code?: number }).code;
        if (code === GrpcCode.OUT_OF_RANGE && next !== undefined && client !== undefined) {
          // The commit is outside the leader's log (retention, DeleteRecords): the reset
          // policy decides, and the member is told, as on one broker.
          try {
            const requested = next;
            next = await this.resetOffset(client, topic, partition, readAny ? { case: "earliest", value: true } : options.reset, signal);
            lastEpoch = undefined;
            await writer.write(encodeOffsetReset(topic, partition, requested, next, false), signal);
            continue;
          } catch {
            // falls through to the backoff
          }
        }
        // Refusals do not heal by themselves (inter-broker credentials or ACLs wrong): said
        // at warn, at most once per backoff step; the rest is a leader moving.
        if (code === GrpcCode.PERMISSION_DENIED || code === GrpcCode.UNAUTHENTICATED) {
          this.log.warn({ err, topic, partition }, "reading from the leader refused; retrying");
        } else {
          this.log.debug({ err, topic, partition }, "reading from the leader failed; looking it up again");
        }
        await pause(backoffMs, signal);
        backoffMs = Math.min(maxBackoffMs, backoffMs * 2);
      }
    }
    return next;
  }

  async listOffset(topic: string, partition: number, spec: OffsetSpec): Promise<bigint> {
    const local = this.localReplica(topic, partition);
    if (local !== undefined) {
      if (spec.case === "earliest") return local.logStartOffset;
      if (spec.case === "latest") return local.highWatermark;
      return (await local.offsetForTimestamp(Number(spec.value)))?.offset ?? local.highWatermark;
    }
    const client = this.leaderClient(topic, partition);
    if (client === undefined) throw new PartitionOfflineError(topic, partition);
    const policy: ResetPolicy =
      spec.case === "timestampMs" ? { case: "timestampMs", value: spec.value } : spec.case === "earliest" ? { case: "earliest", value: true } : { case: "latest", value: true };
    return this.resetOffset(client, topic, partition, policy, AbortSignal.timeout(callDeadlineMs)).catch((err: unknown) => {
      throw new UnavailableError("LEADER_NOT_AVAILABLE", `partition ${topic}/${partition}: its leader did not answer ListOffsets`, { cause: err });
    });
  }

  /** Closes the clients; pumps still running end at their next call. */
  close(): void {
    this.closed = true;
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private leaderClient(topic: string, partition: number): RpcClient | undefined {
    const leader = this.node.snapshot?.partitions.get(partitionKey(topic, partition))?.state.leader ?? -1;
    if (leader < 0) return undefined;
    const address = this.node.brokerAddress(leader);
    if (address === undefined) return undefined;
    let client = this.clients.get(address);
    if (client === undefined) this.clients.set(address, (client = this.node.interBrokerClient(address)));
    return client;
  }

  private async resetOffset(client: RpcClient, topic: string, partition: number, reset: ResetPolicy, signal: AbortSignal): Promise<bigint> {
    const spec: ListOffsetsRequest["spec"] =
      reset.case === "earliest"
        ? { case: "earliest", value: true }
        : reset.case === "timestampMs"
          ? { case: "timestampMs", value: reset.value }
          : { case: "latest", value: true };
    const answer = await client.unary(
      AdminService.typeName,
      AdminService.method.listOffsets,
      { topic, partition, spec },
      { signal, deadlineMs: callDeadlineMs, metadata: noForward },
    );
    return answer.offset;
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
