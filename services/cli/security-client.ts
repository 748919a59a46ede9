import { createClient, type ServiceClient } from "../../clients/ts/index.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { connection, type CliEnv } from "./cli-args.js";

/** AdminService on the broker the connection flags name, for the security commands
 * (acls, tokens, quotas): any broker of a cluster answers them (docs/security.md). */
export function securityAdmin(values: Parameters<typeof connection>[0], env: CliEnv): ServiceClient<(typeof AdminService)["method"]> {
  const { broker, token, tls } = connection(values, env);
  return createClient(AdminService, broker, { ...(token !== undefined ? { token } : {}), ...(tls !== undefined ? { tls } : {}) });
}
