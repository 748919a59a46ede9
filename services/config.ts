import { readFileSync } from "node:fs";
import { InvalidArgumentError, InvalidConfigError } from "./errors.js";
import { defaultLogConfig, type FsyncPolicy } from "./log/index.js";
import { validateAcls, validateAuthTokens, validateQuotas, type AclRule, type AuthToken, type QuotaRule } from "./auth/index.js";
import { validateAllowedHosts } from "./http/console/host-check.js";

export type { FsyncPolicy, AclRule, AuthToken, QuotaRule };
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

/**
 * Everything a broker is configured with. Sources, later ones winning: the
 * defaults below, a JSON file (`--config FILE`), `TRIBUTARY_*` environment
 * variables (`TRIBUTARY_DATA_DIR`), command-line flags (`--data-dir`).
 * Unknown keys are rejected in every source. Topic-level fields are the
 * defaults for topics that do not override them.
 */
export interface BrokerConfig {
  /** gRPC listen address, HOST:PORT; port 0 picks a free one. Default 127.0.0.1:7070. */
  readonly listen: string;
  /** Directory holding all partitions and metadata. Default ./data. */
  readonly dataDir: string;
  /** HTTP address (health, later metrics and console), HOST:PORT or "off". Default 127.0.0.1:7071. */
  readonly http: string;
  /** pino log level. Default info. */
  readonly logLevel: LogLevel;
  /** This broker's id in DescribeCluster. Default 0. */
  readonly brokerId: number;
  /** Topic default: segment size that triggers a roll, bytes. Default 1 GiB. */
  readonly segmentBytes: number;
  /** Topic default: segment age that triggers a roll, ms. Default 7 days. */
  readonly segmentMs: number;
  /** Topic default: how long records are kept, ms; -1 forever. Default 7 days. */
  readonly retentionMs: number;
  /** Topic default: partition size above which old segments go, bytes; -1 no limit. Default -1. */
  readonly retentionBytes: number;
  /** Topic default: fsync policy. Default interval. */
  readonly fsyncPolicy: FsyncPolicy;
  /** Topic default: fsync period under the interval policy, ms. Default 1000. */
  readonly flushIntervalMs: number;
  /** Topic default: largest record accepted (encoded), bytes. Default 1 MiB. */
  readonly maxRecordBytes: number;
  /** Bytes of log between two offset-index entries. Default 4096. */
  readonly indexIntervalBytes: number;
  /** Most partitions one topic may have. Default 1000. */
  readonly maxPartitionsPerTopic: number;
  /** Most partitions of all topics together, __consumer_offsets included; CreateTopic and
   * CreatePartitions beyond it fail with RESOURCE_EXHAUSTED TOO_MANY_PARTITIONS. Each
   * partition holds a file open (its active segment). Default 10000. */
  readonly maxPartitions: number;
  /** Smallest segmentBytes a topic may set (CreateTopic, UpdateTopicConfig), bytes: each
   * segment is a file, so tiny segments multiply files. The broker-wide segmentBytes
   * default is the operator's and is not held to it. Default 1 MiB. */
  readonly minSegmentBytes: number;
  /** Most sealed segment files held open at once across all partitions; the least
   * recently used idle ones are closed and reopened on the next read. Default 1000. */
  readonly maxOpenSegmentFiles: number;
  /** Largest gRPC request accepted, bytes (grpc max receive message length). Default 64 MiB. */
  readonly maxRequestBytes: number;
  /** Most records in one Produce request. Default 100000. */
  readonly maxBatchRecords: number;
  /** Most record bytes in one Fetch answer or Subscribe message, bytes. Default 4 MiB. */
  readonly fetchMaxBytes: number;
  /** Longest a Fetch may wait at the log end, ms. Default 30000. */
  readonly fetchMaxWaitMs: number;
  /** How often retention runs (segments, and empty groups' offsets), ms. Default 300000
   * (Kafka's log.retention.check.interval.ms). */
  readonly retentionCheckIntervalMs: number;
  /** HTTP/2 flow-control window per stream and per connection, bytes. Default 8 MiB. */
  readonly http2WindowBytes: number;
  /** Bytes a Subscribe stream may have waiting to be sent before its readers pause. Default 8 MiB. */
  readonly streamBufferBytes: number;
  /** Most open gRPC connections (TCP); one beyond it is closed at once. Default 10000. */
  readonly maxConnections: number;
  /** Most concurrent streams (calls) per connection, HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS;
   * a client queues calls beyond it. Default 1000. */
  readonly maxStreamsPerConnection: number;
  /** Bytes all Subscribe streams together may hold read or waiting to be sent; each
   * stream's share is min(streamBufferBytes, this / open streams). Default 128 MiB. */
  readonly subscribeMemoryBytes: number;
  /** How long a static group member's partitions wait for it to reconnect, ms. Default 45000. */
  readonly sessionTimeoutMs: number;
  /** How long a rebalance waits for members to commit revoked partitions, ms. Default 30000. */
  readonly rebalanceTimeoutMs: number;
  /** Partitions of __consumer_offsets, fixed when it is first created. Default 8. */
  readonly offsetsTopicPartitions: number;
  /** How long a consumer group with no members is kept, with its committed offsets,
   * counted from when its last member left (or its newest commit, if later), ms; then
   * its offsets get tombstones and its state is dropped. Checked every
   * retentionCheckIntervalMs. Kafka's offsets.retention.minutes. Default 7 days. */
  readonly groupOffsetsRetentionMs: number;
  /** PEM certificate chain served on the gRPC port; with tlsKey turns on TLS. Default none (plaintext). */
  readonly tlsCert?: string;
  /** PEM private key of tlsCert. Default none. */
  readonly tlsKey?: string;
  /** PEM CA bundle: clients must present a certificate it signed (mutual TLS); the
   * certificate's subject CN becomes the call's principal. Default none. */
  readonly tlsClientCa?: string;
  /** Bearer tokens, stored as SHA-256 hex: `[{ "principal": "...", "sha256": "..." }]`. Default none. */
  readonly authTokens: readonly AuthToken[];
  /** Allow rules, deny by default once authentication is on (docs/security.md). Default none. */
  readonly acls: readonly AclRule[];
  /** Reflection needs an authenticated principal too. Default false. */
  readonly reflectionRequiresAuth: boolean;
  /** Per-principal produce/fetch byte rates; needs authentication (docs/security.md). Default none. */
  readonly quotas: readonly QuotaRule[];
  /** File holding the plaintext bearer token the web console sends to the gRPC port; the
   * console then acts as that token's authTokens principal. A file, so the token is in no
   * config file, flag or environment variable (docs/console.md). Default none. */
  readonly consoleTokenFile?: string;
  /** PEM CA bundle the web console verifies the broker's tlsCert with; needed with TLS
   * unless http is off. Default none. */
  readonly consoleTlsCa?: string;
  /** Name the console checks the broker's certificate for instead of the listen host
   * (grpc.ssl_target_name_override). Default none: the listen host. */
  readonly consoleTlsServerName?: string;
  /** PEM client certificate the console presents under mutual TLS; needed with tlsClientCa
   * unless http is off. Its CN is the console's principal unless consoleTokenFile is set. Default none. */
  readonly consoleTlsCert?: string;
  /** PEM private key of consoleTlsCert. Default none. */
  readonly consoleTlsKey?: string;
  /** Host names, besides IP literals, localhost (on a loopback or wildcard http address)
   * and the http host itself, whose Host header the web console answers: its
   * DNS-rebinding check (docs/console.md). Default none. */
  readonly consoleAllowedHosts: readonly string[];
  /** etcd client URLs, comma-separated in a flag or variable (a JSON list in a file):
   * given, the broker runs in cluster mode (docs/cluster.md). Default none: one broker. */
  readonly etcdEndpoints: readonly string[];
  /** The cluster's name: its keys live under /tributary/<clusterName>/ in etcd. Default "tributary". */
  readonly clusterName: string;
  /** "host:port" other brokers and clients reach this broker at; default the listen
   * address with the bound port (a wildcard listen host needs it given). Default none. */
  readonly advertise?: string;
  /** This broker's rack: replicas of a partition are spread across racks. Default none. */
  readonly rack?: string;
  /** Cluster: the broker's etcd lease TTL, ms (whole seconds, at least 2 s, in etcd). A
   * broker whose keep-alives have not been answered for about this long stops leading
   * and is replaced. Default 3000. */
  readonly brokerSessionTimeoutMs: number;
  /** Cluster: a follower that has not caught up with the leader for this long leaves
   * the in-sync replicas, ms (Kafka's replica.lag.time.max.ms). Default 10000. */
  readonly replicaLagTimeMaxMs: number;
  /** Cluster: replicas of a topic created without replication_factor. Never lowered
   * silently: with fewer live brokers CreateTopic fails. Default 3. */
  readonly defaultReplicationFactor: number;
  /** Cluster: replicas of __consumer_offsets (issue 17 replicates it). Default 3. */
  readonly offsetsTopicReplicationFactor: number;
  /** Cluster: on SIGTERM, how long the broker waits for the controller to move its
   * leaderships to other in-sync replicas before it stops anyway, ms (controlled
   * shutdown, docs/cluster.md "Rolling restarts"; Kafka's controlled.shutdown.*). 0 skips
   * the wait. Default 30000. */
  readonly controlledShutdownTimeoutMs: number;
  /** Cluster: the principal brokers call each other as. Given, authentication is on in
   * cluster mode (the config's authTokens, acls and quotas then seed etcd's `config/`
   * once); only this principal may call the internal ReplicaService or assert another
   * principal on a forwarded request (docs/security.md). Default none: no authentication. */
  readonly interBrokerPrincipal?: string;
  /** Cluster: file holding the plaintext inter-broker token, the same on every broker.
   * Sent by this broker's inter-broker calls; its SHA-256 is accepted as
   * interBrokerPrincipal whatever etcd holds. Needed with interBrokerPrincipal unless
   * tlsClientCa is set (then the broker's tlsCert, with CN = interBrokerPrincipal, is its
   * client certificate). Default none. */
  readonly interBrokerTokenFile?: string;
  /** Cluster: PEM CA bundle that verifies other brokers' certificates on inter-broker
   * calls. Default tlsClientCa; needed with tlsCert when tlsClientCa is not set. */
  readonly interBrokerTlsCa?: string;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const dayMs = 24 * 60 * 60 * 1000;
const defaultMaxPartitions = 10_000;
const defaultMinSegmentBytes = 1 * MiB;
const defaultMaxOpenSegmentFiles = 1000;
const defaultGroupOffsetsRetentionMs = 7 * dayMs; // Kafka's offsets.retention.minutes (10080)

export const defaultConfig: BrokerConfig = Object.freeze({
  listen: "127.0.0.1:7070",
  dataDir: "./data",
  http: "127.0.0.1:7071",
  logLevel: "info",
  brokerId: 0,
  // Topic defaults are the storage engine's (Kafka's values).
  segmentBytes: defaultLogConfig.segmentBytes,
  segmentMs: defaultLogConfig.segmentMs,
  retentionMs: defaultLogConfig.retentionMs,
  retentionBytes: defaultLogConfig.retentionBytes,
  fsyncPolicy: defaultLogConfig.fsyncPolicy,
  flushIntervalMs: defaultLogConfig.flushIntervalMs,
  maxRecordBytes: 1 * MiB,
  indexIntervalBytes: defaultLogConfig.indexIntervalBytes,
  maxPartitionsPerTopic: 1000,
  maxPartitions: defaultMaxPartitions,
  minSegmentBytes: defaultMinSegmentBytes,
  maxOpenSegmentFiles: defaultMaxOpenSegmentFiles,
  maxRequestBytes: 64 * MiB,
  maxBatchRecords: 100_000,
  fetchMaxBytes: 4 * MiB,
  fetchMaxWaitMs: 30_000,
  retentionCheckIntervalMs: 300_000,
  http2WindowBytes: 8 * MiB,
  streamBufferBytes: 8 * MiB,
  maxConnections: 10_000,
  maxStreamsPerConnection: 1000,
  subscribeMemoryBytes: 128 * MiB,
  sessionTimeoutMs: 45_000,
  rebalanceTimeoutMs: 30_000,
  offsetsTopicPartitions: 8,
  groupOffsetsRetentionMs: defaultGroupOffsetsRetentionMs,
  tlsCert: undefined,
  tlsKey: undefined,
  tlsClientCa: undefined,
  authTokens: [],
  acls: [],
  reflectionRequiresAuth: false,
  quotas: [],
  consoleTokenFile: undefined,
  consoleTlsCa: undefined,
  consoleTlsServerName: undefined,
  consoleTlsCert: undefined,
  consoleTlsKey: undefined,
  consoleAllowedHosts: [],
  etcdEndpoints: [],
  clusterName: "tributary",
  advertise: undefined,
  rack: undefined,
  brokerSessionTimeoutMs: 3000,
  replicaLagTimeMaxMs: 10_000,
  defaultReplicationFactor: 3,
  offsetsTopicReplicationFactor: 3,
  controlledShutdownTimeoutMs: 30_000,
  interBrokerPrincipal: undefined,
  interBrokerTokenFile: undefined,
  interBrokerTlsCa: undefined,
});

/** The upper bound of maxPartitionsPerTopic: topic names leave room for its digits
 * in partition directory names (services/topics/topic-name.ts). */
export const maxPartitionsPerTopicLimit = 100_000;

type Kind =
  | { type: "string"; check?: (value: string) => string | undefined }
  | { type: "int"; min: number; max: number }
  | { type: "enum"; values: readonly string[] }
  | { type: "bool" }
  /** A JSON value (a file key, or JSON text in a flag or variable), checked by `validate`. */
  | { type: "json"; validate: (value: unknown, where: string) => unknown };

const addressCheck = (value: string) => (parseHostPort(value) ? undefined : "expected HOST:PORT");

function nonEmpty(value: string): string | undefined {
  return value.length > 0 ? undefined : "must not be empty";
}

const fields: Readonly<Record<keyof BrokerConfig, Kind>> = {
  listen: { type: "string", check: addressCheck },
  dataDir: { type: "string", check: (v) => (v.length > 0 ? undefined : "must not be empty") },
  http: { type: "string", check: (v) => (v === "off" ? undefined : addressCheck(v)) },
  logLevel: { type: "enum", values: ["fatal", "error", "warn", "info", "debug", "trace", "silent"] },
  brokerId: { type: "int", min: 0, max: 2 ** 31 - 1 },
  segmentBytes: { type: "int", min: 1 * KiB, max: 2 * GiB - 1 },
  segmentMs: { type: "int", min: 1, max: Number.MAX_SAFE_INTEGER },
  retentionMs: { type: "int", min: -1, max: Number.MAX_SAFE_INTEGER },
  retentionBytes: { type: "int", min: -1, max: Number.MAX_SAFE_INTEGER },
  fsyncPolicy: { type: "enum", values: ["always", "interval", "never"] },
  flushIntervalMs: { type: "int", min: 1, max: 24 * 60 * 60 * 1000 },
  maxRecordBytes: { type: "int", min: 1, max: 512 * MiB },
  indexIntervalBytes: { type: "int", min: 1, max: 1 * GiB },
  maxPartitionsPerTopic: { type: "int", min: 1, max: maxPartitionsPerTopicLimit },
  maxPartitions: { type: "int", min: 1, max: 1_000_000 },
  minSegmentBytes: { type: "int", min: 1 * KiB, max: 1 * GiB },
  maxOpenSegmentFiles: { type: "int", min: 0, max: 1_000_000 },
  maxRequestBytes: { type: "int", min: 1 * KiB, max: 1 * GiB },
  maxBatchRecords: { type: "int", min: 1, max: 10_000_000 },
  fetchMaxBytes: { type: "int", min: 1 * KiB, max: 512 * MiB },
  fetchMaxWaitMs: { type: "int", min: 0, max: 10 * 60 * 1000 },
  retentionCheckIntervalMs: { type: "int", min: 10, max: dayMs },
  http2WindowBytes: { type: "int", min: 64 * KiB, max: 2 ** 31 - 1 },
  streamBufferBytes: { type: "int", min: 1 * KiB, max: 1 * GiB },
  maxConnections: { type: "int", min: 1, max: 1_000_000 },
  maxStreamsPerConnection: { type: "int", min: 1, max: 2 ** 31 - 1 },
  subscribeMemoryBytes: { type: "int", min: 1 * MiB, max: 64 * GiB },
  sessionTimeoutMs: { type: "int", min: 1, max: 60 * 60 * 1000 },
  rebalanceTimeoutMs: { type: "int", min: 1, max: 60 * 60 * 1000 },
  offsetsTopicPartitions: { type: "int", min: 1, max: 1000 },
  groupOffsetsRetentionMs: { type: "int", min: 1, max: Number.MAX_SAFE_INTEGER },
  tlsCert: { type: "string", check: nonEmpty },
  tlsKey: { type: "string", check: nonEmpty },
  tlsClientCa: { type: "string", check: nonEmpty },
  authTokens: { type: "json", validate: validateAuthTokens },
  acls: { type: "json", validate: validateAcls },
  reflectionRequiresAuth: { type: "bool" },
  quotas: { type: "json", validate: validateQuotas },
  consoleTokenFile: { type: "string", check: nonEmpty },
  consoleTlsCa: { type: "string", check: nonEmpty },
  consoleTlsServerName: { type: "string", check: nonEmpty },
  consoleTlsCert: { type: "string", check: nonEmpty },
  consoleTlsKey: { type: "string", check: nonEmpty },
  consoleAllowedHosts: { type: "json", validate: validateAllowedHosts },
  etcdEndpoints: { type: "json", validate: validateEndpoints },
  clusterName: { type: "string", check: (v) => (/^[a-zA-Z0-9._-]{1,100}$/.test(v) ? undefined : "must be 1 to 100 of [a-zA-Z0-9._-]") },
  advertise: { type: "string", check: addressCheck },
  rack: { type: "string", check: nonEmpty },
  brokerSessionTimeoutMs: { type: "int", min: 2000, max: 10 * 60 * 1000 },
  replicaLagTimeMaxMs: { type: "int", min: 10, max: 60 * 60 * 1000 },
  defaultReplicationFactor: { type: "int", min: 1, max: 100 },
  offsetsTopicReplicationFactor: { type: "int", min: 1, max: 100 },
  controlledShutdownTimeoutMs: { type: "int", min: 0, max: 60 * 60 * 1000 },
  interBrokerPrincipal: { type: "string", check: nonEmpty },
  interBrokerTokenFile: { type: "string", check: nonEmpty },
  interBrokerTlsCa: { type: "string", check: nonEmpty },
};

/** etcd client URLs: a JSON list, or (from a flag or variable) "http://a:2379,http://b:2379". */
function validateEndpoints(value: unknown, where: string): readonly string[] {
  const list = Array.isArray(value) ? value : undefined;
  if (list === undefined || !list.every((v) => typeof v === "string" && /^https?:\/\/[^\s/]+\/?$/.test(v))) {
    throw new Error(`${where} must be a list of etcd client URLs (http://host:port)`);
  }
  return Object.freeze(list.map((v: string) => v.replace(/\/$/, "")));
}

export const configKeys = Object.keys(fields) as (keyof BrokerConfig)[];

function configError(message: string): InvalidArgumentError {
  return new InvalidConfigError(message);
}

/** Parses one value given as text (flag, env) or JSON (file) for a key. */
function parseValue(key: keyof BrokerConfig, raw: unknown, source: string): unknown {
  const kind = fields[key];
  if (kind.type === "bool") {
    if (raw === true || raw === "true") return true;
    if (raw === false || raw === "false") return false;
    throw configError(`${source}: ${key} must be true or false`);
  }
  if (kind.type === "json") {
    let value = raw;
    if (key === "etcdEndpoints" && typeof raw === "string" && !raw.trimStart().startsWith("[")) {
      value = raw.split(",").map((v) => v.trim()).filter((v) => v !== "");
    } else if (typeof raw === "string") {
      try {
        value = JSON.parse(raw);
      } catch {
        throw configError(`${source}: ${key} must be JSON`);
      }
    }
    try {
      return kind.validate(value, `${source}: ${key}`);
    } catch (err) {
      throw configError((err as Error).message);
    }
  }
  if (kind.type === "int") {
    const value = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw;
    if (typeof value !== "number" || !Number.isInteger(value) || value < kind.min || value > kind.max) {
      throw configError(`${source}: ${key} must be an integer from ${kind.min} to ${kind.max}`);
    }
    return value;
  }
  if (typeof raw !== "string") throw configError(`${source}: ${key} must be a string`);
  if (kind.type === "enum") {
    if (!kind.values.includes(raw)) throw configError(`${source}: ${key} must be one of ${kind.values.join(", ")}`);
    return raw;
  }
  const problem = kind.check?.(raw);
  if (problem) throw configError(`${source}: ${key} ${problem}`);
  return raw;
}

/** Validates a partial config (from code, a file, env or flags) and fills defaults. */
export function resolveConfig(...layers: Array<{ source: string; values: Record<string, unknown> }>): BrokerConfig {
  const merged: Record<string, unknown> = { ...defaultConfig };
  for (const { source, values } of layers) {
    for (const [key, raw] of Object.entries(values)) {
      if (raw === undefined) continue;
      if (!(key in fields)) throw configError(`${source}: unknown config key "${key}"`);
      merged[key] = parseValue(key as keyof BrokerConfig, raw, source);
    }
  }
  const tls = merged as { tlsCert?: string; tlsKey?: string; tlsClientCa?: string };
  if ((tls.tlsCert === undefined) !== (tls.tlsKey === undefined)) {
    throw configError("tlsCert and tlsKey must be given together");
  }
  if (tls.tlsClientCa !== undefined && tls.tlsCert === undefined) {
    throw configError("tlsClientCa needs tlsCert and tlsKey (mutual TLS is TLS)");
  }
  const config = Object.freeze(merged as unknown as BrokerConfig);
  checkConsoleKeys(config);
  checkInterBrokerKeys(config);
  if (config.quotas.length > 0 && !authEnabled(config)) {
    throw configError("quotas are per principal: they need authentication (authTokens or tlsClientCa)");
  }
  return config;
}

/**
 * Cluster mode with TLS or authentication: brokers call each other as the inter-broker
 * principal, over TLS when they serve TLS (docs/security.md, "Identity in a cluster").
 * A broker that could not reach its peers' ReplicaService is refused at start, not at
 * its first fetch.
 */
function checkInterBrokerKeys(config: BrokerConfig): void {
  const clustered = config.etcdEndpoints.length > 0;
  const keys = (["interBrokerPrincipal", "interBrokerTokenFile", "interBrokerTlsCa"] as const).filter((k) => config[k] !== undefined);
  if (!clustered) {
    if (keys.length > 0) throw configError(`${keys.join(", ")}: only in cluster mode (etcdEndpoints)`);
    return;
  }
  if (config.interBrokerPrincipal === undefined) {
    if (config.authTokens.length > 0 || config.tlsClientCa !== undefined) {
      throw configError("cluster mode with authentication (authTokens or tlsClientCa) needs interBrokerPrincipal: the principal brokers replicate as (docs/security.md)");
    }
    if (config.interBrokerTokenFile !== undefined) throw configError("interBrokerTokenFile needs interBrokerPrincipal");
  } else if (config.interBrokerTokenFile === undefined && config.tlsClientCa === undefined) {
    throw configError("interBrokerPrincipal needs interBrokerTokenFile (the inter-broker token), or tlsClientCa (the broker's certificate is then its client certificate)");
  }
  if (config.tlsCert !== undefined && config.interBrokerTlsCa === undefined && config.tlsClientCa === undefined) {
    throw configError("cluster mode with tlsCert needs interBrokerTlsCa (or tlsClientCa): the CA that verifies other brokers' certificates");
  }
  if (config.interBrokerTlsCa !== undefined && config.tlsCert === undefined) {
    throw configError("interBrokerTlsCa needs tlsCert: without it brokers talk plaintext");
  }
}

/** The console's credential keys only make sense with the broker settings they answer. */
function checkConsoleKeys(config: BrokerConfig): void {
  if ((config.consoleTlsCert === undefined) !== (config.consoleTlsKey === undefined)) {
    throw configError("consoleTlsCert and consoleTlsKey must be given together");
  }
  if (config.consoleTlsCa !== undefined && config.tlsCert === undefined) {
    throw configError("consoleTlsCa needs tlsCert: without it the gRPC port is plaintext");
  }
  if (config.consoleTlsServerName !== undefined && config.consoleTlsCa === undefined) {
    throw configError("consoleTlsServerName needs consoleTlsCa (it names the broker's certificate)");
  }
  if (config.consoleTlsCert !== undefined && config.tlsClientCa === undefined) {
    throw configError("consoleTlsCert needs tlsClientCa: only under mutual TLS does the broker ask for client certificates");
  }
  if (config.consoleTokenFile !== undefined && config.authTokens.length === 0) {
    throw configError("consoleTokenFile needs authTokens: its token must be one of them");
  }
}

/** Authentication is on when tokens or client certificates are configured, or (cluster
 * mode) an inter-broker principal: a cluster's tokens may all live in etcd. */
export function authEnabled(config: BrokerConfig): boolean {
  return config.authTokens.length > 0 || config.tlsClientCa !== undefined || config.interBrokerPrincipal !== undefined;
}

/** `dataDir` -> `--data-dir`. */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `dataDir` -> `TRIBUTARY_DATA_DIR`. */
export function envName(key: string): string {
  return `TRIBUTARY_${flagName(key).replace(/-/g, "_").toUpperCase()}`;
}

/** Variables of the client commands (services/cli), not broker config: `serve` skips them, so
 * one shell can run both. None may equal a config key's envName (test/docs checks). */
export const clientEnvNames: readonly string[] = ["TRIBUTARY_TOKEN"];

/** Reads `TRIBUTARY_*` variables; an unknown one is an error, not a silent typo. */
export function configFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const byEnv = new Map(configKeys.map((key) => [envName(key), key]));
  const values: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith("TRIBUTARY_") || clientEnvNames.includes(name)) continue;
    const key = byEnv.get(name);
    if (key === undefined) throw configError(`environment: unknown variable ${name}`);
    values[key] = value;
  }
  return values;
}

/** Reads a JSON config file: an object of config keys. */
export function configFromFile(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw configError(`config file ${path}: ${(cause as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw configError(`config file ${path}: expected a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/** Splits "HOST:PORT" (IPv6 as "[::1]:PORT"); undefined when malformed. */
export function parseHostPort(value: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(value);
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port > 65535) return undefined;
  return { host: match[1] ?? match[2], port };
}
