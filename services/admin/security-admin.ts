import type { MessageInitShape } from "@bufbuild/protobuf";
import type { BrokerConfig } from "../config.js";
import { TributaryError } from "../errors.js";
import type { AclRule } from "../auth/index.js";
import type { ServiceImpl } from "../rpc/index.js";
import type { AclBindingSchema, AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";

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

export function aclToMessage(rule: AclRule): MessageInitShape<typeof AclBindingSchema> {
  return {
    principal: rule.principal,
    resourceType: rule.resource.type,
    name: rule.resource.name,
    prefix: rule.resource.prefix,
    operations: [...rule.operations],
  };
}

/** AdminService's security calls on a single broker: read the config, refuse changes. */
export function createConfigSecurityAdmin(config: BrokerConfig): SecurityMethods {
  const readOnly = async (): Promise<never> => {
    throw new SecurityConfigReadOnlyError();
  };
  return {
    async listAcls(request) {
      return { acls: config.acls.filter((a) => request.principal === "" || a.principal === request.principal).map(aclToMessage) };
    },
    async listTokens(request) {
      return {
        tokens: config.authTokens
          .filter((t) => request.principal === "" || t.principal === request.principal)
          .map((t) => ({ principal: t.principal, sha256: t.sha256 }))
          .sort((a, b) => (a.principal < b.principal ? -1 : a.principal > b.principal ? 1 : 0)),
      };
    },
    async listQuotas() {
      return {
        quotas: [...config.quotas]
          .sort((a, b) => (a.principal < b.principal ? -1 : a.principal > b.principal ? 1 : 0))
          .map((q) => ({
            principal: q.principal,
            produceBytesPerSecond: q.produceBytesPerSecond === undefined ? undefined : BigInt(q.produceBytesPerSecond),
            fetchBytesPerSecond: q.fetchBytesPerSecond === undefined ? undefined : BigInt(q.fetchBytesPerSecond),
          })),
      };
    },
    createAcls: readOnly,
    deleteAcls: readOnly,
    createToken: readOnly,
    deleteToken: readOnly,
    setQuota: readOnly,
    deleteQuota: readOnly,
  };
}
