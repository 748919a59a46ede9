/**
 * Inter-broker traffic runs as the inter-broker principal (issue 17): a broker without
 * its credential cannot replicate, one with it does; and with TLS, brokers replicate
 * over TLS, verifying each other against the configured CA.
 */
import { status } from "@grpc/grpc-js";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, errorReason, type ServiceClient } from "../../clients/ts/index.js";
import { hashToken } from "../../services/auth/index.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { Acks, ProduceService } from "../../gen/ts/tributary/v1/produce_pb.js";
import { makeTestPki, type TestPki } from "../auth/certs.js";
import { startCluster, type TestCluster } from "../helpers/cluster.js";
import { bytes } from "../helpers/test-broker.js";

const admins = [{ principal: "admin", sha256: hashToken("admin-token") }];
/** Everything there is, on every resource: still not the inter-broker principal. */
const adminAcls = (["topic", "group", "cluster"] as const).map((type) => ({
  principal: "admin",
  resource: { type },
  operations: ["read", "write", "create", "delete", "describe", "alter"],
}));

/** Waits until the broker at `address` has applied the topic (CreateTopic answers once the
 * broker that took it has; the others follow their metadata watch). */
async function knownAt(address: string, topic: string, tls: { ca: Buffer; cert?: Buffer; key?: Buffer }): Promise<void> {
  const admin = createClient(AdminService, address, { tls, ...(tls.cert === undefined ? { token: "admin-token" } : {}) });
  try {
    await expect.poll(() => admin.describeTopic({ name: topic }).then(() => true, () => false), { timeout: 10_000 }).toBe(true);
  } finally {
    admin.close();
  }
}

