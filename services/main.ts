import { parseArgs } from "node:util";
import { pino, type Logger } from "pino";
import pretty from "pino-pretty";
import {
  configFromEnv,
  configFromFile,
  configKeys,
  defaultConfig,
  envName,
  flagName,
  resolveConfig,
  type BrokerConfig,
} from "./config.js";
import {
  connectionUsage,
  consumeCommand,
  describeCliError,
  dropIpServerNameWarning,
  groupsCommand,
  produceCommand,
  topicsCommand,
  type CliEnv,
  devCommand,
  aclsCommand,
  tokensCommand,
  quotasCommand,
} from "./cli/index.js";
import { newToken } from "./auth/index.js";
import { TributaryError } from "./errors.js";
import { startBroker, version } from "./server.js";

const usage = `tributary ${version}: a partitioned, durable log broker whose API is gRPC

Usage:
  tributary serve [--config FILE] [--listen HOST:PORT] [--data-dir DIR] [--http HOST:PORT|off] [flags]
  tributary serve --etcd-endpoints URL[,URL] --cluster-name NAME --broker-id N --listen HOST:PORT [--advertise HOST:PORT] [--rack R] ...
  tributary topics create|list|describe|delete ...
  tributary produce TOPIC [--key K] [--header k=v ...] [--partition N]     (one record per stdin line)
  tributary consume TOPIC [--group G] [--from earliest|latest|OFFSET|TIME] [--max N] [--json]
  tributary groups list|describe|reset|delete ...
  tributary acls list|add|remove ...       (allow rules; in a cluster they live in etcd)
  tributary tokens list|create|delete ...  (bearer tokens; in a cluster they live in etcd)
  tributary quotas list|set|delete ...     (per-principal byte rates; in a cluster in etcd)
  tributary auth hash-token      (prints a new random token and the sha256 for authTokens)
  tributary dev cluster [--brokers 3] [--dir DIR]   (a local etcd and N brokers on loopback; Ctrl-C stops them)
  tributary version
${connectionUsage}

Every config key is a flag (--segment-bytes N), an environment variable
(TRIBUTARY_SEGMENT_BYTES=N) or a key of the JSON file given with --config;
flags win over the environment, which wins over the file.

Config keys and defaults:
${configKeys.map((k) => `  --${flagName(k)} (${envName(k)}) default ${showDefault(defaultConfig[k])}`).join("\n")}
`;

/** How --help shows a default: JSON for lists, "none" when unset. */
function showDefault(value: unknown): string {
  if (value === undefined) return "none";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** \`tributary auth hash-token\`: a new token for a client, its hash for the broker's authTokens. */
function authCommand(args: string[]): void {
  if (args[0] !== "hash-token" || args.length !== 1) {
    throw new TributaryError("invalid", "USAGE", "usage: tributary auth hash-token");
  }
  const { token, sha256 } = newToken();
  console.log(`token:  ${token}`);
  console.log(`sha256: ${sha256}`);
  console.log(`config: { "principal": "NAME", "sha256": "${sha256}" }   (add to authTokens; give the token to the client)`);
}

/**
 * The broker's GC setting, given to node on the command line by services/tributary.mjs's
 * first line and package.json's scripts. Without it V8 starts a full collection for
 * every ~10 MB of request buffers once the heap's limit sits near its ~20 MB of live
 * objects (docs/configuration.md, "Node.js runtime flags").
 */
const gcFlag = "--initial-old-space-size";

async function serve(args: string[]): Promise<void> {
  const options = Object.fromEntries([
    ["config", { type: "string" as const }],
    ...configKeys.map((key) => [flagName(key), { type: "string" as const }]),
  ]);
  const values = parseArgs({ args, options, strict: true, allowPositionals: false }).values as Record<
    string,
    string | undefined
  >;
  const fromFlags: Record<string, unknown> = {};
  for (const key of configKeys) fromFlags[key] = values[flagName(key)];
  const file = values.config;
  const config: BrokerConfig = resolveConfig(
    ...(file ? [{ source: `config file ${file}`, values: configFromFile(file) }] : []),
    { source: "environment", values: configFromEnv(process.env) },
    { source: "flags", values: fromFlags },
  );
  const logger = brokerLogger(config.logLevel);
  if (!process.execArgv.some((flag) => flag.startsWith(`${gcFlag}=`))) {
    logger.warn(
      { missing: gcFlag },
      "node runs without the broker's GC setting: produce costs about 1.6× the CPU per request (docs/configuration.md, Node.js runtime flags)",
    );
  }
  const broker = await startBroker(config, { logger });
  // The first SIGTERM or SIGINT stops the broker cleanly; in a cluster with a controlled
  // shutdown first (leaderships moved away, bounded by controlledShutdownTimeoutMs). A
  // second one means "now": the wait ends, the flush and the clean-shutdown marker still follow.
  const now = new AbortController();
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      if (!now.signal.aborted) logger.info({ signal }, "second signal: stopping now");
      now.abort();
      return;
    }
    stopping = true;
    logger.info({ signal }, "shutting down");
    broker.close({ controlled: true, signal: now.signal }).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

/**
 * JSON lines for machines (a file, a pipe, a log collector), as before; on a
 * terminal, pino-pretty's one line per entry with the level and time first,
 * since a person is reading. Written synchronously either way, so that the
 * last lines before process.exit are not lost.
 */
function brokerLogger(level: string): Logger {
  if (!process.stdout.isTTY) return pino({ level });
  return pino({ level }, pretty({ sync: true, colorize: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" }));
}

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const env: CliEnv = { token: process.env.TRIBUTARY_TOKEN };
  if (command !== "serve") dropIpServerNameWarning();
  switch (command) {
    case "serve":
      return serve(rest);
    case "topics":
      return topicsCommand(rest, env);
    case "produce":
      return produceCommand(rest, env);
    case "consume":
      return consumeCommand(rest, env);
    case "groups":
      return groupsCommand(rest, env);
    case "acls":
      return aclsCommand(rest, env);
    case "tokens":
      return tokensCommand(rest, env);
    case "quotas":
      return quotasCommand(rest, env);
    case "auth":
      return authCommand(rest);
    case "dev":
      return devCommand(rest);
    case "version":
    case "--version":
      console.log(version);
      return;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(usage);
      return;
    default:
      console.error(`unknown command "${command}"\n\n${usage}`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(describeCliError(err));
  process.exit(1);
});
