/**
 * The leader side of ReplicaService.Replicate (CLUSTER.md section 4): one
 * bidirectional stream per follower, one answer per fetch, in order. Each partition of a
 * fetch is answered by its PartitionLeader (frames from the fetch offset, the high
 * watermark, a diverging epoch or an error reason); a partition this broker does not
 * lead answers NOT_LEADER. When no partition has news (frames, an error, a divergence,
 * or a high watermark other than the one this stream last sent), the answer is held up
 * to `max_wait_ms` and sent when a leader's written end or high watermark moves, its
 * leadership ends, or the time is up (Kafka's fetch purgatory, per stream).
 */
import { create } from "@bufbuild/protobuf";
import {
  ReplicateResponseSchema,
  type ReplicaService,
  type ReplicateRequest,
} from "../../../gen/ts/tributary/cluster/v1/replica_pb.js";
import type { HandlerContext, ServiceImpl } from "../../rpc/index.js";
import type { PartitionLeader, ReplicaDataInit } from "./partition-leader.js";
import type { ReplicationConfig } from "./replication-deps.js";

/** Longest hold a follower may ask for. */
const maxHoldMs = 30_000;

export type ReplicaServiceImpl = ServiceImpl<(typeof ReplicaService)["method"]>;

export function createReplicaService(
  leaderOf: (topic: string, partition: number) => PartitionLeader | undefined,
  config: ReplicationConfig,
): ReplicaServiceImpl {
  return {
    async replicate(requests, sink, context) {
      const sentHighWatermarks = new Map<string, bigint>();
      for await (const request of requests) {
        const partitions = await answer(request, sentHighWatermarks, context);
        if (sink.closed || context.signal.aborted) return;
        sink.send(create(ReplicateResponseSchema, { partitions }));
      }
    },
  };

  async function answer(request: ReplicateRequest, sent: Map<string, bigint>, context: HandlerContext): Promise<ReplicaDataInit[]> {
    const maxWaitMs = Math.min(Math.max(0, request.maxWaitMs), maxHoldMs);
    const maxBytes = request.maxBytes > 0 ? Math.min(request.maxBytes, config.replicaFetchMaxBytes) : config.replicaFetchMaxBytes;
    const compute = (): Promise<ReplicaDataInit[]> =>
      Promise.all(
        request.partitions.map((f) => {
          const leader = leaderOf(f.topic, f.partition);
          if (leader === undefined) return { topic: f.topic, partition: f.partition, error: "NOT_LEADER" };
          return leader.fetch(f, request.brokerId, request.brokerEpoch, maxBytes);
        }),
      );
    let data = await compute();
    const news = data.some(
      (d) => (d.error ?? "") !== "" || d.divergingEpoch !== undefined || (d.frames?.length ?? 0) > 0 || sent.get(`${d.topic}/${d.partition}`) !== d.highWatermark,
    );
    if (!news && maxWaitMs > 0) {
      const leaders = request.partitions.map((f) => leaderOf(f.topic, f.partition)).filter((l) => l !== undefined);
      await waitForNews(leaders, maxWaitMs, context.signal);
      if (context.signal.aborted) return [];
      data = await compute();
    }
    for (const d of data) if (d.highWatermark !== undefined) sent.set(`${d.topic}/${d.partition}`, d.highWatermark);
    return data;
  }
}

function waitForNews(leaders: PartitionLeader[], maxWaitMs: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const offs: Array<() => void> = [];
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      for (const off of offs) off();
      resolve();
    };
    const timer = setTimeout(done, maxWaitMs);
    signal.addEventListener("abort", done, { once: true });
    for (const leader of leaders) offs.push(leader.onNews(done));
  });
}
