import {
  Metadata,
  type ServerDuplexStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type ServiceError,
  type UntypedServiceImplementation,
  type sendUnaryData,
} from "@grpc/grpc-js";
import { create, fromBinary, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import type { Logger } from "pino";
import type { Authorizer, Meter, ResourceType } from "../auth/index.js";
import { InvalidArgumentError, TributaryError } from "../errors.js";
import type { RpcMetrics } from "../metrics/index.js";
import { PartsMessage, wireLength } from "./parts-message.js";
import { methodRequestLimits, type RequestLimits } from "./request-limits.js";
import { scanRequest } from "./request-scan.js";
import { createServiceDefinition, type MethodCodec } from "./service-definition.js";
import { servePipelined, type PipelineOptions } from "./pipelined-stream.js";
import type { HandlerContext, RequestHeaders, StreamSink } from "./context.js";
import { codeName, toServiceError } from "./status.js";

/** A raw method's message: its bytes, or its parts (parts-message.ts), already encoded. */
export type RawMessage = Buffer | PartsMessage;

/** A unary handler: a message (or, for raw-response methods, its bytes or parts) or a throw. */
export type UnaryHandler<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  context: HandlerContext,
) => Promise<MessageInitShape<O> | RawMessage>;

/** A server-streaming handler: sends to `sink`, resolves when the stream should end. */
export type StreamHandler<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  sink: StreamSink<MessageShape<O> | RawMessage>,
  context: HandlerContext,
) => Promise<void>;

/** A bidirectional-streaming handler: reads the decoded requests (each checked against
 * the method's limits and, with auth, authorized), sends to `sink`, resolves when the
 * stream should end. The iteration throws the first bad request's error. */
export type BidiHandler<I extends DescMessage, O extends DescMessage> = (
  requests: AsyncIterable<MessageShape<I>>,
  sink: StreamSink<MessageShape<O> | RawMessage>,
  context: HandlerContext,
) => Promise<void>;

