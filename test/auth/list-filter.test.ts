/**
 * ListTopics and ListGroups with authentication on: a principal sees only the
 * topics and groups it holds some permission on (describe on the cluster sees
 * all), like Kafka's Metadata and ListGroups.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type ServiceClient } from "../../clients/ts/index.js";
import { Authorizer, type AclRule } from "../../services/auth/index.js";
import { hashToken } from "../../services/auth/tokens.js";
import { startBroker, type Broker } from "../../services/server.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { silentLogger, tempDir } from "../helpers/test-broker.js";

const principals = ["setup", "alpha", "beta", "ops", "nobody"] as const;
const token = (principal: string) => `token-of-${principal}`;
const authTokens = principals.map((principal) => ({ principal, sha256: hashToken(token(principal)) }));
const acls: AclRule[] = [
  { principal: "setup", resource: { type: "topic" }, operations: ["create", "describe"] },
  { principal: "setup", resource: { type: "group" }, operations: ["alter"] },
  { principal: "alpha", resource: { type: "topic", prefix: "alpha." }, operations: ["describe"] },
  { principal: "alpha", resource: { type: "group", prefix: "alpha-" }, operations: ["read"] },
  { principal: "beta", resource: { type: "topic", prefix: "beta." }, operations: ["read", "write"] },
  { principal: "beta", resource: { type: "group", name: "beta-g" }, operations: ["describe"] },
  { principal: "ops", resource: { type: "cluster" }, operations: ["describe"] },
];

describe("listings with authentication on", () => {
  let broker: Broker;
  let dir: { path: string; remove(): Promise<void> };
  const clients = new Map<string, ServiceClient<typeof AdminService.method>>();
  const admin = (principal: string) => clients.get(principal)!;
  const topicNames = async (principal: string, includeInternal = false) =>
    (await admin(principal).listTopics({ includeInternal })).topics.map((t) => t.name).sort();
  const groupIds = async (principal: string) => (await admin(principal).listGroups({})).groups.map((g) => g.groupId);

  beforeAll(async () => {
    dir = await tempDir();
    broker = await startBroker(
      { listen: "127.0.0.1:0", http: "off", logLevel: "silent", dataDir: dir.path, authTokens, acls },
      { logger: silentLogger },
    );
    for (const p of principals) clients.set(p, createClient(AdminService, broker.address, { token: token(p) }));
    for (const name of ["alpha.a", "alpha.b", "beta.a", "other"]) await admin("setup").createTopic({ name, partitions: 1 });
    // Committed offsets make a group exist without members.
    for (const [groupId, topic] of [["alpha-g", "alpha.a"], ["beta-g", "beta.a"], ["other-g", "other"]]) {
      await admin("setup").resetGroupOffsets({ groupId, topic, to: { case: "earliest", value: true } });
    }
  });

  afterAll(async () => {
    for (const c of clients.values()) c.close();
    await broker?.close();
    await dir?.remove();
  });

  it("shows principals with prefixed ACLs disjoint topic lists", async () => {
    const alpha = await topicNames("alpha");
    const beta = await topicNames("beta");
    expect(alpha).toEqual(["alpha.a", "alpha.b"]);
    expect(beta).toEqual(["beta.a"]);
    expect(alpha.filter((name) => beta.includes(name))).toEqual([]);
  });

  it("shows every topic to a principal with describe on the cluster, internal ones when asked", async () => {
    expect(await topicNames("ops")).toEqual(["alpha.a", "alpha.b", "beta.a", "other"]);
    expect(await topicNames("ops", true)).toContain("__consumer_offsets");
    expect(await topicNames("alpha", true)).toEqual(["alpha.a", "alpha.b"]);
  });

  it("shows an authenticated principal without rules an empty list, not an error", async () => {
    expect(await topicNames("nobody")).toEqual([]);
    expect(await groupIds("nobody")).toEqual([]);
  });

  it("filters groups the same way", async () => {
    expect(await groupIds("alpha")).toEqual(["alpha-g"]);
    expect(await groupIds("beta")).toEqual(["beta-g"]);
    expect(await groupIds("ops")).toEqual(["alpha-g", "beta-g", "other-g"]);
  });
});

describe("Authorizer.visible", () => {
  const auth = new Authorizer({ authTokens: [], acls, mutualTls: false });

  it("is true for any operation a rule grants on the resource, or describe on the cluster", () => {
    expect(auth.visible("beta", "topic", "beta.x")).toBe(true); // read/write imply seeing it
    expect(auth.visible("beta", "topic", "alpha.x")).toBe(false);
    expect(auth.visible("alpha", "group", "alpha-1")).toBe(true);
    expect(auth.visible("alpha", "topic", "alpha-1")).toBe(false); // a group rule says nothing of topics
    expect(auth.visible("ops", "topic", "anything")).toBe(true);
    expect(auth.visible("ops", "group", "anything")).toBe(true);
    expect(auth.visible("nobody", "topic", "alpha.a")).toBe(false);
  });
});
