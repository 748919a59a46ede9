import { InvalidConfigError } from "../errors.js";
import type { BrokerConfig, FsyncPolicy } from "../config.js";
import type { LogConfig } from "../log/index.js";

export type CleanupPolicy = "delete" | "compact";

/** A topic's effective configuration: broker defaults with its overrides applied. */
export interface TopicConfigValues {
  readonly retentionMs: number;
  readonly retentionBytes: number;
  readonly segmentBytes: number;
  readonly segmentMs: number;
  readonly cleanupPolicy: CleanupPolicy;
  readonly fsyncPolicy: FsyncPolicy;
  readonly flushIntervalMs: number;
  readonly maxRecordBytes: number;
  /** Cluster: fewest in-sync replicas for an ACKS_ALL produce and for the high
   * watermark to move (CLUSTER.md section 4). Default 1. */
  readonly minInsyncReplicas: number;
  /** Cluster: elect outside the in-sync replicas when none is alive. Default false. */
  readonly uncleanLeaderElection: boolean;
}

/** The fields a topic sets itself; the rest follow the broker's defaults. */
export type TopicConfigOverrides = Partial<TopicConfigValues>;

export function effectiveTopicConfig(broker: BrokerConfig, overrides: TopicConfigOverrides): TopicConfigValues {
  return {
    retentionMs: overrides.retentionMs ?? broker.retentionMs,
    retentionBytes: overrides.retentionBytes ?? broker.retentionBytes,
    segmentBytes: overrides.segmentBytes ?? broker.segmentBytes,
    segmentMs: overrides.segmentMs ?? broker.segmentMs,
    cleanupPolicy: overrides.cleanupPolicy ?? "delete",
    fsyncPolicy: overrides.fsyncPolicy ?? broker.fsyncPolicy,
    flushIntervalMs: overrides.flushIntervalMs ?? broker.flushIntervalMs,
    maxRecordBytes: overrides.maxRecordBytes ?? broker.maxRecordBytes,
    minInsyncReplicas: overrides.minInsyncReplicas ?? 1,
    uncleanLeaderElection: overrides.uncleanLeaderElection ?? false,
  };
}

/** How long tombstones of compacted topics are kept (Kafka's delete.retention.ms). */
const deleteRetentionMs = 24 * 60 * 60 * 1000;

export function toLogConfig(config: TopicConfigValues, broker: BrokerConfig): LogConfig {
  return {
    segmentBytes: config.segmentBytes,
    segmentMs: config.segmentMs,
    retentionMs: config.retentionMs,
    retentionBytes: config.retentionBytes,
    fsyncPolicy: config.fsyncPolicy,
    flushIntervalMs: config.flushIntervalMs,
    indexIntervalBytes: broker.indexIntervalBytes,
    cleanupPolicy: config.cleanupPolicy,
    deleteRetentionMs: deleteRetentionMs,
  };
}

const ranges: Record<Exclude<keyof TopicConfigValues, "cleanupPolicy" | "fsyncPolicy" | "uncleanLeaderElection">, [number, number]> = {
  retentionMs: [-1, Number.MAX_SAFE_INTEGER],
  retentionBytes: [-1, Number.MAX_SAFE_INTEGER],
  segmentBytes: [1024, 2 ** 31 - 1],
  segmentMs: [1, Number.MAX_SAFE_INTEGER],
  flushIntervalMs: [1, 24 * 60 * 60 * 1000],
  maxRecordBytes: [1, 512 * 1024 * 1024],
  minInsyncReplicas: [1, 100],
};

/**
 * Checks overrides before anything is written. The record limit may not exceed
 * what one request can carry; segments may not be smaller than the broker allows.
 */
export function validateTopicConfig(overrides: TopicConfigOverrides, broker: BrokerConfig): void {
  for (const [key, [min, max]] of Object.entries(ranges)) {
    const value = overrides[key as keyof typeof ranges];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new InvalidConfigError(`${key} must be an integer from ${min} to ${max}`);
    }
  }
  if (overrides.segmentBytes !== undefined && overrides.segmentBytes < broker.minSegmentBytes) {
    // Each segment is a file: a client's tiny segments multiply the broker's files (issue 14).
    throw new InvalidConfigError(
      `segmentBytes may not be below the broker's minSegmentBytes (${broker.minSegmentBytes})`,
    );
  }
  if (overrides.maxRecordBytes !== undefined && overrides.maxRecordBytes > broker.maxRequestBytes) {
    throw new InvalidConfigError(
      `maxRecordBytes may not exceed the broker's maxRequestBytes (${broker.maxRequestBytes})`,
    );
  }
}
