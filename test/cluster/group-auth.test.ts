/**
 * A group coordinator reads a member's partitions from their leaders as the inter-broker
 * principal (issue 17): with authentication on, a member whose coordinator holds no
 * replica of its partition still receives every record, although no ACL names that
 * principal (it may read and describe every topic, docs/security.md).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Consumer, createClient, Producer } from "../../clients/ts/index.js";
import { hashToken } from "../../services/auth/index.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { Acks } from "../../gen/ts/tributary/v1/produce_pb.js";
import { startCluster, type TestCluster } from "../helpers/cluster.js";

const token = "reader-token";
const acls = (["topic", "group", "cluster"] as const).map((type) => ({
  principal: "reader",
  resource: { type },
  operations: ["read", "write", "create", "describe", "alter"],
}));

describe("a group member under authentication, its coordinator holding no replica", () => {
  let cluster: TestCluster;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tributary-group-auth-"));
    const tokenFile = join(dir, "inter-broker.token");
    await writeFile(tokenFile, "inter-broker-secret\n", { mode: 0o600 });
    cluster = await startCluster({
      brokers: 3,
      config: {
        interBrokerPrincipal: "broker",
        interBrokerTokenFile: tokenFile,
        authTokens: JSON.stringify([{ principal: "reader", sha256: hashToken(token) }]),
        acls: JSON.stringify(acls),
        offsetsTopicReplicationFactor: 3,
      },
    });
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("receives every record, read from the leader as the inter-broker principal", async () => {
    const admin = createClient(AdminService, cluster.bootstrap[0]!, { token });
    try {
      // A one-replica topic, and a group coordinated by another broker.
      const topic = (await admin.createTopic({ name: "solo", partitions: 1, replicationFactor: 1 })).topic!;
      const replica = topic.partitions[0]!.replicas[0]!;
      let groupId = "";
      for (let i = 0; i < 200 && groupId === ""; i++) {
        const candidate = `readers-${i}`;
        const found = await vi.waitFor(() => admin.findCoordinator({ groupId: candidate }, { deadline: 2000 }), { timeout: 30_000, interval: 100 });
        if (found.brokerId !== replica) groupId = candidate;
      }
      expect(groupId).not.toBe("");
      for (const address of cluster.bootstrap) {
        const at = createClient(AdminService, address, { token });
        await vi.waitFor(() => at.describeTopic({ name: "solo" }), { timeout: 10_000, interval: 100 });
        at.close();
      }

      const producer = new Producer({ bootstrap: cluster.bootstrap, token, acks: Acks.ALL });
      const values = Array.from({ length: 50 }, (_, i) => `v${i}`);
      for (const value of values) await producer.send({ topic: "solo", partition: 0, value });
      await producer.close();

      const consumer = new Consumer({ bootstrap: cluster.bootstrap, token, groupId, topics: ["solo"], from: "earliest" });
      const read: Array<{ offset: bigint; value: string }> = [];
      for await (const r of consumer) {
        read.push({ offset: r.offset, value: Buffer.from(r.value).toString("utf8") });
        if (read.length === values.length) break;
      }
      await consumer.close();
      expect(read.map((r) => r.value)).toEqual(values);
      expect(read.map((r) => r.offset)).toEqual(values.map((_, i) => BigInt(i)));
      // The coordinator really read remotely: it holds no replica of the partition.
      const coordinator = await admin.findCoordinator({ groupId });
      expect(coordinator.brokerId).not.toBe(replica);
    } finally {
      admin.close();
    }
  });
});
