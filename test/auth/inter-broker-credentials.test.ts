/**
 * What a broker's inter-broker clients are built with (services/cluster/inter-broker.ts):
 * the token file, TLS against the configured CA, and under mutual TLS without a token
 * the broker's own certificate, whose CN must be the inter-broker principal.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken } from "../../services/auth/index.js";
import { interBrokerCredentials } from "../../services/cluster/index.js";
import { resolveConfig } from "../../services/config.js";
import { makeTestPki, type TestPki } from "./certs.js";

describe("inter-broker credentials", () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = makeTestPki();
  });
  afterAll(() => pki?.remove());
  const cluster = { etcdEndpoints: ["http://127.0.0.1:2379"] };
  const config = (values: Record<string, unknown>) => resolveConfig({ source: "test", values: { ...cluster, ...values } });

  it("sends the token file's token, accepted by its hash; plaintext without tlsCert", () => {
    const file = join(pki.dir, "inter-broker.token");
    writeFileSync(file, "secret-token\n");
    const credentials = interBrokerCredentials(config({ interBrokerPrincipal: "broker", interBrokerTokenFile: file }));
    expect(credentials).toMatchObject({ token: "secret-token", tokenSha256: hashToken("secret-token") });
    expect(credentials.tls).toBeUndefined();
  });

  it("verifies peers against interBrokerTlsCa when the broker has TLS", () => {
    const file = join(pki.dir, "inter-broker.token");
    writeFileSync(file, "secret-token\n");
    const credentials = interBrokerCredentials(
      config({ tlsCert: pki.serverCertPath, tlsKey: pki.serverKeyPath, interBrokerTlsCa: pki.caPath, interBrokerPrincipal: "broker", interBrokerTokenFile: file }),
    );
    expect(credentials.tls?.ca.equals(pki.caPem)).toBe(true);
    expect(credentials.tls?.cert).toBeUndefined();
  });

  it("under mutual TLS without a token, presents the broker's certificate, whose CN must be the principal", () => {
    const broker = pki.broker("broker");
    const mutual = { tlsCert: broker.certPath, tlsKey: broker.keyPath, tlsClientCa: pki.caPath };
    const credentials = interBrokerCredentials(config({ ...mutual, interBrokerPrincipal: "broker" }));
    expect(credentials.tls?.cert).toBeDefined();
    expect(credentials.token).toBeUndefined();
    expect(() => interBrokerCredentials(config({ ...mutual, interBrokerPrincipal: "replicator" }))).toThrow(/its CN must be interBrokerPrincipal/);
  });

  it("fails the start when the token file cannot be read", () => {
    expect(() => interBrokerCredentials(config({ interBrokerPrincipal: "broker", interBrokerTokenFile: join(pki.dir, "missing") }))).toThrow(
      expect.objectContaining({ reason: "INTER_BROKER_TOKEN_UNREADABLE" }),
    );
  });
});
