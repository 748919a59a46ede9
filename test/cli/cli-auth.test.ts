/**
 * The `tributary` CLI against a secured broker, run as a process the way a
 * user runs it: TLS with bearer tokens and ACLs, and mutual TLS with a client
 * certificate.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken } from "../../services/auth/tokens.js";
import { clientEnvNames, configFromEnv, configKeys, envName } from "../../services/config.js";
import { runCli } from "../helpers/child-broker.js";
import { BrokerSet } from "../helpers/test-broker.js";
import { makeTestPki, type TestPki } from "../auth/certs.js";

const opsToken = "ops-token-0123456789";
const writerToken = "writer-token-0123456789";
const readerToken = "reader-token-0123456789";
const strangerToken = "stranger-token-0123456789";

/** Runs the CLI with `input` on stdin; TRIBUTARY_TOKEN only when given. */
function cli(args: string[], options: { input?: string; token?: string } = {}) {
  const env = { ...process.env };
  delete env.TRIBUTARY_TOKEN;
  if (options.token !== undefined) env.TRIBUTARY_TOKEN = options.token;
  return runCli(args, { input: options.input, env });
}

// Each test runs several CLI processes, each loading the TypeScript through tsx: seconds apiece on two busy cores.
describe("the tributary CLI against a secured broker", { timeout: 120_000 }, () => {
  let pki: TestPki;
  const started = new BrokerSet();
  let tls: string[]; // --broker ADDRESS --tls-ca CA for the TLS + tokens broker
  let mtls: string[]; // the same for the mutual-TLS broker, without a client certificate
  let clientCert: string[];

  const broker = (settings: Record<string, unknown>) => started.start(settings);

  beforeAll(async () => {
    pki = makeTestPki();
    const tlsFiles = { tlsCert: pki.serverCertPath, tlsKey: pki.serverKeyPath };
    const secured = await broker({
      ...tlsFiles,
      authTokens: [
        { principal: "ops", sha256: hashToken(opsToken) },
        { principal: "writer", sha256: hashToken(writerToken) },
        { principal: "reader", sha256: hashToken(readerToken) },
        { principal: "stranger", sha256: hashToken(strangerToken) },
      ],
      acls: [
        { principal: "ops", resource: { type: "topic" }, operations: ["create", "describe", "delete"] },
        { principal: "ops", resource: { type: "cluster" }, operations: ["describe"] },
        { principal: "writer", resource: { type: "topic", name: "secure.orders" }, operations: ["write"] },
        { principal: "reader", resource: { type: "topic", prefix: "secure." }, operations: ["read", "describe"] },
        { principal: "reader", resource: { type: "group", prefix: "readers" }, operations: ["read", "describe"] },
      ],
    });
    tls = ["--broker", secured.address, "--tls-ca", pki.caPath];
    const mutual = await broker({
      ...tlsFiles,
      tlsClientCa: pki.caPath,
      acls: [
        { principal: "billing", resource: { type: "topic", prefix: "billing." }, operations: ["create", "describe", "write", "read"] },
      ],
    });
    mtls = ["--broker", mutual.address, "--tls-ca", pki.caPath];
    const billing = pki.client("billing");
    writeFileSync(join(pki.dir, "billing.pem"), billing.cert);
    writeFileSync(join(pki.dir, "billing.key"), billing.key);
    clientCert = ["--tls-cert", join(pki.dir, "billing.pem"), "--tls-key", join(pki.dir, "billing.key")];
  });

  afterAll(async () => {
    await started.closeAll();
    pki?.remove();
  });

  it("creates and lists topics, produces and consumes over TLS with the right tokens", async () => {
    const created = await cli(["topics", "create", "secure.orders", "--partitions", "2", "--token", opsToken, ...tls]);
    expect(created.stderr).toBe("");
    expect(created.stdout).toContain("created secure.orders with 2 partitions");
    await cli(["topics", "create", "hidden", "--token", opsToken, ...tls]);

    // The token from the environment; ops sees every topic, reader only its prefix.
    expect((await cli(["topics", "list", ...tls], { token: opsToken })).stdout).toBe("hidden\t1\nsecure.orders\t2\n");
    expect((await cli(["topics", "list", ...tls], { token: readerToken })).stdout).toBe("secure.orders\t2\n");

    const produced = await cli(["produce", "secure.orders", "--key", "k", ...tls], { input: "one\ntwo\n", token: writerToken });
    expect(produced.code, produced.stderr).toBe(0);
    expect(produced.stderr).toContain("2 records sent to secure.orders");

    const consumed = await cli(["consume", "secure.orders", "--from", "earliest", "--max", "2", "--token", readerToken, ...tls]);
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(consumed.stdout.trim().split("\n").map((l) => l.split("\t").slice(1).join(" "))).toEqual(["k one", "k two"]);

    const grouped = await cli(["consume", "secure.orders", "--group", "readers-1", "--from", "earliest", "--max", "2", ...tls], {
      token: readerToken,
    });
    expect(grouped.code, grouped.stderr).toBe(0);
    expect(grouped.stdout.trim().split("\n")).toHaveLength(2);
    expect((await cli(["groups", "list", "--token", readerToken, ...tls])).stdout).toMatch(/^readers-1\t/);
  });

  it("exits non-zero saying UNAUTHENTICATED for a wrong or missing token", async () => {
    const wrong = await cli(["topics", "list", "--token", "not-a-token", ...tls]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toBe("");
    expect(wrong.stderr).toContain("UNAUTHENTICATED: unknown bearer token (INVALID_TOKEN)");
    expect(wrong.stderr).toContain("--token");

    const missing = await cli(["topics", "list", ...tls]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("UNAUTHENTICATED");
    expect(missing.stderr).toContain("(MISSING_CREDENTIALS)");

    const producing = await cli(["produce", "secure.orders", ...tls], { input: "x\n", token: "not-a-token" });
    expect(producing.code).toBe(1);
    expect(producing.stderr).toContain("(INVALID_TOKEN)");
  });

  it("exits non-zero saying PERMISSION_DENIED, with principal and resource, when no ACL allows it", async () => {
    const denied = await cli(["topics", "create", "secure.other", ...tls], { token: strangerToken });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('PERMISSION_DENIED: principal "stranger" may not create topic "secure.other" (NOT_AUTHORIZED)');

    const consuming = await cli(["consume", "secure.orders", "--from", "earliest", "--max", "1", ...tls], { token: writerToken });
    expect(consuming.code).toBe(1);
    expect(consuming.stderr).toContain("(NOT_AUTHORIZED)");
  });

  it("fails clearly without TLS settings, and on bad TLS flags", async () => {
    const plaintext = await cli(["topics", "list", "--token", opsToken, "--broker", tls[1]!]);
    expect(plaintext.code).toBe(1);
    expect(plaintext.stderr).toContain("UNAVAILABLE");
    expect(plaintext.stderr).toContain("TLS");

    const half = await cli(["topics", "list", ...mtls, "--tls-cert", clientCert[1]!]);
    expect(half.code).toBe(1);
    expect(half.stderr).toContain("--tls-cert and --tls-key go together");

    const unreadable = await cli(["topics", "list", "--broker", tls[1]!, "--tls-ca", join(pki.dir, "missing.pem")]);
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toMatch(/--tls-ca: cannot read .*missing\.pem: ENOENT/);
  });

  it("verifies the broker's certificate by the name given with --tls-server-name", async () => {
    const good = await cli(["topics", "list", "--token", opsToken, ...tls, "--tls-server-name", "localhost"]);
    expect(good.code, good.stderr).toBe(0);
    const bad = await cli(["topics", "list", "--token", opsToken, ...tls, "--tls-server-name", "elsewhere.example"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("UNAVAILABLE");
  });

  it("uses a client certificate for mutual TLS; its CN is the principal", async () => {
    const created = await cli(["topics", "create", "billing.invoices", ...mtls, ...clientCert]);
    expect(created.code, created.stderr).toBe(0);
    const produced = await cli(["produce", "billing.invoices", ...mtls, ...clientCert], { input: "paid\n" });
    expect(produced.code, produced.stderr).toBe(0);
    const consumed = await cli(["consume", "billing.invoices", "--from", "earliest", "--max", "1", ...mtls, ...clientCert]);
    expect(consumed.stdout).toMatch(/^0:0\tpaid\n$/);
    expect((await cli(["topics", "list", ...mtls, ...clientCert])).stdout).toBe("billing.invoices\t1\n");

    const denied = await cli(["topics", "create", "payroll", ...mtls, ...clientCert]);
    expect(denied.stderr).toContain('principal "billing" may not create topic "payroll"');
    // Without a certificate the handshake itself is refused.
    const noCert = await cli(["topics", "list", ...mtls]);
    expect(noCert.code).toBe(1);
    expect(noCert.stderr).toContain("UNAVAILABLE");
  });
});

describe("TRIBUTARY_TOKEN", () => {
  it("is the client commands' variable: tributary serve ignores it, and no config key uses the name", () => {
    expect(clientEnvNames).toContain("TRIBUTARY_TOKEN");
    expect(configFromEnv({ TRIBUTARY_TOKEN: "secret", TRIBUTARY_LOG_LEVEL: "warn" })).toEqual({ logLevel: "warn" });
    const configEnvNames = configKeys.map(envName);
    expect(clientEnvNames.filter((name) => configEnvNames.includes(name))).toEqual([]);
  });
});
