import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { errorReason } from "../../clients/ts/index.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { Acks, ProduceService } from "../../gen/ts/tributary/v1/produce_pb.js";
import { LoadHarness } from "../helpers/load-harness.js";
import { StalledConnection } from "../helpers/stalled-subscriber.js";
import { bytes, text } from "../helpers/test-broker.js";

const load = new LoadHarness();
afterEach(() => load.cleanup());

/**
 * SIGTERM while producers with acks and Subscribe streams are running: the broker
 * must stop accepting, end the streams, flush and fsync every partition and exit 0;
 * after a restart on the same directory every acknowledged record is at its offset,
 * once. fsyncPolicy interval with an hour between fsyncs, so nothing but the close
 * path syncs. That an fsync reached the disk cannot be seen without cutting power:
 * what is checked is the broker's own account (its shutdown log line), that the
 * restart finds clean files (no torn tail, no index rebuilt, a producer snapshot per
 * partition, which only a clean close writes) and that every acknowledged record is there.
 */
describe("load: graceful shutdown", () => {
  it("on SIGTERM under load exits 0, having flushed every partition; every acknowledged record survives exactly once", async () => {
    const partitions = 8;
    const args = ["--flush-interval-ms", String(60 * 60 * 1000), "--fsync-policy", "interval"];
    const broker = await load.broker(args);
    const logs = broker.logs;
    const admin = load.client(AdminService, broker.address);
    await admin.createTopic({ name: "durable", partitions });

    // Tailing streams, which shutdown must end rather than wait out.
    const fetch = load.client(FetchService, broker.address);
    const streams = Array.from({ length: 20 }, (_, i) =>
      fetch.subscribe({ topic: "durable", partitions: [i % partitions], startPosition: { case: "earliest", value: true } }),
    );
    const streamEnds = streams.map(async (stream) => {
      try {
        for await (const message of stream) void message;
        return "ended";
      } catch (err) {
        return `${(err as { code?: number }).code} ${errorReason(err)}`;
      }
    });

    // And readers that never read: their streams cannot finish (the end of a stream queues
    // behind DATA the client's window does not admit), so shutdown cuts them after its grace.
    const stalled = await StalledConnection.open(broker.address);
    load.defer(() => stalled.close());
    await Promise.all(
      Array.from({ length: 5 }, () => stalled.subscribe({ topic: "durable", startPosition: { case: "earliest", value: true } })),
    );

    // 20 producers on 4 connections, 10 records per request, acks LEADER, until the broker goes.
    const acked: Array<{ partition: number; baseOffset: bigint; values: string[] }> = [];
    const sent = new Set<string>();
    const produceClients = Array.from({ length: 4 }, () => load.client(ProduceService, broker.address));
    let failures = 0;
    const producers = Array.from({ length: 20 }, async (_, p) => {
      const produce = produceClients[p % produceClients.length];
      for (let seq = 0; ; seq++) {
        const partition = (p + seq) % partitions;
        const values = Array.from({ length: 10 }, (_, r) => `${p}:${seq}:${r}`);
        values.forEach((v) => sent.add(v));
        try {
          const answer = await produce.produce({
            topic: "durable",
            partition,
            records: values.map((v) => ({ value: bytes(v) })),
            acks: Acks.LEADER,
          });
          acked.push({ partition, baseOffset: answer.results[0].baseOffset, values });
        } catch {
          failures++;
          return; // the broker is shutting down
        }
      }
    });

    await vi.waitFor(() => expect(acked.length).toBeGreaterThanOrEqual(500), { timeout: 30_000, interval: 20 });
    const signalledAt = performance.now();
    broker.process.kill("SIGTERM");
    const exit = await broker.exited;
    const shutdownMs = performance.now() - signalledAt;
    await Promise.all(producers);
    const ends = await Promise.all(streamEnds);

    expect(exit).toBe(0);
    expect(shutdownMs).toBeLessThan(15_000); // services/server.ts shutdownGraceMs (5 s), then the flush
    // Every stream was ended by the broker, with the reason a client retries elsewhere on.
    expect(ends).toEqual(Array.from({ length: 20 }, () => `${status.UNAVAILABLE} SHUTTING_DOWN`));
    const closedLine = logs.find((e) => e.msg === "topics closed: every partition flushed and fsynced");
    expect(closedLine).toMatchObject({ partitions: expect.any(Number) });
    expect(closedLine!.partitions as number).toBeGreaterThanOrEqual(partitions); // plus __consumer_offsets
    expect(logs.some((e) => e.msg === "shutting down" && e.signal === "SIGTERM")).toBe(true);
    expect(logs.some((e) => e.msg === "broker stopped")).toBe(true);
    for (let p = 0; p < partitions; p++) {
      expect(await readdir(join(broker.dataDir, `durable-${p}`))).toContain("producer-state.snapshot");
    }

    // Restart on the same data directory and read every partition back.
    const again = await load.broker([...args], broker.dataDir);
    const restartLogs = again.logs;
    const admin2 = load.client(AdminService, again.address);
    const fetch2 = load.client(FetchService, again.address);
    const stored = new Map<string, { partition: number; offset: bigint }>();
    let duplicates = 0;
    for (let partition = 0; partition < partitions; partition++) {
      const end = (await admin2.listOffsets({ topic: "durable", partition, spec: { case: "latest", value: true } })).offset;
      for (let offset = 0n; offset < end; ) {
        const answer = await fetch2.fetch({ topic: "durable", partition, offset });
        for (const record of answer.records) {
          const value = text(record.value);
          if (stored.has(value)) duplicates++;
          stored.set(value, { partition, offset: record.offset });
          offset = record.offset + 1n;
        }
      }
    }
    expect(duplicates).toBe(0);
    let missing = 0;
    for (const { partition, baseOffset, values } of acked) {
      values.forEach((value, i) => {
        const at = stored.get(value);
        if (at?.partition !== partition || at.offset !== baseOffset + BigInt(i)) missing++;
      });
    }
    expect(missing).toBe(0);
    for (const value of stored.keys()) expect(sent.has(value)).toBe(true);
    // A clean close leaves nothing to repair.
    expect(restartLogs.filter((e) => (e.level ?? 0) >= 40).map((e) => e.msg)).toEqual([]);
    console.info(
      `load: SIGTERM with 20 producers, 20 streams and 5 stalled readers running: exit 0 after ${Math.round(shutdownMs)} ms; ` +
        `${acked.length * 10} acknowledged records all at their offsets after restart ` +
        `(${stored.size} stored, ${failures} requests cut by the shutdown), ${closedLine!.partitions} partitions flushed and fsynced; ` +
        `streams: ${[...new Set(ends)].join(", ")}`,
    );
  }, 80_000);
});
