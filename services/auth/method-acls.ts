import type { Operation, ResourceType } from "./config.js";

/** One permission a call needs: `operation` on each named resource of `type`. */
export interface AclRequirement {
  readonly type: ResourceType;
  readonly operation: Operation;
  /** The resource names, read from the decoded request: the very object the handler gets
   * (bindService decodes once; for Produce it is the parser's ProduceRequestView). */
  readonly names: (request: never) => readonly string[];
}

/**
 * The call must come from the inter-broker principal (config `interBrokerPrincipal`).
 * No ACL grants this: the internal service (tributary.cluster.v1) moves records
 * between brokers outside every topic's ACLs, so an admin with every permission
 * still may not call it (Kafka's ClusterAction is likewise for brokers only).
 */
export interface InterBrokerRequirement {
  readonly interBroker: true;
}

/** What a call needs: ACL permissions, or being the inter-broker principal. */
export type Requirement = AclRequirement | InterBrokerRequirement;

/** Whether the requirement is the inter-broker one. */
export function isInterBroker(requirement: Requirement): requirement is InterBrokerRequirement {
  return "interBroker" in requirement;
}

const interBrokerOnly: readonly Requirement[] = [{ interBroker: true }];

/** The name of the single cluster resource. */
export const clusterName = "cluster";
const cluster = (): readonly string[] => [clusterName];
const one = (name: string): readonly string[] => [name];

/**
 * THE table of what every RPC needs, by full method path. bindService refuses
 * to start a broker with authentication on if a method has no entry, and
 * test/auth/method-acls.test.ts walks every generated service against it.
 */
export const methodAcls: Readonly<Record<string, readonly Requirement[]>> = {
  "tributary.v1.ProduceService/Produce": [
    { type: "topic", operation: "write", names: (r: { topic: string }) => one(r.topic) },
  ],
  // Each request of the stream, as it arrives: a request refused is answered with its error.
  "tributary.v1.ProduceService/ProduceStream": [
    { type: "topic", operation: "write", names: (r: { topic: string }) => one(r.topic) },
  ],
  "tributary.v1.FetchService/Fetch": [{ type: "topic", operation: "read", names: (r: { topic: string }) => one(r.topic) }],
  "tributary.v1.FetchService/Subscribe": [
    // A group subscription needs read on the group and on each topic.
    { type: "group", operation: "read", names: (r: { groupId: string }) => (r.groupId ? [r.groupId] : []) },
    {
      type: "topic",
      operation: "read",
      names: (r: { groupId: string; topic: string; topics: string[] }) => (r.groupId ? r.topics : [r.topic]),
    },
  ],
  "tributary.v1.CommitService/Commit": [
    { type: "group", operation: "read", names: (r: { groupId: string }) => one(r.groupId) },
    {
      type: "topic",
      operation: "read",
      names: (r: { offsets: { topic: string }[] }) => [...new Set(r.offsets.map((o) => o.topic))],
    },
  ],
  "tributary.v1.CommitService/FetchCommitted": [
    { type: "group", operation: "describe", names: (r: { groupId: string }) => one(r.groupId) },
    { type: "topic", operation: "describe", names: (r: { topic: string }) => (r.topic ? [r.topic] : []) },
  ],
  "tributary.v1.AdminService/CreateTopic": [{ type: "topic", operation: "create", names: (r: { name: string }) => one(r.name) }],
  "tributary.v1.AdminService/DeleteTopic": [{ type: "topic", operation: "delete", names: (r: { name: string }) => one(r.name) }],
  // Listings need only a principal; the answer holds what it may see (Authorizer.visible,
  // applied by the handler through its HandlerContext.visible, services/rpc/context.ts).
  "tributary.v1.AdminService/ListTopics": [],
  "tributary.v1.AdminService/DescribeTopic": [
    { type: "topic", operation: "describe", names: (r: { name: string }) => one(r.name) },
  ],
  "tributary.v1.AdminService/CreatePartitions": [
    { type: "topic", operation: "alter", names: (r: { name: string }) => one(r.name) },
  ],
  "tributary.v1.AdminService/UpdateTopicConfig": [
    { type: "topic", operation: "alter", names: (r: { name: string }) => one(r.name) },
  ],
  "tributary.v1.AdminService/ListOffsets": [
    { type: "topic", operation: "describe", names: (r: { topic: string }) => one(r.topic) },
  ],
  "tributary.v1.AdminService/DeleteRecords": [
    { type: "topic", operation: "delete", names: (r: { topic: string }) => one(r.topic) },
  ],
  "tributary.v1.AdminService/DescribeCluster": [{ type: "cluster", operation: "describe", names: cluster }],
  "tributary.v1.AdminService/ListGroups": [],
  "tributary.v1.AdminService/DescribeGroup": [
    { type: "group", operation: "describe", names: (r: { groupId: string }) => one(r.groupId) },
  ],
  "tributary.v1.AdminService/ResetGroupOffsets": [
    { type: "group", operation: "alter", names: (r: { groupId: string }) => one(r.groupId) },
    { type: "topic", operation: "describe", names: (r: { topic: string }) => one(r.topic) },
  ],
  "tributary.v1.AdminService/DeleteGroup": [
    { type: "group", operation: "delete", names: (r: { groupId: string }) => one(r.groupId) },
  ],
  "tributary.v1.AdminService/FindCoordinator": [
    { type: "group", operation: "describe", names: (r: { groupId: string }) => one(r.groupId) },
  ],
  // Reading the security settings needs describe on the cluster, changing them alter.
  "tributary.v1.AdminService/ListAcls": [{ type: "cluster", operation: "describe", names: cluster }],
  "tributary.v1.AdminService/CreateAcls": [{ type: "cluster", operation: "alter", names: cluster }],
  "tributary.v1.AdminService/DeleteAcls": [{ type: "cluster", operation: "alter", names: cluster }],
  "tributary.v1.AdminService/ListTokens": [{ type: "cluster", operation: "describe", names: cluster }],
  "tributary.v1.AdminService/CreateToken": [{ type: "cluster", operation: "alter", names: cluster }],
  "tributary.v1.AdminService/DeleteToken": [{ type: "cluster", operation: "alter", names: cluster }],
  "tributary.v1.AdminService/ListQuotas": [{ type: "cluster", operation: "describe", names: cluster }],
  "tributary.v1.AdminService/SetQuota": [{ type: "cluster", operation: "alter", names: cluster }],
  "tributary.v1.AdminService/DeleteQuota": [{ type: "cluster", operation: "alter", names: cluster }],
  // The internal service, between brokers only (CLUSTER.md section 4).
  "tributary.cluster.v1.ReplicaService/Replicate": interBrokerOnly,
};
