import { afterEach, describe, expect, it, vi } from "vitest";
import { createClient } from "../../clients/ts/index.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { ProduceService } from "../../gen/ts/tributary/v1/produce_pb.js";
import { startChildBroker } from "../helpers/child-broker.js";
import { MiB, memoryOf } from "../helpers/process-stats.js";
import { tempDir } from "../helpers/test-broker.js";


const rssBytes = async (pid: number) => (await memoryOf(pid)).rssBytes;

/**
 * A group member that stops reading must not make the broker buffer the
 * backlog: its stream holds at most streamBufferBytes plus one message, the
 * HTTP/2 window the rest. The broker runs as a child process so its RSS is
 * measured alone; 256 MiB flow past the stalled member.
 */
describe("a slow consumer", () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  /** A broker process with these flags (killed after the test) and clients of it. */
  async function childBroker(args: string[]) {
    const dir = await tempDir();
    cleanup.push(dir.remove);
    const broker = await startChildBroker(dir.path, args);
    cleanup.push(async () => {
      broker.process.kill("SIGKILL");
      await broker.exited;
    });
    const admin = createClient(AdminService, broker.address);
    const produce = createClient(ProduceService, broker.address);
    const fetch = createClient(FetchService, broker.address);
    cleanup.push(async () => [admin, produce, fetch].forEach((c) => c.close()));
    return { pid: broker.process.pid!, admin, produce, fetch };
  }

  it("does not grow broker memory beyond its bound while it does not read", async () => {
    const { pid, admin, produce, fetch } = await childBroker(["--stream-buffer-bytes", String(4 * MiB)]);
    await admin.createTopic({ name: "flood", partitions: 2 });

    const value = new Uint8Array(1024).fill(42);
    const batch = Array.from({ length: 1024 }, () => ({ value }));
    const flood = async (mib: number) => {
      for (let i = 0; i < mib; i++) await produce.produce({ topic: "flood", partition: i % 2, records: batch });
    };
    await flood(32); // warm up allocators and tail buffers
    const stream = fetch.subscribe({ groupId: "slow", topics: ["flood"], startPosition: { case: "earliest", value: true } });
    let received = 0;
    stream.call.on("data", () => {
      received++;
      if (received === 1) stream.call.pause(); // read one message (the assignment), then stall
    });
    await vi.waitFor(() => expect(received).toBeGreaterThan(0));
    const before = await rssBytes(pid);
    await flood(256);
    const after = await rssBytes(pid);
    console.info(`slow consumer: broker RSS ${Math.round(before / MiB)} MiB -> ${Math.round(after / MiB)} MiB after 256 MiB produced`);
    expect(after - before).toBeLessThan(96 * MiB);
    stream.cancel();
  }, 120_000);

  it("keeps many stalled subscribers within the broker-wide budget, then delivers everything in order", async () => {
    // Each stream alone may hold 8 MiB; all of them together 4 MiB (plus one 64 KiB read
    // each). Without the shared budget (--subscribe-memory-bytes 1 GiB) the broker grew
    // by 321 MiB here; with it, by 28 to 77 MiB (allocator and GC slack included).
    const { pid, admin, produce, fetch } = await childBroker(["--stream-buffer-bytes", String(8 * MiB), "--subscribe-memory-bytes", String(4 * MiB)]);
    await admin.createTopic({ name: "fanout", partitions: 1 });
    const value = new Uint8Array(1024).fill(7);
    const batch = Array.from({ length: 1024 }, () => ({ value }));
    for (let i = 0; i < 12; i++) await produce.produce({ topic: "fanout", partition: 0, records: batch });
    const total = 12 * 1024;

    const before = await rssBytes(pid);
    const streams = Array.from({ length: 24 }, () => {
      const stream = fetch.subscribe({ topic: "fanout", partitions: [0], startPosition: { case: "earliest", value: true } });
      stream.call.pause(); // never reads until resumed below
      return stream;
    });
    // Let the broker fill whatever it is allowed to hold: wait until its RSS stops
    // growing (sampled, bounded), instead of guessing a time.
    let peak = before;
    let last = -1;
    await vi.waitFor(
      async () => {
        const now = await rssBytes(pid);
        peak = Math.max(peak, now);
        const settled = last >= 0 && Math.abs(now - last) < MiB;
        last = now;
        expect(settled).toBe(true);
      },
      { timeout: 20_000, interval: 250 },
    );
    console.info(`24 stalled subscribers: broker RSS ${Math.round(before / MiB)} MiB -> ${Math.round(peak / MiB)} MiB`);
    expect(peak - before).toBeLessThan(128 * MiB);

    // Resumed, every stream gets every record once, in offset order.
    const results = await Promise.all(
      streams.map(async (stream) => {
        stream.call.resume();
        let next = 0n;
        for await (const message of stream) {
          if (message.event.case !== "records") continue;
          for (const record of message.event.value.records) {
            expect(record.offset).toBe(next);
            next++;
          }
          if (next === BigInt(total)) break;
        }
        return next;
      }),
    );
    expect(results).toEqual(Array.from({ length: 24 }, () => BigInt(total)));
  }, 120_000);
});
