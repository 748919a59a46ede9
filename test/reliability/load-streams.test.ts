import { afterEach, describe, expect, it, vi } from "vitest";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { Acks, ProduceService } from "../../gen/ts/tributary/v1/produce_pb.js";
import { LoadHarness } from "../helpers/load-harness.js";
import { memoryOf, mib, MiB, resetPeakRss } from "../helpers/process-stats.js";
import { StalledConnection } from "../helpers/stalled-subscriber.js";
import { bytes, text } from "../helpers/test-broker.js";

const KiB = 1024;
const load = new LoadHarness();
afterEach(() => load.cleanup());

/**
 * What Subscribe streams may hold by the broker's config (docs/configuration.md, "Limits"):
 * each stream its share, min(streamBufferBytes, subscribeMemoryBytes / streams) but at
 * least 64 KiB, plus one read of at most min(fetchMaxBytes, max(64 KiB, share / 2)).
 */
function subscribeBound(streams: number, config: { streamBufferBytes: number; fetchMaxBytes: number; subscribeMemoryBytes: number }): number {
  const share = Math.max(64 * KiB, Math.min(config.streamBufferBytes, Math.floor(config.subscribeMemoryBytes / streams)));
  const read = Math.min(config.fetchMaxBytes, Math.max(64 * KiB, Math.floor(share / 2)));
  return streams * (share + read);
}

