/**
 * Tokens, ACLs and quotas live in etcd and are the same on every broker: a change made
 * through one broker takes effect on all of them within a second (issue 17). Each change
 * is timed from just before the Admin call to the moment every other broker answers
 * accordingly (polled as fast as calls return), and printed.
 */
import { status } from "@grpc/grpc-js";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, errorReason, type ServiceClient } from "../../clients/ts/index.js";
import { hashToken } from "../../services/auth/index.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { startBrokerProcess } from "../helpers/broker-process.js";
import { startCluster, type TestCluster } from "../helpers/cluster.js";

type Admin = ServiceClient<typeof AdminService.method>;

/** How long until `ok()` holds on every one of `checks`, polled without pause; bounded. */
async function timeUntil(start: number, checks: Array<() => Promise<boolean>>, timeoutMs = 10_000): Promise<number> {
  const times = await Promise.all(
    checks.map(async (check) => {
      for (;;) {
        if (await check()) return performance.now() - start;
        if (performance.now() - start > timeoutMs) throw new Error(`not in effect after ${timeoutMs} ms`);
      }
    }),
  );
  return Math.max(...times);
}

const codeOf = (p: Promise<unknown>) => p.then(() => status.OK, (err: { code?: number }) => err.code ?? -1);

describe("security settings in a cluster", () => {
  let cluster: TestCluster;
  let dir: string;
  const clients: Array<{ close(): void }> = [];
  const admin = (index: number, token: string): Admin => {
    const c = createClient(AdminService, cluster.bootstrap[index]!, { token });
    clients.push(c);
    return c;
  };
  const figures: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tributary-security-"));
    const tokenFile = join(dir, "inter-broker.token");
    await writeFile(tokenFile, "inter-broker-secret\n", { mode: 0o600 });
    cluster = await startCluster({
      brokers: 3,
      config: {
        interBrokerPrincipal: "broker",
        interBrokerTokenFile: tokenFile,
        // The bootstrap admin, from the config file (it seeds etcd once).
        authTokens: JSON.stringify([
          { principal: "admin", sha256: hashToken("admin-token") },
          { principal: "late", sha256: hashToken("late-token") },
        ]),
        acls: JSON.stringify([{ principal: "admin", resource: { type: "cluster" }, operations: ["describe", "alter"] }]),
      },
    });
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
    if (figures.length > 0) console.log(`propagation to every other broker: ${figures.join("; ")}`);
  });

  it("applies an ACL added through one broker on every broker within a second, and its removal too", async () => {
    const grant = { principal: "late", resourceType: "cluster", operations: ["describe"] };
    const others = [1, 2].map((i) => admin(i, "late-token"));
    for (const other of others) expect(await codeOf(other.describeCluster({}))).toBe(status.PERMISSION_DENIED);

    const added = performance.now();
    await admin(0, "admin-token").createAcls({ acls: [grant] });
    const addMs = await timeUntil(added, others.map((other) => async () => (await codeOf(other.describeCluster({}))) === status.OK));
    figures.push(`CreateAcls ${addMs.toFixed(0)} ms`);
    expect(addMs).toBeLessThan(1000);
    // The answering broker applied it before answering.
    expect(await codeOf(admin(0, "late-token").describeCluster({}))).toBe(status.OK);

    const removed = performance.now();
    expect((await admin(0, "admin-token").deleteAcls({ acls: [grant] })).deleted).toBe(1);
    const removeMs = await timeUntil(removed, others.map((other) => async () => (await codeOf(other.describeCluster({}))) === status.PERMISSION_DENIED));
    figures.push(`DeleteAcls ${removeMs.toFixed(0)} ms`);
    expect(removeMs).toBeLessThan(1000);
  });

  it("lists the same rules on every broker, in the order they were added", async () => {
    const rules = ["a", "b", "c"].map((name) => ({ principal: "late", resourceType: "topic", name, operations: ["write", "read", "read"] }));
    for (const rule of rules) await admin(1, "admin-token").createAcls({ acls: [rule] });
    await admin(2, "admin-token").createAcls({ acls: [rules[0]!] }); // present already: kept once, in its place
    for (const i of [0, 1, 2]) {
      await expect
        .poll(async () => (await admin(i, "admin-token").listAcls({ principal: "late" })).acls.map((a) => `${a.name}:${a.operations.join(",")}`), { timeout: 5000 })
        .toEqual(["a:read,write", "b:read,write", "c:read,write"]);
    }
    expect((await admin(2, "admin-token").deleteAcls({ acls: rules })).deleted).toBe(3);
  });

  it("makes a token created through one broker valid on the others within a second, and a deleted one invalid", async () => {
    const others = [0, 2];
    const created = performance.now();
    const { token, sha256 } = await admin(1, "admin-token").createToken({ principal: "ops" });
    expect(token).not.toBe("");
    expect(sha256).toBe(hashToken(token));
    // Authenticated as "ops" (no rule): PERMISSION_DENIED, no longer UNAUTHENTICATED.
    const createMs = await timeUntil(created, others.map((i) => async () => (await codeOf(admin(i, token).describeCluster({}))) === status.PERMISSION_DENIED));
    figures.push(`CreateToken ${createMs.toFixed(0)} ms`);
    expect(createMs).toBeLessThan(1000);
    expect((await admin(2, "admin-token").listTokens({ principal: "ops" })).tokens).toEqual([expect.objectContaining({ principal: "ops", sha256 })]);

    const deleted = performance.now();
    expect((await admin(0, "admin-token").deleteToken({ sha256 })).deleted).toBe(1);
    const deleteMs = await timeUntil(deleted, [1, 2].map((i) => async () => (await codeOf(admin(i, token).describeCluster({}))) === status.UNAUTHENTICATED));
    figures.push(`DeleteToken ${deleteMs.toFixed(0)} ms`);
    expect(deleteMs).toBeLessThan(1000);
  });

  it("keeps quotas in etcd, the same on every broker", async () => {
    await admin(0, "admin-token").setQuota({ quota: { principal: "late", produceBytesPerSecond: 1_000_000n } });
    await admin(2, "admin-token").setQuota({ quota: { principal: "*", fetchBytesPerSecond: 5_000_000n } });
    for (const i of [0, 1, 2]) {
      await expect
        .poll(async () => (await admin(i, "admin-token").listQuotas({})).quotas.map((q) => [q.principal, q.produceBytesPerSecond, q.fetchBytesPerSecond]), { timeout: 5000 })
        .toEqual([["*", undefined, 5_000_000n], ["late", 1_000_000n, undefined]]);
    }
    await admin(1, "admin-token").deleteQuota({ principal: "*" });
    await expect.poll(async () => (await admin(2, "admin-token").listQuotas({})).quotas.map((q) => q.principal), { timeout: 5000 }).toEqual(["late"]);
  });

  it("refuses to start a broker without authentication in a cluster that has it", async () => {
    const open = startBrokerProcess({
      dataDir: join(dir, "open-broker"),
      config: { etcdEndpoints: cluster.etcd.endpoints.join(","), clusterName: "test", brokerId: 9 },
    });
    await expect(open).rejects.toThrow(/runs with authentication/);
  });

  it("refuses invalid changes with INVALID_ARGUMENT and a reason, and the inter-broker principal's", async () => {
    const a = admin(0, "admin-token");
    const reasonOf = (p: Promise<unknown>) => p.then(() => "OK", (err: unknown) => `${(err as { code?: number }).code}:${errorReason(err)}`);
    const invalid = status.INVALID_ARGUMENT;
    expect(await reasonOf(a.createAcls({ acls: [{ principal: "x", resourceType: "queue", operations: ["read"] }] }))).toBe(`${invalid}:INVALID_ACL`);
    expect(await reasonOf(a.createAcls({ acls: [{ principal: "x", resourceType: "topic", operations: ["fly"] }] }))).toBe(`${invalid}:INVALID_ACL`);
    expect(await reasonOf(a.createAcls({ acls: [{ principal: "x", resourceType: "topic", name: "a", prefix: "b", operations: ["read"] }] }))).toBe(`${invalid}:INVALID_ACL`);
    expect(await reasonOf(a.createToken({ principal: "x", sha256: "abc" }))).toBe(`${invalid}:INVALID_TOKEN_HASH`);
    expect(await reasonOf(a.createToken({ principal: "" }))).toBe(`${invalid}:INVALID_PRINCIPAL`);
    expect(await reasonOf(a.createToken({ principal: "late", sha256: hashToken("admin-token") }))).toBe(`${invalid}:TOKEN_EXISTS`);
    expect(await reasonOf(a.createToken({ principal: "broker" }))).toBe(`${invalid}:RESERVED_PRINCIPAL`);
    expect(await reasonOf(a.createAcls({ acls: [{ principal: "broker", resourceType: "topic", operations: ["read"] }] }))).toBe(`${invalid}:RESERVED_PRINCIPAL`);
    expect(await reasonOf(a.setQuota({ quota: { principal: "x" } }))).toBe(`${invalid}:INVALID_QUOTA`);
    expect(await reasonOf(a.setQuota({ quota: { principal: "x", fetchBytesPerSecond: 0n } }))).toBe(`${invalid}:INVALID_QUOTA`);
    expect(await reasonOf(a.deleteToken({}))).toBe(`${invalid}:INVALID_PRINCIPAL`);
  });
});
