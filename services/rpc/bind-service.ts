import {
  status,
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
import type { Authorizer, Meter } from "../auth/authorizer.js";
import { attachCallAuth } from "../auth/call-auth.js";
import { InvalidArgumentError, TributaryError } from "../errors.js";
import type { RpcMetrics } from "../metrics/index.js";
import { PartsMessage, wireLength } from "./parts-message.js";
import { methodRequestLimits, type RequestLimits } from "./request-limits.js";
import { scanRequest } from "./request-scan.js";
import { createServiceDefinition, type MethodCodec } from "./service-definition.js";
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
 * Wraps typed handlers into grpc-js's callback API. Every call goes through
 * the same steps, in this order (issue 14):
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
 *    principal (services/auth/call-auth.ts);
 * 5. the handler, given the decoded request in the same tick as step 3 (a
 *    parser may hand out scratch arrays that the next call reuses).
 *
 * Thrown errors go through the status table; a stream whose client went away
 * is ended quietly. With `metrics`, every call is counted by status code,
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
      | ((request: unknown, call: unknown) => Promise<unknown>)
      | undefined;
    if (handler === undefined) throw new Error(`no handler for ${name}`);
    if (auth !== undefined && auth.requirements(name) === undefined) {
      throw new Error(`${name} has no entry in the ACL table (services/auth/method-acls.ts)`);
    }
    const limits = Object.hasOwn(limitsTable, name) ? limitsTable[name] : undefined;
    if (limits === undefined) throw new Error(`${name} has no entry in the request limits table (services/rpc/request-limits.ts)`);
    const admit = admission(name, requestDecoder(method.input, limits, codecs[method.localName]?.request), auth);

    if (method.methodKind === "unary") {
      const output = method.output;
      implementation[method.localName] = (call: UnaryCall, callback: sendUnaryData<unknown>) => {
        let admitted: Admitted;
        try {
          admitted = admit(call);
        } catch (err) {
          const error = toServiceError(err, log, name);
          callback(error);
          metrics?.rejected(name, codeName(error.code));
          return;
        }
        const { request, meter } = admitted;
        // A produce is charged its request (before it is appended), a fetch its answer.
        const produced = meter?.kind === "produce" ? meter.charge((call.request as Buffer).length) : 0;
        const started = metrics === undefined ? 0 : performance.now();
        const answer = (err: ServiceError | null, value?: unknown) => {
          const delay = meter === undefined || err ? 0 : meter.kind === "fetch" ? meter.charge(wireLength(value)) : produced;
          if (delay > 0) setTimeout(() => callback(err, value), delay);
          else callback(err, value);
        };
        handler(request, call).then(
          (response) => {
            answer(null, Buffer.isBuffer(response) || response instanceof PartsMessage ? response : create(output, response as never));
            metrics?.unary(name, "OK", (performance.now() - started) / 1000);
          },
          (err: unknown) => {
            const error = toServiceError(err, log, name);
            answer(error);
            metrics?.unary(name, codeName(error.code), (performance.now() - started) / 1000);
          },
        );
      };
    } else if (method.methodKind === "server_streaming") {
      implementation[method.localName] = (call: StreamCall) => {
        const fail = (err: unknown): string => {
          if (call.cancelled || call.destroyed) return "CANCELLED";
          const error = toServiceError(err, log, name);
          call.emit("error", error);
          return codeName(error.code);
        };
        let admitted: Admitted;
        try {
          admitted = admit(call);
        } catch (err) {
          metrics?.rejected(name, fail(err));
          return;
        }
        if (admitted.meter !== undefined) throttleWrites(call, admitted.meter);
        metrics?.streamOpened(name);
        handler(admitted.request, call).then(
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
  }
  return { definition, implementation };
}

type UnaryCall = ServerUnaryCall<unknown, unknown>;
type StreamCall = ServerWritableStream<unknown, unknown>;

interface Admitted {
  readonly request: unknown;
  readonly meter: Meter | undefined;
}

/** Steps 1-4 of bindService for one method: the decoded request and its quota meter, or a throw. */
function admission(
  name: string,
  decode: (bytes: Buffer) => unknown,
  auth: Authorizer | undefined,
): (call: UnaryCall | StreamCall) => Admitted {
  if (auth === undefined) return (call) => ({ request: decode(call.request as Buffer), meter: undefined });
  return (call) => {
    const principal = auth.authenticate(call);
    const request = decode(call.request as Buffer);
    auth.authorize(principal, name, request);
    const meter = auth.meter(principal, name);
    // Handlers that list resources filter them through this (services/auth/call-auth.ts).
    attachCallAuth(call, { principal, visible: (type, resource) => auth.visible(principal, type, resource) });
    return { request, meter };
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

/** Narrows a typed handler table for a method whose codec parses its request (MethodCodec.request). */
export function parsedRequest<R, T>(handler: (request: R, call: ServerUnaryCall<Buffer, unknown>) => Promise<T>) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the request's static type is the parser's result
  return handler as unknown as (request: any, call: any) => Promise<T>;
}
