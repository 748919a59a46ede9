/**
 * Walks every method of every Tributary service: each must have an entry in
 * the ACL table, be refused without credentials (UNAUTHENTICATED), be refused
 * when any one of its permissions is missing (PERMISSION_DENIED), and pass
 * authorization with exactly its permissions. A new RPC without a table entry
 * and a case here fails this test.
 */
import { status } from "@grpc/grpc-js";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { acls, allMethods, authTokens, callOnce, cases, tokens } from "./method-acl-cases.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, errorReason, type ServiceClient } from "../../clients/ts/index.js";
import { Authorizer, methodAcls, type AclRequirement } from "../../services/auth/index.js";
import { createProduceParser } from "../../services/produce/produce-handler.js";
import { bindService } from "../../services/rpc/index.js";
import { startBroker, type Broker } from "../../services/server.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { ProduceService, ProduceRequestSchema } from "../../gen/ts/tributary/v1/produce_pb.js";
import { create, toBinary } from "@bufbuild/protobuf";
import { bytes, silentLogger, tempDir } from "../helpers/test-broker.js";

describe("the ACL table", () => {
  it("has an entry and a test case for every method of every service, and nothing else", () => {
    const paths = allMethods.map((m) => m.path).sort();
    expect(Object.keys(methodAcls).sort()).toEqual(paths);
    expect(Object.keys(cases).sort()).toEqual(paths);
  });

  it("makes bindService refuse a method without an entry when auth is on", () => {
    const impl = Object.fromEntries(AdminService.methods.map((m) => [m.localName, async () => ({})]));
    const partial = Object.fromEntries(Object.entries(methodAcls).filter(([path]) => !path.endsWith("/DeleteGroup")));
    const auth = new Authorizer({ authTokens: [], acls: [], mutualTls: false, table: partial });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    expect(() => bindService(AdminService, impl as any, silentLogger, {}, undefined, auth)).toThrow(
      /AdminService\/DeleteGroup has no entry in the ACL table/,
    );
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    expect(() => bindService(AdminService, impl as any, silentLogger, {}, undefined, undefined)).not.toThrow();
  });

  it("reads the Produce topic from the parsed request the handler acts on", () => {
    const parse = createProduceParser({ maxBatchRecords: 10 });
    const names = (bytes: Uint8Array) => (methodAcls["tributary.v1.ProduceService/Produce"]![0] as AclRequirement).names(parse(Buffer.from(bytes)) as never);
    const request = create(ProduceRequestSchema, { topic: "orders", records: [{ key: bytes("k"), value: bytes("v") }], acks: 1 });
    expect(names(toBinary(ProduceRequestSchema, request))).toEqual(["orders"]);
    // An idempotent producer's 63-bit id is a 9-byte varint (the TypeScript Producer's are random).
    const idempotent = create(ProduceRequestSchema, {
      topic: "orders", records: [{ value: bytes("v") }], producerId: 0x7fffffffffffffffn, sequence: 1n,
    });
    expect(names(toBinary(ProduceRequestSchema, idempotent))).toEqual(["orders"]);
    // Bytes that do not parse never reach the table: the parser throws first.
    expect(() => parse(Buffer.from([0x0a, 0x05, 0x61]))).toThrow(/length exceeds message/);
  });
});

describe("every RPC is authorized", () => {
  let broker: Broker;
  let dir: { path: string; remove(): Promise<void> };
  const clients: Array<{ close(): void }> = [];

  const client = (service: GenService<GenServiceMethods>, principal?: string): ServiceClient<GenServiceMethods> => {
    const c = createClient(service, broker.address, principal ? { token: tokens.get(principal)! } : {});
    clients.push(c);
    return c;
  };

  /** Calls a method; resolves with the error (or undefined when the call was admitted). */
  async function call(service: GenService<GenServiceMethods>, localName: string, kind: string, request: unknown, principal?: string) {
    return callOnce(client(service, principal) as unknown as Record<string, (...args: unknown[]) => unknown>, localName, kind, request);
  }

  beforeAll(async () => {
    dir = await tempDir();
    broker = await startBroker(
      { listen: "127.0.0.1:0", http: "off", logLevel: "silent", dataDir: dir.path, authTokens, acls },
      { logger: silentLogger },
    );
    const admin = client(AdminService, "setup") as unknown as ServiceClient<typeof AdminService.method>;
    await admin.createTopic({ name: "t1", partitions: 1 });
    await admin.createTopic({ name: "t2", partitions: 1 });
    const produce = client(ProduceService, "setup") as unknown as ServiceClient<typeof ProduceService.method>;
    await produce.produce({ topic: "t1", records: [{ value: bytes("a") }] });
    await produce.produce({ topic: "t2", records: [{ value: bytes("b") }] });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await broker?.close();
    await dir?.remove();
  });

  // The internal service is not served by a single broker: test/cluster/method-acls-cluster.test.ts.
  for (const { service, method, path } of allMethods.filter((m) => !m.path.startsWith("tributary.cluster."))) {
    const list = cases[path] ?? [];
    it(`${path}: ${list.length} case(s)`, async () => {
      expect(list.length, `no test case for ${path}`).toBeGreaterThan(0);
      for (const [k, c] of list.entries()) {
        if (c.needs === "inter-broker") throw new Error(`${path}: a client method cannot need the inter-broker principal`);
        const unauthenticated = await call(service, method.localName, method.methodKind, c.request);
        expect(unauthenticated, `${path}#${k} without a token`).toMatchObject({ code: status.UNAUTHENTICATED });
        for (let i = 0; i < c.needs.length; i++) {
          const denied = await call(service, method.localName, method.methodKind, c.request, `${path}#${k}-${i}`);
          expect(denied, `${path}#${k} without ${c.needs[i]!.join(" ")}`).toMatchObject({ code: status.PERMISSION_DENIED });
          expect(errorReason(denied)).toBe("NOT_AUTHORIZED");
        }
        const allowed = await call(service, method.localName, method.methodKind, c.request, `${path}#${k}`);
        const code = (allowed as { code?: number } | undefined)?.code;
        expect(code === status.PERMISSION_DENIED || code === status.UNAUTHENTICATED, `${path}#${k} with its grants: ${String(allowed)}`).toBe(false);
      }
    });
  }
});
