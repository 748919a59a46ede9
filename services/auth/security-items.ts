/**
 * One token, ACL or quota as the Admin calls carry it (AclBinding, TokenInfo, QuotaRule)
 * and as the broker enforces it (AuthToken, AclRule, QuotaRule of the config file):
 * conversions both ways, validated by the config file's own validators so that a rule
 * accepted through AdminService is one the config file would accept too, and the stable
 * identity of each item (cluster mode keeps one etcd key per item).
 */
import { createHash } from "node:crypto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { AclBinding, AclBindingSchema, QuotaRule as QuotaRuleMessage, QuotaRuleSchema } from "../../gen/ts/tributary/v1/admin_pb.js";
import { InvalidArgumentError } from "../errors.js";
import { operations, validateAcls, validateAuthTokens, type AclRule, type AuthToken } from "./config.js";
import { validateQuotas, type QuotaRule } from "./quotas.js";

/** A rule as AclBinding; the inverse of aclFromMessage. */
export function aclToMessage(rule: AclRule): MessageInitShape<typeof AclBindingSchema> {
  return {
    principal: rule.principal,
    resourceType: rule.resource.type,
    name: rule.resource.name,
    prefix: rule.resource.prefix,
    operations: [...rule.operations],
  };
}

/**
 * An AclBinding as a rule, its operations without repeats in the table's order (so two
 * bindings that grant the same are one rule). @throws InvalidArgumentError INVALID_ACL
 */
export function aclFromMessage(message: Pick<AclBinding, "principal" | "resourceType" | "name" | "prefix" | "operations">, where = "acl"): AclRule {
  const entry = {
    principal: message.principal,
    resource: {
      type: message.resourceType,
      ...(message.name !== undefined ? { name: message.name } : {}),
      ...(message.prefix !== undefined ? { prefix: message.prefix } : {}),
    },
    operations: message.operations,
  };
  try {
    return normalizeAcl(validateAcls([entry], where)[0]!);
  } catch (err) {
    throw new InvalidArgumentError("INVALID_ACL", (err as Error).message.replace(`${where}[0]`, where));
  }
}

/** The rule with its operations deduplicated, in the order of `operations`. */
export function normalizeAcl(rule: AclRule): AclRule {
  return Object.freeze({ ...rule, operations: Object.freeze(operations.filter((op) => rule.operations.includes(op))) });
}

/** The stable identity of a rule: SHA-256 (hex) of its normalized form. Equal rules
 * (whatever their operations' order) have one key. */
export function aclKey(rule: AclRule): string {
  const r = normalizeAcl(rule);
  const canonical = JSON.stringify([r.principal, r.resource.type, r.resource.name ?? null, r.resource.prefix ?? null, r.operations]);
  return createHash("sha256").update(canonical, "utf8").digest("hex");
}

/** Whether two rules grant the same (the comparison DeleteAcls makes). */
export function sameAcl(a: AclRule, b: AclRule): boolean {
  return aclKey(a) === aclKey(b);
}

/** A token entry from a CreateToken request (its sha256 given or made).
 * @throws InvalidArgumentError INVALID_PRINCIPAL, INVALID_TOKEN_HASH */
export function tokenFromRequest(principal: string, sha256: string): AuthToken {
  if (principal === "") throw new InvalidArgumentError("INVALID_PRINCIPAL", "principal must be a non-empty string");
  if (principal === "*") throw new InvalidArgumentError("INVALID_PRINCIPAL", 'a token authenticates one principal, not "*"');
  try {
    return validateAuthTokens([{ principal, sha256 }], "token")[0]!;
  } catch (err) {
    throw new InvalidArgumentError("INVALID_TOKEN_HASH", (err as Error).message.replace("token[0]", "token"));
  }
}

/** A QuotaRule message as a rule. @throws InvalidArgumentError INVALID_QUOTA */
export function quotaFromMessage(message: Pick<QuotaRuleMessage, "principal" | "produceBytesPerSecond" | "fetchBytesPerSecond"> | undefined): QuotaRule {
  if (message === undefined) throw new InvalidArgumentError("INVALID_QUOTA", "quota must be given");
  const rate = (value: bigint | undefined, field: string): number | undefined => {
    if (value === undefined) return undefined;
    if (value < 1n || value > BigInt(Number.MAX_SAFE_INTEGER)) throw new InvalidArgumentError("INVALID_QUOTA", `quota.${field} must be a positive integer`);
    return Number(value);
  };
  const entry = {
    principal: message.principal,
    ...(message.produceBytesPerSecond !== undefined ? { produceBytesPerSecond: rate(message.produceBytesPerSecond, "produceBytesPerSecond") } : {}),
    ...(message.fetchBytesPerSecond !== undefined ? { fetchBytesPerSecond: rate(message.fetchBytesPerSecond, "fetchBytesPerSecond") } : {}),
  };
  if (entry.produceBytesPerSecond === undefined && entry.fetchBytesPerSecond === undefined) {
    throw new InvalidArgumentError("INVALID_QUOTA", "quota needs produceBytesPerSecond or fetchBytesPerSecond (DeleteQuota removes one)");
  }
  try {
    return validateQuotas([entry], "quota")[0]!;
  } catch (err) {
    throw new InvalidArgumentError("INVALID_QUOTA", (err as Error).message.replace("quota[0]", "quota"));
  }
}

/** A rule as a QuotaRule message. */
export function quotaToMessage(rule: QuotaRule): MessageInitShape<typeof QuotaRuleSchema> {
  return {
    principal: rule.principal,
    produceBytesPerSecond: rule.produceBytesPerSecond === undefined ? undefined : BigInt(rule.produceBytesPerSecond),
    fetchBytesPerSecond: rule.fetchBytesPerSecond === undefined ? undefined : BigInt(rule.fetchBytesPerSecond),
  };
}

/** By principal, for stable listings. */
export function byPrincipal<T extends { principal: string }>(a: T, b: T): number {
  return a.principal < b.principal ? -1 : a.principal > b.principal ? 1 : 0;
}
