import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorReason } from "../../clients/ts/index.js";
import { bytes, startTestBroker, type TestBroker } from "../helpers/test-broker.js";

const internal = "__consumer_offsets";

/**
 * Issue 14 finding 9: DeleteRecords on __consumer_offsets was accepted and wiped every
 * group's commits at the next restart. Every client mutation of an internal topic is
 * refused by one check (TopicManager.mutable), whatever the method.
 */
describe("internal topics", () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker({ offsetsTopicPartitions: 1 });
    await t.admin.createTopic({ name: "data", partitions: 1 });
    await t.commit.commit({ groupId: "g", offsets: [{ topic: "data", partition: 0, offset: 0n }] });
  });
  afterAll(async () => {
    await t.close();
  });

  const mutations: Array<[string, () => Promise<unknown>]> = [
    ["Produce", () => t.produce.produce({ topic: internal, records: [{ value: bytes("x") }] })],
    ["Produce to a partition", () => t.produce.produce({ topic: internal, partition: 0, records: [{ value: bytes("x") }] })],
    ["DeleteRecords", () => t.admin.deleteRecords({ topic: internal, partition: 0, beforeOffset: -1n })],
    ["DeleteRecords at 0", () => t.admin.deleteRecords({ topic: internal, partition: 0, beforeOffset: 0n })],
    ["DeleteTopic", () => t.admin.deleteTopic({ name: internal })],
    ["CreatePartitions", () => t.admin.createPartitions({ name: internal, totalCount: 2 })],
    ["UpdateTopicConfig", () => t.admin.updateTopicConfig({ name: internal, config: { retentionMs: 1n } })],
    ["CreateTopic of a reserved name", () => t.admin.createTopic({ name: "__mine", partitions: 1 })],
    ["CreateTopic of the offsets topic", () => t.admin.createTopic({ name: internal, partitions: 1 })],
    ["DeleteTopic of an absent reserved name", () => t.admin.deleteTopic({ name: "__absent" })],
    ["DeleteRecords of an absent reserved name", () => t.admin.deleteRecords({ topic: "__absent", partition: 0, beforeOffset: 0n })],
  ];

  it.each(mutations)("%s is refused with INVALID_ARGUMENT INTERNAL_TOPIC", async (_name, call) => {
    const err = await call().then(
      () => new Error("expected the call to fail"),
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(errorReason(err)).toBe("INTERNAL_TOPIC");
  });

  it("keeps every group's commits across a restart after the refusals", async () => {
    const before = (await t.admin.describeTopic({ name: internal })).topic!.partitions[0];
    expect(before.logStartOffset).toBe(0n);
    await t.restart();
    const after = (await t.admin.describeTopic({ name: internal })).topic!.partitions[0];
    expect(after.logStartOffset).toBe(0n);
    const committed = await t.commit.fetchCommitted({ groupId: "g" });
    expect(committed.offsets.map((o) => [o.topic, o.partition, o.offset])).toEqual([["data", 0, 0n]]);
    // Reading the internal topic stays allowed.
    const read = await t.fetch.fetch({ topic: internal, partition: 0, offset: 0n });
    expect(read.records.length).toBeGreaterThan(0);
  });
});
