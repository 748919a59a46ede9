import type { Operation, ResourceType } from "./config.js";

/** One permission a call needs: `operation` on each named resource of `type`. */
export interface Requirement {
  readonly type: ResourceType;
  readonly operation: Operation;
  /** The resource names, read from the decoded request (a Buffer for raw-request methods). */
  readonly names: (request: never) => readonly string[];
}

/** The name of the single cluster resource. */
export const clusterName = "cluster";
const cluster = (): readonly string[] => [clusterName];
const one = (name: string): readonly string[] => [name];

/**
 * THE table of what every RPC needs, by full method path. bindService refuses
 * to start a broker with authentication on if a method has no entry, and
 * test/security/method-acls.test.ts walks every generated service against it.
 */
export const methodAcls: Readonly<Record<string, readonly Requirement[]>> = {
  "tributary.v1.ProduceService/Produce": [
    { type: "topic", operation: "write", names: (request: Buffer) => one(produceTopic(request)) },
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
  // applied by the handler through visibleTo(call)).
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
};

/**
 * The topic (field 1) of a raw ProduceRequest, read without decoding the
 * records. "" when absent or malformed (the handler then rejects the request;
 * no ACL grants the empty name except an all-topics rule).
 */
export function produceTopic(buf: Buffer): string {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      // Up to 10 bytes: int64 fields (producer_id, sequence) take 9 or 10. Values past 2^53
      // lose precision, which is harmless: they are only skipped.
      if (pos >= buf.length || shift > 63) throw new RangeError("truncated varint");
      const byte = buf[pos++]!;
      result += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return result;
      shift += 7;
    }
  };
  let topic = "";
  try {
    while (pos < buf.length) {
      const tag = varint();
      const field = Math.floor(tag / 8);
      const wire = tag & 7;
      if (wire === 0) varint();
      else if (wire === 1) pos += 8;
      else if (wire === 5) pos += 4;
      else if (wire === 2) {
        const length = varint();
        if (pos + length > buf.length) return "";
        if (field === 1) topic = buf.toString("utf8", pos, pos + length);
        pos += length;
      } else return "";
    }
  } catch {
    return "";
  }
  return topic;
}
