/**
 * Shapes and validation of the security config keys `authTokens` and `acls`
 * (docs/security.md). Validation rejects unknown fields, as config does.
 */

export type ResourceType = "topic" | "group" | "cluster";
export type Operation = "read" | "write" | "create" | "delete" | "describe" | "alter";

export const resourceTypes: readonly ResourceType[] = ["topic", "group", "cluster"];
export const operations: readonly Operation[] = ["read", "write", "create", "delete", "describe", "alter"];

/** A bearer token, stored as the SHA-256 (hex) of the token text. */
export interface AuthToken {
  readonly principal: string;
  readonly sha256: string;
}

/** An allow rule. A resource with neither `name` nor `prefix` matches every resource of its type. */
export interface AclRule {
  /** A principal (token principal or certificate CN), or "*" for any authenticated principal. */
  readonly principal: string;
  readonly resource: { readonly type: ResourceType; readonly name?: string; readonly prefix?: string };
  readonly operations: readonly Operation[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function onlyKeys(value: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new Error(`${where}: unknown field "${key}"`);
  }
}

function nonEmptyString(value: unknown, where: string): string {
  if (typeof value !== "string" || value.length === 0) throw new Error(`${where} must be a non-empty string`);
  return value;
}

export function validateAuthTokens(value: unknown, where: string): readonly AuthToken[] {
  if (!Array.isArray(value)) throw new Error(`${where} must be a list of { principal, sha256 }`);
  const seen = new Set<string>();
  return Object.freeze(
    value.map((entry: unknown, i) => {
      const at = `${where}[${i}]`;
      if (!isObject(entry)) throw new Error(`${at} must be an object { principal, sha256 }`);
      onlyKeys(entry, ["principal", "sha256"], at);
      const principal = nonEmptyString(entry.principal, `${at}.principal`);
      const sha256 = nonEmptyString(entry.sha256, `${at}.sha256`).toLowerCase();
      if (!/^[0-9a-f]{64}$/.test(sha256)) {
        throw new Error(`${at}.sha256 must be 64 hex digits (tributary auth hash-token prints one)`);
      }
      if (seen.has(sha256)) throw new Error(`${at}.sha256 repeats another token's hash`);
      seen.add(sha256);
      return Object.freeze({ principal, sha256 });
    }),
  );
}

export function validateAcls(value: unknown, where: string): readonly AclRule[] {
  if (!Array.isArray(value)) throw new Error(`${where} must be a list of { principal, resource, operations }`);
  return Object.freeze(
    value.map((entry: unknown, i) => {
      const at = `${where}[${i}]`;
      if (!isObject(entry)) throw new Error(`${at} must be an object { principal, resource, operations }`);
      onlyKeys(entry, ["principal", "resource", "operations"], at);
      const principal = nonEmptyString(entry.principal, `${at}.principal`);
      const resource = entry.resource;
      if (!isObject(resource)) throw new Error(`${at}.resource must be an object { type, name?, prefix? }`);
      onlyKeys(resource, ["type", "name", "prefix"], `${at}.resource`);
      const type = resource.type;
      if (typeof type !== "string" || !resourceTypes.includes(type as ResourceType)) {
        throw new Error(`${at}.resource.type must be one of ${resourceTypes.join(", ")}`);
      }
      if (resource.name !== undefined && resource.prefix !== undefined) {
        throw new Error(`${at}.resource takes name or prefix, not both`);
      }
      if (resource.name !== undefined) nonEmptyString(resource.name, `${at}.resource.name`);
      if (resource.prefix !== undefined && typeof resource.prefix !== "string") {
        throw new Error(`${at}.resource.prefix must be a string`);
      }
      const ops = entry.operations;
      if (!Array.isArray(ops) || ops.length === 0) throw new Error(`${at}.operations must be a non-empty list`);
      for (const op of ops) {
        if (!operations.includes(op as Operation)) {
          throw new Error(`${at}.operations: "${String(op)}" is not one of ${operations.join(", ")}`);
        }
      }
      return Object.freeze({
        principal,
        resource: Object.freeze({
          type: type as ResourceType,
          ...(resource.name !== undefined ? { name: resource.name as string } : {}),
          ...(resource.prefix !== undefined ? { prefix: resource.prefix as string } : {}),
        }),
        operations: Object.freeze([...(ops as Operation[])]),
      });
    }),
  );
}
