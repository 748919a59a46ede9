import { createServer } from "node:net";
import { status } from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Admin, Consumer, Producer, type ConsumedRecord } from "../../clients/ts/index.js";
import { hashToken } from "../../services/auth/tokens.js";
import { partitionForKey } from "../../services/partitioner/index.js";
import { bytes, startTestBroker, text, type TestBroker } from "../helpers/test-broker.js";

/** A loopback address nothing listens on: a port the system gave and took back. */
async function deadAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

async function take(consumer: Consumer, count: number): Promise<ConsumedRecord[]> {
  const seen: ConsumedRecord[] = [];
  for await (const r of consumer) {
    seen.push(r);
    if (seen.length === count) break;
  }
  await consumer.close();
  return seen;
}

describe("client routing on a single broker", () => {
  let t: TestBroker;
  beforeEach(async () => {
    t = await startTestBroker();
  });
  afterEach(async () => {
    await t.close();
  });

  it("works through a bootstrap list whose first entry is dead", async () => {
    const bootstrap = [await deadAddress(), t.broker.address];
    const admin = new Admin({ bootstrap });
    const producer = new Producer({ bootstrap });
    try {
      await admin.createTopic("orders", 3);
      expect((await admin.describeCluster()).brokers).toHaveLength(1);
      const sent = await Promise.all(Array.from({ length: 30 }, (_, i) => producer.send({ topic: "orders", key: `k${i}`, value: `v${i}` })));
      sent.forEach((r, i) => expect(r.partition).toBe(partitionForKey(bytes(`k${i}`), 3)));
      const explicit = await take(new Consumer({ bootstrap, topic: "orders", from: "earliest" }), 30);
      expect(explicit.map((r) => text(r.value)).sort()).toEqual(sent.map((_, i) => `v${i}`).sort());
      const group = await take(new Consumer({ bootstrap, groupId: "g", topics: ["orders"], from: "earliest" }), 30);
      expect(group).toHaveLength(30);
    } finally {
      await producer.close();
      admin.close();
    }
  });

  it("sends keyed records to murmur2's partition, keyless ones round-robin, explicit ones where asked", async () => {
    await t.admin.createTopic({ name: "events", partitions: 4 });
    const producer = new Producer({ broker: t.broker.address, lingerMs: 20 });
    try {
      const keyed = await Promise.all(Array.from({ length: 40 }, (_, i) => producer.send({ topic: "events", key: `user-${i}`, value: `k${i}` })));
      keyed.forEach((r, i) => expect(r.partition).toBe(partitionForKey(bytes(`user-${i}`), 4)));
      const keyless = await Promise.all(Array.from({ length: 8 }, (_, i) => producer.send({ topic: "events", value: `n${i}` })));
      const perPartition = [0, 0, 0, 0];
      for (const r of keyless) perPartition[r.partition]++;
      expect(perPartition).toEqual([2, 2, 2, 2]);
      const explicit = await producer.send({ topic: "events", partition: 2, key: "user-0", value: "x" });
      expect(explicit.partition).toBe(2);
      // Each record is where its answer says.
      const values = [...keyed.map((_, i) => `k${i}`), ...keyless.map((_, i) => `n${i}`), "x"];
      for (const [i, r] of [...keyed, ...keyless, explicit].entries()) {
        const answer = await t.fetch.fetch({ topic: "events", partition: r.partition, offset: r.offset });
        expect(text(answer.records[0].value)).toBe(values[i]);
      }
    } finally {
      await producer.close();
    }
  });

  it("rejects an explicit partition the topic does not have with the broker's error", async () => {
    await t.admin.createTopic({ name: "events", partitions: 2 });
    const producer = new Producer({ broker: t.broker.address, deliveryTimeoutMs: 2_000 });
    try {
      const err = await producer.send({ topic: "events", partition: 7, value: "x" }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: expect.any(Number) });
      expect((err as { code: number }).code).not.toBe(status.UNAVAILABLE);
    } finally {
      await producer.close();
    }
  });
});

describe("client routing without metadata", () => {
  it("works through the broker that answered for principals that may not describe the topic or the cluster", async () => {
    const t = await startTestBroker({
      authTokens: [
        { principal: "setup", sha256: hashToken("token-setup") },
        { principal: "app", sha256: hashToken("token-app") },
        { principal: "reader", sha256: hashToken("token-reader") },
      ],
      acls: [
        { principal: "setup", resource: { type: "topic", prefix: "" }, operations: ["create"] },
        { principal: "app", resource: { type: "topic", name: "orders" }, operations: ["write", "read"] },
        { principal: "reader", resource: { type: "topic", name: "orders" }, operations: ["read", "describe"] },
      ],
    });
    const admin = new Admin({ broker: t.broker.address, token: "token-setup" });
    const producer = new Producer({ bootstrap: [await deadAddress(), t.broker.address], token: "token-app" });
    try {
      await admin.createTopic("orders", 3);
      const sent = await Promise.all(Array.from({ length: 12 }, (_, i) => producer.send({ topic: "orders", key: `k${i}`, value: `v${i}` })));
      sent.forEach((r, i) => expect(r.partition).toBe(partitionForKey(bytes(`k${i}`), 3)));
      const values = sent.map((_, i) => `v${i}`).sort();
      const consumer = new Consumer({ broker: t.broker.address, token: "token-app", topic: "orders", from: "earliest" });
      expect((await take(consumer, 12)).map((r) => text(r.value)).sort()).toEqual(values);
      // May describe the topic but not the cluster: its leaders are reached through the broker that answered.
      const reader = new Consumer({ broker: t.broker.address, token: "token-reader", topic: "orders", from: "earliest" });
      expect((await take(reader, 12)).map((r) => text(r.value)).sort()).toEqual(values);
    } finally {
      await producer.close();
      admin.close();
      await t.close();
    }
  });
});

describe("Producer deliveryTimeoutMs", () => {
  it("fails a send with the last error when no broker is reachable", async () => {
    const producer = new Producer({ bootstrap: [await deadAddress(), await deadAddress()], deliveryTimeoutMs: 500, retryBackoffMs: 20 });
    const started = Date.now();
    const err = await producer.send({ topic: "events", key: "k", value: "v" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: status.UNAVAILABLE });
    expect(Date.now() - started).toBeLessThan(5_000);
    await producer.close(); // nothing left to flush
  });

  it("fails the batches of a broker that went away, after retrying until deliveryTimeoutMs", async () => {
    const t = await startTestBroker();
    await t.admin.createTopic({ name: "events", partitions: 2 });
    const producer = new Producer({ broker: t.broker.address, deliveryTimeoutMs: 800, retryBackoffMs: 20 });
    try {
      expect((await producer.send({ topic: "events", key: "a", value: "before" })).offset).toBe(0n);
      await t.close();
      const started = Date.now();
      const err = await producer.send({ topic: "events", key: "a", value: "after" }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: status.UNAVAILABLE });
      const elapsedMs = Date.now() - started;
      expect(elapsedMs).toBeGreaterThanOrEqual(300); // it retried rather than failing at once
      expect(elapsedMs).toBeLessThan(5_000);
    } finally {
      await producer.close();
    }
  });
});
