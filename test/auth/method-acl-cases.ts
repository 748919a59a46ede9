/**
 * The cases of the ACL table test (test/auth/method-acls.test.ts on one broker,
 * test/cluster/method-acls-cluster.test.ts on three): per method, a request and every
 * permission it needs, written out here independently of services/auth/method-acls.ts;
 * and the principals, tokens and allow rules that give each case exactly its needs, or
 * all but one of them.
 */
import type { GenService } from "@bufbuild/protobuf/codegenv2";
import type { AclRule, Operation, ResourceType } from "../../services/auth/index.js";
import { hashToken } from "../../services/auth/tokens.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { CommitService } from "../../gen/ts/tributary/v1/commit_pb.js";
import { FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { ProduceService, type ProduceStreamResponse } from "../../gen/ts/tributary/v1/produce_pb.js";
import { produceStreamError } from "../../clients/ts/produce-pipeline.js";
import type { BidiStream } from "../../clients/ts/grpc-client.js";
import { ReplicaService } from "../../gen/ts/tributary/cluster/v1/replica_pb.js";
import { bytes } from "../helpers/test-broker.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const clientServices: GenService<any>[] = [ProduceService, FetchService, CommitService, AdminService];
/** The internal service: served in cluster mode only, to the inter-broker principal only. */
export const internalServices = [ReplicaService];

/**
 * One call of any client method for the ACL tests: resolves with its error, or undefined
 * when it was admitted (a unary answer, a stream's first message, a pipelined request's
 * answer without an error). A pipelined request's error is its answer's, as the unary
 * call's would be.
 */
export async function callOnce(client: Record<string, (...args: unknown[]) => unknown>, localName: string, kind: string, request: unknown): Promise<unknown> {
  if (kind === "unary") {
    return (client[localName]!(request, { deadline: 5000 }) as Promise<unknown>).then(() => undefined, (err: unknown) => err);
  }
  if (kind === "bidi_streaming") {
    const stream = client[localName]!({ deadline: 5000 }) as BidiStream<unknown, ProduceStreamResponse>;
    try {
      return await new Promise((resolve) => {
        stream.onMessage((answer) => resolve(answer.result.case === "error" ? produceStreamError(answer.result.value) : undefined));
        stream.onStatus((error) => resolve(error ?? new Error("the stream ended without an answer")));
        stream.write(request);
      });
    } finally {
      stream.cancel();
    }
  }
  const stream = client[localName]!(request, { deadline: 1000 }) as AsyncIterable<unknown> & { cancel(): void };
  try {
    for await (const _ of stream) break; // one message: the call was admitted
    return undefined;
  } catch (err) {
    return err;
  } finally {
    stream.cancel();
  }
}

export type Grant = readonly [ResourceType, string, Operation];
export interface Case {
  readonly request: Record<string, unknown>;
  /** Every permission the call needs, written out here independently of the table; or
   * "inter-broker": the inter-broker principal only, whatever ACLs another one has. */
  readonly needs: readonly Grant[] | "inter-broker";
}

/** One or more cases per method, by full path. */
export const cases: Record<string, readonly Case[]> = {
  "tributary.v1.ProduceService/Produce": [
    { request: { topic: "t1", records: [{ value: bytes("v") }] }, needs: [["topic", "t1", "write"]] },
  ],
  // Each request on the stream is authorized as a Produce; a refusal is that request's answer.
  "tributary.v1.ProduceService/ProduceStream": [
    { request: { topic: "t1", records: [{ value: bytes("v") }] }, needs: [["topic", "t1", "write"]] },
  ],
  "tributary.v1.FetchService/Fetch": [
    { request: { topic: "t1", partition: 0, offset: 0n, maxWaitMs: 0 }, needs: [["topic", "t1", "read"]] },
  ],
  "tributary.v1.FetchService/Subscribe": [
    { request: { topic: "t1", startPosition: { case: "earliest", value: true } }, needs: [["topic", "t1", "read"]] },
    {
      request: { groupId: "g1", topics: ["t1", "t2"], startPosition: { case: "earliest", value: true } },
      needs: [["group", "g1", "read"], ["topic", "t1", "read"], ["topic", "t2", "read"]],
    },
  ],
  "tributary.v1.CommitService/Commit": [
    {
      request: { groupId: "g1", offsets: [{ topic: "t1", partition: 0, offset: 0n }] },
      needs: [["group", "g1", "read"], ["topic", "t1", "read"]],
    },
  ],
  "tributary.v1.CommitService/FetchCommitted": [
    { request: { groupId: "g1", topic: "t1" }, needs: [["group", "g1", "describe"], ["topic", "t1", "describe"]] },
  ],
  "tributary.v1.AdminService/CreateTopic": [{ request: { name: "new", partitions: 1 }, needs: [["topic", "new", "create"]] }],
  "tributary.v1.AdminService/DeleteTopic": [{ request: { name: "gone" }, needs: [["topic", "gone", "delete"]] }],
  // Listings need only a principal; what they show is filtered (test/auth/list-filter.test.ts).
  "tributary.v1.AdminService/ListTopics": [{ request: {}, needs: [] }],
  "tributary.v1.AdminService/DescribeTopic": [{ request: { name: "t1" }, needs: [["topic", "t1", "describe"]] }],
  "tributary.v1.AdminService/CreatePartitions": [{ request: { name: "t1", totalCount: 2 }, needs: [["topic", "t1", "alter"]] }],
  "tributary.v1.AdminService/UpdateTopicConfig": [{ request: { name: "t1" }, needs: [["topic", "t1", "alter"]] }],
  "tributary.v1.AdminService/ListOffsets": [{ request: { topic: "t1", partition: 0 }, needs: [["topic", "t1", "describe"]] }],
  "tributary.v1.AdminService/DeleteRecords": [
    { request: { topic: "t1", partition: 0, beforeOffset: 0n }, needs: [["topic", "t1", "delete"]] },
  ],
  "tributary.v1.AdminService/DescribeCluster": [{ request: {}, needs: [["cluster", "cluster", "describe"]] }],
  "tributary.v1.AdminService/ListGroups": [{ request: {}, needs: [] }],
  "tributary.v1.AdminService/DescribeGroup": [{ request: { groupId: "g1" }, needs: [["group", "g1", "describe"]] }],
  "tributary.v1.AdminService/ResetGroupOffsets": [
    { request: { groupId: "g1", topic: "t1" }, needs: [["group", "g1", "alter"], ["topic", "t1", "describe"]] },
  ],
  "tributary.v1.AdminService/DeleteGroup": [{ request: { groupId: "gone" }, needs: [["group", "gone", "delete"]] }],
  "tributary.v1.AdminService/FindCoordinator": [{ request: { groupId: "g1" }, needs: [["group", "g1", "describe"]] }],
  "tributary.v1.AdminService/ListAcls": [{ request: {}, needs: [["cluster", "cluster", "describe"]] }],
  "tributary.v1.AdminService/CreateAcls": [{ request: {}, needs: [["cluster", "cluster", "alter"]] }],
  "tributary.v1.AdminService/DeleteAcls": [{ request: {}, needs: [["cluster", "cluster", "alter"]] }],
  "tributary.v1.AdminService/ListTokens": [{ request: {}, needs: [["cluster", "cluster", "describe"]] }],
  "tributary.v1.AdminService/CreateToken": [{ request: { principal: "p" }, needs: [["cluster", "cluster", "alter"]] }],
  "tributary.v1.AdminService/DeleteToken": [{ request: { principal: "p" }, needs: [["cluster", "cluster", "alter"]] }],
  "tributary.v1.AdminService/ListQuotas": [{ request: {}, needs: [["cluster", "cluster", "describe"]] }],
  "tributary.v1.AdminService/SetQuota": [{ request: {}, needs: [["cluster", "cluster", "alter"]] }],
  "tributary.v1.AdminService/DeleteQuota": [{ request: { principal: "p" }, needs: [["cluster", "cluster", "alter"]] }],
  "tributary.cluster.v1.ReplicaService/Replicate": [
    { request: { brokerId: 99, brokerEpoch: 1n, maxWaitMs: 0, maxBytes: 1024, partitions: [] }, needs: "inter-broker" },
  ],
};

export const allMethods = [...clientServices, ...internalServices].flatMap((service) =>
  service.methods.map((method) => ({ service, method, path: `${service.typeName}/${method.name}` })),
);

/** Principals: `<path>#<case>` with exactly the needs, `<path>#<case>-<i>` without need i. */
export const tokens = new Map<string, string>();
/** Holds every permission there is: still no inter-broker principal. */
export const superuser = "superuser";
export const acls: AclRule[] = [
  { principal: "setup", resource: { type: "topic", prefix: "" }, operations: ["create", "write"] },
  ...(["topic", "group", "cluster"] as const).map((type) => ({
    principal: superuser,
    resource: { type },
    operations: ["read", "write", "create", "delete", "describe", "alter"] as Operation[],
  })),
];
const grant = (principal: string, [type, name, operation]: Grant): AclRule => ({
  principal,
  resource: type === "cluster" ? { type } : { type, name },
  operations: [operation],
});
for (const [path, list] of Object.entries(cases)) {
  list.forEach((c, k) => {
    const needs = c.needs;
    if (needs === "inter-broker") return;
    const exact = `${path}#${k}`;
    tokens.set(exact, `token-${exact}`);
    acls.push(...needs.map((need) => grant(exact, need)));
    needs.forEach((_, i) => {
      const missing = `${exact}-${i}`;
      tokens.set(missing, `token-${missing}`);
      acls.push(...needs.filter((__, j) => j !== i).map((need) => grant(missing, need)));
    });
  });
}
tokens.set("setup", "token-setup");
tokens.set(superuser, "token-superuser");
export const authTokens = [...tokens].map(([principal, token]) => ({ principal, sha256: hashToken(token) }));

