import {
  status,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type UntypedServiceImplementation,
  type sendUnaryData,
} from "@grpc/grpc-js";
import { create, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import type { Logger } from "pino";
import type { Authorizer, CallCredentialsSource, Meter } from "../auth/authorizer.js";
import { attachCallAuth } from "../auth/call-auth.js";
import { InvalidArgumentError } from "../errors.js";
import type { RpcMetrics } from "../metrics/index.js";
import { PartsMessage, wireLength } from "./parts-message.js";
import { createServiceDefinition, UndecodableRequest, type RawCodec } from "./service-definition.js";
import { toServiceError } from "./status.js";

/** A unary handler: a message (or, for raw-response methods, its bytes or parts) or a throw. */
export type UnaryHandler<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  call: ServerUnaryCall<MessageShape<I>, unknown>,
) => Promise<MessageInitShape<O> | Buffer | PartsMessage>;

/** A server-streaming handler: writes to `call`, resolves when the stream should end. */
export type StreamHandler<I extends DescMessage> = (
  request: MessageShape<I>,
  call: ServerWritableStream<MessageShape<I>, unknown>,
) => Promise<void>;

type HandlerOf<M> = M extends { methodKind: "unary"; input: infer I extends DescMessage; output: infer O extends DescMessage }
  ? UnaryHandler<I, O>
  : M extends { methodKind: "server_streaming"; input: infer I extends DescMessage }
    ? StreamHandler<I>
    : never;

/** Every method of a generated service, implemented. */
export type ServiceImpl<T extends GenServiceMethods> = { [K in keyof T]: HandlerOf<T[K]> };

export interface BoundService {
  readonly definition: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
}

/**
 * Wraps typed handlers into grpc-js's callback API: undecodable requests
 * become INVALID_ARGUMENT, thrown errors go through the status table, and a
 * stream whose client went away is ended quietly. With `metrics`, every call
 * is counted by status code, unary calls timed, open streams gauged
 * (services/metrics/rpc-metrics.ts). With `auth` (only when authentication
 * is configured), every handler is wrapped: the call is authenticated,
 * checked against the ACL table (services/auth/method-acls.ts) and admitted
 * by its quota before the handler runs (listings then filter by the
 * principal: services/auth/call-auth.ts), and binding fails if a method has no
 * table entry. Without `auth` the handlers are exactly the plain ones: the
 * one branch is taken here, once per method, not per call.
 */
export function bindService<T extends GenServiceMethods>(
  service: GenService<T>,
  impl: ServiceImpl<T>,
  log: Logger,
  raw: Readonly<Record<string, RawCodec>> = {},
  metrics?: RpcMetrics,
  auth?: Authorizer,
): BoundService {
  const definition = createServiceDefinition(service, raw);
  const implementation: UntypedServiceImplementation = {};
  for (const method of service.methods) {
    const name = `${service.typeName}/${method.name}`;
    const handler = (impl as Record<string, unknown>)[method.localName] as
      | ((request: unknown, call: unknown) => Promise<unknown>)
      | undefined;
    if (handler === undefined) throw new Error(`no handler for ${name}`);
    if (auth !== undefined && auth.requirements(name) === undefined) {
      throw new Error(`${name} has no entry in the ACL table (services/auth/method-acls.ts)`);
    }
    if (method.methodKind === "unary") {
      const output = method.output;
      implementation[method.localName] = (
        call: ServerUnaryCall<unknown, unknown>,
        callback: sendUnaryData<unknown>,
      ) => {
        const request = call.request;
        if (request instanceof UndecodableRequest) {
          callback(toServiceError(undecodable(request), log, name));
          metrics?.rejected(name, "INVALID_ARGUMENT");
          return;
        }
        const started = metrics === undefined ? 0 : performance.now();
        handler(request, call).then(
          (response) => {
            callback(null, Buffer.isBuffer(response) || response instanceof PartsMessage ? response : create(output, response as never));
            metrics?.unary(name, "OK", (performance.now() - started) / 1000);
          },
          (err: unknown) => {
            const error = toServiceError(err, log, name);
            callback(error);
            metrics?.unary(name, codeName(error.code), (performance.now() - started) / 1000);
          },
        );
      };
    } else if (method.methodKind === "server_streaming") {
      implementation[method.localName] = (call: ServerWritableStream<unknown, unknown>) => {
        const request = call.request;
        const fail = (err: unknown): string => {
          if (call.cancelled || call.destroyed) return "CANCELLED";
          const error = toServiceError(err, log, name);
          call.emit("error", error);
          return codeName(error.code);
        };
        if (request instanceof UndecodableRequest) {
          metrics?.rejected(name, fail(undecodable(request)));
          return;
        }
        metrics?.streamOpened(name);
        handler(request, call).then(
          () => {
            const gone = call.cancelled || call.destroyed;
            if (!gone) call.end();
            metrics?.streamClosed(name, gone ? "CANCELLED" : "OK");
          },
          (err: unknown) => metrics?.streamClosed(name, fail(err)),
        );
      };
    } else {
      throw new Error(`${name}: ${method.methodKind} methods are not supported`);
    }
    if (auth !== undefined) {
      implementation[method.localName] = guard(implementation[method.localName]!, method.methodKind, name, auth, log, metrics);
    }
  }
  return { definition, implementation };
}

