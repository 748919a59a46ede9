import type { AclRule, Operation, ResourceType } from "./config.js";
import { PermissionDeniedError, UnauthenticatedError } from "./errors.js";
import { clusterName, isInterBroker, methodAcls, type Requirement } from "./method-acls.js";
import { methodQuotas, QuotaManager, type QuotaKind, type QuotaRule } from "./quotas.js";
import type { Clock } from "../clock.js";
import { hashToken } from "./tokens.js";

/** A call's quota: charge(bytes) takes them and answers how long to delay, ms. */
export interface Meter {
  readonly kind: QuotaKind;
  charge(bytes: number): number;
}

/** A call's request metadata, as much of it as authentication reads (grpc-js's Metadata
 * has this shape; services/rpc/ passes it in). */
export interface CredentialsMetadata {
  get(key: string): ReadonlyArray<string | Buffer>;
}

/** What authentication needs of a call: grpc-js server calls have both. */
export interface CallCredentialsSource {
  readonly metadata: CredentialsMetadata;
  getAuthContext?(): { sslPeerCertificate?: { subject?: Record<string, string | string[] | undefined> } } | null;
}

/** The rules that may change while the broker runs (cluster mode: from etcd). */
export interface SecurityRules {
  readonly authTokens: readonly { principal: string; sha256: string }[];
  readonly acls: readonly AclRule[];
  /** Per-principal byte rates (services/auth/quotas.ts). */
  readonly quotas?: readonly QuotaRule[];
}

/** The metadata key by which the inter-broker principal states whose request it forwards. */
export const assertedPrincipalHeader = "tributary-principal";

export interface AuthorizerOptions extends SecurityRules {
  /** Client certificates are required (mutual TLS): their CN is a principal. */
  readonly mutualTls: boolean;
  /** The principal other brokers call as (config interBrokerPrincipal): the only one that
   * may call the internal service or assert another principal. Default none. */
  readonly interBrokerPrincipal?: string;
  /** SHA-256 of the inter-broker token (from interBrokerTokenFile): always accepted as
   * interBrokerPrincipal, whatever the changeable rules say, so no admin call can cut
   * replication off or mint the inter-broker identity. */
  readonly interBrokerTokenSha256?: string;
  /** The quota buckets' clock; default performance.now(). Tests pass their own to
   * move time instead of waiting. */
  readonly quotaClock?: Clock;
  /** The method table; tests pass their own. */
  readonly table?: Readonly<Record<string, readonly Requirement[]>>;
}

/**
 * Authentication (bearer token, else client certificate CN) and authorization
 * (allow rules, deny by default) of every RPC. Built only when authentication
 * is configured; a broker without it has no Authorizer and no checks at all.
 */
export class Authorizer {
  private principalByHash: ReadonlyMap<string, string>;
  private acls: readonly AclRule[];
  private readonly table: Readonly<Record<string, readonly Requirement[]>>;
  private readonly quotas: QuotaManager;

  constructor(private readonly options: AuthorizerOptions) {
    this.table = options.table ?? methodAcls;
    this.quotas = new QuotaManager(options.quotas ?? [], undefined, options.quotaClock);
    this.principalByHash = this.tokenMap(options.authTokens);
    this.acls = options.acls;
  }

  /**
   * Swaps tokens, ACLs and quotas in place (cluster mode: each change in etcd's
   * `config/`). Calls already admitted keep their decision; quota buckets keep their
   * debt. Tokens of the inter-broker principal are ignored: only the broker's own
   * config gives that identity.
   */
  replaceRules(rules: SecurityRules): void {
    this.principalByHash = this.tokenMap(rules.authTokens);
    this.acls = rules.acls;
    this.quotas.setRules(rules.quotas ?? []);
  }

  private tokenMap(tokens: SecurityRules["authTokens"]): ReadonlyMap<string, string> {
    const { interBrokerPrincipal, interBrokerTokenSha256 } = this.options;
    const map = new Map(tokens.filter((t) => t.principal !== interBrokerPrincipal).map((t) => [t.sha256, t.principal]));
    if (interBrokerPrincipal !== undefined && interBrokerTokenSha256 !== undefined) map.set(interBrokerTokenSha256, interBrokerPrincipal);
    return map;
  }

  /** The call's quota meter, or undefined when it is not metered; throws QuotaExceededError
   * while the principal's debt is too deep to wait out. */
  meter(principal: string, method: string): Meter | undefined {
    const quotas = this.quotas;
    const kind = methodQuotas[method];
    if (kind === undefined || !quotas.metered(principal, kind)) return undefined;
    quotas.admit(principal, kind);
    return { kind, charge: (bytes) => quotas.charge(principal, kind, bytes) };
  }

  /** The table entry of a method, or undefined (bindService refuses to start then). */
  requirements(method: string): readonly Requirement[] | undefined {
    return Object.hasOwn(this.table, method) ? this.table[method] : undefined;
  }

  /** Principals of calls already authenticated, by their metadata object: the pre-body check
   * (services/rpc/authenticate-first.ts) and the handler wrapper see the same one. */
  private readonly principalByMetadata = new WeakMap<CredentialsMetadata, string>();

  /** Calls whose principal the inter-broker principal asserted (forwarded requests). */
  private readonly assertedCalls = new WeakSet<CredentialsMetadata>();

