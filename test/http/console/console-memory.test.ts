import { afterEach, describe, expect, it } from "vitest";
import { AdminService } from "../../../gen/ts/tributary/v1/admin_pb.js";
import { ProduceService } from "../../../gen/ts/tributary/v1/produce_pb.js";
import { LoadHarness } from "../../helpers/load-harness.js";
import { memoryOf, mib, MiB, resetPeakRss } from "../../helpers/process-stats.js";

const load = new LoadHarness();
afterEach(() => load.cleanup());

// Issue 14, finding 3: `GET …/records?limit=500` over 1 MB records took the broker to
// 4.4 GB. The broker runs the console, so its RSS is what an answer costs.
describe("console message browser memory", () => {
  it("keeps the broker's RSS growth small while two browses of 1 MB records ask for 500 each", async () => {
    const broker = await load.broker(["--http", "127.0.0.1:0"]);
    const pid = broker.process.pid!;
    const httpPort = (await broker.httpPortHint)!;
    const admin = load.client(AdminService, broker.address);
    const produce = load.client(ProduceService, broker.address);
    await admin.createTopic({ name: "large", partitions: 1 });
    const value = new Uint8Array(1_000_000).fill(0x61);
    const records = 8;
    for (let i = 0; i < records; i++) await produce.produce({ topic: "large", records: [{ value }] });
    const url = `http://127.0.0.1:${httpPort}/console/api/topics/large/records?partition=0&limit=500`;
    await (await fetch(url.replace("limit=500", "limit=1"))).arrayBuffer(); // the console's gRPC client connects once
    const idle = await memoryOf(pid);
    const resetOk = await resetPeakRss(pid);

    const answers = await Promise.all(Array.from({ length: 2 }, async () => (await fetch(url)).arrayBuffer()));
    const after = await memoryOf(pid);
    const largest = Math.max(...answers.map((a) => a.byteLength));
    console.info(
      `console: 2 browses of limit=500 over ${records} records of 1 MB; largest answer ${largest} bytes; broker RSS ${mib(idle.rssBytes)} before, ` +
        `peak ${mib(after.peakRssBytes)}${resetOk ? "" : " (peak since start)"}`,
    );
    expect(largest).toBeLessThan(256 * 1024);
    // Two answers of one record each, and their single Fetch reads: a few MiB, plus what
    // the garbage collector has not given back yet.
    expect(after.peakRssBytes - idle.rssBytes).toBeLessThan(32 * MiB);
  }, 120_000);
});
