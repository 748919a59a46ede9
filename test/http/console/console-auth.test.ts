import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../../clients/ts/index.js";
import { newToken } from "../../../services/auth/tokens.js";
import { resolveConfig, type BrokerConfig } from "../../../services/config.js";
import type { Broker } from "../../../services/server.js";
import { AdminService } from "../../../gen/ts/tributary/v1/admin_pb.js";
import { ProduceService } from "../../../gen/ts/tributary/v1/produce_pb.js";
import { makeTestPki, type TestPki } from "../../auth/certs.js";
import { launchChromium } from "./browser.js";
import { BrokerSet, bytes } from "../../helpers/test-broker.js";

/** Allow rules of a read-only console: see everything, read records, change nothing. */
const readOnly = (principal: string) => [
  { principal, resource: { type: "cluster" as const }, operations: ["describe" as const] },
  { principal, resource: { type: "topic" as const }, operations: ["describe" as const, "read" as const] },
  { principal, resource: { type: "group" as const }, operations: ["describe" as const] },
];
/** An operator principal the tests set up data with. */
const opsAcls = [
  { principal: "ops", resource: { type: "cluster" as const }, operations: ["describe" as const] },
  { principal: "ops", resource: { type: "topic" as const }, operations: ["create" as const, "write" as const, "describe" as const] },
];

