import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ServerStream } from "../../clients/ts/index.js";
import { FsyncPolicy } from "../../gen/ts/tributary/v1/admin_pb.js";
import type { SubscribeResponse } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { bytes, startTestBroker, type TestBroker } from "../helpers/test-broker.js";

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The Prometheus text format, samples only: `name{a="x",b="y"} value`. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (match === null) throw new Error(`unparsable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key] = value.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    }
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample with `name` whose labels include `labels`, or undefined. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

async function drain(stream: ServerStream<SubscribeResponse>, count: number): Promise<void> {
  let seen = 0;
  for await (const message of stream) {
    if (message.event.case === "records") seen += message.event.value.records.length;
    if (seen >= count) break;
  }
  stream.cancel();
}

describe("/metrics", () => {
  let t: TestBroker;
  const scrape = async (): Promise<Sample[]> => {
    const response = await fetch(`http://127.0.0.1:${t.broker.httpPort}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    return parseExposition(await response.text());
  };
  const produceMethod = "tributary.v1.ProduceService/Produce";
  const subscribeMethod = "tributary.v1.FetchService/Subscribe";

  beforeEach(async () => {
    t = await startTestBroker({ http: "127.0.0.1:0" });
  });
  afterEach(async () => {
    await t.close();
  });

  it("counts records and bytes in and out per partition and reports log offsets", async () => {
    await t.admin.createTopic({ name: "orders", partitions: 2 });
    const value = bytes("x".repeat(100));
    await t.produce.produce({ topic: "orders", partition: 0, records: Array.from({ length: 5 }, () => ({ value })) });
    await t.produce.produce({ topic: "orders", partition: 0, records: [{ value }, { value }] });
    await t.produce.produce({ topic: "orders", partition: 1, records: [{ value }] });
    const p0 = { topic: "orders", partition: "0" };
    const p1 = { topic: "orders", partition: "1" };

    let m = await scrape();
    expect(valueOf(m, "tributary_records_in_total", p0)).toBe(7);
    expect(valueOf(m, "tributary_records_in_total", p1)).toBe(1);
    // Each record is value (field 2: 2 + 100 bytes) as the producer encoded it.
    expect(valueOf(m, "tributary_bytes_in_total", p0)).toBeGreaterThanOrEqual(7 * 102);
    expect(valueOf(m, "tributary_log_end_offset", p0)).toBe(7);
    expect(valueOf(m, "tributary_log_end_offset", p1)).toBe(1);
    expect(valueOf(m, "tributary_log_start_offset", p0)).toBe(0);
    expect(valueOf(m, "tributary_log_size_bytes", p0)).toBeGreaterThan(7 * 100);
    expect(valueOf(m, "tributary_records_out_total", p0)).toBe(0);
    // Internal topics have no per-partition series.
    expect(m.some((s) => s.labels.topic?.startsWith("__"))).toBe(false);

    await t.fetch.fetch({ topic: "orders", partition: 0, offset: 3n });
    m = await scrape();
    expect(valueOf(m, "tributary_records_out_total", p0)).toBe(4);
    const fetchedBytes = valueOf(m, "tributary_bytes_out_total", p0)!;
    expect(fetchedBytes).toBeGreaterThanOrEqual(4 * 102);

    await drain(t.fetch.subscribe({ topic: "orders", partitions: [0], startPosition: { case: "earliest", value: true } }), 7);
    await vi.waitFor(async () => {
      const after = await scrape();
      expect(valueOf(after, "tributary_records_out_total", p0)).toBe(11);
      expect(valueOf(after, "tributary_bytes_out_total", p0)).toBeGreaterThan(fetchedBytes);
      expect(valueOf(after, "tributary_rpc_active_streams", { method: subscribeMethod })).toBe(0);
      expect(valueOf(after, "tributary_rpc_requests_total", { method: subscribeMethod, code: "CANCELLED" })).toBe(1);
    });
  });

  it("counts RPCs by status code and times unary calls", async () => {
    await t.admin.createTopic({ name: "rpc", partitions: 1 });
    await t.produce.produce({ topic: "rpc", records: [{ value: bytes("a") }] });
    await t.produce.produce({ topic: "rpc", records: [{ value: bytes("b") }] });
    await expect(t.produce.produce({ topic: "missing", records: [{ value: bytes("c") }] })).rejects.toMatchObject({ code: 5 });

    const m = await scrape();
    expect(valueOf(m, "tributary_rpc_requests_total", { method: produceMethod, code: "OK" })).toBe(2);
    expect(valueOf(m, "tributary_rpc_requests_total", { method: produceMethod, code: "NOT_FOUND" })).toBe(1);
    expect(valueOf(m, "tributary_rpc_duration_seconds_count", { method: produceMethod })).toBe(3);
    expect(valueOf(m, "tributary_rpc_duration_seconds_bucket", { method: produceMethod, le: "+Inf" })).toBe(3);
    expect(valueOf(m, "tributary_connections")).toBeGreaterThanOrEqual(1);
    expect(valueOf(m, "tributary_process_cpu_seconds_total")).toBeGreaterThan(0);
  });

  it("gauges open Subscribe streams", async () => {
    await t.admin.createTopic({ name: "live", partitions: 1 });
    const stream = t.fetch.subscribe({ topic: "live" });
    const reading = drain(stream, 1);
    await vi.waitFor(async () =>
      expect(valueOf(await scrape(), "tributary_rpc_active_streams", { method: subscribeMethod })).toBe(1),
    );
    await t.produce.produce({ topic: "live", records: [{ value: bytes("a") }] });
    await reading;
    await vi.waitFor(async () =>
      expect(valueOf(await scrape(), "tributary_rpc_active_streams", { method: subscribeMethod })).toBe(0),
    );
  });

  it("reports a group's committed offset and lag per partition", async () => {
    await t.admin.createTopic({ name: "work", partitions: 2 });
    await t.produce.produce({ topic: "work", partition: 0, records: Array.from({ length: 10 }, () => ({ value: bytes("v") })) });
    await t.produce.produce({ topic: "work", partition: 1, records: Array.from({ length: 4 }, () => ({ value: bytes("v") })) });
    await t.commit.commit({
      groupId: "billing",
      offsets: [
        { topic: "work", partition: 0, offset: 3n },
        { topic: "work", partition: 1, offset: 4n },
      ],
    });

    let m = await scrape();
    const p0 = { group: "billing", topic: "work", partition: "0" };
    const p1 = { group: "billing", topic: "work", partition: "1" };
    expect(valueOf(m, "tributary_group_committed_offset", p0)).toBe(3);
    expect(valueOf(m, "tributary_group_lag", p0)).toBe(10 - 3);
    expect(valueOf(m, "tributary_group_lag", p1)).toBe(0);

    await t.produce.produce({ topic: "work", partition: 1, records: [{ value: bytes("v") }, { value: bytes("v") }] });
    m = await scrape();
    expect(valueOf(m, "tributary_group_lag", p1)).toBe(2);
  });

  it("observes fsync latency for a topic with fsync always", async () => {
    const before = valueOf(await scrape(), "tributary_fsync_duration_seconds_count") ?? 0;
    await t.admin.createTopic({ name: "durable", partitions: 1, config: { fsyncPolicy: FsyncPolicy.ALWAYS } });
    for (let i = 0; i < 3; i++) await t.produce.produce({ topic: "durable", records: [{ value: bytes(`r${i}`) }] });
    const m = await scrape();
    expect(valueOf(m, "tributary_fsync_duration_seconds_count")).toBeGreaterThanOrEqual(before + 3);
    expect(valueOf(m, "tributary_fsync_duration_seconds_sum")).toBeGreaterThan(0);
  });

  it("drops a deleted topic's traffic series", async () => {
    await t.admin.createTopic({ name: "gone", partitions: 1 });
    await t.produce.produce({ topic: "gone", records: [{ value: bytes("a") }] });
    expect(valueOf(await scrape(), "tributary_records_in_total", { topic: "gone" })).toBe(1);
    await t.admin.deleteTopic({ name: "gone" });
    const m = await scrape();
    expect(m.some((s) => s.labels.topic === "gone")).toBe(false);
  });
});
