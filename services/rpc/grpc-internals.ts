import type { Http2SecureServer, Http2Server } from "node:http2";
import { ServerInterceptingCall, type Metadata, type Server, type ServerInterceptor, type ServiceError } from "@grpc/grpc-js";

/**
 * Every grpc-js behaviour the broker relies on that is not grpc-js's public
 * API, in one file (written against grpc-js 1.14). test/rpc/grpc-internals.test.ts
 * checks each one against a real server, so an upgrade that changes one of
 * them fails that test by name instead of slowing or breaking the broker
 * quietly. The helpers below throw when an internal is missing: a broker
 * that started without them would run at half speed or without its
 * connection limit.
 *
 * 1. `Server#commonServerOptions` (private): the options object every
 *    `http2.createServer`/`createSecureServer` of `bindAsync` is built from.
 *    Its `settings` carry the HTTP/2 SETTINGS the server sends; grpc-js has
 *    no option for the stream receive window (`initialWindowSize`), whose
 *    64 KiB default halves the throughput of 100 KB-1 MB requests
 *    (TOOLCHAIN.md). Set before bindAsync.
 * 2. `Server#http2Servers` (private): a Map whose keys are the node
 *    `Http2Server`s `bindAsync` listens with. The broker widens each
 *    session's connection window, counts connections and sets
 *    `maxConnections` on them. Read after bindAsync.
 * 3. The response serializer contract (`ServerInterceptingCall.serializeMessage`):
 *    grpc-js calls the method's `responseSerialize`, then, in the same
 *    synchronous step, reads `.byteLength` of the result and calls
 *    `.copy(frame, 5)` on it, once. `PartsMessage` (parts-message.ts)
 *    implements just those two, so its parts are copied straight into the
 *    frame. Compression would break this (grpc-js has no server-side
 *    response compression today).
 * 4. A server interceptor's `onReceiveMetadata` listener runs before any
 *    byte of the body is read: grpc-js keeps the HTTP/2 stream paused until
 *    the listener hands the metadata on. Answering a status there instead
 *    discards the body unread (authenticate-first.ts relies on it).
 */

/** The private fields of points 1 and 2. */
interface ServerInternals {
  commonServerOptions?: { settings?: Record<string, unknown> };
  http2Servers?: Map<Http2Server | Http2SecureServer, unknown>;
}

/** Point 1: HTTP/2 SETTINGS for every listener `bindAsync` creates afterwards. */
export function setHttp2Settings(server: Server, settings: Readonly<Record<string, unknown>>): void {
  const options = (server as unknown as ServerInternals).commonServerOptions;
  if (options === undefined || typeof options !== "object") {
    throw new Error("grpc-js changed: Server#commonServerOptions is gone (services/rpc/grpc-internals.ts, point 1)");
  }
  options.settings = { ...options.settings, ...settings };
}

/** Point 2: the HTTP/2 servers a bound grpc-js Server listens with. */
export function http2ServersOf(server: Server): Array<Http2Server | Http2SecureServer> {
  const servers = (server as unknown as ServerInternals).http2Servers;
  if (!(servers instanceof Map)) {
    throw new Error("grpc-js changed: Server#http2Servers is gone (services/rpc/grpc-internals.ts, point 2)");
  }
  return [...servers.keys()];
}

/**
 * Point 4: an interceptor that decides from a call's path and metadata alone,
 * before its body is read. `refuse` answers the status to end the call with,
 * or undefined to let it through; `applies(path)` false leaves the call
 * untouched (no listener at all).
 */
export function beforeBodyInterceptor(
  applies: (path: string) => boolean,
  refuse: (path: string, metadata: Metadata, authContext: () => ReturnType<ServerInterceptingCall["getAuthContext"]>) => ServiceError | undefined,
): ServerInterceptor {
  return (method, call) => {
    if (!applies(method.path)) return new ServerInterceptingCall(call);
    return new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, admit) {
            const refusal = refuse(method.path, metadata, () => call.getAuthContext());
            if (refusal === undefined) {
              admit(metadata);
              return;
            }
            call.sendStatus({ code: refusal.code, details: refusal.details, metadata: refusal.metadata });
          },
        });
      },
    });
  };
}
