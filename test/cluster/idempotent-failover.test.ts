import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createClient } from "../../clients/ts/grpc-client.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Acks, ProduceService, type ProduceRequestSchema } from "../../gen/ts/tributary/v1/produce_pb.js";
import { startCluster, type TestCluster } from "../helpers/cluster.js";
import { createClusterTopic } from "../helpers/cluster-topic.js";

const topic = "exactly-once";

/**
 * CLUSTER.md section 4, "idempotent producers across a failover": producer state is
 * rebuilt on every replica from the replicated frames (producer id and sequence kept),
 * so a retry of an acknowledged request reaching the next leader is answered as a
 * duplicate with the original offsets, and the partition holds the records once. Also
 * when the first answer never reached the producer: the leader appended, replicated,
 * answered and died (from the new leader's side the same as an answer lost in transit).
 */
describe("an idempotent retry across a leader change", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster({ brokers: 3 });
    await createClusterTopic(cluster, topic, 1);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const describeVia = async (except: number) => {
    for (const broker of cluster.brokers) {
      if (broker.id === except || broker.process.exited) continue;
      try {
        return (await createClient(AdminService, broker.address).describeTopic({ name: topic }, { deadline: 1000 })).topic!.partitions[0];
      } catch {
        continue;
      }
    }
    throw new Error("no broker answered DescribeTopic");
  };
  /** Kills the leader and resolves the next one, once elected. */
  const failOver = async (leader: number) => {
    cluster.broker(leader).process.kill("SIGKILL");
    await cluster.broker(leader).process.waitForExit();
    await expect.poll(async () => (await describeVia(leader)).leader, { timeout: 15_000, interval: 100 }).not.toBe(leader);
    const next = (await describeVia(leader)).leader;
    expect(next).toBeGreaterThan(0);
    return next;
  };
  /** Sends to one broker, retrying while it does not lead yet (it learns of its election from etcd). */
  const send = (brokerId: number, request: MessageInitShape<typeof ProduceRequestSchema>) =>
    vi.waitFor(() => createClient(ProduceService, cluster.broker(brokerId).address).produce(request, { deadline: 5_000 }), {
      timeout: 15_000,
      interval: 100,
    });
  const values = async (brokerId: number) =>
    (await createClient(FetchService, cluster.broker(brokerId).address).fetch({ topic, partition: 0, offset: 0n })).records.map((r) =>
      Buffer.from(r.value).toString(),
    );

  it("is answered as a duplicate with the original offsets by the new leader", async () => {
    const producerId = 0x7a11_0001n;
    const request = (sequence: bigint, texts: string[]): MessageInitShape<typeof ProduceRequestSchema> => ({
      topic,
      partition: 0,
      records: texts.map((t) => ({ value: Buffer.from(t) })),
      acks: Acks.ALL,
      producerId,
      sequence,
    });
    const first = request(0n, ["a", "b"]);
    const second = request(1n, ["c"]);

    // 1. Acknowledged by the first leader; the retry goes to the next one.
    const leader1 = (await describeVia(-1)).leader;
    const answer1 = (await send(leader1, first)).results[0];
    expect(answer1).toMatchObject({ baseOffset: 0n, recordCount: 2, duplicate: false });
    const leader2 = await failOver(leader1);
    const retry1 = (await send(leader2, first)).results[0];
    expect(retry1).toMatchObject({ baseOffset: 0n, recordCount: 2, duplicate: true });
    expect(await values(leader2)).toEqual(["a", "b"]);

    // The first leader back, in sync again (three live brokers for the next kill).
    await cluster.broker(leader1).start();
    await expect.poll(async () => (await describeVia(-1)).isr.length, { timeout: 20_000, interval: 200 }).toBe(3);

    // 2. Appended, replicated and answered, then the leader dies: the producer saw no
    //    answer (as if lost) and retries at whoever leads next.
    const leader3 = (await describeVia(-1)).leader;
    const answer2 = (await send(leader3, second)).results[0];
    cluster.broker(leader3).process.kill("SIGKILL");
    expect(answer2).toMatchObject({ baseOffset: 2n, duplicate: false });
    await cluster.broker(leader3).process.waitForExit();
    await expect.poll(async () => (await describeVia(leader3)).leader, { timeout: 15_000, interval: 100 }).not.toBe(leader3);
    const leader4 = (await describeVia(leader3)).leader;
    const retry2 = (await send(leader4, second)).results[0];
    expect(retry2).toMatchObject({ baseOffset: 2n, recordCount: 1, duplicate: true });

    // 3. The next sequence is new; the partition holds every record once.
    const answer3 = (await send(leader4, request(2n, ["d"]))).results[0];
    expect(answer3).toMatchObject({ baseOffset: 3n, duplicate: false });
    expect(await values(leader4)).toEqual(["a", "b", "c", "d"]);
  });
});
