import { InterceptingCall, type Interceptor } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Acks, Admin, Consumer, Producer, createClient, type ConsumedRecord, type RecordMetadata } from "../../clients/ts/index.js";
import { FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import type { ProduceStreamResponse } from "../../gen/ts/tributary/v1/produce_pb.js";
import { partitionForKey } from "../../services/partitioner/index.js";
import { startCluster, type TestCluster } from "../helpers/cluster.js";

const text = (b: Uint8Array) => Buffer.from(b).toString("utf8");

/** Counts the produce requests that failed, by status code and reason: the retries the
 * producer made. The Producer sends over ProduceStream, where a request's failure is its
 * answer's error and a broken stream its status (a unary Produce's status too). */
function failedProduceCalls() {
  const failures: number[] = [];
  const reasons: string[] = [];
  const interceptor: Interceptor = (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        const path = options.method_definition.path;
        const produce = path.endsWith("/Produce") || path.endsWith("/ProduceStream");
        next(metadata, {
          onReceiveMessage(message: { result?: ProduceStreamResponse["result"] }, nextMessage) {
            if (path.endsWith("/ProduceStream") && message.result?.case === "error") {
              failures.push(message.result.value.code);
              reasons.push(message.result.value.reason);
            }
            nextMessage(message);
          },
          onReceiveStatus(status, nextStatus) {
            if (status.code !== 0 && produce) {
              failures.push(status.code);
              reasons.push(String(status.metadata.get("tributary-reason")[0] ?? ""));
            }
            nextStatus(status);
          },
        });
      },
    });
  return { failures, reasons, interceptor };
}

/** Reads every partition of `topic` from its leader until `count` records came, through the routing Consumer. */
async function readAll(bootstrap: string[], topic: string, count: number): Promise<ConsumedRecord[]> {
  const consumer = new Consumer({ bootstrap, topic, from: "earliest", reconnectBackoffMs: 50 });
  const seen: ConsumedRecord[] = [];
  const timer = setTimeout(() => void consumer.close(), 60_000); // bounded: the assertions below say what is missing
  try {
    for await (const r of consumer) {
      seen.push(r);
      if (seen.length === count) break;
    }
  } finally {
    clearTimeout(timer);
    await consumer.close();
  }
  return seen;
}

describe("the TypeScript client against a three-broker cluster", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster({ brokers: 3 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("routes keyed records to their partitions' leaders and carries on when a leader is killed, losing nothing acknowledged", async () => {
    const admin = new Admin({ bootstrap: cluster.bootstrap });
    const counted = failedProduceCalls();
    const producer = new Producer({
      bootstrap: cluster.bootstrap,
      acks: Acks.ALL,
      lingerMs: 2,
      deliveryTimeoutMs: 60_000,
      channelOptions: { interceptors: [counted.interceptor] } as never,
    });
    try {
      await admin.createTopic("routed", 3, { minInsyncReplicas: 2 });
      // A broker may answer CreateTopic a moment before its own metadata has the topic.
      const before = await vi.waitFor(() => admin.describeTopic("routed"), { timeout: 10_000, interval: 50 });
      const victim = before.partitions[0].leader;
      // A consumer reading all along: its stream from the victim breaks, and it resumes at the new leader.
      const live = readAll(cluster.bootstrap, "routed", 300);

      const acknowledged = new Map<string, RecordMetadata>();
      const send = async (i: number) => {
        const key = `key-${i % 30}`;
        const r = await producer.send({ topic: "routed", key, value: `v${i}` });
        expect(r.partition).toBe(partitionForKey(Buffer.from(key), 3));
        acknowledged.set(`v${i}`, r);
      };
      // Windows of 30 sends at a time: before the kill, across it, after it.
      let i = 0;
      const window = async () => {
        await Promise.all(Array.from({ length: 30 }, () => send(i++)));
      };
      for (let w = 0; w < 4; w++) await window();
      cluster.broker(victim).process.kill("SIGKILL");
      for (let w = 0; w < 6; w++) await window(); // within deliveryTimeoutMs, or send() rejects and the test fails
      expect(acknowledged.size).toBe(300);
      expect(counted.failures.length).toBeGreaterThan(0); // the kill was felt, and retried

      // A new leader for the victim's partitions.
      const after = await admin.describeTopic("routed");
      expect(after.partitions[0].leader).not.toBe(victim);
      expect(after.partitions[0].leader).toBeGreaterThan(0);

      // Every acknowledged record is where its acknowledgement says, once, read after the
      // failover and by the consumer that read across it.
      const survivors = cluster.brokers.filter((b) => b.id !== victim).map((b) => b.address);
      for (const records of [await readAll(survivors, "routed", 300), await live]) {
        const byPosition = new Map(records.map((r) => [`${r.partition}:${r.offset}`, text(r.value)]));
        const missing = [...acknowledged].filter(([value, r]) => byPosition.get(`${r.partition}:${r.offset}`) !== value);
        expect(missing).toEqual([]);
        const values = records.map((r) => text(r.value));
        expect(new Set(values).size).toBe(values.length); // no duplicate
        // Each key's records in send() order (one batch per partition in flight, across retries).
        const byKey = new Map<number, number[]>();
        for (const r of [...records].sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset))) {
          const n = Number(text(r.value).slice(1));
          byKey.set(n % 30, [...(byKey.get(n % 30) ?? []), n]);
        }
        for (const sent of byKey.values()) expect(sent).toEqual([...sent].sort((a, b) => a - b));
      }
    } finally {
      await producer.close();
      admin.close();
    }
  });
});

describe("the TypeScript client against a cluster whose brokers keep their addresses", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster({ brokers: 3, proxies: true });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("follows NOT_LEADER's tributary-leader trailer when its metadata names a former leader", async () => {
    const admin = new Admin({ bootstrap: cluster.bootstrap });
    const counted = failedProduceCalls();
    const producer = new Producer({
      bootstrap: cluster.bootstrap,
      acks: Acks.ALL,
      deliveryTimeoutMs: 60_000,
      channelOptions: { interceptors: [counted.interceptor] } as never,
    });
    try {
      await admin.createTopic("moved", 1, { minInsyncReplicas: 2 });
      const first = await vi.waitFor(() => admin.describeTopic("moved"), { timeout: 10_000, interval: 50 });
      const former = first.partitions[0].leader;
      expect((await producer.send({ topic: "moved", partition: 0, value: "before" })).offset).toBe(0n);

      // The leader dies, another takes over, and the former one comes back as a follower
      // at the same address: the producer's metadata (fresh for minutes) still names it.
      cluster.broker(former).process.kill("SIGKILL");
      await vi.waitFor(
        async () => {
          const p = (await admin.describeTopic("moved")).partitions[0];
          if (p.leader === former || p.leader < 0) throw new Error("no new leader yet");
        },
        { timeout: 30_000, interval: 100 },
      );
      await cluster.broker(former).start();

      const after = await producer.send({ topic: "moved", partition: 0, value: "after" });
      expect(after.offset).toBe(1n);
      expect(counted.reasons).toContain("NOT_LEADER");
      const leader = (await admin.describeTopic("moved")).partitions[0].leader;
      const fetched = await createClient(FetchService, cluster.broker(leader).address).fetch({ topic: "moved", partition: 0, offset: 0n });
      expect(fetched.records.map((r) => text(r.value))).toEqual(["before", "after"]);
    } finally {
      await producer.close();
      admin.close();
    }
  });
});
