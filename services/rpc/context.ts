import type { ResourceType } from "../auth/index.js";

/**
 * Where a call came from. Every call is "local" today. In cluster mode a
 * broker that is not a partition's leader will forward the client's request
 * to the leader, and the leader will run the same handler for it: the
 * context is where that difference lives (the forwarded call's principal,
 * peer and deadline are the client's, not the forwarding broker's).
 */
export type CallOrigin = "local";

/** A call's request metadata, read-only. */
export interface RequestHeaders {
  /** The first value of `key` (lower case), as text; undefined when absent. */
  get(key: string): string | undefined;
}

/**
 * What a handler knows of its call, and the only way it acts on it besides
 * its answer (connect-es's HandlerContext is the model). Handlers never see
 * grpc-js: services/rpc/ is the one door to it.
 */
export interface HandlerContext {
  /** "tributary.v1.FetchService/Fetch". */
  readonly method: string;
  /** Aborts when the client cancels the call or the call ends. */
  readonly signal: AbortSignal;
  /** The authenticated principal; undefined when authentication is off. */
  readonly principal: string | undefined;
  /** Whether a listing (ListTopics, ListGroups) may show the resource to the call's
   * principal: decided by the Authorizer, never by the handler. Always true with
   * authentication off. */
  visible(type: ResourceType, name: string): boolean;
  /** The client's address, "ip:port". */
  readonly peer: string;
  readonly requestHeader: RequestHeaders;
  readonly origin: CallOrigin;
  /** Sends the response headers now (a stream's first message otherwise sends them):
   * Subscribe uses it to tell the client its start offsets are fixed. */
  sendHeaders(): void;
  /** Adds a trailer to the call's answer (with its status, success or error). */
  setTrailer(key: string, value: string): void;
}

/**
 * The typed output of a server-streaming handler. `send` is a direct call:
 * `written` (optional) runs once the transport took the message, which is
 * how a writer keeps its bytes in flight bounded (services/fetch/stream-writer.ts).
 * A metered stream's sink delays `written` by its quota.
 */
export interface StreamSink<T> {
  send(message: T, written?: () => void): void;
  /** True once the stream is gone (cancelled, failed or ended): sends are dropped. */
  readonly closed: boolean;
}
