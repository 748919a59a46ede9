/**
 * The ACL table test (test/auth/method-acls.test.ts) against a three-broker cluster with
 * authentication: the same cases, each on every broker, with the rules seeded into etcd
 * from the first broker's config file; and the internal ReplicaService, which only the
 * inter-broker principal may call (a principal holding every permission may not).
 */
import { status } from "@grpc/grpc-js";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { writeFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createClient, errorReason, type ServiceClient } from "../../clients/ts/index.js";
import { RpcClient, type BidiEnd } from "../../services/rpc/index.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { ProduceService } from "../../gen/ts/tributary/v1/produce_pb.js";
import { ReplicaService } from "../../gen/ts/tributary/cluster/v1/replica_pb.js";
import { acls, allMethods, authTokens, callOnce, cases, superuser, tokens } from "../auth/method-acl-cases.js";
import { startCluster, type TestCluster } from "../helpers/cluster.js";
import { bytes } from "../helpers/test-broker.js";

const interBrokerToken = "inter-broker-token-for-tests";

/** Opens Replicate on `address` with `token`, sends `request`; resolves with the stream's
 * error, or undefined once an answer came (the call was admitted). */
function replicate(address: string, token: string | undefined, request: Record<string, unknown>): Promise<BidiEnd> {
  const client = new RpcClient(address, token === undefined ? {} : { token });
  return new Promise<BidiEnd>((resolve) => {
    const timer = setTimeout(() => finish(new Error("no answer from Replicate in 10 s")), 10_000);
    function finish(end: BidiEnd): void {
      clearTimeout(timer);
      stream.cancel();
      client.close();
      resolve(end);
    }
    const stream = client.openBidiStream(ReplicaService.typeName, ReplicaService.method.replicate, {
      onMessage: () => finish(undefined),
      onEnd: (end) => finish(end ?? undefined),
    });
    stream.send(request as never);
  });
}

describe("the ACL table on a three-broker cluster", () => {
  let cluster: TestCluster;
  let dir: string;
  const clients: Array<{ close(): void }> = [];

  const client = (service: GenService<GenServiceMethods>, address: string, principal?: string): ServiceClient<GenServiceMethods> => {
    const c = createClient(service, address, principal ? { token: tokens.get(principal)! } : {});
    clients.push(c);
    return c;
  };

  async function call(service: GenService<GenServiceMethods>, address: string, localName: string, kind: string, request: unknown, principal?: string) {
    return callOnce(client(service, address, principal) as unknown as Record<string, (...args: unknown[]) => unknown>, localName, kind, request);
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tributary-acl-cluster-"));
    const tokenFile = join(dir, "inter-broker.token");
    await writeFile(tokenFile, `${interBrokerToken}\n`, { mode: 0o600 });
    cluster = await startCluster({
      brokers: 3,
      config: {
        interBrokerPrincipal: "broker",
        interBrokerTokenFile: tokenFile,
        authTokens: JSON.stringify(authTokens),
        acls: JSON.stringify(acls),
      },
    });
    const admin = client(AdminService, cluster.bootstrap[0]!, "setup") as unknown as ServiceClient<typeof AdminService.method>;
    await admin.createTopic({ name: "t1", partitions: 1 });
    await admin.createTopic({ name: "t2", partitions: 1 });
    // Records at each topic's leader (Subscribe and Fetch cases read one).
    for (const name of ["t1", "t2"]) {
      const leader = (await (client(AdminService, cluster.bootstrap[0]!, superuser) as unknown as ServiceClient<typeof AdminService.method>).describeTopic({ name })).topic!.partitions[0]!.leader;
      const atLeader = client(AdminService, cluster.broker(leader).address, superuser) as unknown as ServiceClient<typeof AdminService.method>;
      // The leader applies the new topic from its metadata watch, maybe after CreateTopic answered.
      await vi.waitFor(() => atLeader.describeTopic({ name }), { timeout: 10_000, interval: 50 });
      const produce = client(ProduceService, cluster.broker(leader).address, "setup") as unknown as ServiceClient<typeof ProduceService.method>;
      await produce.produce({ topic: name, records: [{ value: bytes("a") }] });
    }
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("seeds etcd once from the config file: every broker lists the same tokens and rules", async () => {
    const lists = await Promise.all(
      cluster.bootstrap.map(async (address) => {
        const admin = client(AdminService, address, superuser) as unknown as ServiceClient<typeof AdminService.method>;
        return { acls: (await admin.listAcls({})).acls.length, tokens: (await admin.listTokens({})).tokens.length };
      }),
    );
    expect(lists).toEqual(cluster.bootstrap.map(() => ({ acls: acls.length, tokens: authTokens.length })));
  });

  for (const { service, method, path } of allMethods) {
    const list = cases[path] ?? [];
    it(`${path}: ${list.length} case(s) on every broker`, async () => {
      expect(list.length, `no test case for ${path}`).toBeGreaterThan(0);
      for (const [k, c] of list.entries()) {
        for (const address of cluster.bootstrap) {
          if (c.needs === "inter-broker") {
            const unauthenticated = await replicate(address, undefined, c.request);
            expect(unauthenticated, `${path}#${k} at ${address} without a token`).toMatchObject({ code: status.UNAUTHENTICATED });
            const superuserEnd = await replicate(address, tokens.get(superuser), c.request);
            expect(superuserEnd, `${path}#${k} at ${address} as a principal with every permission`).toMatchObject({ code: status.PERMISSION_DENIED });
            expect(errorReason(superuserEnd)).toBe("NOT_AUTHORIZED");
            const interBroker = await replicate(address, interBrokerToken, c.request);
            const code = (interBroker as { code?: number } | undefined)?.code;
            expect(code === status.PERMISSION_DENIED || code === status.UNAUTHENTICATED, `${path}#${k} at ${address} as the inter-broker principal: ${String(interBroker)}`).toBe(false);
            continue;
          }
          const unauthenticated = await call(service, address, method.localName, method.methodKind, c.request);
          expect(unauthenticated, `${path}#${k} at ${address} without a token`).toMatchObject({ code: status.UNAUTHENTICATED });
          for (let i = 0; i < c.needs.length; i++) {
            const denied = await call(service, address, method.localName, method.methodKind, c.request, `${path}#${k}-${i}`);
            expect(denied, `${path}#${k} at ${address} without ${c.needs[i]!.join(" ")}`).toMatchObject({ code: status.PERMISSION_DENIED });
            expect(errorReason(denied)).toBe("NOT_AUTHORIZED");
          }
          const allowed = await call(service, address, method.localName, method.methodKind, c.request, `${path}#${k}`);
          const code = (allowed as { code?: number } | undefined)?.code;
          expect(code === status.PERMISSION_DENIED || code === status.UNAUTHENTICATED, `${path}#${k} at ${address} with its grants: ${String(allowed)}`).toBe(false);
        }
      }
    });
  }
});
