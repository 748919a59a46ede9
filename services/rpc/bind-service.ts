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
import { InvalidArgumentError } from "../errors.js";
import type { RpcMetrics } from "../metrics/index.js";
import { createServiceDefinition, UndecodableRequest, type RawCodec } from "./service-definition.js";
import { toServiceError } from "./status.js";

/** A unary handler: a message (or, for raw-response methods, its bytes) or a throw. */
export type UnaryHandler<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  call: ServerUnaryCall<MessageShape<I>, unknown>,
) => Promise<MessageInitShape<O> | Buffer>;

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
 * (services/metrics/rpc-metrics.ts).
 */
export function bindService<T extends GenServiceMethods>(
  service: GenService<T>,
  impl: ServiceImpl<T>,
  log: Logger,
  raw: Readonly<Record<string, RawCodec>> = {},
  metrics?: RpcMetrics,
): BoundService {
  const definition = createServiceDefinition(service, raw);
  const implementation: UntypedServiceImplementation = {};
  for (const method of service.methods) {
    const name = `${service.typeName}/${method.name}`;
    const handler = (impl as Record<string, unknown>)[method.localName] as
      | ((request: unknown, call: unknown) => Promise<unknown>)
      | undefined;
    if (handler === undefined) throw new Error(`no handler for ${name}`);
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
            callback(null, Buffer.isBuffer(response) ? response : create(output, response as never));
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
  }
  return { definition, implementation };
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