type HandlerOf<M> = M extends { methodKind: "unary"; input: infer I extends DescMessage; output: infer O extends DescMessage }
  ? UnaryHandler<I, O>
  : M extends { methodKind: "server_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
    ? StreamHandler<I, O>
    : M extends { methodKind: "bidi_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
      ? BidiHandler<I, O>
      : never;

/** Every method of a generated service, implemented. */
export type ServiceImpl<T extends GenServiceMethods> = { [K in keyof T]: HandlerOf<T[K]> };

export interface BoundService {
  readonly definition: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
}

/**
 * Wraps typed handlers into grpc-js's callback API: the one place where
 * handlers meet grpc-js. A handler gets its decoded request and a
 * HandlerContext (services/rpc/context.ts), and answers a value (unary) or
 * sends to a StreamSink (server streaming). Every call goes through the same
 * steps, in this order (issue 14), all composed here:
 *
 * 1. with `auth`, authentication from the call's metadata (already done,
 *    before the body was read, by services/rpc/authenticate-first.ts when
 *    the server has that interceptor; here it is then a lookup);
 * 2. the method's request limits (services/rpc/request-limits.ts): a request
 *    over its size is refused unread, RESOURCE_EXHAUSTED REQUEST_TOO_LARGE;
 * 3. ONE decode: the method's own parser (Produce's wire-level walk), or a
 *    schema walk (request-scan.ts: legal tags, no repeated singular field,
 *    repeated elements within the limit) and then protobuf-es without
 *    unknown fields. Bad bytes are INVALID_ARGUMENT MALFORMED_REQUEST;
 * 4. with `auth`, authorization against the ACL table
 *    (services/auth/method-acls.ts), reading its names from that same decoded
 *    request, then the principal's quota; listings then filter by the
 *    principal (HandlerContext.visible);
 * 5. the handler, given the decoded request in the same tick as step 3 (a
 *    parser may hand out scratch arrays that the next call reuses).
 *
 * A metered call's quota wraps its answer: a unary answer waits out the
 * debt, a stream's sink is a MeteredSink. Thrown errors go through the
 * status table; a stream whose client went away is ended quietly. With `metrics`, every call is counted by status code,
 * unary calls timed, open streams gauged (services/metrics/rpc-metrics.ts).
 * Binding fails if a method has no entry in the limits table, or, with
 * `auth`, in the ACL table. Without `auth` nothing of it runs per call.
 */
export function bindService<T extends GenServiceMethods>(
  service: GenService<T>,
  impl: ServiceImpl<T>,
  log: Logger,
  codecs: Readonly<Record<string, MethodCodec>> = {},
  metrics?: RpcMetrics,
  auth?: Authorizer,
  limitsTable: Readonly<Record<string, RequestLimits>> = methodRequestLimits,
): BoundService {
  const definition = createServiceDefinition(service, codecs);
  const implementation: UntypedServiceImplementation = {};
  for (const method of service.methods) {
    const name = `${service.typeName}/${method.name}`;
    const handler = (impl as Record<string, unknown>)[method.localName] as
      | ((request: unknown, ...rest: unknown[]) => Promise<unknown>)
      | undefined;
    if (handler === undefined) throw new Error(`no handler for ${name}`);
    if (auth !== undefined && auth.requirements(name) === undefined) {
      throw new Error(`${name} has no entry in the ACL table (services/auth/method-acls.ts)`);
    }
    const limits = Object.hasOwn(limitsTable, name) ? limitsTable[name] : undefined;
    if (limits === undefined) throw new Error(`${name} has no entry in the request limits table (services/rpc/request-limits.ts)`);
    const decode = requestDecoder(method.input, limits, codecs[method.localName]?.request);
    const admit = admission(name, decode, auth);

    if (method.methodKind === "unary") {
      const output = method.output;
      implementation[method.localName] = (call: UnaryCall, callback: sendUnaryData<unknown>) => {
        const context = new CallContext(name, call, false, auth);
        let request: unknown;
        try {
          request = admit(call, context);
        } catch (err) {
          const error = context.withTrailers(toServiceError(err, log, name));
          callback(error);
          metrics?.rejected(name, codeName(error.code));
          return;
        }
        const meter = context.meter;
        // Quota: a produce is charged its request (before it is appended), a fetch its answer;
        // the answer waits out the debt.
        const produced = meter?.kind === "produce" ? meter.charge((call.request as Buffer).length) : 0;
        const started = metrics === undefined ? 0 : performance.now();
        const answer = (err: ServiceError | null, value?: unknown) => {
          const delay = meter === undefined || err ? 0 : meter.kind === "fetch" ? meter.charge(wireLength(value)) : produced;
          // An error carries the trailers in its own metadata (withTrailers): grpc-js would let
          // a trailer argument replace it, reason and all.
          const trailers = err ? undefined : context.trailers;
          if (delay > 0) setTimeout(() => callback(err, value, trailers), delay);
          else callback(err, value, trailers);
        };
        handler(request, context).then(
          (response) => {
            answer(null, Buffer.isBuffer(response) || response instanceof PartsMessage ? response : create(output, response as never));
            metrics?.unary(name, "OK", (performance.now() - started) / 1000);
          },
          (err: unknown) => {
            const error = context.withTrailers(toServiceError(err, log, name));
            answer(error);
            metrics?.unary(name, codeName(error.code), (performance.now() - started) / 1000);
          },
        );
      };
    } else if (method.methodKind === "server_streaming") {
      implementation[method.localName] = (call: StreamCall) => {
        const context = new CallContext(name, call, true, auth);
        const fail = (err: unknown): string => {
          if (call.cancelled || call.destroyed) return "CANCELLED";
          const error = context.withTrailers(toServiceError(err, log, name));
          call.emit("error", error);
          return codeName(error.code);
        };
        let request: unknown;
        try {
          request = admit(call, context);
        } catch (err) {
          metrics?.rejected(name, fail(err));
          return;
        }
        // Quota: every message is charged, and its `written` waits out the debt.
        const sink: StreamSink<unknown> =
          context.meter === undefined ? new CallSink(call) : new MeteredSink(new CallSink(call), context.meter);
        metrics?.streamOpened(name);
        handler(request, sink, context).then(
          () => {
            const gone = call.cancelled || call.destroyed;
            if (!gone) call.end(context.trailers);
            metrics?.streamClosed(name, gone ? "CANCELLED" : "OK");
          },
          (err: unknown) => metrics?.streamClosed(name, fail(err)),
        );
      };
    } else if (method.methodKind === "bidi_streaming") {
      // Authenticated once, from the call's metadata. Then either a pipelined method
      // (ProduceStream: every request a unary call of the handler, pipelined-stream.ts), or
      // an inter-broker stream (ReplicaService.Replicate): each request limited, decoded
      // and authorized as it arrives.
      const pipeline = codecs[method.localName]?.pipeline;
      const pipelineOptions: PipelineOptions | undefined =
        pipeline === undefined
          ? undefined
          : { name, handler: handler as PipelineOptions["handler"], decode, codec: pipeline.answers, streams: pipeline.streams, log, metrics, auth };
      implementation[method.localName] = (call: BidiCall) => {
        const context = new CallContext(name, call, true, auth);
        const fail = (err: unknown): string => {
          if (call.cancelled || call.destroyed) return "CANCELLED";
          const error = context.withTrailers(toServiceError(err, log, name));
          call.emit("error", error);
          return codeName(error.code);
        };
        let principal: string | undefined;
        try {
          if (auth !== undefined) {
            context.principal = principal = auth.authenticate(call as never);
            // What does not depend on a request (the inter-broker principal) is checked
            // now: a refusal from inside the request loop would end the stream unanswered.
            auth.authorizeCaller(principal, name);
          }
        } catch (err) {
          metrics?.rejected(name, fail(err));
          return;
        }
        if (pipelineOptions !== undefined) {
          servePipelined(call, context, { principal, fail }, pipelineOptions);
          return;
        }
        const requests = (async function* () {
          for await (const bytes of call) {
            const request = decode(bytes as Buffer);
            if (auth !== undefined) auth.authorize(principal!, name, request);
            yield request;
          }
        })();
        metrics?.streamOpened(name);
        handler(requests, new CallSink(call), context).then(
          () => {
            const gone = call.cancelled || call.destroyed;
            if (!gone) call.end(context.trailers);
            metrics?.streamClosed(name, gone ? "CANCELLED" : "OK");
          },
          (err: unknown) => metrics?.streamClosed(name, fail(err)),
        );
      };
    } else {
      throw new Error(`${name}: ${method.methodKind} methods are not supported`);
    }
  }
  return { definition, implementation };
}

type UnaryCall = ServerUnaryCall<unknown, unknown>;
type StreamCall = ServerWritableStream<unknown, unknown>;
type BidiCall = ServerDuplexStream<unknown, unknown>;

/**
 * The HandlerContext of one grpc-js call. One object per call, built before
 * admission (which sets `principal` and `meter`); the abort signal and the
 * header view are made only when a handler asks for them, so Produce pays
 * for neither.
 */
class CallContext implements HandlerContext {
  readonly origin = "local";
  principal: string | undefined = undefined;
  /** The call's quota, set by admission when the principal is metered. */
  meter: Meter | undefined = undefined;
  /** Set by setTrailer; sent with the status. */
  trailers: Metadata | undefined = undefined;
  private controller: AbortController | undefined = undefined;
  private headers: RequestHeaders | undefined = undefined;

  constructor(
    readonly method: string,
    private readonly call: UnaryCall | StreamCall | BidiCall,
    private readonly stream: boolean,
    private readonly auth: Authorizer | undefined,
  ) {}

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      const controller = new AbortController();
      this.controller = controller;
      const abort = () => controller.abort();
      const call = this.call as UnaryCall; // the events used here are common to every call kind
      if (call.cancelled) abort();
      call.once("cancelled", abort);
      // A stream also ends without a cancel (its status was sent, it failed).
      if (this.stream) call.once("close", abort);
    }
    return this.controller.signal;
  }

  visible(type: ResourceType, name: string): boolean {
    return this.auth === undefined || this.auth.visible(this.principal!, type, name);
  }

  get peer(): string {
    return this.call.getPeer();
  }

  get requestHeader(): RequestHeaders {
    return (this.headers ??= new MetadataHeaders(this.call.metadata));
  }

  sendHeaders(): void {
    this.call.sendMetadata(new Metadata());
  }

  setTrailer(key: string, value: string): void {
    (this.trailers ??= new Metadata()).set(key, value);
  }

  /** An error's status with the trailers the handler set (the error's own win). */
  withTrailers(error: ServiceError): ServiceError {
    if (this.trailers !== undefined) {
      const merged = this.trailers.clone();
      merged.merge(error.metadata);
      error.metadata = merged;
    }
    return error;
  }
}

