import { GrpcCode as GrpcStatus, type ServiceError } from "../../rpc/index.js";
import { errorReason } from "../../../clients/ts/index.js";

/** The JSON body of every console API error. */
export interface ErrorBody {
  readonly error: {
    /** The gRPC status name ("NOT_FOUND"); the console's own refusals use the matching name too. */
    readonly code: string;
    /** The broker's stable `tributary-reason` ("UNKNOWN_TOPIC"), "" when it sent none. */
    readonly reason: string;
    readonly message: string;
  };
}

/**
 * A request the console itself refuses before calling the broker (a body that
 * is not JSON, an offset that is not an integer, an unknown route). Reported
 * with `status` (400 unless given) and `reason`; the caller fixes the request.
 */
export class ConsoleRequestError extends Error {
  override name = "ConsoleRequestError";
  readonly status: number;
  constructor(
    readonly reason: string,
    message: string,
    options?: ErrorOptions & { readonly status?: number },
  ) {
    super(message, options);
    this.status = options?.status ?? 400;
  }
}

/**
 * gRPC status -> HTTP status, as in google.rpc.Code's documented HTTP mapping
 * (the table grpc-gateway uses). CANCELLED is 499, nginx's "client closed".
 */
const httpStatusByGrpc: ReadonlyMap<number, number> = new Map([
  [GrpcStatus.OK, 200],
  [GrpcStatus.CANCELLED, 499],
  [GrpcStatus.UNKNOWN, 500],
  [GrpcStatus.INVALID_ARGUMENT, 400],
  [GrpcStatus.DEADLINE_EXCEEDED, 504],
  [GrpcStatus.NOT_FOUND, 404],
  [GrpcStatus.ALREADY_EXISTS, 409],
  [GrpcStatus.PERMISSION_DENIED, 403],
  [GrpcStatus.RESOURCE_EXHAUSTED, 429],
  [GrpcStatus.FAILED_PRECONDITION, 400],
  [GrpcStatus.ABORTED, 409],
  [GrpcStatus.OUT_OF_RANGE, 400],
  [GrpcStatus.UNIMPLEMENTED, 501],
  [GrpcStatus.INTERNAL, 500],
  [GrpcStatus.UNAVAILABLE, 503],
  [GrpcStatus.DATA_LOSS, 500],
  [GrpcStatus.UNAUTHENTICATED, 401],
]);

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === "number" && "metadata" in err;
}

/**
 * Maps what a console API call threw to an HTTP status and JSON body. A gRPC
 * error keeps its status name, `tributary-reason` and details text; the
 * console's own refusals are 400; anything else is a console bug: 500
 * "internal error", and `internal` is true so the caller logs the cause.
 */
export function toHttpError(err: unknown): { status: number; body: ErrorBody; internal: boolean } {
  if (err instanceof ConsoleRequestError) {
    const code =
      err.status === 404 ? "NOT_FOUND" : err.status === 405 ? "UNIMPLEMENTED" : err.status === 403 || err.status === 421 ? "PERMISSION_DENIED" : "INVALID_ARGUMENT";
    return { status: err.status, body: { error: { code, reason: err.reason, message: err.message } }, internal: false };
  }
  if (isServiceError(err)) {
    const status = httpStatusByGrpc.get(err.code) ?? 500;
    return {
      status,
      body: { error: { code: GrpcStatus[err.code] ?? "UNKNOWN", reason: errorReason(err) ?? "", message: err.details || err.message } },
      internal: false,
    };
  }
  return { status: 500, body: { error: { code: "INTERNAL", reason: "", message: "internal error" } }, internal: true };
}
