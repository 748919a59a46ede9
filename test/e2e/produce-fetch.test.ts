import { status } from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { errorReason } from "../../clients/ts/index.js";
import { partitionForKey } from "../../services/partitioner/index.js";
import { Acks } from "../../gen/ts/tributary/v1/produce_pb.js";
import { bytes, startTestBroker, text, type TestBroker } from "../helpers/test-broker.js";

describe("Produce and Fetch", () => {
  let t: TestBroker;
  beforeEach(async () => {
    t = await startTestBroker();
  });
  afterEach(async () => {
    await t.close();
  });

  it("returns produced records with consecutive offsets, keys, values, headers and timestamps", async () => {
    await t.admin.createTopic({ name: "orders", partitions: 1 });
    const before = Date.now();
    const answer = await t.produce.produce({
      topic: "orders",
      partition: 0,
      records: [
        { key: bytes("k1"), value: bytes("v1"), headers: [{ key: "h", value: bytes("x") }] },
        { key: bytes("k2"), value: bytes("v2"), timestampMs: 1234n },
        { value: bytes("v3") },
      ],
    });
    expect(answer.results).toHaveLength(1);
    expect(answer.results[0]).toMatchObject({ partition: 0, baseOffset: 0n, recordCount: 3, duplicate: false });

    const fetched = await t.fetch.fetch({ topic: "orders", partition: 0, offset: 0n });
    expect(fetched.records.map((r) => r.offset)).toEqual([0n, 1n, 2n]);
    expect(fetched.records.map((r) => text(r.value))).toEqual(["v1", "v2", "v3"]);
    expect(text(fetched.records[0].key)).toBe("k1");
    expect(fetched.records[0].headers).toHaveLength(1);
    expect(fetched.records[0].headers[0].key).toBe("h");
    expect(text(fetched.records[0].headers[0].value)).toBe("x");
    expect(fetched.records[1].timestampMs).toBe(1234n);
    expect(Number(fetched.records[0].timestampMs)).toBeGreaterThanOrEqual(before);
    expect(fetched.highWatermark).toBe(3n);
    expect(fetched.logStartOffset).toBe(0n);
    expect(fetched.nextOffset).toBe(3n);

    const second = await t.produce.produce({ topic: "orders", records: [{ value: bytes("v4") }] });
    expect(second.results[0].baseOffset).toBe(3n);
    const fromMiddle = await t.fetch.fetch({ topic: "orders", partition: 0, offset: 2n });
    expect(fromMiddle.records.map((r) => text(r.value))).toEqual(["v3", "v4"]);
  });

  it("places keyed records on murmur2(key) & 0x7fffffff % partitions, like Kafka", async () => {
    await t.admin.createTopic({ name: "keyed", partitions: 6 });
    const keys = Array.from({ length: 60 }, (_, i) => `user-${i}`);
    const answer = await t.produce.produce({
      topic: "keyed",
      records: keys.map((k) => ({ key: bytes(k), value: bytes(`value of ${k}`) })),
    });
    const placed = new Map<string, number>();
    for (const result of answer.results) {
      for (const index of result.recordIndexes) placed.set(keys[index], result.partition);
    }
    expect(placed.size).toBe(keys.length);
    for (const key of keys) expect(placed.get(key)).toBe(partitionForKey(bytes(key), 6));
    // Known Kafka placements: murmur2("foobar") = -790332482 -> (x & 0x7fffffff) % 6.
    expect(partitionForKey(bytes("foobar"), 6)).toBe(((-790332482 & 0x7fffffff) >>> 0) % 6);

    for (const result of answer.results) {
      const fetched = await t.fetch.fetch({ topic: "keyed", partition: result.partition, offset: 0n });
      const expected = result.recordIndexes.map((i) => keys[i]);
      expect(fetched.records.map((r) => text(r.key))).toEqual(expected);
    }
  });

  it("spreads records without a key round-robin across partitions", async () => {
    await t.admin.createTopic({ name: "spread", partitions: 4 });
    const answer = await t.produce.produce({
      topic: "spread",
      records: Array.from({ length: 8 }, (_, i) => ({ value: bytes(`v${i}`) })),
    });
    expect(answer.results.map((r) => r.recordCount)).toEqual([2, 2, 2, 2]);
  });

  it("long-polls at the log end until a record arrives", async () => {
    await t.admin.createTopic({ name: "wait", partitions: 1 });
    const waiting = t.fetch.fetch({ topic: "wait", partition: 0, offset: 0n, maxWaitMs: 20_000 });
    let settled = false;
    void waiting.then(() => (settled = true));
    await t.produce.produce({ topic: "wait", records: [{ value: bytes("late") }] });
    const answer = await waiting;
    expect(settled).toBe(true);
    expect(answer.records.map((r) => text(r.value))).toEqual(["late"]);
  });

  it("answers an empty fetch at the log end once max_wait_ms passes", async () => {
    await t.admin.createTopic({ name: "idle", partitions: 1 });
    const answer = await t.fetch.fetch({ topic: "idle", partition: 0, offset: 0n, maxWaitMs: 50 });
    expect(answer.records).toHaveLength(0);
    expect(answer.nextOffset).toBe(0n);
  });

  it("bounds an answer by max_bytes but always returns at least one record", async () => {
    await t.admin.createTopic({ name: "big", partitions: 1 });
    const value = new Uint8Array(1000).fill(7);
    await t.produce.produce({ topic: "big", records: Array.from({ length: 10 }, () => ({ value })) });
    const one = await t.fetch.fetch({ topic: "big", partition: 0, offset: 0n, maxBytes: 10 });
    expect(one.records).toHaveLength(1);
    const some = await t.fetch.fetch({ topic: "big", partition: 0, offset: 0n, maxBytes: 3500 });
    expect(some.records.length).toBeGreaterThanOrEqual(1);
    expect(some.records.length).toBeLessThanOrEqual(4);
    expect(some.nextOffset).toBe(BigInt(some.records.length));
  });

  it("answers OUT_OF_RANGE for offsets below the log start or past the log end", async () => {
    await t.admin.createTopic({ name: "range", partitions: 1 });
    await t.produce.produce({ topic: "range", records: [{ value: bytes("a") }, { value: bytes("b") }] });
    for (const offset of [3n, -1n, 100n]) {
      const err = await t.fetch.fetch({ topic: "range", partition: 0, offset }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: status.OUT_OF_RANGE });
      expect(errorReason(err)).toBe("OFFSET_OUT_OF_RANGE");
    }
  });

  it("acknowledges acks=NONE without waiting and still stores the records", async () => {
    await t.admin.createTopic({ name: "fire", partitions: 1 });
    await t.produce.produce({ topic: "fire", acks: Acks.NONE, records: [{ value: bytes("x") }] });
    const answer = await t.fetch.fetch({ topic: "fire", partition: 0, offset: 0n, maxWaitMs: 5_000 });
    expect(answer.records.map((r) => text(r.value))).toEqual(["x"]);
  });

  it("keeps offsets and records across a broker restart", async () => {
    await t.admin.createTopic({ name: "kept", partitions: 2 });
    await t.produce.produce({ topic: "kept", partition: 1, records: [{ value: bytes("a") }, { value: bytes("b") }] });
    await t.restart();
    const answer = await t.produce.produce({ topic: "kept", partition: 1, records: [{ value: bytes("c") }] });
    expect(answer.results[0].baseOffset).toBe(2n);
    const fetched = await t.fetch.fetch({ topic: "kept", partition: 1, offset: 0n });
    expect(fetched.records.map((r) => text(r.value))).toEqual(["a", "b", "c"]);
  });
});

