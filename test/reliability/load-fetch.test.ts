import { afterEach, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { ProduceService } from "../../gen/ts/tributary/v1/produce_pb.js";
import { LoadHarness } from "../helpers/load-harness.js";
import { memoryOf, mib, MiB, resetPeakRss } from "../helpers/process-stats.js";

const KiB = 1024;
const load = new LoadHarness();
afterEach(() => load.cleanup());

// Issue 14, finding 3 ("every read any RPC makes is bounded in bytes"): a Fetch reads a
// stored batch larger than its max_bytes whole, for its checksum. Many Fetches of one
// large batch at once each allocated the whole batch.
describe("load: reads of large stored batches", () => {
  it("keeps broker memory within subscribeMemoryBytes plus one batch while 60 Fetches of 1 KiB read a 16 MiB batch at once", async () => {
    const budgetBytes = 32 * MiB;
    const broker = await load.broker(["--subscribe-memory-bytes", String(budgetBytes)]);
    const pid = broker.process.pid!;
    const admin = load.client(AdminService, broker.address);
    const produce = load.client(ProduceService, broker.address);
    await admin.createTopic({ name: "big", partitions: 1 });
    const batchBytes = 16 * MiB;
    const value = new Uint8Array(64 * KiB).fill(3);
    // Two batches, so the first is read from its file rather than from the tail buffer.
    for (let i = 0; i < 2; i++) await produce.produce({ topic: "big", records: Array.from({ length: batchBytes / value.length }, () => ({ value })) });
    const clients = Array.from({ length: 4 }, () => load.client(FetchService, broker.address));
    await clients[0].fetch({ topic: "big", partition: 0, offset: 0n, maxBytes: 1024 }); // warm up
    const idle = await memoryOf(pid);
    const resetOk = await resetPeakRss(pid);

    const fetches = 60;
    const answers = await Promise.all(
      Array.from({ length: fetches }, (_, i) => clients[i % clients.length].fetch({ topic: "big", partition: 0, offset: BigInt(i % 100), maxBytes: 1024 })),
    );
    const after = await memoryOf(pid);
    for (const [i, answer] of answers.entries()) expect(answer.records[0].offset).toBe(BigInt(i % 100));
    const bound = budgetBytes + batchBytes; // the budget and its one overdraft (pooled buffers are among them)
    console.info(
      `load: ${fetches} concurrent Fetches of 1 KiB from a ${mib(batchBytes)} stored batch; broker RSS ${mib(idle.rssBytes)} before, ` +
        `peak ${mib(after.peakRssBytes)}${resetOk ? "" : " (peak since start)"}; bound ${mib(bound)}`,
    );
    expect(after.peakRssBytes - idle.rssBytes).toBeLessThan(bound + 64 * MiB);
  }, 60_000);

  // A timestamp lookup reads a stored batch larger than its 1 MiB steps whole, for its
  // checksum: 60 ListOffsets by time at once on 16 MiB batches added 925 MiB.
  it("keeps broker memory within two stored batches while 60 ListOffsets by timestamp scan 16 MiB batches at once", async () => {
    const broker = await load.broker([]);
    const pid = broker.process.pid!;
    const admin = load.client(AdminService, broker.address);
    const produce = load.client(ProduceService, broker.address);
    await admin.createTopic({ name: "big", partitions: 1 });
    const batchBytes = 16 * MiB;
    const value = new Uint8Array(64 * KiB).fill(3);
    for (let i = 0; i < 2; i++) await produce.produce({ topic: "big", records: Array.from({ length: batchBytes / value.length }, () => ({ value })) });
    const byTime = { topic: "big", partition: 0, spec: { case: "timestampMs" as const, value: 1n } };
    expect((await admin.listOffsets(byTime)).offset).toBe(0n); // warm up
    const idle = await memoryOf(pid);
    const resetOk = await resetPeakRss(pid);

    const lookups = 60;
    const answers = await Promise.all(Array.from({ length: lookups }, () => admin.listOffsets(byTime)));
    const after = await memoryOf(pid);
    for (const answer of answers) expect(answer.offset).toBe(0n);
    // Two lookups at a time, each a batch and a 1 MiB step. The scan's buffers are not
    // pooled: the batches read by earlier lookups wait for the garbage collector, which
    // V8 runs after some tens of MiB of them (about 100 MiB of RSS here).
    const bound = 2 * (batchBytes + MiB);
    const garbageBytes = 128 * MiB;
    console.info(
      `load: ${lookups} concurrent ListOffsets by timestamp over ${mib(batchBytes)} stored batches; broker RSS ${mib(idle.rssBytes)} before, ` +
        `peak ${mib(after.peakRssBytes)}${resetOk ? "" : " (peak since start)"}; bound ${mib(bound)}`,
    );
    expect(after.peakRssBytes - idle.rssBytes).toBeLessThan(bound + garbageBytes);
  }, 60_000);
});
