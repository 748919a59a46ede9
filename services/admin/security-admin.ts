import type { BrokerConfig } from "../config.js";
import { InvalidArgumentError, TributaryError } from "../errors.js";
import { aclFromMessage, aclToMessage, byPrincipal, newToken, quotaFromMessage, quotaToMessage, tokenFromRequest, type SecurityRules } from "../auth/index.js";
import type { SecurityStore } from "../cluster/index.js";
import type { ServiceImpl } from "../rpc/index.js";
import type { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";

type SecurityMethods = Pick<
  ServiceImpl<(typeof AdminService)["method"]>,
  "listAcls" | "createAcls" | "deleteAcls" | "listTokens" | "createToken" | "deleteToken" | "listQuotas" | "setQuota" | "deleteQuota"
>;

/** A single broker's tokens, ACLs and quotas come from its config file, which the broker never rewrites. */
export class SecurityConfigReadOnlyError extends TributaryError {
  override name = "SecurityConfigReadOnlyError";
  constructor() {
    super(
      "precondition",
      "SECURITY_CONFIG_READ_ONLY",
      "a single broker reads tokens, ACLs and quotas from its config file (authTokens, acls, quotas); edit it and restart. In cluster mode they live in etcd and these calls change them (docs/security.md)",
    );
  }
}


type Listings = Pick<SecurityMethods, "listAcls" | "listTokens" | "listQuotas">;

/** The three listings, over whichever rules the broker holds (its config file, or etcd's
 * config/ as this broker sees it): ACLs in the order given, tokens and quotas by principal. */
function securityListings(rules: () => SecurityRules): Listings {
  return {
    async listAcls(request) {
      return { acls: rules().acls.filter((a) => request.principal === "" || a.principal === request.principal).map(aclToMessage) };
    },
    async listTokens(request) {
      return {
        tokens: rules()
          .authTokens.filter((t) => request.principal === "" || t.principal === request.principal)
          .map((t) => ({ principal: t.principal, sha256: t.sha256 }))
          .sort(byPrincipal),
      };
    },
    async listQuotas() {
      return { quotas: [...(rules().quotas ?? [])].sort(byPrincipal).map(quotaToMessage) };
    },
  };
}

/** AdminService's security calls on a single broker: read the config, refuse changes. */
export function createConfigSecurityAdmin(config: BrokerConfig): SecurityMethods {
  const readOnly = async (): Promise<never> => {
    throw new SecurityConfigReadOnlyError();
  };
  return {
    ...securityListings(() => config),
    createAcls: readOnly,
    deleteAcls: readOnly,
    createToken: readOnly,
    deleteToken: readOnly,
    setQuota: readOnly,
    deleteQuota: readOnly,
  };
}

/**
 * AdminService's security calls in cluster mode: lists from this broker's view of etcd's
 * config/ (services/cluster/security-store.ts), changes written to etcd and answered once
 * this broker applies them; every other broker applies them as its watch delivers them.
 * Requests are validated as the config file's keys are (INVALID_ACL, INVALID_TOKEN_HASH,
 * INVALID_QUOTA, INVALID_PRINCIPAL). The inter-broker principal gets no tokens, rules or
 * quotas here: its identity comes from each broker's config only (RESERVED_PRINCIPAL).
 */
export function createClusterSecurityAdmin(store: SecurityStore, interBrokerPrincipal: string | undefined): SecurityMethods {
  const notReserved = (principal: string, what: string): void => {
    if (interBrokerPrincipal !== undefined && principal === interBrokerPrincipal) {
      throw new InvalidArgumentError(
        "RESERVED_PRINCIPAL",
        `"${principal}" is the inter-broker principal: its ${what} come from each broker's config (interBrokerTokenFile or its certificate), not from etcd`,
      );
    }
  };
  const principalGiven = (principal: string): void => {
    if (principal === "") throw new InvalidArgumentError("INVALID_PRINCIPAL", "principal must be a non-empty string");
  };
  return {
    ...securityListings(() => store.current),
    async createAcls(request) {
      const rules = request.acls.map((binding, i) => aclFromMessage(binding, `acls[${i}]`));
      for (const rule of rules) notReserved(rule.principal, "permissions");
      await store.createAcls(rules);
      return {};
    },
    async deleteAcls(request) {
      const rules = request.acls.map((binding, i) => aclFromMessage(binding, `acls[${i}]`));
      return { deleted: await store.deleteAcls(rules) };
    },
    async createToken(request) {
      principalGiven(request.principal);
      notReserved(request.principal, "tokens");
      const made = request.sha256 === "" ? newToken() : undefined;
      const token = tokenFromRequest(request.principal, made?.sha256 ?? request.sha256);
      await store.createToken(token);
      return { token: made?.token ?? "", sha256: token.sha256 };
    },
    async deleteToken(request) {
      if (request.sha256 !== "") return { deleted: await store.deleteTokens({ sha256: request.sha256 }) };
      if (request.principal === "") throw new InvalidArgumentError("INVALID_PRINCIPAL", "give the token's sha256, or a principal to remove all its tokens");
      return { deleted: await store.deleteTokens({ principal: request.principal }) };
    },
    async setQuota(request) {
      const rule = quotaFromMessage(request.quota);
      notReserved(rule.principal, "quotas");
      await store.setQuota(rule);
      return {};
    },
    async deleteQuota(request) {
      principalGiven(request.principal);
      await store.deleteQuota(request.principal);
      return {};
    },
  };
}