type UnaryCall = ServerUnaryCall<unknown, unknown>;
type StreamCall = ServerWritableStream<unknown, unknown>;

/**
 * Wraps a bound handler with authentication, authorization and quotas. A
 * refused call never reaches the handler; a metered one has its answer (or,
 * for a stream, each message's write completion) delayed by its quota.
 */
function guard(
  plain: UntypedServiceImplementation[string],
  kind: string,
  name: string,
  auth: Authorizer,
  log: Logger,
  metrics: RpcMetrics | undefined,
): UntypedServiceImplementation[string] {
  if (kind === "unary") {
    const inner = plain as (call: UnaryCall, callback: sendUnaryData<unknown>) => void;
    return ((call: UnaryCall, callback: sendUnaryData<unknown>) => {
      // Undecodable requests keep their INVALID_ARGUMENT answer from the plain handler.
      if (call.request instanceof UndecodableRequest) return inner(call, callback);
      const outcome = check(auth, name, call.request, call);
      if ("error" in outcome) {
        const error = toServiceError(outcome.error, log, name);
        callback(error);
        metrics?.rejected(name, codeName(error.code));
        return;
      }
      const meter = outcome.meter;
      if (meter === undefined) return inner(call, callback);
      // A produce is charged its request (before it is appended), a fetch its answer.
      const produced = meter.kind === "produce" && Buffer.isBuffer(call.request) ? meter.charge(call.request.length) : 0;
      inner(call, (err, value) => {
        const delay = err ? 0 : meter.kind === "fetch" ? meter.charge(wireLength(value)) : produced;
        if (delay > 0) setTimeout(() => callback(err, value), delay);
        else callback(err, value);
      });
    }) as UntypedServiceImplementation[string];
  }
  const inner = plain as (call: StreamCall) => void;
  return ((call: StreamCall) => {
    if (call.request instanceof UndecodableRequest) return inner(call);
    const outcome = check(auth, name, call.request, call);
    if ("error" in outcome) {
      const error = toServiceError(outcome.error, log, name);
      call.emit("error", error);
      metrics?.rejected(name, codeName(error.code));
      return;
    }
    if (outcome.meter !== undefined) throttleWrites(call, outcome.meter);
    inner(call);
  }) as UntypedServiceImplementation[string];
}

/** Authenticates, authorizes and admits (quotas) a call: the error to answer with, or its quota meter. */
function check(
  auth: Authorizer,
  name: string,
  request: unknown,
  call: CallCredentialsSource,
): { error: unknown } | { meter: Meter | undefined } {
  try {
    const principal = auth.authenticate(call);
    auth.authorize(principal, name, request);
    const meter = auth.meter(principal, name);
    // Handlers that list resources filter them through this (services/auth/call-auth.ts).
    attachCallAuth(call, { principal, visible: (type, resource) => auth.visible(principal, type, resource) });
    return { meter };
  } catch (error) {
    return { error };
  }
}

/** Charges every message of a metered stream; a write's completion waits out the debt, and
 * the stream's writer (services/fetch/stream-writer.ts) waits for completions. */
function throttleWrites(call: StreamCall, meter: Meter): void {
  const write = call.write.bind(call) as (chunk: unknown, done?: (err?: Error | null) => void) => boolean;
  call.write = ((chunk: unknown, encoding?: unknown, cb?: unknown) => {
    const done = (typeof encoding === "function" ? encoding : cb) as ((err?: Error | null) => void) | undefined;
    const delay = meter.charge(wireLength(chunk));
    return write(chunk, done === undefined || delay === 0 ? done : (err) => setTimeout(() => done(err), delay));
  }) as typeof call.write;
}

/** "OK", "INVALID_ARGUMENT"...: grpc-js's status enum, by number. */
function codeName(code: number | undefined): string {
  return (code === undefined ? undefined : status[code]) ?? "UNKNOWN";
}

function undecodable(request: UndecodableRequest): InvalidArgumentError {
  return new InvalidArgumentError("MALFORMED_REQUEST", "request is not a valid protobuf message", {
    cause: request.cause,
  });
}

/** Narrows a typed handler table for methods registered with a raw request codec. */
export function rawRequest<T>(handler: (request: Buffer, call: ServerUnaryCall<Buffer, unknown>) => Promise<T>) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the request's static type is the Buffer above
  return handler as unknown as (request: any, call: any) => Promise<T>;
}