/** `{ fetchMaxBytes: 1 }` -> `["--fetch-max-bytes", "1"]`. */
const flags = (config: Record<string, number>): string[] =>
  Object.entries(config).flatMap(([key, value]) => [`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, String(value)]);

/** Above the streams' bound: producers' requests in flight, HTTP/2 sessions, and freed
 * buffers the garbage collector has not returned yet (160 MiB of 1 MiB Produce requests
 * with no reader at all raise the RSS by about 40 MiB here). */
const slackBytes = 128 * MiB;

/**
 * Many streams and many producers against one broker process, whose memory is read
 * from /proc: the peak (VmHWM) may exceed the idle footprint by subscribeBound() plus
 * slackBytes.
 */
describe("load: Subscribe streams", () => {
  it("holds 1,000 Subscribe streams over 10 connections while 50 producers write, each stream gets its partition in order, memory within the configured bound", async () => {
    const config = { streamBufferBytes: 256 * KiB, fetchMaxBytes: 256 * KiB, subscribeMemoryBytes: 64 * MiB };
    const broker = await load.broker(flags(config));
    const pid = broker.process.pid!;
    const connections = 10;
    const streamsPerConnection = 100;
    const producers = 50;
    const batches = 20;
    const batchRecords = 25;
    const perPartition = batches * batchRecords;
    const admin = load.client(AdminService, broker.address);
    await admin.createTopic({ name: "load", partitions: producers });
    const idle = await memoryOf(pid);
    const resetOk = await resetPeakRss(pid);

    const fetchClients = Array.from({ length: connections }, () => load.client(FetchService, broker.address));
    let held = 0;
    let endedEarly = 0;
    const streams = fetchClients.flatMap((fetch, c) =>
      Array.from({ length: streamsPerConnection }, (_, i) => {
        const partition = (c * streamsPerConnection + i) % producers;
        const stream = fetch.subscribe({ topic: "load", partitions: [partition], startPosition: { case: "earliest", value: true } });
        stream.call.once("metadata", () => held++);
        stream.call.once("status", () => endedEarly++);
        return { partition, stream };
      }),
    );
    // Every stream is set up (the broker sent its headers) before anything is produced.
    await vi.waitFor(() => expect(held).toBe(connections * streamsPerConnection), { timeout: 30_000, interval: 50 });

    const readAll = streams.map(async ({ partition, stream }) => {
      const messages = stream[Symbol.asyncIterator]();
      let next = 0;
      while (next < perPartition) {
        const { value, done } = await messages.next();
        if (done) throw new Error(`stream of partition ${partition} ended at offset ${next}`);
        if (value.event.case !== "records") continue;
        expect(value.event.value.partition).toBe(partition);
        for (const record of value.event.value.records) {
          // Offsets in order, none skipped or repeated, each with its producer's value.
          if (record.offset !== BigInt(next) || text(record.value) !== `${partition}:${next}`) {
            throw new Error(`partition ${partition}: expected ${next}, got offset ${record.offset} value ${text(record.value)}`);
          }
          next++;
        }
      }
      return next;
    });

    const produceClients = Array.from({ length: 5 }, () => load.client(ProduceService, broker.address));
    const started = performance.now();
    await Promise.all(
      Array.from({ length: producers }, async (_, p) => {
        const produce = produceClients[p % produceClients.length];
        for (let b = 0; b < batches; b++) {
          const records = Array.from({ length: batchRecords }, (_, r) => ({ value: bytes(`${p}:${b * batchRecords + r}`) }));
          const answer = await produce.produce({ topic: "load", partition: p, records, acks: Acks.LEADER });
          expect(answer.results[0].baseOffset).toBe(BigInt(b * batchRecords));
        }
      }),
    );
    const received = await Promise.all(readAll);
    const elapsedMs = performance.now() - started;
    const { rssBytes, peakRssBytes } = await memoryOf(pid);

    expect(received.reduce((a, b) => a + b, 0)).toBe(connections * streamsPerConnection * perPartition);
    expect(endedEarly).toBe(0); // all 1,000 were open at once until every record was verified
    const streamBound = subscribeBound(connections * streamsPerConnection, config);
    console.info(
      `load: ${held} Subscribe streams held over ${connections} connections, ${producers} producers, ` +
        `${producers * perPartition} records produced, ${received.length * perPartition} delivered in ${Math.round(elapsedMs)} ms; ` +
        `broker RSS idle ${mib(idle.rssBytes)}, peak ${mib(peakRssBytes)}${resetOk ? "" : " (peak since start)"}, ` +
        `now ${mib(rssBytes)}; configured stream bound ${mib(streamBound)}`,
    );
    expect(peakRssBytes - idle.rssBytes).toBeLessThan(streamBound + slackBytes);
    for (const { stream } of streams) stream.cancel();
  }, 80_000);

  // A batch is one stored frame, read whole (its checksum covers it) even when the stream
  // has room for less: 1 MiB batches are 16 times a 64 KiB read.
  it.each([64, 1024])(
    "keeps broker memory within its Subscribe bound while 300 readers never read and 160 MiB is produced in %i KiB batches",
    async (batchKiB) => {
      const config = { streamBufferBytes: 128 * KiB, fetchMaxBytes: 64 * KiB, subscribeMemoryBytes: 64 * MiB };
      const broker = await load.broker(flags(config));
      const pid = broker.process.pid!;
      const admin = load.client(AdminService, broker.address);
      const produce = load.client(ProduceService, broker.address);
      const fetch = load.client(FetchService, broker.address);
      await admin.createTopic({ name: "flood", partitions: 4 });

      const value = new Uint8Array(1024).fill(42);
      const batch = Array.from({ length: batchKiB }, () => ({ value }));
      const flood = async (mibs: number) => {
        const requests = (mibs * 1024) / batchKiB;
        const lanes = Array.from({ length: 4 }, async (_, lane) => {
          for (let i = lane; i < requests; i += 4) await produce.produce({ topic: "flood", partition: lane, records: batch });
        });
        await Promise.all(lanes);
      };
      await flood(16); // warm up allocators and the partitions' tail buffers
      const idle = await memoryOf(pid);
      const resetOk = await resetPeakRss(pid);

      const stalled = await Promise.all(Array.from({ length: 3 }, () => StalledConnection.open(broker.address)));
      load.defer(() => Promise.all(stalled.map((c) => c.close())));
      const slowStreams = 300;
      await Promise.all(
        Array.from({ length: slowStreams }, (_, i) =>
          stalled[i % stalled.length].subscribe({ topic: "flood", startPosition: { case: "earliest", value: true } }),
        ),
      );
      const opened = await memoryOf(pid);
      const producedMiB = 160;
      await flood(producedMiB);
      const after = await memoryOf(pid);

      // The broker still serves: a new reader gets the newest record while 300 stall.
      const end = (await admin.listOffsets({ topic: "flood", partition: 3, spec: { case: "latest", value: true } })).offset;
      const reader = fetch.subscribe({ topic: "flood", partitions: [3], startPosition: { case: "offset", value: end - 1n } });
      for await (const message of reader) {
        if (message.event.case === "records") {
          expect(message.event.value.records[0].offset).toBe(end - 1n);
          break;
        }
      }

      const bound = subscribeBound(slowStreams, config);
      console.info(
        `load: ${slowStreams} stalled Subscribe streams, ${producedMiB} MiB produced in ${batchKiB} KiB batches; ` +
          `broker RSS ${mib(idle.rssBytes)} idle, ${mib(opened.rssBytes)} with the streams open, peak ${mib(after.peakRssBytes)}` +
          `${resetOk ? "" : " (peak since start)"}, ${mib(after.rssBytes)} after; configured stream bound ${mib(bound)}`,
      );
      expect(after.peakRssBytes - idle.rssBytes).toBeLessThan(bound + slackBytes);
    },
    60_000,
  );
});

/** The value of one Prometheus sample (a bare name, or name{labels} as exposed), summed
 * over every series whose name and labels start as `prefix` does. */
async function scrapeSum(httpPort: number, prefix: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) if (line.startsWith(prefix)) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  return sum;
}

// Issue 14, finding 12: 600 stalled streams held their budget, then cancelling them all at
// once raised the RSS by 2 GB: the streams that closed first gave back their bytes, the
// ones not closed yet were granted new reads, and a read whose stream was already aborted
// still allocated its whole stored batch outside the budget.
describe("load: cancelling Subscribe streams", () => {
  it("keeps broker memory within its Subscribe bound while 160 stalled readers of 4 MiB batches are cancelled at once", async () => {
    const config = { streamBufferBytes: 1 * MiB, fetchMaxBytes: 64 * KiB, subscribeMemoryBytes: 16 * MiB };
    const broker = await load.broker([...flags(config), "--http", "127.0.0.1:0"]);
    const pid = broker.process.pid!;
    const httpPort = (await broker.httpPortHint)!;
    const admin = load.client(AdminService, broker.address);
    const produce = load.client(ProduceService, broker.address);
    const partitions = 4;
    await admin.createTopic({ name: "big", partitions });
    // Stored batches of 4 MiB: each is read whole, 64 times a stream's read.
    const batchBytes = 4 * MiB;
    const value = new Uint8Array(64 * KiB).fill(7);
    const batch = Array.from({ length: batchBytes / value.length }, () => ({ value }));
    for (let round = 0; round < 2; round++) {
      await Promise.all(Array.from({ length: partitions }, (_, partition) => produce.produce({ topic: "big", partition, records: batch })));
    }
    const idle = await memoryOf(pid);

    const streams = 160;
    const stalled = await Promise.all(Array.from({ length: 4 }, () => StalledConnection.open(broker.address)));
    load.defer(() => Promise.all(stalled.map((c) => c.close())));
    await Promise.all(
      Array.from({ length: streams }, (_, i) =>
        stalled[i % stalled.length].subscribe({ topic: "big", startPosition: { case: "earliest", value: true } }),
      ),
    );
    // Every stream has sent a message (and is now stalled on its full HTTP/2 window).
    await vi.waitFor(async () => expect(await scrapeSum(httpPort, "tributary_records_out_total")).toBeGreaterThanOrEqual(streams), {
      timeout: 30_000,
      interval: 100,
    });
    const opened = await memoryOf(pid);
    const resetOk = await resetPeakRss(pid);

    await Promise.all(stalled.map((c) => c.close())); // every stream cancelled at once
    await vi.waitFor(async () => expect(await scrapeSum(httpPort, "tributary_rpc_active_streams")).toBe(0), { timeout: 30_000, interval: 50 });
    const after = await memoryOf(pid);

    // The streams' bound, plus one stored batch read whole beyond it and the pooled
    // large-read buffers (StreamBudget keeps 8).
    const bound = subscribeBound(streams, config) + 9 * batchBytes;
    console.info(
      `load: ${streams} stalled Subscribe streams of 4 MiB batches cancelled at once; broker RSS ${mib(idle.rssBytes)} idle, ` +
        `${mib(opened.rssBytes)} with the streams open, peak while cancelling ${mib(after.peakRssBytes)}` +
        `${resetOk ? "" : " (peak since start)"}, ${mib(after.rssBytes)} after; configured stream bound ${mib(bound)}`,
    );
    expect(after.peakRssBytes - idle.rssBytes).toBeLessThan(bound + slackBytes);
  }, 60_000);
});
