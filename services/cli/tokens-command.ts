import { InvalidArgumentError } from "../errors.js";
import { parseCommand, required, type CliEnv } from "./cli-args.js";
import { securityAdmin } from "./security-client.js";

const usage = `tributary tokens list [--principal P]
tributary tokens create PRINCIPAL [--sha256 HEX]   (without --sha256 the broker makes a token and prints it once)
tributary tokens delete --sha256 HEX | --principal P
  In a cluster the tokens live in etcd (only their SHA-256) and every broker applies a
  change within a second; a single broker lists its config file's authTokens and refuses changes.`;

/** `tributary tokens`: list, create and delete bearer tokens (AdminService ListTokens, CreateToken, DeleteToken). */
export async function tokensCommand(args: string[], env: CliEnv = {}): Promise<void> {
  const [action, ...rest] = args;
  const { values, positionals } = parseCommand(rest, {
    principal: { type: "string" },
    sha256: { type: "string" },
  });
  const admin = securityAdmin(values, env);
  try {
    switch (action) {
      case "list": {
        const { tokens } = await admin.listTokens({ principal: values.principal ?? "" });
        console.log("principal\tsha256");
        for (const t of tokens) console.log(`${t.principal}\t${t.sha256}`);
        return;
      }
      case "create": {
        const principal = required(positionals, 0, "principal");
        const answer = await admin.createToken({ principal, sha256: values.sha256 ?? "" });
        if (answer.token !== "") console.log(`token\t${answer.token}\t(shown only now)`);
        console.log(`sha256\t${answer.sha256}`);
        return;
      }
      case "delete": {
        if ((values.sha256 === undefined) === (values.principal === undefined)) throw new InvalidArgumentError("USAGE", usage);
        const { deleted } = await admin.deleteToken({ sha256: values.sha256 ?? "", principal: values.principal ?? "" });
        console.log(`deleted ${deleted} token${deleted === 1 ? "" : "s"}`);
        return;
      }
      default:
        throw new InvalidArgumentError("USAGE", usage);
    }
  } finally {
    admin.close();
  }
}
