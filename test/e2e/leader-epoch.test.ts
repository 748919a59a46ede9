/**
 * Reused offsets after an unclean loss (issue 14, finding 7), end to end: a real broker
 * is killed with SIGKILL, the tail of its partition log is cut by hand as a power loss
 * would cut it, and the restarted broker gives the lost offsets to new records. Readers
 * and a group that carry the leader epoch of what they read must be told (offset reset
 * to the truncation point), not served the new records as if they were the old ones.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createClient, type ServerStream } from "../../clients/ts/index.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { CommitService } from "../../gen/ts/tributary/v1/commit_pb.js";
import { FetchService, type SubscribeResponse } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { ProduceService } from "../../gen/ts/tributary/v1/produce_pb.js";
import { startChildBroker, type ChildBroker } from "../helpers/child-broker.js";
import { bytes, tempDir, text } from "../helpers/test-broker.js";
import { cutLogAt } from "../helpers/log-records.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function clientsOf(broker: ChildBroker) {
  const clients = {
    admin: createClient(AdminService, broker.address),
    produce: createClient(ProduceService, broker.address),
    fetch: createClient(FetchService, broker.address),
    commit: createClient(CommitService, broker.address),
  };
  cleanups.push(() => Object.values(clients).forEach((c) => c.close()));
  return clients;
}

async function startBroker(dataDir: string): Promise<ChildBroker> {
  const broker = await startChildBroker(dataDir);
  cleanups.push(async () => {
    if (broker.process.exitCode === null && broker.process.signalCode === null) {
      broker.process.kill("SIGKILL");
      await broker.exited;
    }
  });
  return broker;
}


/** The stream's events until `records` records arrived, as short strings. */
async function events(stream: ServerStream<SubscribeResponse>, records: number): Promise<string[]> {
  const seen: string[] = [];
  let count = 0;
  for await (const message of stream) {
    const e = message.event;
    if (e.case === "offsetReset") seen.push(`reset ${e.value.requestedOffset}->${e.value.resetOffset}${e.value.truncated ? " truncated" : ""}`);
    if (e.case === "records") {
      for (const r of e.value.records) if (count++ < records) seen.push(`${r.offset}:${text(r.value)}`);
      if (count >= records) break;
    }
  }
  stream.cancel();
  return seen;
}

describe("leader epochs after an unclean shutdown", () => {
  it("resets readers and groups past the truncation point instead of serving the reused offsets", async () => {
    const dir = await tempDir();
    cleanups.push(dir.remove);
    let broker = await startBroker(dir.path);
    let c = clientsOf(broker);
    await c.admin.createTopic({ name: "t", partitions: 1 });
    for (let b = 0; b < 10; b++) {
      await c.produce.produce({ topic: "t", partition: 0, records: Array.from({ length: 10 }, (_, i) => ({ value: bytes(`old-${b * 10 + i}`) })) });
    }
    const read = await c.fetch.fetch({ topic: "t", partition: 0, offset: 70n });
    expect([read.nextOffset, read.leaderEpoch]).toEqual([100n, 0]);
    await c.commit.commit({ groupId: "g", offsets: [{ topic: "t", partition: 0, offset: 80n }] });
    expect((await c.commit.fetchCommitted({ groupId: "g" })).offsets[0]).toMatchObject({ offset: 80n, leaderEpoch: 0 });

    broker.process.kill("SIGKILL");
    await broker.exited;
    await cutLogAt(join(dir.path, "t-0"), 50n);
    broker = await startBroker(dir.path);
    c = clientsOf(broker);
    const again = await c.produce.produce({ topic: "t", partition: 0, records: Array.from({ length: 50 }, (_, i) => ({ value: bytes(`new-${50 + i}`) })) });
    expect(again.results[0].baseOffset).toBe(50n); // offsets 50..99 reused

    // Fetch with the epoch of the last record read (79, epoch 0): reset to 50, no records.
    const reset = await c.fetch.fetch({ topic: "t", partition: 0, offset: 80n, lastFetchedEpoch: 0 });
    expect(reset.records).toEqual([]);
    expect(reset.nextOffset).toBe(50n);
    expect(reset.offsetReset).toMatchObject({ topic: "t", partition: 0, requestedOffset: 80n, resetOffset: 50n, truncated: true });
    // A reader still inside the surviving history reads on; the new records carry the new epoch.
    const before = await c.fetch.fetch({ topic: "t", partition: 0, offset: 40n, lastFetchedEpoch: 0, maxBytes: 1 });
    expect([before.records.map((r) => text(r.value)), before.offsetReset, before.leaderEpoch]).toEqual([["old-40"], undefined, 0]);
    const after = await c.fetch.fetch({ topic: "t", partition: 0, offset: 50n, lastFetchedEpoch: 0 });
    expect([text(after.records[0].value), after.leaderEpoch]).toEqual(["new-50", 1]);

    // Subscribe with an explicit offset and epoch, and with per-partition start offsets.
    const explicit = c.fetch.subscribe({ topic: "t", startPosition: { case: "offset", value: 80n }, lastFetchedEpoch: 0 });
    expect(await events(explicit, 1)).toEqual(["reset 80->50 truncated", "50:new-50"]);
    const perPartition = c.fetch.subscribe({
      topic: "t",
      startPosition: { case: "offsets", value: { offsets: [{ partition: 0, offset: 95n, lastFetchedEpoch: 0 }] } },
    });
    expect(await events(perPartition, 1)).toEqual(["reset 95->50 truncated", "50:new-50"]);

    // The group resumes from its commit (80, epoch 0) and is reset to the truncation point.
    const member = c.fetch.subscribe({ groupId: "g", topics: ["t"], startPosition: { case: "latest", value: true } });
    expect(await events(member, 1)).toEqual(["reset 80->50 truncated", "50:new-50"]);
  }, 60_000);
});