describe("the console under authentication", () => {
  let pki: TestPki;
  const consoleToken = newToken();
  const ops = newToken();
  const stranger = newToken();
  let tokenFile: string;
  let strangerTokenFile: string;
  let consoleCert: { cert: string; key: string };
  const started = new BrokerSet();

  beforeAll(() => {
    pki = makeTestPki();
    tokenFile = join(pki.dir, "console.token");
    writeFileSync(tokenFile, `${consoleToken.token}\n`, { mode: 0o600 });
    strangerTokenFile = join(pki.dir, "stranger.token");
    writeFileSync(strangerTokenFile, stranger.token, { mode: 0o600 });
    const pair = pki.client("console-admin");
    consoleCert = { cert: join(pki.dir, "console-admin.pem"), key: join(pki.dir, "console-admin.key") };
    writeFileSync(consoleCert.cert, pair.cert);
    writeFileSync(consoleCert.key, pair.key, { mode: 0o600 });
  });
  afterEach(() => started.closeAll());
  afterAll(() => pki?.remove());

  /** A broker with its HTTP port (and so its console) on. */
  const broker = (settings: Partial<BrokerConfig>) => started.start({ http: "127.0.0.1:0", ...settings });

  /** TLS, tokens, and a console whose token principal "console" may only describe and read. */
  const readOnlyTokenConsole = () =>
    broker({
      tlsCert: pki.serverCertPath,
      tlsKey: pki.serverKeyPath,
      authTokens: [
        { principal: "console", sha256: consoleToken.sha256 },
        { principal: "ops", sha256: ops.sha256 },
      ],
      acls: [...readOnly("console"), ...opsAcls],
      consoleTlsCa: pki.caPath,
      consoleTlsServerName: "localhost",
      consoleTokenFile: tokenFile,
    });

  /** A start that must fail: the data directory is still removed afterwards. */
  async function refusedStart(settings: Partial<BrokerConfig>): Promise<unknown> {
    return broker(settings).then(
      () => {
        throw new Error("the broker started");
      },
      (err: unknown) => err,
    );
  }

  const api = async (b: Broker, method: string, path: string, body?: unknown) => {
    const response = await fetch(`http://127.0.0.1:${b.httpPort}/console/api/${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };

  /** TLS for the tests' own clients; the certificate names localhost, and SNI must not be an IP. */
  const tls = () => ({ ca: pki.caPem, serverName: "localhost" });

  it("with TLS and a token, a read-only console reads topics and records and is refused changes with 403", async () => {
    const b = await readOnlyTokenConsole();
    const admin = createClient(AdminService, b.address, { tls: tls(), token: ops.token });
    const produce = createClient(ProduceService, b.address, { tls: tls(), token: ops.token });
    try {
      await admin.createTopic({ name: "orders", partitions: 1 });
      await produce.produce({ topic: "orders", records: [{ key: bytes("k0"), value: bytes("v0") }, { value: bytes("v1") }] });
    } finally {
      admin.close();
      produce.close();
    }

    const overview = await api(b, "GET", "overview");
    expect(overview.status).toBe(200);
    expect(overview.body.topics.map((t: { name: string }) => t.name)).toEqual(["orders"]);
    expect((await api(b, "GET", "topics/orders")).body.partitions).toHaveLength(1);
    expect((await api(b, "GET", "groups")).status).toBe(200);
    const records = await api(b, "GET", "topics/orders/records?partition=0");
    expect(records.status).toBe(200);
    expect(records.body.records.map((r: { offset: string }) => r.offset)).toEqual(["0", "1"]);

    // Changes need permissions the console's principal lacks: the broker's own refusal, as 403.
    const create = await api(b, "POST", "topics", { name: "payments", partitions: 1 });
    expect(create).toMatchObject({ status: 403, body: { error: { code: "PERMISSION_DENIED", reason: "NOT_AUTHORIZED" } } });
    expect(create.body.error.message).toContain('"console"');
    const remove = await api(b, "DELETE", "topics/orders", {});
    expect(remove).toMatchObject({ status: 403, body: { error: { code: "PERMISSION_DENIED", reason: "NOT_AUTHORIZED" } } });
    expect((await api(b, "GET", "topics/orders")).status).toBe(200);

    // Prometheus convention: /metrics stays open; the HTTP port's address is the protection.
    expect((await fetch(`http://127.0.0.1:${b.httpPort}/metrics`)).status).toBe(200);
  });

  it("shows a refusal in the UI's banner and keeps the page working", { timeout: 60_000 }, async () => {
    const b = await readOnlyTokenConsole();
    const admin = createClient(AdminService, b.address, { tls: tls(), token: ops.token });
    await admin.createTopic({ name: "orders", partitions: 1 }).finally(() => admin.close());
    const chromium = await launchChromium();
    try {
      const page = await chromium.browser.newPage();
      page.setDefaultTimeout(10_000);
      const errors: string[] = [];
      page.on("pageerror", (err) => errors.push(err.message));
      await page.goto(`http://127.0.0.1:${b.httpPort}/`);
      await page.locator("[data-testid=topics] tbody tr", { hasText: "orders" }).waitFor();
      await page.fill("[data-testid=create-topic] input[name=name]", "payments");
      await page.click("[data-testid=create-topic] button");
      const banner = page.getByTestId("banner");
      await banner.getByText("Not allowed for the console's principal — PERMISSION_DENIED NOT_AUTHORIZED").waitFor();
      expect(await banner.textContent()).toContain('"console"');
      // Still polling: a topic created elsewhere appears.
      const again = createClient(AdminService, b.address, { tls: tls(), token: ops.token });
      await again.createTopic({ name: "audit", partitions: 1 }).finally(() => again.close());
      await page.locator("[data-testid=topics] tbody tr", { hasText: "audit" }).waitFor();
      expect(errors).toEqual([]);
    } finally {
      await chromium.close();
    }
  });

  it("under mutual TLS, the console's certificate CN is its principal, and the overview shows only what it may describe", async () => {
    const b = await broker({
      tlsCert: pki.serverCertPath,
      tlsKey: pki.serverKeyPath,
      tlsClientCa: pki.caPath,
      authTokens: [{ principal: "ops", sha256: ops.sha256 }],
      acls: [
        ...opsAcls,
        { principal: "console-admin", resource: { type: "cluster" }, operations: ["describe"] },
        {
          principal: "console-admin",
          resource: { type: "topic", prefix: "team-a." },
          operations: ["create", "delete", "alter", "describe", "read"],
        },
      ],
      // No server-name override: the broker's certificate names 127.0.0.1, the address the console dials.
      consoleTlsCa: pki.caPath,
      consoleTlsCert: consoleCert.cert,
      consoleTlsKey: consoleCert.key,
    });
    const pair = pki.client("ops-client");
    const admin = createClient(AdminService, b.address, { tls: { ...tls(), ...pair }, token: ops.token });
    try {
      await admin.createTopic({ name: "team-b.secret", partitions: 1 });
    } finally {
      admin.close();
    }
    expect((await api(b, "POST", "topics", { name: "team-a.orders", partitions: 2 })).status).toBe(201);
    const overview = await api(b, "GET", "overview");
    expect(overview.body.topics.map((t: { name: string }) => t.name)).toEqual(["team-a.orders"]);
    const other = await api(b, "GET", "topics/team-b.secret");
    expect(other).toMatchObject({ status: 403, body: { error: { reason: "NOT_AUTHORIZED" } } });
    expect((await api(b, "DELETE", "topics/team-a.orders", {})).status).toBe(200);
  });

  it("without console credentials while authentication is on, the API answers 401 with the broker's reason", async () => {
    const b = await broker({ authTokens: [{ principal: "ops", sha256: ops.sha256 }], acls: opsAcls });
    const answer = await api(b, "GET", "overview");
    expect(answer).toMatchObject({ status: 401, body: { error: { code: "UNAUTHENTICATED", reason: "MISSING_CREDENTIALS" } } });
    expect(answer.body.error.message).toContain("consoleTokenFile");
    expect((await fetch(`http://127.0.0.1:${b.httpPort}/metrics`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${b.httpPort}/readyz`)).status).toBe(200);
  });

  it("a broker whose console could not connect or authenticate does not start", async () => {
    const server = { tlsCert: pki.serverCertPath, tlsKey: pki.serverKeyPath };
    const authTokens = [{ principal: "console", sha256: consoleToken.sha256 }];
    // TLS on, no CA for the console.
    expect(await refusedStart(server)).toMatchObject({ reason: "INVALID_CONFIG", message: expect.stringContaining("consoleTlsCa") });
    // Mutual TLS, no certificate for the console.
    expect(await refusedStart({ ...server, tlsClientCa: pki.caPath, consoleTlsCa: pki.caPath })).toMatchObject({
      reason: "INVALID_CONFIG",
      message: expect.stringContaining("consoleTlsCert"),
    });
    // A CA that did not sign the broker's certificate.
    expect(await refusedStart({ ...server, consoleTlsCa: join(pki.dir, "other-ca.pem") })).toMatchObject({
      reason: "CONSOLE_UNREACHABLE",
    });
    // A server name the certificate does not carry.
    expect(await refusedStart({ ...server, consoleTlsCa: pki.caPath, consoleTlsServerName: "broker.example" })).toMatchObject({
      reason: "CONSOLE_UNREACHABLE",
    });
    // A token no authTokens entry matches, and an unreadable token file.
    expect(await refusedStart({ authTokens, consoleTokenFile: strangerTokenFile })).toMatchObject({ reason: "INVALID_CONFIG" });
    expect(await refusedStart({ authTokens, consoleTokenFile: join(pki.dir, "missing.token") })).toMatchObject({
      reason: "CONSOLE_TOKEN_UNREADABLE",
    });
    expect(await refusedStart({ ...server, consoleTlsCa: join(pki.dir, "missing.pem") })).toMatchObject({
      reason: "TLS_FILE_UNREADABLE",
    });
  });

  it("runs the README's secure-deployment config: a read-only console under mutual TLS", async () => {
    const readme = readFileSync(fileURLToPath(new URL("../../../README.md", import.meta.url)), "utf8");
    const block = /## Secure deployment[\s\S]*?```json\n([\s\S]*?)\n```/.exec(readme);
    const config = JSON.parse(block![1]) as Record<string, unknown>;
    // Its certificate files, made here; its addresses on loopback port 0; a real hash for "ops".
    const pair = pki.client("console");
    writeFileSync(join(pki.dir, "console.pem"), pair.cert);
    writeFileSync(join(pki.dir, "console.key"), pair.key);
    for (const key of ["tlsCert", "tlsKey", "tlsClientCa", "consoleTlsCa", "consoleTlsCert", "consoleTlsKey"]) {
      config[key] = join(pki.dir, config[key] as string);
    }
    const b = await broker({ ...config, listen: "127.0.0.1:0", authTokens: [{ principal: "ops", sha256: ops.sha256 }] });
    expect((await api(b, "GET", "overview")).status).toBe(200);
    expect(await api(b, "POST", "topics", { name: "orders", partitions: 1 })).toMatchObject({
      status: 403,
      body: { error: { reason: "NOT_AUTHORIZED", message: expect.stringContaining('"console"') } },
    });
  });

  it("starts with TLS and no console keys when the HTTP port is off", async () => {
    const b = await broker({ http: "off", tlsCert: pki.serverCertPath, tlsKey: pki.serverKeyPath });
    expect(b.httpPort).toBeUndefined();
  });

  it("rejects console keys that do not fit the broker's settings", () => {
    const values = (v: Record<string, unknown>) => () => resolveConfig({ source: "test", values: v });
    const server = { tlsCert: "s.pem", tlsKey: "s.key" };
    expect(values({ consoleTlsCa: "ca.pem" })).toThrow(/consoleTlsCa needs tlsCert/);
    expect(values({ ...server, consoleTlsServerName: "localhost" })).toThrow(/consoleTlsServerName needs consoleTlsCa/);
    expect(values({ ...server, tlsClientCa: "ca.pem", consoleTlsCert: "c.pem" })).toThrow(/together/);
    expect(values({ ...server, consoleTlsCert: "c.pem", consoleTlsKey: "c.key" })).toThrow(/consoleTlsCert needs tlsClientCa/);
    expect(values({ consoleTokenFile: "t" })).toThrow(/consoleTokenFile needs authTokens/);
    expect(values({ ...server, consoleTlsCa: "ca.pem", consoleTlsServerName: "localhost" })().consoleTlsServerName).toBe("localhost");
  });
});
