import { Admin } from "../../clients/ts/index.js";
import { CleanupPolicy, FsyncPolicy } from "../../gen/ts/tributary/v1/admin_pb.js";
import { InvalidArgumentError } from "../errors.js";
import { connection, parseCommand, required, toJson, type CliEnv } from "./cli-args.js";

const usage = `tributary topics create NAME [--partitions N] [--replication-factor N] [--config key=value ...]
tributary topics list [--internal]
tributary topics describe NAME
tributary topics delete NAME
  config keys: retentionMs retentionBytes segmentBytes segmentMs flushIntervalMs maxRecordBytes
               minInsyncReplicas uncleanLeaderElection=true|false (a cluster's)
               cleanupPolicy=delete|compact fsyncPolicy=always|interval|never`;

export async function topicsCommand(args: string[], env: CliEnv = {}): Promise<void> {
  const [action, ...rest] = args;
  const { values, positionals } = parseCommand(rest, {
    partitions: { type: "string", default: "1" },
    "replication-factor": { type: "string" },
    config: { type: "string", multiple: true },
    internal: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  });
  const admin = new Admin(connection(values, env));
  try {
    switch (action) {
      case "create": {
        const name = required(positionals, 0, "topic name");
        const rf = values["replication-factor"];
        const created = await admin.createTopic(name, Number(values.partitions), parseConfig(values.config ?? []), rf === undefined ? undefined : Number(rf));
        console.log(`created ${name} with ${created.topic?.partitions.length} partitions`);
        return;
      }
      case "list": {
        for (const t of await admin.listTopics(values.internal)) console.log(`${t.name}\t${t.partitions}${t.internal ? "\tinternal" : ""}`);
        return;
      }
      case "describe": {
        const topic = await admin.describeTopic(required(positionals, 0, "topic name"));
        if (values.json) {
          console.log(toJson(topic));
          return;
        }
        const c = topic.config!;
        console.log(`${topic.name}: ${topic.partitions.length} partitions, retentionMs=${c.retentionMs} segmentBytes=${c.segmentBytes} cleanupPolicy=${CleanupPolicy[c.cleanupPolicy]} fsyncPolicy=${FsyncPolicy[c.fsyncPolicy]}`);
        console.log("partition\tlogStart\tlogEnd\thighWatermark\tbytes\tsegments\tleader\treplicas\tisr\tepoch");
        for (const p of topic.partitions) {
          console.log(
            `${p.partition}\t${p.logStartOffset}\t${p.logEndOffset}\t${p.highWatermark}\t${p.sizeBytes}\t${p.segmentCount}\t${p.leader}\t${p.replicas.join(",")}\t${p.isr.join(",")}\t${p.leaderEpoch}`,
          );
        }
        return;
      }
      case "delete": {
        const name = required(positionals, 0, "topic name");
        await admin.deleteTopic(name);
        console.log(`deleted ${name}`);
        return;
      }
      default:
        throw new InvalidArgumentError("USAGE", usage);
    }
  } finally {
    admin.close();
  }
}

function parseConfig(entries: string[]) {
  const config: Record<string, unknown> = {};
  for (const entry of entries) {
    const [key, value] = entry.split("=", 2);
    if (value === undefined) throw new InvalidArgumentError("USAGE", `--config takes key=value, got ${entry}`);
    if (key === "cleanupPolicy") config.cleanupPolicy = value === "compact" ? CleanupPolicy.COMPACT : CleanupPolicy.DELETE;
    else if (key === "fsyncPolicy") config.fsyncPolicy = { always: FsyncPolicy.ALWAYS, interval: FsyncPolicy.INTERVAL, never: FsyncPolicy.NEVER }[value];
    else if (key === "maxRecordBytes" || key === "minInsyncReplicas") config[key] = Number(value);
    else if (key === "uncleanLeaderElection") config.uncleanLeaderElection = value === "true";
    else if (["retentionMs", "retentionBytes", "segmentBytes", "segmentMs", "flushIntervalMs"].includes(key)) config[key] = BigInt(value);
    else throw new InvalidArgumentError("USAGE", `unknown topic config key ${key}`);
  }
  return config;
}
