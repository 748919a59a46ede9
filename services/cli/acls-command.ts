import type { AclBinding } from "../../gen/ts/tributary/v1/admin_pb.js";
import { InvalidArgumentError } from "../errors.js";
import { parseCommand, toJson, type CliEnv } from "./cli-args.js";
import { securityAdmin } from "./security-client.js";

const usage = `tributary acls list [--principal P] [--json]
tributary acls add --principal P --resource-type topic|group|cluster [--name N | --prefix P] --operation OP [--operation OP ...]
tributary acls remove --principal P --resource-type topic|group|cluster [--name N | --prefix P] --operation OP [--operation OP ...]
  operations: read write create delete describe alter (or one --operation read,describe)
  In a cluster the rules live in etcd and every broker applies a change within a second;
  a single broker lists its config file's acls and refuses changes.`;

/** `tributary acls`: list, add and remove allow rules (AdminService ListAcls, CreateAcls, DeleteAcls). */
export async function aclsCommand(args: string[], env: CliEnv = {}): Promise<void> {
  const [action, ...rest] = args;
  const { values } = parseCommand(rest, {
    principal: { type: "string" },
    "resource-type": { type: "string" },
    name: { type: "string" },
    prefix: { type: "string" },
    operation: { type: "string", multiple: true },
    json: { type: "boolean", default: false },
  });
  const admin = securityAdmin(values, env);
  try {
    switch (action) {
      case "list": {
        const { acls } = await admin.listAcls({ principal: values.principal ?? "" });
        if (values.json) {
          console.log(toJson(acls.map(plain)));
          return;
        }
        console.log("principal\tresource\tname\toperations");
        for (const a of acls) console.log(`${a.principal}\t${a.resourceType}\t${describeName(a)}\t${a.operations.join(",")}`);
        return;
      }
      case "add":
      case "remove": {
        const principal = values.principal;
        const resourceType = values["resource-type"];
        const operations = (values.operation ?? []).flatMap((o) => o.split(",")).filter((o) => o !== "");
        if (principal === undefined || resourceType === undefined || operations.length === 0) throw new InvalidArgumentError("USAGE", usage);
        const acl = {
          principal,
          resourceType,
          operations,
          ...(values.name !== undefined ? { name: values.name } : {}),
          ...(values.prefix !== undefined ? { prefix: values.prefix } : {}),
        };
        if (action === "add") {
          await admin.createAcls({ acls: [acl] });
          console.log(`added: ${principal} may ${operations.join(",")} ${resourceType} ${describeName(acl)}`);
        } else {
          const { deleted } = await admin.deleteAcls({ acls: [acl] });
          console.log(deleted > 0 ? `removed: ${principal} ${operations.join(",")} ${resourceType} ${describeName(acl)}` : "no such rule");
        }
        return;
      }
      default:
        throw new InvalidArgumentError("USAGE", usage);
    }
  } finally {
    admin.close();
  }
}

/** "name", "prefix*" or "*" (every resource of the type). */
function describeName(a: Pick<AclBinding, "name" | "prefix">): string {
  return a.name !== undefined ? a.name : a.prefix !== undefined ? `${a.prefix}*` : "*";
}

function plain(a: AclBinding) {
  return { principal: a.principal, resourceType: a.resourceType, name: a.name, prefix: a.prefix, operations: a.operations };
}
