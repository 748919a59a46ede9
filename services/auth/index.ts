export { assertedPrincipalHeader, Authorizer, type AuthorizerOptions, type SecurityRules, type CallCredentialsSource, type CredentialsMetadata, type Meter } from "./authorizer.js";
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
export { clusterName, isInterBroker, methodAcls, type AclRequirement, type InterBrokerRequirement, type Requirement } from "./method-acls.js";
export { readTlsFile } from "./tls-files.js";
export { hashToken, newToken } from "./tokens.js";
export { methodQuotas, QuotaExceededError, QuotaManager, validateQuotas, type QuotaKind, type QuotaRule } from "./quotas.js";
export {
  aclFromMessage,
  aclKey,
  aclToMessage,
  byPrincipal,
  normalizeAcl,
  quotaFromMessage,
  quotaToMessage,
  sameAcl,
  tokenFromRequest,
} from "./security-items.js";