describe("Idempotent produce", () => {
  let t: TestBroker;
  beforeEach(async () => {
    t = await startTestBroker();
  });
  afterEach(async () => {
    await t.close();
  });

  it("answers a retried batch with its original offsets and does not append it again", async () => {
    await t.admin.createTopic({ name: "idem", partitions: 3 });
    const request = {
      topic: "idem",
      producerId: 42n,
      sequence: 1n,
      records: Array.from({ length: 9 }, (_, i) => ({ key: bytes(`k${i}`), value: bytes(`v${i}`) })),
    };
    const first = await t.produce.produce(request);
    const retry = await t.produce.produce(request);
    expect(retry.results.map((r) => [r.partition, r.baseOffset, r.recordCount])).toEqual(
      first.results.map((r) => [r.partition, r.baseOffset, r.recordCount]),
    );
    expect(retry.results.every((r) => r.duplicate)).toBe(true);
    const next = await t.produce.produce({ ...request, sequence: 2n });
    expect(next.results.every((r) => !r.duplicate)).toBe(true);
    let total = 0;
    for (let p = 0; p < 3; p++) {
      total += (await t.fetch.fetch({ topic: "idem", partition: p, offset: 0n })).records.length;
    }
    expect(total).toBe(18);
  });

  it("refuses a sequence older than the last one appended", async () => {
    await t.admin.createTopic({ name: "order", partitions: 1 });
    const send = (sequence: bigint) =>
      t.produce.produce({ topic: "order", partition: 0, producerId: 7n, sequence, records: [{ value: bytes("x") }] });
    for (let s = 1n; s <= 10n; s++) await send(s);
    const err = await send(2n).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: status.FAILED_PRECONDITION });
    expect(errorReason(err)).toBe("OUT_OF_ORDER_SEQUENCE");
  });

  it("still recognises a retry after a broker restart", async () => {
    await t.admin.createTopic({ name: "again", partitions: 1 });
    const request = { topic: "again", partition: 0, producerId: 9n, sequence: 5n, records: [{ value: bytes("x") }] };
    const first = await t.produce.produce(request);
    await t.restart();
    const retry = await t.produce.produce(request);
    expect(retry.results[0]).toMatchObject({ baseOffset: first.results[0].baseOffset, duplicate: true });
  });
});
