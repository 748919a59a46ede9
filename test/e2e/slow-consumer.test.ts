import { readFile } from "node:fs/promises";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createClient } from "../../clients/ts/index.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { ProduceService } from "../../gen/ts/tributary/v1/produce_pb.js";
import { startChildBroker } from "../helpers/child-broker.js";
import { tempDir } from "../helpers/test-broker.js";

const MiB = 1024 * 1024;

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

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

  it("does not grow broker memory beyond its bound while it does not read", async () => {
    const dir = await tempDir();
    cleanup.push(dir.remove);
    const broker = await startChildBroker(dir.path, ["--stream-buffer-bytes", String(4 * MiB)]);
    cleanup.push(async () => {
      broker.process.kill("SIGKILL");
      await broker.exited;
    });
    const pid = broker.process.pid!;
    const admin = createClient(AdminService, broker.address);
    const produce = createClient(ProduceService, broker.address);
    const fetch = createClient(FetchService, broker.address);
    cleanup.push(async () => [admin, produce, fetch].forEach((c) => c.close()));
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
});
