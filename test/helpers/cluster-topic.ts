import { vi } from "vitest";
import { createClient } from "../../clients/ts/grpc-client.js";
import { AdminService, type TopicDescription } from "../../gen/ts/tributary/v1/admin_pb.js";
import type { TestCluster } from "./cluster.js";

/**
 * Creates a topic with RF 3 and `minInsyncReplicas` through the first broker, and waits
 * until every broker in `cluster.brokers` that is running knows it: CreateTopic answers
 * once the broker it went to applied the change; the others follow through etcd, and a
 * test that talks to them directly must not race them.
 */
export async function createClusterTopic(
  cluster: TestCluster,
  name: string,
  partitions: number,
  minInsyncReplicas = 2,
): Promise<TopicDescription> {
  const created = (
    await createClient(AdminService, cluster.bootstrap[0]).createTopic({ name, partitions, replicationFactor: 3, config: { minInsyncReplicas } })
  ).topic!;
  for (const broker of cluster.brokers) {
    if (broker.process.exited) continue;
    await vi.waitFor(
      async () => {
        const t = (await createClient(AdminService, broker.address).describeTopic({ name }, { deadline: 1000 })).topic!;
        if (t.topicId !== created.topicId) throw new Error(`broker ${broker.id} has not applied topic ${name} yet`);
      },
      { timeout: 10_000, interval: 50 },
    );
  }
  return created;
}
