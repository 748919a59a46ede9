import { status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createClient, errorReason } from "../../clients/ts/index.js";
import { startBroker, type Broker } from "../../services/server.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { CommitService } from "../../gen/ts/tributary/v1/commit_pb.js";
import { ProduceService } from "../../gen/ts/tributary/v1/produce_pb.js";
import { GroupMember } from "../helpers/group-member.js";
import { bytes, silentLogger, tempDir } from "../helpers/test-broker.js";

const hourMs = 60 * 60 * 1000;

/**
 * Issue 14 finding 11: empty groups were never forgotten (78k group ids that joined
 * and left held 500 MB). The broker's clock is moved forward instead of sleeping:
 * retention is an hour, checked every 20 ms.
 */
describe("GroupExpiry", () => {
  const cleanup: Array<() => Promise<unknown> | void> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function start(dataDir: string, clock: { nowMs(): number }) {
    const broker: Broker = await startBroker(
      {
        listen: "127.0.0.1:0",
        http: "off",
        logLevel: "silent",
        dataDir,
        offsetsTopicPartitions: 2,
        groupOffsetsRetentionMs: hourMs,
        retentionCheckIntervalMs: 20,
      },
      { logger: silentLogger, clock },
    );
    const admin = createClient(AdminService, broker.address);
    const commit = createClient(CommitService, broker.address);
    const produce = createClient(ProduceService, broker.address);
    const stop = async () => {
      admin.close();
      commit.close();
      produce.close();
      await broker.close();
    };
    return { broker, admin, commit, produce, stop };
  }

  it("forgets groups empty for the retention, with their commits, and never a group with members", async () => {
    const dir = await tempDir();
    cleanup.push(dir.remove);
    let skewMs = 0;
    const clock = { nowMs: () => Date.now() + skewMs };
    let b = await start(dir.path, clock);
    cleanup.push(() => b.stop());
    await b.admin.createTopic({ name: "t", partitions: 2 });
    for (const partition of [0, 1]) await b.produce.produce({ topic: "t", partition, records: [{ value: bytes("r") }] });

    // Groups that join, consume, commit and leave; one that commits as a tool, with no member.
    const left = Array.from({ length: 8 }, (_, i) => `left-${i}`);
    for (const groupId of left) {
      const member = new GroupMember(b.broker.address, groupId, ["t"], { earliest: true });
      await vi.waitFor(() => expect(member.deliveries).toHaveLength(2), { timeout: 10_000 });
      await member.close();
      expect([...member.committed.values()]).toEqual([1n, 1n]);
    }
    await b.commit.commit({ groupId: "tool", offsets: [{ topic: "t", partition: 0, offset: 1n }] });
    // A group that keeps its member throughout.
    const stay = new GroupMember(b.broker.address, "stay", ["t"], { earliest: true });
    cleanup.push(() => stay.cancel());
    await vi.waitFor(() => expect(stay.deliveries).toHaveLength(2), { timeout: 10_000 });
    expect(await stay.commit()).toBe(true);

    const listed = async () => (await b.admin.listGroups({})).groups.map((g) => g.groupId);
    expect(await listed()).toEqual([...left, "stay", "tool"].sort());
    // Not yet: every pass so far saw them empty for less than the retention.
    expect(b.broker.coordinator.groupIds().sort()).toEqual([...left, "stay"].sort());

    skewMs = 2 * hourMs;
    await vi.waitFor(async () => expect(await listed()).toEqual(["stay"]), { timeout: 10_000 });
    // Gone from memory too, not only from the listing.
    expect(b.broker.coordinator.groupIds()).toEqual(["stay"]);
    expect(b.broker.offsets.groups()).toEqual(["stay"]);
    const described = await b.admin.describeGroup({ groupId: "left-0" }).catch((e: unknown) => e);
    expect(described).toMatchObject({ code: status.NOT_FOUND });
    expect(errorReason(described)).toBe("UNKNOWN_GROUP");
    // The member's group kept its commits although they are older than the retention.
    expect((await b.commit.fetchCommitted({ groupId: "stay" })).offsets).toHaveLength(2);

    // The tombstones are durable: a restart (clock back, so nothing expires now) does not bring them back.
    await stay.cancel();
    await b.stop();
    skewMs = 0;
    b = await start(dir.path, clock);
    expect((await b.admin.listGroups({})).groups.map((g) => g.groupId)).toEqual(["stay"]);
    for (const groupId of [...left, "tool"]) {
      expect((await b.commit.fetchCommitted({ groupId })).offsets).toEqual([]);
    }
    expect((await b.commit.fetchCommitted({ groupId: "stay" })).offsets).toHaveLength(2);
  });

  it("keeps a group whose member rejoined before the retention ran out", async () => {
    const dir = await tempDir();
    cleanup.push(dir.remove);
    let skewMs = 0;
    const b = await start(dir.path, { nowMs: () => Date.now() + skewMs });
    cleanup.push(() => b.stop());
    await b.admin.createTopic({ name: "t", partitions: 1 });
    await b.produce.produce({ topic: "t", records: [{ value: bytes("r") }] });
    const first = new GroupMember(b.broker.address, "g", ["t"], { earliest: true });
    await vi.waitFor(() => expect(first.deliveries).toHaveLength(1), { timeout: 10_000 });
    await first.close();
    skewMs = hourMs / 2;
    const again = new GroupMember(b.broker.address, "g", ["t"]);
    cleanup.push(() => again.cancel());
    await vi.waitFor(() => expect(again.assignment).toHaveLength(1), { timeout: 10_000 });
    skewMs = 3 * hourMs;
    // Passes run every 20 ms; a later expiry of another group shows that passes ran meanwhile.
    await b.commit.commit({ groupId: "marker", offsets: [{ topic: "t", partition: 0, offset: 0n }] });
    skewMs = 6 * hourMs;
    await vi.waitFor(() => expect(b.broker.offsets.groups()).toEqual(["g"]), { timeout: 10_000 });
    expect(b.broker.coordinator.groupIds()).toEqual(["g"]);
    expect((await b.commit.fetchCommitted({ groupId: "g" })).offsets.map((o) => o.offset)).toEqual([1n]);
  });
});