class MetadataHeaders implements RequestHeaders {
  constructor(private readonly metadata: Metadata) {}
  get(key: string): string | undefined {
    const value = this.metadata.get(key)[0];
    return value === undefined ? undefined : typeof value === "string" ? value : value.toString("utf8");
  }
}

/** A server stream as a StreamSink: `send` is the call's write, `written` its callback. */
class CallSink implements StreamSink<unknown> {
  constructor(private readonly call: StreamCall | BidiCall) {}
  send(message: unknown, written?: () => void): void {
    this.call.write(message, written);
  }
  get closed(): boolean {
    return this.call.destroyed;
  }
}

/** A metered stream's sink: charges every message to the principal's quota, and delays
 * its `written` by the debt, so the stream's writer (services/fetch/stream-writer.ts),
 * which waits for those, slows down to the quota. */
class MeteredSink implements StreamSink<unknown> {
  constructor(
    private readonly inner: StreamSink<unknown>,
    private readonly meter: Meter,
  ) {}
  send(message: unknown, written?: () => void): void {
    const delay = this.meter.charge(wireLength(message));
    this.inner.send(message, written === undefined || delay === 0 ? written : () => setTimeout(written, delay));
  }
  get closed(): boolean {
    return this.inner.closed;
  }
}

/** Steps 1-4 of bindService for one method: the decoded request, or a throw. Sets the
 * context's principal and quota meter. */
