import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TopicConfigSchema } from "../../../gen/ts/tributary/v1/admin_pb.js";
import { TopicWrites } from "../../../services/cluster/controller/topic-writes.js";
import type { EtcdClient } from "../../../services/cluster/etcd/etcd-client.js";
import { TributaryError } from "../../../services/errors.js";
import { freshKeys, readPartition, readTopic, registerBroker, silentLogger, startTestEtcd } from "./etcd-fixture.js";

async function rejection(promise: Promise<unknown>): Promise<TributaryError> {
  try {
    await promise;
  } catch (err) {
    return err as TributaryError;
  }
  throw new Error("expected a rejection");
}

describe("TopicWrites against etcd", () => {
  let fixture: Awaited<ReturnType<typeof startTestEtcd>>;
  let client: EtcdClient;
  beforeAll(async () => {
    fixture = await startTestEtcd();
    client = fixture.client;
  });
  afterAll(async () => {
    await fixture?.stop();
  });

  it("creates a topic with a random id and each partition led by its first replica, every replica in sync", async () => {
    const keys = freshKeys();
    const brokers = await Promise.all([1, 2, 3].map((id) => registerBroker(client, keys, id)));
    const writes = new TopicWrites({ client, keys, logger: silentLogger });
    const config = create(TopicConfigSchema, { minInsyncReplicas: 2 });
    const assignment = await writes.createTopic({ name: "orders", partitions: 6, replicationFactor: 3, config });
    const stored = await readTopic(client, keys, "orders");
    expect(stored?.topicId).toBe(assignment.topicId);
    expect(stored?.topicId).toMatch(/^[0-9a-f-]{36}$/);
    expect(stored?.config?.minInsyncReplicas).toBe(2);
    expect(stored?.partitions).toHaveLength(6);
    for (let p = 0; p < 6; p++) {
      const replicas = stored!.partitions[p].replicas;
      const { state } = (await readPartition(client, keys, "orders", p))!;
      expect(state.topicId).toBe(assignment.topicId);
      expect(state.leader).toBe(replicas[0]);
      expect(state.leaderEpoch).toBe(0);
      expect(state.leaderBrokerEpoch).toBe(brokers.find((b) => b.id === replicas[0])!.brokerEpoch);
      expect(state.isr.map((m) => [m.brokerId, m.brokerEpoch])).toEqual(
        replicas.map((id) => [id, brokers.find((b) => b.id === id)!.brokerEpoch]),
      );
    }
    const again = await rejection(writes.createTopic({ name: "orders", partitions: 1, replicationFactor: 1 }));
    expect([again.kind, again.reason]).toEqual(["exists", "TOPIC_EXISTS"]);
  });

  it("refuses more replicas than live brokers and writes nothing", async () => {
    const keys = freshKeys();
    await registerBroker(client, keys, 1);
    await registerBroker(client, keys, 2);
    const writes = new TopicWrites({ client, keys, logger: silentLogger });
    const err = await rejection(writes.createTopic({ name: "t", partitions: 1, replicationFactor: 3 }));
    expect([err.kind, err.reason]).toEqual(["invalid", "INVALID_REPLICATION_FACTOR"]);
    expect((await client.range(keys.root + "topics/", { prefix: true })).kvs).toHaveLength(0);
  });

  it("creates a topic of more partitions than one txn holds, the topic key last; only one of two racing creators wins", async () => {
    const keys = freshKeys();
    await registerBroker(client, keys, 1);
    await registerBroker(client, keys, 2);
    const writes = new TopicWrites({ client, keys, logger: silentLogger });
    const results = await Promise.allSettled([
      writes.createTopic({ name: "wide", partitions: 300, replicationFactor: 2 }),
      writes.createTopic({ name: "wide", partitions: 300, replicationFactor: 2 }),
    ]);
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect((lost.reason as TributaryError).reason).toBe("TOPIC_EXISTS");
    const stored = await readTopic(client, keys, "wide");
    expect(stored?.partitions).toHaveLength(300);
    const states = await client.range(keys.topicPartitions("wide"), { prefix: true });
    expect(states.kvs).toHaveLength(300);
  });

  it("grows a topic with new partitions only and deletes it with its partition and replica states", async () => {
    const keys = freshKeys();
    await Promise.all([1, 2, 3].map((id) => registerBroker(client, keys, id)));
    const writes = new TopicWrites({ client, keys, logger: silentLogger });
    const created = await writes.createTopic({ name: "grow", partitions: 2, replicationFactor: 2 });
    const before = await readPartition(client, keys, "grow", 0);
    const grown = await writes.createPartitions("grow", 5);
    expect(grown.topicId).toBe(created.topicId);
    expect(grown.partitions.slice(0, 2)).toEqual(created.partitions);
    expect((await readTopic(client, keys, "grow"))?.partitions).toHaveLength(5);
    expect((await readPartition(client, keys, "grow", 0))?.modRevision).toBe(before?.modRevision);
    for (let p = 2; p < 5; p++) {
      const { state } = (await readPartition(client, keys, "grow", p))!;
      expect(state.isr).toHaveLength(2);
      expect(state.leader).toBe(grown.partitions[p].replicas[0]);
    }
    const notLarger = await rejection(writes.createPartitions("grow", 5));
    expect(notLarger.reason).toBe("INVALID_PARTITIONS");

    await client.put(keys.replicaState("grow", 0, 1), "{}");
    await client.put(keys.partition("grown-other", 0), "{}"); // a name sharing the prefix stays
    await writes.deleteTopic("grow");
    expect(await readTopic(client, keys, "grow")).toBeUndefined();
    expect((await client.range(keys.topicPartitions("grow"), { prefix: true })).kvs).toHaveLength(0);
    expect((await client.range(keys.topicReplicaStates("grow"), { prefix: true })).kvs).toHaveLength(0);
    expect(await client.get(keys.partition("grown-other", 0))).toBeDefined();
    expect((await rejection(writes.deleteTopic("grow"))).reason).toBe("UNKNOWN_TOPIC");
    expect((await rejection(writes.createPartitions("grow", 9))).reason).toBe("UNKNOWN_TOPIC");
  });
});
