import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getEventListeners } from "node:events";
import { Admin, createClient, Producer } from "../../clients/ts/index.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { startTestBroker, type TestBroker } from "../helpers/test-broker.js";

describe("Admin", () => {
  let t: TestBroker;
  let admin: Admin;
  beforeEach(async () => {
    t = await startTestBroker();
    admin = new Admin({ broker: t.broker.address });
  });
  afterEach(async () => {
    admin.close();
    await t.close();
  });

  it("wraps topic, offset, group and cluster RPCs", async () => {
    await admin.createTopic("a", 2, { retentionMs: 1000n });
    expect((await admin.listTopics()).map((x) => x.name)).toEqual(["a"]);
    expect((await admin.listTopics(true)).map((x) => x.name)).toEqual(["__consumer_offsets", "a"]);
    expect((await admin.describeTopic("a")).config?.retentionMs).toBe(1000n);
    await admin.createPartitions("a", 3);
    expect((await admin.describeTopic("a")).partitions).toHaveLength(3);
    const producer = new Producer({ broker: t.broker.address });
    await Promise.all([100, 200, 300].map((ts) => producer.send({ topic: "a", partition: 0, value: "x", timestampMs: ts })));
    await producer.close();
    expect((await admin.listOffsets("a", 0, 150)).offset).toBe(1n);
    expect((await admin.listOffsets("a", 0, "latest")).offset).toBe(3n);
    expect((await admin.deleteRecords("a", 0, 1n)).logStartOffset).toBe(1n);
    expect((await admin.listOffsets("a", 0, "earliest")).offset).toBe(1n);
    await admin.resetGroupOffsets("g", "a", { offset: 2n }, [0]);
    expect((await admin.describeGroup("g")).offsets.find((o) => o.partition === 0)?.committedOffset).toBe(2n);
    expect((await admin.listGroups()).map((g) => g.groupId)).toEqual(["g"]);
    await admin.deleteGroup("g");
    expect(await admin.listGroups()).toEqual([]);
    expect((await admin.describeCluster()).brokers[0].port).toBe(t.broker.port);
    await admin.deleteTopic("a");
    expect(await admin.listTopics()).toEqual([]);
  });

  it("leaves no listener on a long-lived abort signal once its calls are done", async () => {
    const client = createClient(AdminService, t.broker.address);
    const signal = new AbortController().signal;
    for (let i = 0; i < 20; i++) await client.describeCluster({}, { signal });
    await expect(client.describeTopic({ name: "missing" }, { signal })).rejects.toMatchObject({ code: 5 });
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
    client.close();
  });
});