describe("a broker without the inter-broker credential", () => {
  let cluster: TestCluster;
  let dir: string;
  const clients: Array<{ close(): void }> = [];
  const admin = (address: string): ServiceClient<typeof AdminService.method> => {
    const c = createClient(AdminService, address, { token: "admin-token" });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tributary-inter-broker-"));
    const good = join(dir, "inter-broker.token");
    const wrong = join(dir, "wrong.token");
    await writeFile(good, "inter-broker-secret\n", { mode: 0o600 });
    // Broker 3 sends the admin's token: a valid principal with every permission, but not
    // the inter-broker one.
    await writeFile(wrong, "admin-token\n", { mode: 0o600 });
    cluster = await startCluster({
      brokers: 3,
      config: {
        interBrokerPrincipal: "broker",
        interBrokerTokenFile: good,
        authTokens: JSON.stringify(admins),
        acls: JSON.stringify(adminAcls),
      },
      brokerConfig: (id): Record<string, string> => (id === 3 ? { interBrokerTokenFile: wrong } : {}),
    });
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("never joins the ISR of a partition led by another broker, whose leader refuses it; the brokers with it replicate", async () => {
    const a = admin(cluster.bootstrap[0]!);
    await a.createTopic({ name: "orders", partitions: 6, replicationFactor: 3, config: { minInsyncReplicas: 2 } });
    // The leaders refuse broker 3's fetches: PERMISSION_DENIED (a principal, not the inter-broker one).
    const refused = await cluster.broker(3).process.waitForLog(
      (e) => e.msg === "replica fetch failed: reconnecting" && [status.PERMISSION_DENIED, status.UNAUTHENTICATED].includes((e.err as { code?: number } | undefined)?.code ?? -1),
      20_000,
    );
    expect((refused.err as { code: number }).code).toBe(status.PERMISSION_DENIED);
    // Broker 3 started in every ISR (a new partition's ISR is its replicas); it leaves
    // the ISRs of partitions led by 1 and 2 once it lags (replicaLagTimeMaxMs), and
    // brokers 1 and 2 stay in each other's.
    const ledElsewhere = async () =>
      (await a.describeTopic({ name: "orders" })).topic!.partitions.filter((p) => p.leader === 1 || p.leader === 2);
    await expect
      .poll(async () => (await ledElsewhere()).map((p) => [...p.isr].sort().join(",")), { timeout: 20_000 })
      .toSatisfy((isrs: string[]) => isrs.length > 0 && isrs.every((isr) => isr === "1,2"));
    // Refused again and again, it stays out, while acks=ALL (2 in-sync replicas) works.
    const refusals = () => cluster.broker(3).process.logs.filter((l) => l.includes("replica fetch failed")).length;
    const before = refusals();
    await cluster.broker(3).process.waitForLog((e) => e.msg === "replica fetch failed: reconnecting" && refusals() >= before + 3, 20_000);
    for (const p of await ledElsewhere()) {
      expect([...p.isr].sort()).toEqual([1, 2]);
      const produce = createClient(ProduceService, cluster.broker(p.leader).address, { token: "admin-token" });
      clients.push(produce);
      const answer = await produce.produce({ topic: "orders", partition: p.partition, acks: Acks.ALL, records: [{ value: bytes("v") }] });
      expect(answer.results[0]?.partition).toBe(p.partition);
    }
  });

  it("cannot be given the inter-broker identity through the Admin calls", async () => {
    const refused = await admin(cluster.bootstrap[0]!).createToken({ principal: "broker" }).catch((err: unknown) => err);
    expect(refused).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(errorReason(refused)).toBe("RESERVED_PRINCIPAL");
  });
});

describe("TLS between brokers", () => {
  let cluster: TestCluster;
  let dir: string;
  let pki: TestPki;
  const clients: Array<{ close(): void }> = [];

  beforeAll(async () => {
    pki = makeTestPki();
    dir = await mkdtemp(join(tmpdir(), "tributary-inter-broker-tls-"));
    const tokenFile = join(dir, "inter-broker.token");
    await writeFile(tokenFile, "inter-broker-secret\n", { mode: 0o600 });
    cluster = await startCluster({
      brokers: 3,
      config: {
        tlsCert: pki.serverCertPath,
        tlsKey: pki.serverKeyPath,
        interBrokerTlsCa: pki.caPath,
        interBrokerPrincipal: "broker",
        interBrokerTokenFile: tokenFile,
        authTokens: JSON.stringify(admins),
        acls: JSON.stringify(adminAcls),
      },
    });
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
    pki?.remove();
  });

  it("replicates over TLS: every ISR stays full and acks=ALL is acknowledged", async () => {
    const tls = { ca: pki.caPem };
    const admin = createClient(AdminService, cluster.bootstrap[0]!, { tls, token: "admin-token" });
    clients.push(admin);
    const created = (await admin.createTopic({ name: "secure", partitions: 3, replicationFactor: 3, config: { minInsyncReplicas: 3 } })).topic!;
    for (const p of created.partitions) {
      const produce = createClient(ProduceService, cluster.broker(p.leader).address, { tls, token: "admin-token" });
      clients.push(produce);
      // minInsyncReplicas 3: acknowledged only once both followers fetched it over TLS.
      await knownAt(cluster.broker(p.leader).address, "secure", tls);
      await produce.produce({ topic: "secure", partition: p.partition, acks: Acks.ALL, records: [{ value: bytes("v") }] });
    }
    const described = (await admin.describeTopic({ name: "secure" })).topic!;
    for (const p of described.partitions) expect([...p.isr].sort()).toEqual([1, 2, 3]);
    // A plaintext client is not served.
    const plaintext = createClient(AdminService, cluster.bootstrap[1]!, { token: "admin-token" });
    clients.push(plaintext);
    await expect(plaintext.describeCluster({}, { deadline: 3000 })).rejects.toMatchObject({ code: status.UNAVAILABLE });
  });
});

describe("mutual TLS between brokers, the certificate as the inter-broker identity", () => {
  let cluster: TestCluster;
  let pki: TestPki;
  const clients: Array<{ close(): void }> = [];

  beforeAll(async () => {
    pki = makeTestPki();
    // No token file: each broker's own certificate (CN "broker") is its client certificate.
    const brokerCert = pki.broker("broker");
    cluster = await startCluster({
      brokers: 3,
      config: {
        tlsCert: brokerCert.certPath,
        tlsKey: brokerCert.keyPath,
        tlsClientCa: pki.caPath,
        interBrokerPrincipal: "broker",
        acls: JSON.stringify(adminAcls),
      },
    });
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await cluster?.stop();
    pki?.remove();
  });

  it("replicates with every ISR full", async () => {
    const { cert, key } = pki.client("admin");
    const tls = { ca: pki.caPem, cert, key };
    const admin = createClient(AdminService, cluster.bootstrap[0]!, { tls });
    clients.push(admin);
    const created = (await admin.createTopic({ name: "mutual", partitions: 3, replicationFactor: 3, config: { minInsyncReplicas: 3 } })).topic!;
    for (const p of created.partitions) {
      const produce = createClient(ProduceService, cluster.broker(p.leader).address, { tls });
      clients.push(produce);
      await knownAt(cluster.broker(p.leader).address, "mutual", tls);
      await produce.produce({ topic: "mutual", partition: p.partition, acks: Acks.ALL, records: [{ value: bytes("v") }] });
    }
    for (const p of (await admin.describeTopic({ name: "mutual" })).topic!.partitions) expect([...p.isr].sort()).toEqual([1, 2, 3]);
  });
});
