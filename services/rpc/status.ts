import { Metadata, status, type ServiceError } from "@grpc/grpc-js";
import type { Logger } from "pino";
import { TributaryError, type ErrorKind } from "../errors.js";

/** Trailing-metadata key that carries an error's stable reason. */
export const reasonMetadataKey = "tributary-reason";

/** The one table from the core's error kinds to gRPC status codes (DESIGN.md §2). */
const codeByKind: Readonly<Record<ErrorKind, status>> = {
  invalid: status.INVALID_ARGUMENT,
  not_found: status.NOT_FOUND,
  exists: status.ALREADY_EXISTS,
  out_of_range: status.OUT_OF_RANGE,
  precondition: status.FAILED_PRECONDITION,
  unavailable: status.UNAVAILABLE,
  exhausted: status.RESOURCE_EXHAUSTED,
  data_loss: status.DATA_LOSS,
  unimplemented: status.UNIMPLEMENTED,
  unauthenticated: status.UNAUTHENTICATED,
  permission_denied: status.PERMISSION_DENIED,
};

/**
 * Maps anything a handler threw to the status the client sees. A
 * TributaryError keeps its message and reason; anything else is a server
 * fault: the client gets INTERNAL "internal error" and the cause is logged,
 * never sent (it may hold paths or internals).
 */
export function toServiceError(err: unknown, log: Logger, method: string): ServiceError {
  const metadata = new Metadata();
  if (err instanceof TributaryError) {
    metadata.set(reasonMetadataKey, err.reason);
    if (err.trailers !== undefined) for (const [key, value] of Object.entries(err.trailers)) metadata.set(key, value);
    const code = codeByKind[err.kind];
    if (err.kind === "data_loss") log.error({ err, method }, "data loss reported to client");
    else log.debug({ method, reason: err.reason }, "request failed");
    return Object.assign(new Error(err.message), { code, details: err.message, metadata });
  }
  log.error({ err, method }, "internal error");
  metadata.set(reasonMetadataKey, "INTERNAL");
  return Object.assign(new Error("internal error"), {
    code: status.INTERNAL,
    details: "internal error",
    metadata,
  });
}

/** "OK", "INVALID_ARGUMENT"...: a gRPC status code's name (metrics labels, the console). */
export function codeName(code: number | undefined): string {
  return (code === undefined ? undefined : status[code]) ?? "UNKNOWN";
}

/** The gRPC status codes and the error shape grpc-js clients reject with, for code outside
 * rpc/ that reads them (the console is a gRPC client of its own broker): the one door. */
export { status as GrpcCode, type ServiceError } from "@grpc/grpc-js";
