import { afterEach, describe, expect, it } from "vitest";
import { startTestBroker, type TestBroker } from "../helpers/test-broker.js";

describe("__consumer_offsets", () => {
  let t: TestBroker;
  afterEach(async () => {
    await t.close();
  });

  it("is compacted to the newest commit per partition, and the newest survive a restart", async () => {
    t = await startTestBroker({ segmentBytes: 4096, offsetsTopicPartitions: 1 });
    await t.admin.createTopic({ name: "orders", partitions: 3 });
    for (let round = 1; round <= 200; round++) {
      await t.commit.commit({
        groupId: "busy",
        offsets: [0, 1, 2].map((partition) => ({ topic: "orders", partition, offset: BigInt(round * 10 + partition) })),
      });
    }
    const describe = async () => (await t.admin.describeTopic({ name: "__consumer_offsets" })).topic!.partitions[0];
    const before = await describe();
    const removed = await t.broker.topics.applyRetention();
    const after = await describe();
    expect(removed).toBeGreaterThanOrEqual(0);
    expect(after.sizeBytes).toBeLessThan(before.sizeBytes / 4n);
    expect(after.logEndOffset).toBe(before.logEndOffset);

    await t.restart();
    const committed = await t.commit.fetchCommitted({ groupId: "busy" });
    expect(committed.offsets.map((o) => [o.partition, o.offset])).toEqual([
      [0, 2000n],
      [1, 2001n],
      [2, 2002n],
    ]);
  });
});
