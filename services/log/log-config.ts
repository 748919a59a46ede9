import { InvalidArgumentError } from "../errors.js";

/** When the log forces appended bytes to stable storage (DESIGN.md section 3, "What an ack promises"). */
export type FsyncPolicy = "always" | "interval" | "never";

/** What retention does (Kafka's cleanup.policy): `delete` removes old segments by age
 * and size; `compact` keeps the newest record per key instead (see log-cleaner.ts). */
export type CleanupPolicy = "delete" | "compact";

/** A partition log's settings. The caller fills defaults from `defaultLogConfig`; only
 * the compaction fields may be left out (until every caller passes them), and
 * `validateLogConfig` fills them. Unknown keys are rejected. */
export interface LogConfig {
  /** Roll when the active segment would grow past this size, in bytes. Default 1 GiB; at most 2^31-1. */
  segmentBytes: number;
  /** Roll when the active segment's first append is this old, in ms. Default 7 days. */
  segmentMs: number;
  /** Delete whole segments whose newest record is older than this, in ms; -1 = forever. Default 7 days. */
  retentionMs: number;
  /** Delete the oldest whole segments while the log is larger than this, in bytes; -1 = unlimited. Default -1. */
  retentionBytes: number;
  /** `always`: ack after fsync (group commit); `interval`: ack after write, fsync every
   * `flushIntervalMs`; `never`: ack after write, fsync only on roll and close. Default `interval`. */
  fsyncPolicy: FsyncPolicy;
  /** Period of the background fsync for `interval`, in ms. Default 1000. */
  flushIntervalMs: number;
  /** One offset-index entry every this many bytes of log, in bytes. Default 4096. */
  indexIntervalBytes: number;
  /** `delete` or `compact` (then retentionMs and retentionBytes are not applied). Default `delete`. */
  cleanupPolicy?: CleanupPolicy;
  /** With `compact`: a tombstone (a keyed record without a value) that is the newest for
   * its key is removed by the first compaction more than this many ms after its segment's
   * newest record timestamp, in ms. Default 24 h (Kafka's delete.retention.ms). */
  deleteRetentionMs?: number;
}

/** A validated config: every field present. */
export type ResolvedLogConfig = Readonly<Required<LogConfig>>;

const defaultSegmentBytes = 1 << 30; // 1 GiB, Kafka's segment.bytes
const defaultSegmentMs = 7 * 24 * 3600 * 1000; // 7 days, Kafka's segment.ms
const defaultRetentionMs = 7 * 24 * 3600 * 1000; // 7 days, Kafka's retention.ms
const defaultFlushIntervalMs = 1000;
const defaultIndexIntervalBytes = 4096; // Kafka's index.interval.bytes
const defaultDeleteRetentionMs = 24 * 3600 * 1000; // 1 day, Kafka's delete.retention.ms

/** The defaults a broker uses for fields it was not given. */
export const defaultLogConfig: ResolvedLogConfig = Object.freeze({
  segmentBytes: defaultSegmentBytes,
  segmentMs: defaultSegmentMs,
  retentionMs: defaultRetentionMs,
  retentionBytes: -1,
  fsyncPolicy: "interval",
  flushIntervalMs: defaultFlushIntervalMs,
  indexIntervalBytes: defaultIndexIntervalBytes,
  cleanupPolicy: "delete",
  deleteRetentionMs: defaultDeleteRetentionMs,
});

const maxSegmentBytes = 0x7fffffff; // index positions are int32
const fsyncPolicies: readonly string[] = ["always", "interval", "never"];
const cleanupPolicies: readonly string[] = ["delete", "compact"];

function integerIn(config: ResolvedLogConfig, key: keyof LogConfig, min: number, max: number): void {
  const value = config[key];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError("INVALID_LOG_CONFIG", `${key} must be an integer in [${min}, ${max}]`);
  }
}

/**
 * Checks every field, rejects unknown keys and fills the optional ones from `defaultLogConfig`.
 * @throws InvalidArgumentError reason INVALID_LOG_CONFIG; the caller fixes its config.
 * @returns a frozen copy
 */
export function validateLogConfig(given: LogConfig): ResolvedLogConfig {
  for (const key of Object.keys(given)) {
    if (!(key in defaultLogConfig)) {
      throw new InvalidArgumentError("INVALID_LOG_CONFIG", `unknown log config key ${key}`);
    }
  }
  const config: ResolvedLogConfig = {
    ...given,
    cleanupPolicy: given.cleanupPolicy ?? defaultLogConfig.cleanupPolicy,
    deleteRetentionMs: given.deleteRetentionMs ?? defaultLogConfig.deleteRetentionMs,
  };
  integerIn(config, "segmentBytes", 1, maxSegmentBytes);
  integerIn(config, "segmentMs", 1, Number.MAX_SAFE_INTEGER);
  integerIn(config, "retentionMs", -1, Number.MAX_SAFE_INTEGER);
  integerIn(config, "retentionBytes", -1, Number.MAX_SAFE_INTEGER);
  integerIn(config, "flushIntervalMs", 1, 0x7fffffff);
  integerIn(config, "indexIntervalBytes", 0, maxSegmentBytes);
  if (!fsyncPolicies.includes(config.fsyncPolicy)) {
    throw new InvalidArgumentError("INVALID_LOG_CONFIG", "fsyncPolicy must be always, interval or never");
  }
  integerIn(config, "deleteRetentionMs", 0, Number.MAX_SAFE_INTEGER);
  if (!cleanupPolicies.includes(config.cleanupPolicy)) {
    throw new InvalidArgumentError("INVALID_LOG_CONFIG", "cleanupPolicy must be delete or compact");
  }
  return Object.freeze(config);
}
