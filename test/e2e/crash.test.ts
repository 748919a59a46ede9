import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "../../clients/ts/index.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { CommitService } from "../../gen/ts/tributary/v1/commit_pb.js";
import { FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { ProduceService } from "../../gen/ts/tributary/v1/produce_pb.js";
import { startChildBroker, type ChildBroker } from "../helpers/child-broker.js";
import { bytes, tempDir, text } from "../helpers/test-broker.js";

const partitions = 3;
const producers = 4;
const recordsPerBatch = 50;

/**
 * kill -9 under load, bounded: producers append until at least `ackTarget`
 * records are acknowledged (or a time bound), the broker is SIGKILLed with
 * requests in flight, restarted, and every acknowledged record must be there
 * exactly once at its acknowledged offset, with offsets contiguous.
 */
async function crashCycle(dataDir: string, cycle: number, ackTarget: number, acked: Map<string, string>) {
  const broker = await startChildBroker(dataDir);
  const produce = createClient(ProduceService, broker.address);
  let ackedThisCycle = 0;
  let stop = false;
  let reachedTarget!: () => void;
  const reached = new Promise<void>((resolve) => (reachedTarget = resolve));
  const loops = Array.from({ length: producers }, async (_, producer) => {
    for (let batch = 0; !stop; batch++) {
      const values = Array.from({ length: recordsPerBatch }, (_, i) => `c${cycle}-p${producer}-b${batch}-r${i}`);
      try {
        const answer = await produce.produce({
          topic: "crash",
          partition: (producer + batch) % partitions,
          records: values.map((v) => ({ key: bytes(v), value: bytes(v) })),
        });
        const { partition, baseOffset } = answer.results[0];
        values.forEach((v, i) => acked.set(`${partition}:${baseOffset + BigInt(i)}`, v));
        ackedThisCycle += values.length;
        if (ackedThisCycle >= ackTarget) reachedTarget();
      } catch {
        return; // the broker died under this request: it was never acknowledged
      }
    }
  });
  // Bounded: kill at the target, or after 20 s whatever was acknowledged.
  let bound: NodeJS.Timeout | undefined;
  await Promise.race([reached, new Promise<void>((resolve) => (bound = setTimeout(resolve, 20_000)))]);
  clearTimeout(bound);
  broker.process.kill("SIGKILL");
  stop = true;
  expect(await broker.exited).toBe("SIGKILL");
  await Promise.all(loops);
  produce.close();
  return ackedThisCycle;
}

async function verify(broker: ChildBroker, acked: Map<string, string>): Promise<number> {
  const fetch = createClient(FetchService, broker.address);
  const seenValues = new Set<string>();
  let verified = 0;
  try {
    for (let p = 0; p < partitions; p++) {
      let offset = 0n;
      for (;;) {
        const answer = await fetch.fetch({ topic: "crash", partition: p, offset });
        if (answer.records.length === 0) break;
        for (const r of answer.records) {
          expect(r.offset).toBe(offset); // contiguous, no gaps
          const value = text(r.value);
          expect(seenValues.has(value)).toBe(false); // never appended twice
          seenValues.add(value);
          const expected = acked.get(`${p}:${r.offset}`);
          if (expected !== undefined) {
            expect(value).toBe(expected);
            verified++;
          }
          offset++;
        }
      }
    }
  } finally {
    fetch.close();
  }
  return verified;
}

describe("crash recovery", () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0)) await fn();
  });

  it("keeps every acknowledged record, once, at its offset, across kill -9 under load", async () => {
    const dir = await tempDir();
    cleanup.push(dir.remove);
    {
      const broker = await startChildBroker(dir.path);
      const admin = createClient(AdminService, broker.address);
      await admin.createTopic({ name: "crash", partitions });
      admin.close();
      broker.process.kill("SIGKILL");
      await broker.exited;
    }
    const acked = new Map<string, string>();
    let produced = 0;
    for (let cycle = 0; cycle < 3; cycle++) produced += await crashCycle(dir.path, cycle, 5_000, acked);

    const broker = await startChildBroker(dir.path);
    cleanup.push(async () => {
      broker.process.kill("SIGTERM");
      await broker.exited;
    });
    const verified = await verify(broker, acked);
    expect(produced).toBeGreaterThanOrEqual(3 * 5_000);
    expect(verified).toBe(acked.size);
  }, 120_000);

  it("keeps committed group offsets across kill -9 of the broker", async () => {
    const dir = await tempDir();
    cleanup.push(dir.remove);
    const first = await startChildBroker(dir.path);
    const admin = createClient(AdminService, first.address);
    const commit = createClient(CommitService, first.address);
    await admin.createTopic({ name: "paid", partitions: 4 });
    const wanted = new Map<string, bigint>();
    for (let group = 0; group < 20; group++) {
      const offsets = [0, 1, 2, 3].map((partition) => ({ topic: "paid", partition, offset: BigInt(group * 10 + partition) }));
      await commit.commit({ groupId: `g${group}`, offsets });
      for (const o of offsets) wanted.set(`g${group}/${o.partition}`, o.offset);
    }
    admin.close();
    commit.close();
    first.process.kill("SIGKILL");
    expect(await first.exited).toBe("SIGKILL");

    const second = await startChildBroker(dir.path);
    cleanup.push(async () => {
      second.process.kill("SIGTERM");
      await second.exited;
    });
    const after = createClient(CommitService, second.address);
    const found = new Map<string, bigint>();
    for (let group = 0; group < 20; group++) {
      for (const o of (await after.fetchCommitted({ groupId: `g${group}` })).offsets) found.set(`g${group}/${o.partition}`, o.offset);
    }
    after.close();
    expect(found).toEqual(wanted);
  }, 60_000);
});
