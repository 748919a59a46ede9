/**
 * ReplicaService.Replicate on the wire (issue 16, CLUSTER.md section 4): what a leader
 * answers a fetch, seen from a raw stream (services/rpc RpcClient), with real logs.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { ReplicaService, type ReplicateResponse } from "../../../gen/ts/tributary/cluster/v1/replica_pb.js";
import { RpcClient } from "../../../services/rpc/index.js";
import { spansOfValues } from "../../helpers/log-records.js";
import { ReplicaCluster, topic, topicId } from "./replica-cluster.js";

let cluster: ReplicaCluster | undefined;
let client: RpcClient | undefined;
afterEach(async () => {
  client?.close();
  client = undefined;
  await cluster?.close();
  cluster = undefined;
});

/** A raw Replicate stream to `address`: `fetch` sends one request and resolves its answer. */
function openStream(address: string) {
  client = new RpcClient(address);
  const answers: Array<(r: ReplicateResponse) => void> = [];
  const stream = client.openBidiStream(ReplicaService.typeName, ReplicaService.method.replicate, {
    onMessage: (r) => answers.shift()?.(r),
    onEnd: () => undefined,
  });
  return {
    fetch(part: { currentLeaderEpoch: number; fetchOffset: bigint; lastFetchedEpoch: number; topicId?: string }, maxWaitMs = 0) {
      return new Promise<ReplicateResponse>((resolve) => {
        answers.push(resolve);
        stream.send({ brokerId: 9, brokerEpoch: 1n, maxWaitMs, maxBytes: 1 << 20, partitions: [{ topic, topicId, partition: 0, ...part }] });
      });
    },
  };
}

async function leaderWithRecords(): Promise<ReplicaCluster> {
  const c = await ReplicaCluster.create({ replicas: [1] });
  await c.start(1);
  c.elect(1, [1]);
  await vi.waitFor(() => expect(c.broker(1).manager!.leaderEpoch(topic, 0)).toBe(1));
  for (let i = 0; i < 3; i++) await c.broker(1).log.append(spansOfValues([`v${i}`, `w${i}`])).durable;
  return c;
}

describe("ReplicaService.Replicate", () => {
  it("refuses a stale epoch, an unknown newer one and another topic id; answers frames and the high watermark otherwise", async () => {
    cluster = await leaderWithRecords();
    const s = openStream(cluster.broker(1).address!);
    const one = async (part: Parameters<typeof s.fetch>[0]) => (await s.fetch(part)).partitions[0];
    expect((await one({ currentLeaderEpoch: 0, fetchOffset: 0n, lastFetchedEpoch: -1 })).error).toBe("FENCED_LEADER_EPOCH");
    expect((await one({ currentLeaderEpoch: 2, fetchOffset: 0n, lastFetchedEpoch: -1 })).error).toBe("UNKNOWN_LEADER_EPOCH");
    expect((await one({ currentLeaderEpoch: 1, fetchOffset: 0n, lastFetchedEpoch: -1, topicId: "other" })).error).toBe("UNKNOWN_TOPIC_ID");
    expect((await one({ currentLeaderEpoch: 1, fetchOffset: 7n, lastFetchedEpoch: -1 })).error).toBe("OFFSET_OUT_OF_RANGE");
    const data = await one({ currentLeaderEpoch: 1, fetchOffset: 2n, lastFetchedEpoch: 1 });
    expect(data.error).toBe("");
    expect([data.highWatermark, data.logEndOffset, data.logStartOffset]).toEqual([6n, 6n, 0n]);
    const frames = Buffer.from(data.frames);
    expect(frames.readBigInt64LE(0)).toBe(2n); // frames from the fetch offset, as stored
    expect(frames.readInt32LE(12)).toBe(1);
    // A follower whose last epoch the leader does not have, or that ends past it, diverges.
    const diverging = await one({ currentLeaderEpoch: 1, fetchOffset: 8n, lastFetchedEpoch: 1 });
    expect(diverging.divergingEpoch).toMatchObject({ epoch: 1, endOffset: 6n });
    const older = await one({ currentLeaderEpoch: 1, fetchOffset: 4n, lastFetchedEpoch: 0 });
    expect(older.divergingEpoch).toMatchObject({ epoch: 0, endOffset: 0n });
  });

  it("holds a fetch with nothing new until an append, then answers at once", async () => {
    cluster = await leaderWithRecords();
    const s = openStream(cluster.broker(1).address!);
    await s.fetch({ currentLeaderEpoch: 1, fetchOffset: 6n, lastFetchedEpoch: 1 }); // first answer: the high watermark
    const held = s.fetch({ currentLeaderEpoch: 1, fetchOffset: 6n, lastFetchedEpoch: 1 }, 20_000);
    let answered = false;
    void held.then(() => (answered = true));
    // Two round trips of another stream prove the first is held, without waiting on time.
    const other = await leaderStreamRoundTrips(cluster.broker(1).address!);
    expect(other).toBe(2);
    expect(answered).toBe(false);
    const started = Date.now();
    cluster.broker(1).log.append(spansOfValues(["new"]));
    const data = (await held).partitions[0];
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(Buffer.from(data.frames).readBigInt64LE(0)).toBe(6n);
  });
});

async function leaderStreamRoundTrips(address: string): Promise<number> {
  const other = new RpcClient(address);
  try {
    let n = 0;
    await new Promise<void>((resolve) => {
      const stream = other.openBidiStream(ReplicaService.typeName, ReplicaService.method.replicate, {
        onMessage: () => {
          if (++n === 2) resolve();
          else send();
        },
        onEnd: () => resolve(),
      });
      const send = () => stream.send({ brokerId: 8, brokerEpoch: 1n, maxWaitMs: 0, partitions: [{ topic, topicId, partition: 0, currentLeaderEpoch: 1, fetchOffset: 0n, lastFetchedEpoch: -1 }] });
      send();
    });
    return n;
  } finally {
    other.close();
  }
}
