import { status } from "@grpc/grpc-js";
import { readdirSync, readlinkSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createClient, errorReason } from "../../clients/ts/index.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { ProduceService } from "../../gen/ts/tributary/v1/produce_pb.js";
import { startChildBroker } from "../helpers/child-broker.js";
import { bytes, startTestBroker, tempDir, text, type TestBroker } from "../helpers/test-broker.js";

/** Descriptors process `pid` holds on segment files of partition directory `partitionDir`. */
function segmentFds(pid: number, partitionDir: string): number {
  let count = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (/\/[^/]+-\d+\/\d{20}\.log$/.test(readlinkSync(`/proc/${pid}/fd/${fd}`)) && readlinkSync(`/proc/${pid}/fd/${fd}`).includes(`/${partitionDir}/`)) count++;
    } catch {
      // closed meanwhile
    }
  }
  return count;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error("expected the call to fail"),
    (e: unknown) => e,
  );
}

/**
 * Issue 14 finding 10: one tenant's partitions and tiny segments used up the process's
 * file descriptors, after which produces, CreateTopic, the HTTP port and a clean
 * shutdown all failed.
 */
describe("resource limits", () => {
  const cleanup: Array<() => Promise<unknown> | void> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  describe("in one broker", () => {
    let t: TestBroker;
    afterEach(async () => {
      await t.close();
    });

    it("refuses partitions beyond maxPartitions with RESOURCE_EXHAUSTED TOO_MANY_PARTITIONS", async () => {
      t = await startTestBroker({ maxPartitions: 12, offsetsTopicPartitions: 2 });
      await t.admin.createTopic({ name: "a", partitions: 5 });
      await t.admin.createTopic({ name: "b", partitions: 5 }); // 12 with __consumer_offsets
      for (const call of [
        () => t.admin.createTopic({ name: "c", partitions: 1 }),
        () => t.admin.createPartitions({ name: "a", totalCount: 6 }),
      ]) {
        const err = await failure(call());
        expect(err).toMatchObject({ code: status.RESOURCE_EXHAUSTED });
        expect(errorReason(err)).toBe("TOO_MANY_PARTITIONS");
      }
      expect((await t.admin.listTopics({})).topics.map((x) => [x.name, x.partitions])).toEqual([
        ["a", 5],
        ["b", 5],
      ]);
      await t.admin.deleteTopic({ name: "b" });
      await t.admin.createTopic({ name: "c", partitions: 5 });
    });

    it("refuses a topic's segmentBytes below minSegmentBytes", async () => {
      t = await startTestBroker({ minSegmentBytes: 64 * 1024 });
      for (const call of [
        () => t.admin.createTopic({ name: "tiny", partitions: 1, config: { segmentBytes: 1024n } }),
        () => t.admin.updateTopicConfig({ name: "ok", config: { segmentBytes: 64n * 1024n - 1n } }),
      ]) {
        if (call === undefined) continue;
        await t.admin.createTopic({ name: "ok", partitions: 1 }).catch(() => undefined);
        const err = await failure(call());
        expect(err).toMatchObject({ code: status.INVALID_ARGUMENT });
        expect(errorReason(err)).toBe("INVALID_CONFIG");
      }
      await t.admin.updateTopicConfig({ name: "ok", config: { segmentBytes: 64n * 1024n } });
      expect((await t.admin.listTopics({})).topics.map((x) => x.name)).toEqual(["ok"]);
    });

    it("holds a client's segments to 1 MiB by default", async () => {
      t = await startTestBroker();
      const err = await failure(t.admin.createTopic({ name: "tiny", partitions: 1, config: { segmentBytes: 1024n * 1024n - 1n } }));
      expect(errorReason(err)).toBe("INVALID_CONFIG");
      await t.admin.createTopic({ name: "fine", partitions: 1, config: { segmentBytes: 1024n * 1024n } });
    });
  });

  it("refuses partitions before the descriptors run out, keeps sealed segments' files bounded, serves others and shuts down cleanly", async () => {
    const dir = await tempDir();
    cleanup.push(dir.remove);
    // 256 descriptors; tiny segments, set by the operator (a client may not ask for them).
    const broker = await startChildBroker(
      dir.path,
      ["--segment-bytes", "1024", "--offsets-topic-partitions", "1", "--log-level", "info"],
      { prefix: ["prlimit", "--nofile=256:256"] },
    );
    cleanup.push(() => {
      if (broker.process.exitCode === null) broker.process.kill("SIGKILL");
    });
    const admin = createClient(AdminService, broker.address);
    const produce = createClient(ProduceService, broker.address);
    cleanup.push(() => admin.close());
    cleanup.push(() => produce.close());

    // Many segments: one per record. Without the bound each kept a descriptor open.
    await admin.createTopic({ name: "busy", partitions: 1 });
    const value = new Uint8Array(700);
    for (let i = 0; i < 300; i++) await produce.produce({ topic: "busy", partition: 0, records: [{ value }] });
    const described = await admin.describeTopic({ name: "busy" });
    expect(described.topic!.partitions[0].segmentCount).toBeGreaterThan(250);
    // At most a quarter of the limit for sealed segments, plus the active one. Segments
    // sealed since the last background fsync stay open until it (then `trim` closes them).
    await vi.waitFor(() => expect(segmentFds(broker.process.pid!, "busy-0")).toBeLessThanOrEqual(256 / 4 + 1), { timeout: 10_000 });

    // Many partitions: refused with the reason before the process runs out.
    let refused: unknown;
    let created = 0;
    for (let i = 0; i < 40 && refused === undefined; i++) {
      refused = await admin.createTopic({ name: `tenant-${i}`, partitions: 10 }).then(
        () => {
          created++;
          return undefined;
        },
        (e: unknown) => e,
      );
    }
    expect(refused).toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    expect(errorReason(refused)).toBe("TOO_MANY_OPEN_FILES");
    expect(created).toBeGreaterThan(0);
    expect((await admin.listTopics({})).topics).toHaveLength(created + 1); // the refused one left nothing

    // Another client still produces, reads, and connects anew.
    const other = createClient(ProduceService, broker.address);
    const reader = createClient(FetchService, broker.address);
    cleanup.push(() => other.close());
    cleanup.push(() => reader.close());
    await other.produce({ topic: "tenant-0", partition: 3, records: [{ value: bytes("still served") }] });
    const fetched = await reader.fetch({ topic: "tenant-0", partition: 3, offset: 0n });
    expect(fetched.records.map((r) => text(r.value))).toEqual(["still served"]);
    const old = await reader.fetch({ topic: "busy", partition: 0, offset: 0n });
    expect(old.records).toHaveLength(1);

    const segments = described.topic!.partitions[0].segmentCount;
    const fds = readdirSync(`/proc/${broker.process.pid!}/fd`).length;
    console.info(
      `limits: nofile 256: ${segments} segments in one partition held ${segmentFds(broker.process.pid!, "busy-0")} segment files open; ` +
        `${created} topics of 10 partitions created before TOO_MANY_OPEN_FILES, ${fds} descriptors open then`,
    );
    broker.process.kill("SIGTERM");
    expect(await broker.exited).toBe(0);
    expect(broker.logs.some((e) => e.msg === "broker stopped")).toBe(true);
  });
});
