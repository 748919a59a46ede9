import { Admin } from "../../clients/ts/index.js";
import { InvalidArgumentError } from "../errors.js";
import { connection, parseCommand, parsePosition, required, toJson, type CliEnv } from "./cli-args.js";

const usage = `tributary groups list
tributary groups describe GROUP [--json]
tributary groups reset GROUP --topic TOPIC --to earliest|latest|OFFSET|TIME [--partition N ...]
tributary groups delete GROUP`;

export async function groupsCommand(args: string[], env: CliEnv = {}): Promise<void> {
  const [action, ...rest] = args;
  const { values, positionals } = parseCommand(rest, {
    topic: { type: "string" },
    to: { type: "string" },
    partition: { type: "string", multiple: true },
    json: { type: "boolean", default: false },
  });
  const admin = new Admin(connection(values, env));
  try {
    switch (action) {
      case "list":
        for (const g of await admin.listGroups()) console.log(`${g.groupId}\t${g.state}\t${g.members} members`);
        return;
      case "describe": {
        const group = await admin.describeGroup(required(positionals, 0, "group id"));
        if (values.json) {
          console.log(toJson(group));
          return;
        }
        console.log(`${group.groupId}: ${group.state}, generation ${group.generation}, ${group.members.length} members, assignor ${group.assignor || "-"}`);
        for (const m of group.members) {
          console.log(`member ${m.memberId} (${m.clientId || "-"} at ${m.host}): ${m.assignment.map((p) => `${p.topic}/${p.partition}`).join(" ")}`);
        }
        console.log("topic\tpartition\tcommitted\tlogEnd\tlag\tmember");
        for (const o of group.offsets) {
          console.log(`${o.topic}\t${o.partition}\t${o.committedOffset}\t${o.logEndOffset}\t${o.lag}\t${o.memberId || "-"}`);
        }
        return;
      }
      case "reset": {
        const groupId = required(positionals, 0, "group id");
        if (values.topic === undefined || values.to === undefined) throw new InvalidArgumentError("USAGE", usage);
        const answer = await admin.resetGroupOffsets(groupId, values.topic, parsePosition(values.to), (values.partition ?? []).map(Number));
        for (const o of answer.offsets) console.log(`${values.topic}/${o.partition}\t${o.offset}`);
        return;
      }
      case "delete": {
        const groupId = required(positionals, 0, "group id");
        await admin.deleteGroup(groupId);
        console.log(`deleted ${groupId}`);
        return;
      }
      default:
        throw new InvalidArgumentError("USAGE", usage);
    }
  } finally {
    admin.close();
  }
}
