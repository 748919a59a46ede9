import { once } from "node:events";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { credentials, makeGenericClientConstructor, Metadata, Server, ServerCredentials, status, type ServiceError } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { beforeBodyInterceptor, bindService, createServiceDefinition, http2ServersOf, PartsMessage, setHttp2Settings } from "../../services/rpc/index.js";
import { FetchResponseSchema, FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { silentLogger } from "../helpers/test-broker.js";

/**
 * The grpc-js behaviours services/rpc/grpc-internals.ts names, checked against
 * a real grpc-js server: when an upgrade of grpc-js changes one of them, the
 * test of that point fails here (and not the broker quietly in production).
 */

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.forceShutdown();
});

async function listen(server: Server): Promise<number> {
  servers.push(server);
  return new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
}

describe("grpc-js internals the broker relies on (services/rpc/grpc-internals.ts)", () => {
  it("point 1: settings put in Server#commonServerOptions before bindAsync are the HTTP/2 SETTINGS the server sends", async () => {
    const server = new Server({ "grpc.max_concurrent_streams": 7 });
    setHttp2Settings(server, { initialWindowSize: 1 << 20 });
    const port = await listen(server);
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const [settings] = (await once(session, "remoteSettings")) as [http2.Settings];
      expect(settings.initialWindowSize).toBe(1 << 20);
      // grpc-js's own settings are kept beside ours.
      expect(settings.maxConcurrentStreams).toBe(7);
    } finally {
      session.destroy();
    }
  });

  it("point 2: Server#http2Servers holds the listening HTTP/2 server after bindAsync", async () => {
    const server = new Server();
    const port = await listen(server);
    const listeners = http2ServersOf(server);
    expect(listeners).toHaveLength(1);
    expect((listeners[0]!.address() as AddressInfo).port).toBe(port);
    // Its "session" event fires for every connection (the broker counts them and widens their window).
    const sessions = once(listeners[0]!, "session");
    const client = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const [session] = (await sessions) as [http2.ServerHttp2Session];
      expect(typeof session.setLocalWindowSize).toBe("function");
    } finally {
      client.destroy();
    }
  });

  it("point 3: a response's serializer result is read by byteLength and copied once, at offset 5 of the frame", async () => {
    const expected = create(FetchResponseSchema, { highWatermark: 42n, logStartOffset: 3n, nextOffset: 40n, leaderEpoch: 2 });
    const bytes = Buffer.from(toBinary(FetchResponseSchema, expected));
    const copies: Array<{ targetLength: number; start: number }> = [];
    class SpiedParts extends PartsMessage {
      override copy(target: Uint8Array, targetStart = 0): number {
        copies.push({ targetLength: target.length, start: targetStart });
        return super.copy(target, targetStart);
      }
    }
    const server = new Server();
    const bound = bindService(
      FetchService,
      {
        // Three parts, as Fetch answers (stored entries, then a trailer).
        fetch: async () => new SpiedParts([bytes.subarray(0, 2), bytes.subarray(2, 5), bytes.subarray(5)]),
        subscribe: async () => undefined,
      },
      silentLogger,
      { fetch: { response: "raw" }, subscribe: { response: "raw" } },
    );
    server.addService(bound.definition, bound.implementation);
    const port = await listen(server);
    const Client = makeGenericClientConstructor(createServiceDefinition(FetchService), "Fetch");
    const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as {
      fetch(request: unknown, callback: (err: ServiceError | null, response: unknown) => void): void;
      close(): void;
    };
    try {
      const answer = await new Promise<unknown>((resolve, reject) =>
        client.fetch(create(FetchService.method.fetch.input, { topic: "t" }), (err, response) => (err ? reject(err) : resolve(response))),
      );
      expect(answer).toEqual(fromBinary(FetchResponseSchema, bytes));
      expect(copies).toEqual([{ targetLength: bytes.length + 5, start: 5 }]);
    } finally {
      client.close();
    }
  });

  it("point 4: a status sent from an interceptor's onReceiveMetadata ends the call before its body is read", async () => {
    let deserialized = 0;
    let handled = 0;
    const seen: string[] = [];
    const server = new Server({
      interceptors: [
        beforeBodyInterceptor(
          (path) => path === "/test.Guarded/Call",
          (path, metadata) => {
            seen.push(`${path} ${String(metadata.get("x-who")[0])}`);
            const refusal = new Metadata();
            refusal.set("tributary-reason", "MISSING_CREDENTIALS");
            return Object.assign(new Error("no"), { code: status.UNAUTHENTICATED, details: "no", metadata: refusal });
          },
        ),
      ],
    });
    const method = (path: string) => ({
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: (b: Buffer) => b,
      requestDeserialize: (b: Buffer) => {
        deserialized++;
        return b;
      },
      responseSerialize: (b: Buffer) => b,
      responseDeserialize: (b: Buffer) => b,
    });
    const definition = { call: method("/test.Guarded/Call") };
    server.addService(definition, {
      call: (_call: unknown, callback: (err: null, value: Buffer) => void) => {
        handled++;
        callback(null, Buffer.alloc(0));
      },
    });
    const port = await listen(server);
    const Client = makeGenericClientConstructor(definition, "Guarded");
    const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as {
      call(request: Buffer, metadata: Metadata, callback: (err: ServiceError | null) => void): void;
      close(): void;
    };
    try {
      const metadata = new Metadata();
      metadata.set("x-who", "nobody");
      const err = await new Promise<ServiceError | null>((resolve) => client.call(Buffer.alloc(1 << 20, 7), metadata, resolve));
      expect(err?.code).toBe(status.UNAUTHENTICATED);
      expect(err?.metadata.get("tributary-reason")).toEqual(["MISSING_CREDENTIALS"]);
      expect(seen).toEqual(["/test.Guarded/Call nobody"]);
      // The body was never decoded, the handler never called.
      expect(deserialized).toBe(0);
      expect(handled).toBe(0);
    } finally {
      client.close();
    }
  });
});
