import { execFileSync } from "node:child_process";
import { credentials, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, errorReason } from "../../clients/ts/index.js";
import { startBroker } from "../../services/server.js";
import { resolveConfig } from "../../services/config.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { BrokerSet, silentLogger, tempDir } from "../helpers/test-broker.js";
import { makeTestPki, type TestPki } from "./certs.js";

describe("openssl", () => {
  it("is installed (scripts/setup.mjs installs the Debian package)", () => {
    expect(execFileSync("openssl", ["version"], { encoding: "utf8" })).toMatch(/OpenSSL/);
  });
});

describe("TLS config", () => {
  it("needs tlsCert and tlsKey together, and TLS for tlsClientCa", () => {
    const values = (v: Record<string, unknown>) => () => resolveConfig({ source: "test", values: v });
    expect(values({ tlsCert: "a.pem" })).toThrow(/together/);
    expect(values({ tlsKey: "a.key" })).toThrow(/together/);
    expect(values({ tlsClientCa: "ca.pem" })).toThrow(/tlsClientCa needs/);
    expect(values({ tlsCert: "a.pem", tlsKey: "a.key", tlsClientCa: "ca.pem" })().tlsClientCa).toBe("ca.pem");
    expect(values({ tlsCertificate: "a.pem" })).toThrow(/unknown config key/);
  });

  it("fails the start when a TLS file is unreadable", async () => {
    const dir = await tempDir();
    try {
      await expect(
        startBroker(
          { listen: "127.0.0.1:0", http: "off", dataDir: dir.path, tlsCert: "/nonexistent.pem", tlsKey: "/nonexistent.key" },
          { logger: silentLogger },
        ),
      ).rejects.toMatchObject({ reason: "TLS_FILE_UNREADABLE" });
    } finally {
      await dir.remove();
    }
  });
});

/** The server certificate names localhost (and 127.0.0.1); SNI must not be an IP address. */
const localhost = { "grpc.ssl_target_name_override": "localhost" };

describe("TLS and mutual TLS", () => {
  let pki: TestPki;
  const started = new BrokerSet();
  const broker = (settings: Record<string, unknown>) => started.start(settings);

  beforeAll(() => {
    pki = makeTestPki();
  });
  afterAll(async () => {
    await started.closeAll();
    pki?.remove();
  });

  it("serves TLS; a plaintext client cannot talk to it", async () => {
    const b = await broker({ tlsCert: pki.serverCertPath, tlsKey: pki.serverKeyPath });
    const admin = createClient(AdminService, b.address, { credentials: credentials.createSsl(pki.caPem), channelOptions: localhost });
    const plain = createClient(AdminService, b.address);
    try {
      await admin.createTopic({ name: "tls-topic", partitions: 1 });
      const listed = await admin.listTopics({});
      expect(listed.topics.map((t) => t.name)).toContain("tls-topic");
      await expect(plain.listTopics({}, { deadline: 3000 })).rejects.toMatchObject({ code: status.UNAVAILABLE });
    } finally {
      admin.close();
      plain.close();
    }
  });

  it("with tlsClientCa: a certificate of the CA is required and its CN is the principal", async () => {
    const b = await broker({
      tlsCert: pki.serverCertPath,
      tlsKey: pki.serverKeyPath,
      tlsClientCa: pki.caPath,
      acls: [{ principal: "alice", resource: { type: "cluster" }, operations: ["describe"] }],
    });
    const withCert = (pair: { cert: Buffer; key: Buffer } | undefined) =>
      createClient(AdminService, b.address, {
        credentials: pair ? credentials.createSsl(pki.caPem, pair.key, pair.cert) : credentials.createSsl(pki.caPem),
        channelOptions: localhost,
      });
    const alice = withCert(pki.client("alice"));
    const bob = withCert(pki.client("bob"));
    const noCert = withCert(undefined);
    const stranger = withCert(pki.stranger);
    try {
      await expect(alice.describeCluster({})).resolves.toMatchObject({ brokers: [expect.anything()] });
      // bob's certificate is good, but no ACL names him.
      const denied = await bob.describeCluster({}).catch((err: unknown) => err);
      expect(denied).toMatchObject({ code: status.PERMISSION_DENIED });
      expect(errorReason(denied)).toBe("NOT_AUTHORIZED");
      expect((denied as Error).message).toContain('"bob"');
      // Refused at the handshake: no certificate, or one signed by another CA.
      await expect(noCert.describeCluster({}, { deadline: 3000 })).rejects.toMatchObject({ code: status.UNAVAILABLE });
      await expect(stranger.describeCluster({}, { deadline: 3000 })).rejects.toMatchObject({ code: status.UNAVAILABLE });
    } finally {
      for (const c of [alice, bob, noCert, stranger]) c.close();
    }
  });
});
