import type { MessageInitShape } from "@bufbuild/protobuf";
import { InvalidConfigError } from "../errors.js";
import type { TopicConfigOverrides, TopicConfigValues } from "../topics/index.js";
import {
  CleanupPolicy,
  FsyncPolicy,
  type TopicConfig,
  type TopicConfigSchema,
} from "../../gen/ts/tributary/v1/admin_pb.js";

const cleanupToCore = { [CleanupPolicy.DELETE]: "delete", [CleanupPolicy.COMPACT]: "compact" } as const;
const fsyncToCore = {
  [FsyncPolicy.ALWAYS]: "always",
  [FsyncPolicy.INTERVAL]: "interval",
  [FsyncPolicy.NEVER]: "never",
} as const;

/** A request's TopicConfig: only the fields it sets. */
export function overridesFromMessage(config: TopicConfig | undefined): TopicConfigOverrides {
  if (config === undefined) return {};
  const overrides: { -readonly [K in keyof TopicConfigOverrides]: TopicConfigOverrides[K] } = {};
  const int = (name: string, value: bigint | number | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new InvalidConfigError(`${name} is out of range`);
    return n;
  };
  overrides.retentionMs = int("retention_ms", config.retentionMs);
  overrides.retentionBytes = int("retention_bytes", config.retentionBytes);
  overrides.segmentBytes = int("segment_bytes", config.segmentBytes);
  overrides.segmentMs = int("segment_ms", config.segmentMs);
  overrides.flushIntervalMs = int("flush_interval_ms", config.flushIntervalMs);
  overrides.maxRecordBytes = int("max_record_bytes", config.maxRecordBytes);
  overrides.minInsyncReplicas = int("min_insync_replicas", config.minInsyncReplicas);
  overrides.uncleanLeaderElection = config.uncleanLeaderElection;
  if (config.cleanupPolicy !== CleanupPolicy.UNSPECIFIED) {
    const policy = cleanupToCore[config.cleanupPolicy as CleanupPolicy.DELETE | CleanupPolicy.COMPACT];
    if (policy === undefined) throw new InvalidConfigError("unknown cleanup_policy");
    overrides.cleanupPolicy = policy;
  }
  if (config.fsyncPolicy !== FsyncPolicy.UNSPECIFIED) {
    const policy = fsyncToCore[config.fsyncPolicy as FsyncPolicy.ALWAYS | FsyncPolicy.INTERVAL | FsyncPolicy.NEVER];
    if (policy === undefined) throw new InvalidConfigError("unknown fsync_policy");
    overrides.fsyncPolicy = policy;
  }
  for (const key of Object.keys(overrides) as (keyof TopicConfigOverrides)[]) {
    if (overrides[key] === undefined) delete overrides[key];
  }
  return overrides;
}

/** An effective config as a message with every field set. */
export function configToMessage(config: TopicConfigValues): MessageInitShape<typeof TopicConfigSchema> {
  return {
    retentionMs: BigInt(config.retentionMs),
    retentionBytes: BigInt(config.retentionBytes),
    segmentBytes: BigInt(config.segmentBytes),
    segmentMs: BigInt(config.segmentMs),
    cleanupPolicy: config.cleanupPolicy === "compact" ? CleanupPolicy.COMPACT : CleanupPolicy.DELETE,
    fsyncPolicy:
      config.fsyncPolicy === "always"
        ? FsyncPolicy.ALWAYS
        : config.fsyncPolicy === "never"
          ? FsyncPolicy.NEVER
          : FsyncPolicy.INTERVAL,
    flushIntervalMs: BigInt(config.flushIntervalMs),
    maxRecordBytes: config.maxRecordBytes,
    minInsyncReplicas: config.minInsyncReplicas,
    uncleanLeaderElection: config.uncleanLeaderElection,
  };
}
