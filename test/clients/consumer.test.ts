import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Consumer, Producer, type ConsumedRecord } from "../../clients/ts/index.js";
import { TcpProxy } from "../helpers/tcp-proxy.js";
import { startTestBroker, text, type TestBroker } from "../helpers/test-broker.js";

describe("Consumer", () => {
  let t: TestBroker;
  let producer: Producer;
  beforeEach(async () => {
    t = await startTestBroker();
    await t.admin.createTopic({ name: "events", partitions: 4 });
    producer = new Producer({ broker: t.broker.address });
  });
  afterEach(async () => {
    await producer.close();
    await t.close();
  });
  const produce = (count: number, from = 0) =>
    Promise.all(Array.from({ length: count }, (_, i) => producer.send({ topic: "events", key: `k${from + i}`, value: `v${from + i}` })));

  /** Iterates until `count` records arrived (or the consumer stops); returns them. */
  async function take(consumer: Consumer, count: number): Promise<ConsumedRecord[]> {
    const seen: ConsumedRecord[] = [];
    if (count === 0) return seen;
    for await (const record of consumer) {
      seen.push(record);
      if (seen.length >= count) break;
    }
    return seen;
  }

  it("delivers a group's records across its members, each once", async () => {
    await produce(200);
    const a = new Consumer({ broker: t.broker.address, groupId: "g", topics: ["events"], from: "earliest" });
    const b = new Consumer({ broker: t.broker.address, groupId: "g", topics: ["events"], from: "earliest" });
    const seenA: ConsumedRecord[] = [];
    const seenB: ConsumedRecord[] = [];
    const run = async (c: Consumer, into: ConsumedRecord[]) => {
      for await (const r of c) into.push(r);
    };
    const loops = [run(a, seenA), run(b, seenB)];
    await vi.waitFor(() => {
      expect(a.assignment.length + b.assignment.length).toBe(4);
      expect(a.generation).toBe(b.generation);
    });
    await vi.waitFor(() => expect(seenA.length + seenB.length).toBeGreaterThanOrEqual(200), { timeout: 10_000 });
    await a.close();
    await b.close();
    await Promise.all(loops);
    const all = [...seenA, ...seenB].map((r) => text(r.value));
    expect(new Set(all).size).toBe(200);
    const committed = await t.commit.fetchCommitted({ groupId: "g" });
    expect(committed.offsets.reduce((n, o) => n + o.offset, 0n)).toBe(200n); // close() committed all of it
  });

  it("commits only when asked with autoCommit off", async () => {
    await produce(20);
    const c = new Consumer({ broker: t.broker.address, groupId: "manual", topics: ["events"], from: "earliest", autoCommit: false });
    const seen: ConsumedRecord[] = [];
    for await (const r of c) {
      seen.push(r);
      if (seen.length === 10) await c.commit();
      if (seen.length === 20) break;
    }
    const committed = await t.commit.fetchCommitted({ groupId: "manual" });
    expect(committed.offsets.reduce((n, o) => n + o.offset, 0n)).toBe(10n);
    await c.close();
  });

  it("auto-commits processed records on its interval and on close", async () => {
    await produce(30);
    const c = new Consumer({ broker: t.broker.address, groupId: "auto", topics: ["events"], from: "earliest", autoCommitIntervalMs: 0 });
    const seen = await take(c, 15);
    expect(seen).toHaveLength(15);
    const during = await t.commit.fetchCommitted({ groupId: "auto" });
    expect(during.offsets.reduce((n, o) => n + o.offset, 0n)).toBeGreaterThan(0n);
    await c.close();
    const after = await t.commit.fetchCommitted({ groupId: "auto" });
    expect(after.offsets.reduce((n, o) => n + o.offset, 0n)).toBe(15n);
  });

  it("reconnects after the connection drops and resumes after the last delivered record", async () => {
    const proxy = await TcpProxy.start(t.broker.address);
    try {
      for (let i = 0; i < 100; i++) await producer.send({ topic: "events", partition: 1, value: `${i}` });
      const c = new Consumer({ broker: proxy.address, topic: "events", partitions: [1], from: "earliest", reconnectBackoffMs: 10 });
      const values: number[] = [];
      for await (const r of c) {
        values.push(Number(text(r.value)));
        if (values.length === 30 || values.length === 60) proxy.dropAll();
        if (values.length === 100) break;
      }
      await c.close();
      expect(values).toEqual(Array.from({ length: 100 }, (_, i) => i));
      expect(proxy.drops).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  it("seeks an explicit partition to an offset", async () => {
    for (let i = 0; i < 10; i++) await producer.send({ topic: "events", partition: 2, value: `${i}` });
    const c = new Consumer({ broker: t.broker.address, topic: "events", partitions: [2], from: "earliest" });
    const values: string[] = [];
    for await (const r of c) {
      values.push(text(r.value));
      if (values.length === 3) await c.seek("events", 2, 7n);
      if (values.length === 6) break;
    }
    await c.close();
    expect(values).toEqual(["0", "1", "2", "7", "8", "9"]);
  });
});
