import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { makeGenericClientConstructor, credentials, Metadata, status, type Client } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, errorReason } from "../../clients/ts/index.js";
import { hashToken } from "../../services/auth/tokens.js";
import { resolveConfig } from "../../services/config.js";
import type { Broker } from "../../services/server.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { BrokerSet } from "../helpers/test-broker.js";

const adminToken = "admin-secret-token";
const readerToken = "reader-secret-token";
const authTokens = [
  { principal: "admin", sha256: hashToken(adminToken) },
  { principal: "reader", sha256: hashToken(readerToken) },
];
const acls = [
  { principal: "admin", resource: { type: "topic", prefix: "" }, operations: ["create", "describe"] },
  { principal: "admin", resource: { type: "cluster" }, operations: ["describe"] },
  { principal: "reader", resource: { type: "topic", prefix: "public." }, operations: ["describe"] },
];

describe("auth config", () => {
  const resolve = (values: Record<string, unknown>) => resolveConfig({ source: "test", values });

  it("accepts tokens and ACLs from a file key or as JSON text (flags, environment)", () => {
    expect(resolve({ authTokens, acls }).acls).toHaveLength(3);
    expect(resolve({ authTokens: JSON.stringify(authTokens) }).authTokens[0]).toEqual(authTokens[0]);
    expect(resolve({ reflectionRequiresAuth: "true" }).reflectionRequiresAuth).toBe(true);
    expect(resolve({}).authTokens).toEqual([]);
  });

  it("rejects malformed entries and unknown fields", () => {
    expect(() => resolve({ authTokens: [{ principal: "a", sha256: "xyz" }] })).toThrow(/64 hex/);
    expect(() => resolve({ authTokens: [{ principal: "a", token: "plain" }] })).toThrow(/unknown field "token"/);
    expect(() => resolve({ authTokens: "{" })).toThrow(/must be JSON/);
    expect(() =>
      resolve({ acls: [{ principal: "a", resource: { type: "topic" }, operations: ["produce"] }] }),
    ).toThrow(/"produce" is not one of/);
    expect(() =>
      resolve({ acls: [{ principal: "a", resource: { type: "queue" }, operations: ["read"] }] }),
    ).toThrow(/resource.type/);
    expect(() =>
      resolve({ acls: [{ principal: "a", resource: { type: "topic", name: "x", prefix: "y" }, operations: ["read"] }] }),
    ).toThrow(/name or prefix/);
    expect(() => resolve({ reflectionRequiresAuth: "yes" })).toThrow(/true or false/);
  });
});

describe("tributary auth hash-token", () => {
  it("prints a random token and its sha256", () => {
    const cli = fileURLToPath(new URL("../../services/tributary.mjs", import.meta.url));
    const out = execFileSync(process.execPath, [cli, "auth", "hash-token"], { encoding: "utf8" });
    const token = /token:\s+(\S+)/.exec(out)?.[1];
    const sha = /sha256:\s+([0-9a-f]{64})/.exec(out)?.[1];
    expect(token).toBeDefined();
    expect(sha).toBe(hashToken(token!));
    const again = execFileSync(process.execPath, [cli, "auth", "hash-token"], { encoding: "utf8" });
    expect(again).not.toContain(token!);
  });
});

/** A raw client for reflection (bidi) and health (unary), which the broker serves outside bindService. */
function rawClient(address: string): Client & Record<string, (...args: unknown[]) => unknown> {
  const passthrough = { requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b };
  const Ctor = makeGenericClientConstructor(
    {
      reflect: { path: "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", requestStream: true, responseStream: true, ...passthrough },
      health: { path: "/grpc.health.v1.Health/Check", requestStream: false, responseStream: false, ...passthrough },
    },
    "raw",
  );
  return new Ctor(address, credentials.createInsecure()) as Client & Record<string, (...args: unknown[]) => unknown>;
}

/** `list_services: ""` over reflection v1: resolves with the answer's size, rejects with the status. */
function listServices(client: ReturnType<typeof rawClient>, metadata = new Metadata()): Promise<number> {
  return new Promise((resolve, reject) => {
    const call = client.reflect(metadata, { deadline: Date.now() + 5000 }) as NodeJS.EventEmitter & {
      write(b: Buffer): void;
      end(): void;
    };
    call.on("data", (answer: Buffer) => {
      resolve(answer.length);
      call.end();
    });
    call.on("error", reject);
    call.write(Buffer.from([0x3a, 0x00]));
  });
}

