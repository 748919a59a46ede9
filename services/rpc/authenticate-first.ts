import type { Logger } from "pino";
import type { Authorizer } from "../auth/index.js";
import type { RpcMetrics } from "../metrics/index.js";
import { beforeBodyInterceptor } from "./grpc-internals.js";
import { codeName, toServiceError } from "./status.js";

/**
 * A server interceptor that authenticates every call of the ACL table from
 * its metadata alone, before grpc-js reads a byte of its body (issue 14,
 * finding 2: a 63 MiB request from nobody was decoded, and took the broker to
 * 4.7 GB, before the handler checked its token). grpc-js keeps a call's
 * stream paused until the interceptor's metadata listener lets it through
 * (services/rpc/grpc-internals.ts, point 4); refusing there answers
 * UNAUTHENTICATED and the body is discarded unread.
 *
 * The Authorizer remembers the principal by the metadata object, so the
 * handler wrapper's own authenticate (services/rpc/bind-service.ts) costs a
 * lookup. Methods outside the table (health, reflection) pass untouched.
 */
export function authenticateFirst(auth: Authorizer, log: Logger, metrics?: RpcMetrics) {
  const nameOf = (path: string) => (path.startsWith("/") ? path.slice(1) : path);
  return beforeBodyInterceptor(
    (path) => auth.requirements(nameOf(path)) !== undefined,
    (path, metadata, getAuthContext) => {
      try {
        auth.authenticate({ metadata, getAuthContext });
        return undefined;
      } catch (err) {
        const name = nameOf(path);
        const error = toServiceError(err, log, name);
        metrics?.rejected(name, codeName(error.code));
        return error;
      }
    },
  );
}
