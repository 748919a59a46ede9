export { Authorizer, type AuthorizerOptions, type CallCredentialsSource, type CredentialsMetadata, type Meter } from "./authorizer.js";
export {
  operations,
  resourceTypes,
  validateAcls,
  validateAuthTokens,
  type AclRule,
  type AuthToken,
  type Operation,
  type ResourceType,
} from "./config.js";
export { PermissionDeniedError, UnauthenticatedError } from "./errors.js";
export { clusterName, methodAcls, type Requirement } from "./method-acls.js";
export { readTlsFile } from "./tls-files.js";
export { hashToken, newToken } from "./tokens.js";
export { methodQuotas, QuotaExceededError, QuotaManager, validateQuotas, type QuotaKind, type QuotaRule } from "./quotas.js";
