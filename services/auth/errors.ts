import { TributaryError } from "../errors.js";

/** No credentials, or credentials that prove nothing: UNAUTHENTICATED. */
export class UnauthenticatedError extends TributaryError {
  override name = "UnauthenticatedError";
  constructor(reason: "MISSING_CREDENTIALS" | "INVALID_TOKEN", message: string) {
    super("unauthenticated", reason, message);
  }
}

/** An authenticated principal without an ACL allowing the operation: PERMISSION_DENIED. */
export class PermissionDeniedError extends TributaryError {
  override name = "PermissionDeniedError";
  constructor(message: string) {
    super("permission_denied", "NOT_AUTHORIZED", message);
  }
}
