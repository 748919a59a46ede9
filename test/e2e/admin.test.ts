import { status } from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readdir } from "node:fs/promises";
import { errorReason } from "../../clients/ts/index.js";
import { CleanupPolicy, FsyncPolicy } from "../../gen/ts/tributary/v1/admin_pb.js";
import { bytes, startTestBroker, text, type TestBroker } from "../helpers/test-broker.js";

describe("AdminService", () => {
  let t: TestBroker;
  beforeEach(async () => {
    t = await startTestBroker({ segmentBytes: 4096 });
  });
  afterEach(async () => {
    await t.close();
  });

  it("creates, lists, describes and deletes topics, removing their files", async () => {
    const created = await t.admin.createTopic({ name: "alpha", partitions: 3, config: { retentionMs: 60_000n } });
    expect(created.topic?.partitions).toHaveLength(3);
    expect(created.topic?.config?.retentionMs).toBe(60_000n);
    expect(created.topic?.config?.fsyncPolicy).toBe(FsyncPolicy.INTERVAL);
    await t.admin.createTopic({ name: "beta", partitions: 1 });
    expect((await t.admin.listTopics({})).topics.map((x) => [x.name, x.partitions])).toEqual([
      ["alpha", 3],
      ["beta", 1],
    ]);
    await t.produce.produce({ topic: "alpha", partition: 2, records: [{ value: bytes("x") }, { value: bytes("y") }] });
    const described = await t.admin.describeTopic({ name: "alpha" });
    expect(described.topic?.partitions[2]).toMatchObject({ logStartOffset: 0n, logEndOffset: 2n, highWatermark: 2n, segmentCount: 1 });
    expect(described.topic?.partitions[2].sizeBytes).toBeGreaterThan(0n);

    expect((await readdir(t.dataDir)).filter((d) => d.startsWith("alpha-")).sort()).toEqual(["alpha-0", "alpha-1", "alpha-2"]);
    await t.admin.deleteTopic({ name: "alpha" });
    expect((await readdir(t.dataDir)).filter((d) => d.startsWith("alpha-"))).toEqual([]);
    expect((await t.admin.listTopics({})).topics.map((x) => x.name)).toEqual(["beta"]);
    const err = await t.admin.describeTopic({ name: "alpha" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: status.NOT_FOUND });
    expect(errorReason(err)).toBe("UNKNOWN_TOPIC");
  });

  it("refuses a second topic with the same name", async () => {
    await t.admin.createTopic({ name: "dup", partitions: 1 });
    const err = await t.admin.createTopic({ name: "dup", partitions: 2 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: status.ALREADY_EXISTS });
    expect(errorReason(err)).toBe("TOPIC_EXISTS");
  });

  it("keeps one replica on a single broker: replication_factor 1 is accepted, any other is refused", async () => {
    const one = await t.admin.createTopic({ name: "rf-one", partitions: 1, replicationFactor: 1 });
    expect(one.topic).toMatchObject({ replicationFactor: 1, topicId: "" });
    expect(one.topic!.partitions[0]).toMatchObject({ leader: 0, replicas: [0], isr: [0], leaderEpoch: 0 });
    const err = await t.admin.createTopic({ name: "rf-three", partitions: 1, replicationFactor: 3 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(errorReason(err)).toBe("INVALID_REPLICATION_FACTOR");
    expect((await t.admin.listTopics({})).topics.map((x) => x.name)).not.toContain("rf-three");
  });

  it("raises the partition count and keeps it across a restart", async () => {
    await t.admin.createTopic({ name: "grow", partitions: 2 });
    const grown = await t.admin.createPartitions({ name: "grow", totalCount: 5 });
    expect(grown.topic?.partitions).toHaveLength(5);
    await t.produce.produce({ topic: "grow", partition: 4, records: [{ value: bytes("p4") }] });
    await t.restart();
    const described = await t.admin.describeTopic({ name: "grow" });
    expect(described.topic?.partitions).toHaveLength(5);
    expect(described.topic?.partitions[4].logEndOffset).toBe(1n);
    const err = await t.admin.createPartitions({ name: "grow", totalCount: 3 }).catch((e: unknown) => e);
    expect(errorReason(err)).toBe("INVALID_PARTITIONS");
  });

  it("updates only the config fields given and keeps them across a restart", async () => {
    await t.admin.createTopic({ name: "conf", partitions: 1, config: { retentionMs: 1000n } });
    const updated = await t.admin.updateTopicConfig({ name: "conf", config: { fsyncPolicy: FsyncPolicy.ALWAYS } });
    expect(updated.topic?.config).toMatchObject({ retentionMs: 1000n, fsyncPolicy: FsyncPolicy.ALWAYS });
    await t.restart();
    const described = await t.admin.describeTopic({ name: "conf" });
    expect(described.topic?.config).toMatchObject({ retentionMs: 1000n, fsyncPolicy: FsyncPolicy.ALWAYS });
  });

  it("finds offsets by timestamp, earliest and latest", async () => {
    await t.admin.createTopic({ name: "times", partitions: 1 });
    await t.produce.produce({
      topic: "times",
      records: [100n, 200n, 300n].map((ts) => ({ timestampMs: ts, value: bytes(String(ts)) })),
    });
    const at = (spec: Parameters<TestBroker["admin"]["listOffsets"]>[0]["spec"]) =>
      t.admin.listOffsets({ topic: "times", partition: 0, spec });
    expect(await at({ case: "timestampMs", value: 150n })).toMatchObject({ offset: 1n, timestampMs: 200n });
    expect(await at({ case: "timestampMs", value: 300n })).toMatchObject({ offset: 2n, timestampMs: 300n });
    expect((await at({ case: "timestampMs", value: 301n })).offset).toBe(3n);
    expect((await at({ case: "earliest", value: true })).offset).toBe(0n);
    expect((await at({ case: "latest", value: true })).offset).toBe(3n);
    expect((await at({ case: undefined })).offset).toBe(3n);
  });

  it("deletes records below an offset, and the log start offset survives a restart", async () => {
    await t.admin.createTopic({ name: "trim", partitions: 1 });
    const value = new Uint8Array(500);
    for (let i = 0; i < 20; i++) await t.produce.produce({ topic: "trim", records: [{ value }, { value }] });
    const before = await t.admin.describeTopic({ name: "trim" });
    expect(before.topic?.partitions[0].segmentCount).toBeGreaterThan(2);
    const answer = await t.admin.deleteRecords({ topic: "trim", partition: 0, beforeOffset: 25n });
    expect(answer.logStartOffset).toBe(25n);
    const err = await t.fetch.fetch({ topic: "trim", partition: 0, offset: 10n }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: status.OUT_OF_RANGE });
    await t.restart();
    const after = await t.admin.describeTopic({ name: "trim" });
    expect(after.topic?.partitions[0].logStartOffset).toBe(25n);
    expect(after.topic?.partitions[0].segmentCount).toBeLessThan(before.topic!.partitions[0].segmentCount);
    const fetched = await t.fetch.fetch({ topic: "trim", partition: 0, offset: 25n });
    expect(fetched.records[0].offset).toBe(25n);
    const tooFar = await t.admin.deleteRecords({ topic: "trim", partition: 0, beforeOffset: 41n }).catch((e: unknown) => e);
    expect(tooFar).toMatchObject({ code: status.OUT_OF_RANGE });
  });

  it("describes the cluster as this one broker", async () => {
    const cluster = await t.admin.describeCluster({});
    expect(cluster.brokers).toHaveLength(1);
    expect(cluster.brokers[0]).toMatchObject({ id: 0, host: "127.0.0.1", port: t.broker.port });
    expect(cluster.clusterId).toMatch(/^[0-9a-f-]{36}$/);
    await t.restart();
    expect((await t.admin.describeCluster({})).clusterId).toBe(cluster.clusterId);
  });

  it("creates compacted topics and refuses bad config values", async () => {
    const compact = await t.admin.createTopic({ name: "c", partitions: 1, config: { cleanupPolicy: CleanupPolicy.COMPACT } });
    expect(compact.topic?.config?.cleanupPolicy).toBe(CleanupPolicy.COMPACT);
    await t.admin.deleteTopic({ name: "c" });
    for (const config of [{ segmentBytes: 10n }, { retentionMs: -5n }, { maxRecordBytes: 0 }, { flushIntervalMs: 0n }]) {
      const err = await t.admin.createTopic({ name: "c", partitions: 1, config }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: status.INVALID_ARGUMENT });
      expect(errorReason(err)).toBe("INVALID_CONFIG");
    }
    expect((await t.admin.listTopics({})).topics).toEqual([]);
    const withInternal = await t.admin.listTopics({ includeInternal: true });
    expect(withInternal.topics.map((x) => [x.name, x.internal])).toEqual([["__consumer_offsets", true]]);
  });

  it("reads back what a topic holds after its records were produced with a custom config", async () => {
    await t.admin.createTopic({ name: "small", partitions: 1, config: { maxRecordBytes: 100 } });
    const err = await t.produce
      .produce({ topic: "small", records: [{ value: new Uint8Array(200) }] })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    expect(errorReason(err)).toBe("RECORD_TOO_LARGE");
    await t.produce.produce({ topic: "small", records: [{ value: bytes("fits") }] });
    const fetched = await t.fetch.fetch({ topic: "small", partition: 0, offset: 0n });
    expect(fetched.records.map((r) => text(r.value))).toEqual(["fits"]);
  });
});
