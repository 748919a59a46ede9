/**
 * `tributary acls|tokens|quotas` run as processes, the way an operator runs them,
 * against a cluster with authentication (the changes go to etcd), and against a single
 * broker (lists its config file, refuses changes with SECURITY_CONFIG_READ_ONLY).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken } from "../../services/auth/index.js";
import { runCli } from "../helpers/child-broker.js";
import { startCluster, type TestCluster } from "../helpers/cluster.js";
import { BrokerSet } from "../helpers/test-broker.js";

const adminToken = "cli-admin-token";

function cli(args: string[], token = adminToken) {
  const env = { ...process.env, TRIBUTARY_TOKEN: token };
  return runCli(args, { env, compiled: true });
}

// Each CLI process runs the compiled JavaScript (dist/), as the cluster project's brokers do.
describe("the security commands", { timeout: 180_000 }, () => {
  let cluster: TestCluster;
  let dir: string;
  const single = new BrokerSet();
  let singleAddress: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tributary-cli-security-"));
    const tokenFile = join(dir, "inter-broker.token");
    await writeFile(tokenFile, "inter-broker-secret\n", { mode: 0o600 });
    const settings = {
      authTokens: [{ principal: "admin", sha256: hashToken(adminToken) }],
      acls: [{ principal: "admin", resource: { type: "cluster" as const }, operations: ["describe" as const, "alter" as const] }],
    };
    cluster = await startCluster({
      brokers: 2,
      config: {
        interBrokerPrincipal: "broker",
        interBrokerTokenFile: tokenFile,
        authTokens: JSON.stringify(settings.authTokens),
        acls: JSON.stringify(settings.acls),
      },
    });
    singleAddress = (await single.start(settings)).address;
  }, 120_000);

  afterAll(async () => {
    await single.closeAll();
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("adds, lists and removes ACLs, tokens and quotas in a cluster; the other broker lists the change", async () => {
    const [one, two] = cluster.bootstrap.map((address) => ["--broker", address]);
    const added = await cli(["acls", "add", ...one!, "--principal", "billing", "--resource-type", "topic", "--prefix", "orders.", "--operation", "read,describe"]);
    expect(added, added.stderr).toMatchObject({ code: 0 });
    const listed = await cli(["acls", "list", ...two!, "--principal", "billing"]);
    expect(listed.stdout).toContain("billing\ttopic\torders.*\tread,describe");

    const created = await cli(["tokens", "create", "billing", ...two!]);
    expect(created.code, created.stderr).toBe(0);
    const token = /^token\t(\S+)/m.exec(created.stdout)?.[1];
    expect(token).toBeDefined();
    const tokens = await cli(["tokens", "list", ...one!, "--principal", "billing"]);
    expect(tokens.stdout).toContain(`billing\t${hashToken(token!)}`);
    // The new token authenticates (billing may not list ACLs: PERMISSION_DENIED, not UNAUTHENTICATED).
    const asBilling = await cli(["acls", "list", ...one!], token);
    expect(asBilling.code).toBe(1);
    expect(asBilling.stderr).toContain("PERMISSION_DENIED");

    expect((await cli(["quotas", "set", "billing", ...one!, "--fetch-bytes-per-second", "1048576"])).code).toBe(0);
    expect((await cli(["quotas", "list", ...two!])).stdout).toContain("billing\t-\t1048576");

    const removed = await cli(["acls", "remove", ...two!, "--principal", "billing", "--resource-type", "topic", "--prefix", "orders.", "--operation", "describe", "--operation", "read"]);
    expect(removed.stdout).toContain("removed");
    expect((await cli(["tokens", "delete", ...one!, "--principal", "billing"])).stdout).toContain("deleted 1 token");
    expect((await cli(["quotas", "delete", "billing", ...two!])).code).toBe(0);
    const after = await cli(["acls", "list", ...one!, "--principal", "billing", "--json"]);
    expect(JSON.parse(after.stdout)).toEqual([]);
  });

  it("says why a change is refused: an invalid rule, a single broker's read-only config", async () => {
    const invalid = await cli(["acls", "add", "--broker", cluster.bootstrap[0]!, "--principal", "x", "--resource-type", "queue", "--operation", "read"]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain("INVALID_ARGUMENT");
    expect(invalid.stderr).toContain("(INVALID_ACL)");
    const listed = await cli(["acls", "list", "--broker", singleAddress]);
    expect(listed.stdout).toContain("admin\tcluster\t*\tdescribe,alter");
    const readOnly = await cli(["tokens", "create", "x", "--broker", singleAddress]);
    expect(readOnly.code).toBe(1);
    expect(readOnly.stderr).toContain("(SECURITY_CONFIG_READ_ONLY)");
  });
});