function admission(
  name: string,
  decode: (bytes: Buffer) => unknown,
  auth: Authorizer | undefined,
): (call: UnaryCall | StreamCall, context: CallContext) => unknown {
  if (auth === undefined) return (call) => decode(call.request as Buffer);
  return (call, context) => {
    const principal = auth.authenticate(call);
    const request = decode(call.request as Buffer);
    auth.authorize(principal, name, request);
    // A request forwarded by another broker was charged where it entered (CLUSTER.md section 5).
    context.meter = auth.forwarded(call) ? undefined : auth.meter(principal, name);
    // Listings filter through context.visible, which asks the Authorizer for this principal.
    context.principal = principal;
    return request;
  };
}

/** Steps 2 and 3 of bindService: the limits, then the method's parser or a checked protobuf-es decode. */
function requestDecoder(
  schema: DescMessage,
  limits: RequestLimits,
  parse: ((bytes: Buffer) => unknown) | undefined,
): (bytes: Buffer) => unknown {
  const checkSize = (bytes: Buffer) => {
    if (bytes.length > limits.maxBytes) {
      throw new TributaryError(
        "exhausted",
        "REQUEST_TOO_LARGE",
        `the request is ${bytes.length} bytes; this method takes at most ${limits.maxBytes}`,
      );
    }
  };
  if (parse !== undefined) {
    return (bytes) => {
      checkSize(bytes);
      return parse(bytes);
    };
  }
  return (bytes) => {
    checkSize(bytes);
    scanRequest(schema, bytes, limits.maxElements);
    try {
      // Unknown fields were walked over by the scan; keeping them would only cost memory.
      return fromBinary(schema, bytes, { readUnknownFields: false });
    } catch (cause) {
      // The scan admits only what protobuf-es reads (bad UTF-8 in a string is the case left).
      throw new InvalidArgumentError("MALFORMED_REQUEST", "request is not a valid protobuf message", { cause });
    }
  };
}

/** The handler of a pipelined bidirectional method (MethodCodec.pipeline): the unary handler
 * its every request is given to, typed as the table wants a bidi handler. */
export function pipelinedRequests<R, T>(handler: (request: R, context: HandlerContext) => Promise<T>) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- bindService calls it per request, not with an iterable
  return handler as unknown as (requests: any, sink: any, context: HandlerContext) => Promise<void>;
}

/** Narrows a typed handler table for a method whose codec parses its request (MethodCodec.request). */
export function parsedRequest<R, T>(handler: (request: R, context: HandlerContext) => Promise<T>) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the request's static type is the parser's result
  return handler as unknown as (request: any, context: HandlerContext) => Promise<T>;
}