  /** Whether the call's principal was asserted by the inter-broker principal: a request
   * forwarded from the broker it entered, whose quota was charged there. After authenticate. */
  forwarded(call: CallCredentialsSource): boolean {
    return this.assertedCalls.has(call.metadata);
  }

  /** The call's principal, or an UnauthenticatedError. */
  authenticate(call: CallCredentialsSource): string {
    const known = this.principalByMetadata.get(call.metadata);
    if (known !== undefined) return known;
    const principal = this.principalOf(call);
    this.principalByMetadata.set(call.metadata, principal);
    if (call.metadata.get(assertedPrincipalHeader).length > 0) this.assertedCalls.add(call.metadata);
    return principal;
  }

  /**
   * The authenticated principal, or the one the inter-broker principal asserts with the
   * `tributary-principal` header (a request forwarded from the broker it entered; CLUSTER.md
   * section 5). Any other principal asserting one is refused.
   */
  private principalOf(call: CallCredentialsSource): string {
    const principal = this.credentialsPrincipal(call);
    const asserted = call.metadata.get(assertedPrincipalHeader)[0];
    if (asserted === undefined) return principal;
    if (principal !== this.options.interBrokerPrincipal || typeof asserted !== "string" || asserted === "") {
      throw new PermissionDeniedError(`principal "${principal}" may not act for another principal (${assertedPrincipalHeader})`);
    }
    return asserted;
  }

  private credentialsPrincipal(call: CallCredentialsSource): string {
    const header = call.metadata.get("authorization")[0];
    if (header !== undefined) {
      const match = typeof header === "string" ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
      if (match === null) {
        throw new UnauthenticatedError("INVALID_TOKEN", 'the authorization header must be "Bearer <token>"');
      }
      const principal = this.principalByHash.get(hashToken(match[1]!));
      if (principal === undefined) throw new UnauthenticatedError("INVALID_TOKEN", "unknown bearer token");
      return principal;
    }
    if (this.options.mutualTls) {
      const cn = call.getAuthContext?.()?.sslPeerCertificate?.subject?.CN;
      const name = Array.isArray(cn) ? cn[0] : cn;
      if (name) return name;
    }
    throw new UnauthenticatedError(
      "MISSING_CREDENTIALS",
      this.options.mutualTls
        ? "this broker requires a client certificate with a subject CN or an authorization: Bearer token"
        : "this broker requires an authorization: Bearer <token> header",
    );
  }

  /** Throws PermissionDeniedError unless the principal meets the method's requirements
   * that no request changes (being the inter-broker principal); checked when a stream opens. */
  authorizeCaller(principal: string, method: string): void {
    const requirements = this.requirements(method);
    if (requirements === undefined) throw new PermissionDeniedError(`${method} is not covered by the ACL table`);
    if (requirements.some(isInterBroker) && (this.options.interBrokerPrincipal === undefined || principal !== this.options.interBrokerPrincipal)) {
      throw new PermissionDeniedError(`${method} is for the inter-broker principal only, not "${principal}"`);
    }
  }

  /** Throws PermissionDeniedError unless an allow rule covers every requirement. */
  authorize(principal: string, method: string, request: unknown): void {
    const requirements = this.requirements(method);
    if (requirements === undefined) throw new PermissionDeniedError(`${method} is not covered by the ACL table`);
    for (const requirement of requirements) {
      if (isInterBroker(requirement)) {
        this.authorizeCaller(principal, method);
        continue;
      }
      for (const name of requirement.names(request as never)) {
        if (!this.allows(principal, requirement.type, name, requirement.operation)) {
          throw new PermissionDeniedError(
            `principal "${principal}" may not ${requirement.operation} ${requirement.type} "${name}"`,
          );
        }
      }
    }
  }

  /**
   * Whether listings show the resource to the principal (Kafka's rule for
   * ListGroups, applied to topics too): `describe` on the cluster shows every
   * topic and group; otherwise a resource is shown when some rule grants the
   * principal any operation on it (any permission implies describing it).
   */
  visible(principal: string, type: ResourceType, name: string): boolean {
    return (
      this.allows(principal, "cluster", clusterName, "describe") ||
      this.acls.some((rule) => this.matches(rule, principal, type, name))
    );
  }

  /** Whether some rule allows `operation` on the resource. The inter-broker principal may
   * always read and describe topics: a group coordinator reads its members' partitions
   * from their leaders as that principal (the member was authorized where it entered). */
  allows(principal: string, type: ResourceType, name: string, operation: Operation): boolean {
    if (
      principal === this.options.interBrokerPrincipal &&
      type === "topic" &&
      (operation === "read" || operation === "describe")
    ) {
      return true;
    }
    return this.acls.some(
      (rule) => rule.operations.includes(operation) && this.matches(rule, principal, type, name),
    );
  }

  /** Whether a rule is about this principal and resource (whatever its operations). */
  private matches(rule: AclRule, principal: string, type: ResourceType, name: string): boolean {
    return (
      (rule.principal === principal || rule.principal === "*") &&
      rule.resource.type === type &&
      (rule.resource.name !== undefined
        ? rule.resource.name === name
        : rule.resource.prefix !== undefined
          ? name.startsWith(rule.resource.prefix)
          : true)
    );
  }
}
