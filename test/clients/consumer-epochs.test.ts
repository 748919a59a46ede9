/**
 * The TypeScript Consumer across an unclean broker restart that lost records it had
 * delivered (issue 14, finding 7): it resumes with the leader epoch of its last record,
 * so the broker resets it to the truncation point instead of letting it skip (or
 * re-read under old offsets) the records that now hold those offsets. The unclean
 * restart is made by hand: the broker is closed, its partition's clean-shutdown marker
 * removed and its log cut as a power loss would cut it, and a new broker opens the
 * same data directory behind the same proxy address.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Consumer, type ConsumedRecord } from "../../clients/ts/index.js";
import { TcpProxy } from "../helpers/tcp-proxy.js";
import { bytes, startTestBroker, tempDir, text, type TestBroker } from "../helpers/test-broker.js";
import { cutLogAt } from "../helpers/log-records.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});


describe("Consumer after an unclean broker restart", () => {
  it("is reset to the truncation point when the records it delivered were lost and their offsets reused", async () => {
    const dir = await tempDir();
    cleanups.push(dir.remove);
    const first = await startTestBroker({}, dir.path);
    await first.admin.createTopic({ name: "events", partitions: 1 });
    for (let b = 0; b < 10; b++) {
      await first.produce.produce({ topic: "events", partition: 0, records: Array.from({ length: 10 }, (_, i) => ({ value: bytes(`old-${b * 10 + i}`) })) });
    }
    const proxy = await TcpProxy.start(first.broker.address);
    cleanups.push(() => proxy.close());
    let second: TestBroker | undefined;
    cleanups.push(async () => second?.close());
    const c = new Consumer({ broker: proxy.address, topic: "events", partitions: [0], from: "earliest", reconnectBackoffMs: 10 });
    const seen: ConsumedRecord[] = [];
    for await (const r of c) {
      seen.push(r);
      if (seen.length === 100) {
        // Power loss: the broker goes, its log loses offsets 50..99, and it restarts unclean.
        await first.close();
        await rm(join(dir.path, "events-0", "clean-shutdown"));
        await cutLogAt(join(dir.path, "events-0"), 50n);
        second = await startTestBroker({}, dir.path);
        await second.produce.produce({ topic: "events", partition: 0, records: Array.from({ length: 51 }, (_, i) => ({ value: bytes(`new-${50 + i}`) })) });
        proxy.retarget(second.broker.address);
        proxy.dropAll();
      }
      if (seen.length === 101) break;
    }
    await c.close();
    expect(seen.slice(0, 100).map((r) => text(r.value))).toEqual(Array.from({ length: 100 }, (_, i) => `old-${i}`));
    // Not offset 100 ("new-100"): the records now at 50..99 are not the ones it delivered.
    expect([seen[100].offset, text(seen[100].value)]).toEqual([50n, "new-50"]);
  }, 30_000);
});
