import { InterceptingCall, type Interceptor } from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Producer } from "../../clients/ts/index.js";
import { partitionForKey } from "../../services/partitioner/index.js";
import { TcpProxy } from "../helpers/tcp-proxy.js";
import { bytes, startTestBroker, text, type TestBroker } from "../helpers/test-broker.js";

/** Counts Produce calls through a client interceptor: what batching saves is visible. */
function callCounter() {
  const counter = { calls: 0, interceptor: (undefined as unknown as Interceptor) };
  counter.interceptor = (options, nextCall) => {
    counter.calls++;
    return new InterceptingCall(nextCall(options));
  };
  return counter;
}

async function readAll(t: TestBroker, topic: string, partition: number) {
  const records = [];
  for (let offset = 0n; ; ) {
    const answer = await t.fetch.fetch({ topic, partition, offset });
    if (answer.records.length === 0) return records;
    records.push(...answer.records);
    offset = answer.nextOffset;
  }
}

describe("Producer", () => {
  let t: TestBroker;
  beforeEach(async () => {
    t = await startTestBroker();
    await t.admin.createTopic({ name: "events", partitions: 4 });
  });
  afterEach(async () => {
    await t.close();
  });

  it("batches records sent one at a time into few requests and resolves each with its offset", async () => {
    const counter = callCounter();
    const producer = new Producer({
      broker: t.broker.address,
      lingerMs: 20,
      channelOptions: { interceptors: [counter.interceptor] } as never,
    });
    const sends = Array.from({ length: 1000 }, (_, i) => producer.send({ topic: "events", key: `k${i % 10}`, value: `v${i}` }));
    const results = await Promise.all(sends);
    await producer.close();
    expect(counter.calls).toBeLessThanOrEqual(10);
    expect(new Set(results.map((r) => `${r.partition}:${r.offset}`)).size).toBe(1000);
    for (let i = 0; i < 1000; i++) expect(results[i].partition).toBe(partitionForKey(bytes(`k${i % 10}`), 4));
    // Each record is where its answer says.
    const byPartition = new Map<number, string[]>();
    for (let p = 0; p < 4; p++) byPartition.set(p, (await readAll(t, "events", p)).map((r) => text(r.value)));
    results.forEach((r, i) => expect(byPartition.get(r.partition)![Number(r.offset)]).toBe(`v${i}`));
  });

  it("keeps send() order within a partition, across many batches", async () => {
    const producer = new Producer({ broker: t.broker.address, lingerMs: 1, batchBytes: 2_000 });
    const sends = Array.from({ length: 600 }, (_, i) => producer.send({ topic: "events", key: `user-${i % 3}`, value: `${i}` }));
    await Promise.all(sends);
    await producer.close();
    for (let p = 0; p < 4; p++) {
      const values = (await readAll(t, "events", p)).map((r) => Number(text(r.value)));
      const byKey = new Map<number, number[]>();
      for (const v of values) byKey.set(v % 3, [...(byKey.get(v % 3) ?? []), v]);
      for (const list of byKey.values()) expect(list).toEqual([...list].sort((a, b) => a - b));
    }
  });

  it("retries after a connection drop without appending twice (idempotence)", async () => {
    const proxy = await TcpProxy.start(t.broker.address);
    const producer = new Producer({ broker: proxy.address, lingerMs: 1, retryBackoffMs: 10 });
    try {
      await producer.send({ topic: "events", partition: 0, value: "warm-up" });
      proxy.dropOnNextResponse(); // the broker appends, the answer never arrives
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => producer.send({ topic: "events", partition: 0, value: `r${i}` })),
      );
      expect(proxy.drops).toBe(1);
      expect(results.map((r) => r.offset)).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i + 1)));
      const stored = (await readAll(t, "events", 0)).map((r) => text(r.value));
      expect(stored).toEqual(["warm-up", ...Array.from({ length: 50 }, (_, i) => `r${i}`)]);
    } finally {
      await producer.close();
      await proxy.close();
    }
  });

  it("flushes what it holds on close()", async () => {
    const producer = new Producer({ broker: t.broker.address, lingerMs: 60_000 });
    const pending = producer.send({ topic: "events", partition: 3, value: "held" });
    await producer.close();
    expect((await pending).offset).toBe(0n);
    expect((await readAll(t, "events", 3)).map((r) => text(r.value))).toEqual(["held"]);
  });

  it("rejects the sends of a batch the broker refuses, with its reason", async () => {
    const producer = new Producer({ broker: t.broker.address });
    const err = await producer.send({ topic: "missing", value: "x" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 5 });
    await producer.close();
  });
});
