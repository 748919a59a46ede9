import { InvalidArgumentError } from "../errors.js";
import { parseCommand, required, type CliEnv } from "./cli-args.js";
import { securityAdmin } from "./security-client.js";

const usage = `tributary quotas list
tributary quotas set PRINCIPAL [--produce-bytes-per-second N] [--fetch-bytes-per-second N]   (replaces its rule; "*" for everyone without one)
tributary quotas delete PRINCIPAL
  In a cluster the quotas live in etcd and every broker applies a change within a second;
  a single broker lists its config file's quotas and refuses changes.`;

/** `tributary quotas`: list, set and delete per-principal byte rates (AdminService ListQuotas, SetQuota, DeleteQuota). */
export async function quotasCommand(args: string[], env: CliEnv = {}): Promise<void> {
  const [action, ...rest] = args;
  const { values, positionals } = parseCommand(rest, {
    "produce-bytes-per-second": { type: "string" },
    "fetch-bytes-per-second": { type: "string" },
  });
  const admin = securityAdmin(values, env);
  try {
    switch (action) {
      case "list": {
        const { quotas } = await admin.listQuotas({});
        console.log("principal\tproduceBytesPerSecond\tfetchBytesPerSecond");
        for (const q of quotas) console.log(`${q.principal}\t${q.produceBytesPerSecond ?? "-"}\t${q.fetchBytesPerSecond ?? "-"}`);
        return;
      }
      case "set": {
        const principal = required(positionals, 0, "principal");
        const produce = rate(values["produce-bytes-per-second"], "--produce-bytes-per-second");
        const fetch = rate(values["fetch-bytes-per-second"], "--fetch-bytes-per-second");
        if (produce === undefined && fetch === undefined) throw new InvalidArgumentError("USAGE", usage);
        await admin.setQuota({ quota: { principal, produceBytesPerSecond: produce, fetchBytesPerSecond: fetch } });
        console.log(`set quota of ${principal}`);
        return;
      }
      case "delete": {
        const principal = required(positionals, 0, "principal");
        await admin.deleteQuota({ principal });
        console.log(`deleted quota of ${principal}`);
        return;
      }
      default:
        throw new InvalidArgumentError("USAGE", usage);
    }
  } finally {
    admin.close();
  }
}

function rate(text: string | undefined, flag: string): bigint | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError("USAGE", `${flag} takes a whole number of bytes per second`);
  return BigInt(text);
}
