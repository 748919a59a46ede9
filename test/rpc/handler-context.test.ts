import { create } from "@bufbuild/protobuf";
import { credentials, makeGenericClientConstructor, Metadata, Server, ServerCredentials, status, type ServiceError } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { Authorizer, hashToken } from "../../services/auth/index.js";
import { TributaryError } from "../../services/errors.js";
import { bindService, createServiceDefinition, type HandlerContext, type StreamSink, type RawMessage } from "../../services/rpc/index.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { silentLogger } from "../helpers/test-broker.js";

/**
 * What bindService hands a handler instead of a grpc-js call
 * (services/rpc/context.ts): principal and listing filter, peer, request
 * metadata, trailers, headers, the abort signal, and a stream's sink.
 */

const servers: Server[] = [];
const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
  for (const server of servers.splice(0)) server.forceShutdown();
});

type Callback = (err: ServiceError | null, response: unknown) => void;
interface UnaryClient {
  [method: string]: (request: unknown, metadata: Metadata, callback: Callback) => { on(event: "status", l: (s: { metadata: Metadata }) => void): void; cancel(): void };
}

async function serve(service: typeof AdminService | typeof FetchService, impl: object, auth?: Authorizer, codecs = {}) {
  const server = new Server();
  servers.push(server);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a partial table: only the methods a test calls
  const bound = bindService(service as any, impl as any, silentLogger, codecs, undefined, auth);
  server.addService(bound.definition, bound.implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const Client = makeGenericClientConstructor(createServiceDefinition(service), "Test");
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as UnaryClient & { close(): void };
  closers.push(() => client.close());
  return client;
}

/** Every method of AdminService, each failing: the tests replace the ones they call. */
const adminStubs = Object.fromEntries(AdminService.methods.map((m) => [m.localName, async () => Promise.reject(new Error("unused"))]));

function call(client: UnaryClient, method: string, request: unknown, metadata = new Metadata()) {
  let trailers: Metadata | undefined;
  const answer = new Promise<{ err: ServiceError | null; response: unknown; trailers: () => Metadata | undefined }>((resolve) => {
    const c = client[method]!(request, metadata, (err, response) => resolve({ err, response, trailers: () => trailers }));
    c.on("status", (s) => (trailers = s.metadata));
  });
  return answer;
}

describe("HandlerContext", () => {
  it("gives a unary handler its peer, request metadata and origin, and sends the trailers it sets, on success and on error", async () => {
    const seen: Array<Pick<HandlerContext, "method" | "principal" | "origin" | "peer"> & { header: string | undefined; visible: boolean }> = [];
    const client = await serve(AdminService, {
      ...adminStubs,
      async listTopics(_request: unknown, context: HandlerContext) {
        const { method, principal, origin, peer } = context;
        seen.push({ method, principal, origin, peer, header: context.requestHeader.get("x-test"), visible: context.visible("topic", "any") });
        context.setTrailer("x-served-by", "test");
        return { topics: [{ name: "a", partitions: 1 }] };
      },
      async deleteTopic(_request: unknown, context: HandlerContext) {
        context.setTrailer("x-served-by", "test");
        throw new TributaryError("not_found", "UNKNOWN_TOPIC", "no such topic");
      },
    });
    const metadata = new Metadata();
    metadata.set("x-test", "hello");
    const ok = await call(client, "listTopics", create(AdminService.method.listTopics.input), metadata);
    expect(ok.err).toBeNull();
    expect(ok.trailers()?.get("x-served-by")).toEqual(["test"]);
    expect(seen).toEqual([
      { method: "tributary.v1.AdminService/ListTopics", principal: undefined, origin: "local", peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/), header: "hello", visible: true },
    ]);

    const failed = await call(client, "deleteTopic", create(AdminService.method.deleteTopic.input, { name: "x" }));
    expect(failed.err?.code).toBe(status.NOT_FOUND);
    expect(failed.err?.metadata.get("tributary-reason")).toEqual(["UNKNOWN_TOPIC"]);
    expect(failed.err?.metadata.get("x-served-by")).toEqual(["test"]);
  });

  it("carries the authenticated principal and the Authorizer's listing filter", async () => {
    const seen: Array<{ principal: string | undefined; own: boolean; other: boolean }> = [];
    const client = await serve(
      AdminService,
      {
        ...adminStubs,
        async listTopics(_request: unknown, context: HandlerContext) {
          seen.push({ principal: context.principal, own: context.visible("topic", "alice.orders"), other: context.visible("topic", "bob.orders") });
          return {};
        },
      },
      // ListTopics needs describe on the cluster in the real table; this test's table asks nothing.
      new Authorizer({
        authTokens: [{ principal: "alice", sha256: hashToken("alice-token") }],
        acls: [{ principal: "alice", resource: { type: "topic", prefix: "alice." }, operations: ["read"] }],
        mutualTls: false,
        table: Object.fromEntries(AdminService.methods.map((m) => [`${AdminService.typeName}/${m.name}`, []])),
      }),
    );
    const metadata = new Metadata();
    metadata.set("authorization", "Bearer alice-token");
    const ok = await call(client, "listTopics", create(AdminService.method.listTopics.input), metadata);
    expect(ok.err).toBeNull();
    expect(seen).toEqual([{ principal: "alice", own: true, other: false }]);
  });

  it("aborts a unary handler's signal when the client cancels", async () => {
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let aborted!: () => void;
    const abortSeen = new Promise<void>((resolve) => (aborted = resolve));
    const client = await serve(AdminService, {
      ...adminStubs,
      async listTopics(_request: unknown, context: HandlerContext) {
        context.signal.addEventListener("abort", () => aborted(), { once: true });
        started();
        await abortSeen;
        return {};
      },
    });
    const pending = client.listTopics!(create(AdminService.method.listTopics.input), new Metadata(), () => undefined);
    await running;
    pending.cancel();
    await abortSeen;
  });

  it("gives a stream handler a sink whose sends reach the client, and headers sent before any message", async () => {
    let sinkClosed: boolean | undefined;
    let handlerDone!: () => void;
    const done = new Promise<void>((resolve) => (handlerDone = resolve));
    const client = (await serve(
      FetchService,
      {
        fetch: async () => Buffer.alloc(0),
        async subscribe(_request: unknown, sink: StreamSink<RawMessage>, context: HandlerContext) {
          context.sendHeaders();
          // A raw method: the bytes of an empty SubscribeResponse.
          await new Promise<void>((resolve) => sink.send(Buffer.alloc(0), resolve));
          await new Promise<void>((resolve) =>
            context.signal.aborted ? resolve() : context.signal.addEventListener("abort", () => resolve(), { once: true }),
          );
          sinkClosed = sink.closed;
          handlerDone();
        },
      },
      undefined,
      { fetch: { response: "raw" }, subscribe: { response: "raw" } },
    )) as unknown as { subscribe(request: unknown): NodeJS.ReadableStream & { cancel(): void; on(e: string, l: (...a: unknown[]) => void): unknown } };
    const stream = client.subscribe(create(FetchService.method.subscribe.input, { topic: "t" }));
    stream.on("error", () => undefined);
    const headers = new Promise<void>((resolve) => stream.on("metadata", () => resolve()));
    const first = new Promise<unknown>((resolve) => stream.on("data", resolve));
    await headers;
    expect(await first).toEqual(create(FetchService.method.subscribe.output));
    stream.cancel();
    await done;
    expect(sinkClosed).toBe(true);
  });
});