function healthCheck(client: ReturnType<typeof rawClient>): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    client.health(Buffer.alloc(0), new Metadata(), (err: Error | null, answer: Buffer) => (err ? reject(err) : resolve(answer))),
  );
}

describe("token authentication", () => {
  const started = new BrokerSet();
  const start = (settings: Record<string, unknown>) => started.start(settings);
  let broker: Broker;

  beforeAll(async () => {
    broker = await start({ authTokens, acls });
  });
  afterAll(() => started.closeAll());

  it("refuses calls without credentials or with a bad token: UNAUTHENTICATED with a reason", async () => {
    const none = createClient(AdminService, broker.address);
    const wrong = createClient(AdminService, broker.address, { token: "not-a-token" });
    try {
      const missing = await none.listTopics({}).catch((err: unknown) => err);
      expect(missing).toMatchObject({ code: status.UNAUTHENTICATED });
      expect(errorReason(missing)).toBe("MISSING_CREDENTIALS");
      const invalid = await wrong.listTopics({}).catch((err: unknown) => err);
      expect(invalid).toMatchObject({ code: status.UNAUTHENTICATED });
      expect(errorReason(invalid)).toBe("INVALID_TOKEN");
      const metadata = new Metadata();
      metadata.set("authorization", `Basic ${adminToken}`);
      const notBearer = await none.listTopics({}, { metadata }).catch((err: unknown) => err);
      expect(errorReason(notBearer)).toBe("INVALID_TOKEN");
    } finally {
      none.close();
      wrong.close();
    }
  });

  it("accepts a valid token and applies that principal's ACLs", async () => {
    const admin = createClient(AdminService, broker.address, { token: adminToken });
    const reader = createClient(AdminService, broker.address, { token: readerToken });
    try {
      await admin.createTopic({ name: "public.news", partitions: 1 });
      await admin.createTopic({ name: "private.pay", partitions: 1 });
      await expect(reader.describeTopic({ name: "public.news" })).resolves.toBeDefined();
      const denied = await reader.describeTopic({ name: "private.pay" }).catch((err: unknown) => err);
      expect(denied).toMatchObject({ code: status.PERMISSION_DENIED });
      expect(errorReason(denied)).toBe("NOT_AUTHORIZED");
      // Deny by default: reader has no rule for creating topics or describing the cluster.
      await expect(reader.createTopic({ name: "public.more", partitions: 1 })).rejects.toMatchObject({
        code: status.PERMISSION_DENIED,
      });
      await expect(reader.describeCluster({})).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
      // Listings are filtered, not refused (test/auth/list-filter.test.ts).
      expect((await reader.listTopics({})).topics.map((t) => t.name)).toEqual(["public.news"]);
    } finally {
      admin.close();
      reader.close();
    }
  });

  it("keeps reflection and health open by default", async () => {
    const raw = rawClient(broker.address);
    try {
      expect(await listServices(raw)).toBeGreaterThan(0);
      expect([...(await healthCheck(raw))]).toEqual([0x08, 0x01]); // SERVING
    } finally {
      raw.close();
    }
  });

  it("with reflectionRequiresAuth, reflection needs a valid token; health stays open", async () => {
    const b = await start({ authTokens, acls, reflectionRequiresAuth: true });
    const raw = rawClient(b.address);
    try {
      const refused = await listServices(raw).catch((err: unknown) => err);
      expect(refused).toMatchObject({ code: status.UNAUTHENTICATED });
      expect(errorReason(refused)).toBe("MISSING_CREDENTIALS");
      const metadata = new Metadata();
      metadata.set("authorization", `Bearer ${readerToken}`);
      expect(await listServices(raw, metadata)).toBeGreaterThan(0);
      expect([...(await healthCheck(raw))]).toEqual([0x08, 0x01]);
    } finally {
      raw.close();
    }
  });

  it("a broker without auth config needs no credentials (unchanged default)", async () => {
    const b = await start({});
    const admin = createClient(AdminService, b.address);
    try {
      await expect(admin.listTopics({})).resolves.toBeDefined();
    } finally {
      admin.close();
    }
  });
});
