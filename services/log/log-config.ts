import { InvalidArgumentError } from "../errors.js";

/** When the log forces appended bytes to stable storage (DESIGN.md section 3, "What an ack promises"). */
export type FsyncPolicy = "always" | "interval" | "never";

/** A partition log's settings. All fields are required: the caller fills defaults from
 * `defaultLogConfig`. Validated by `validateLogConfig`; unknown keys are rejected. */
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
}

const defaultSegmentBytes = 1 << 30; // 1 GiB, Kafka's segment.bytes
const defaultSegmentMs = 7 * 24 * 3600 * 1000; // 7 days, Kafka's segment.ms
const defaultRetentionMs = 7 * 24 * 3600 * 1000; // 7 days, Kafka's retention.ms
const defaultFlushIntervalMs = 1000;
const defaultIndexIntervalBytes = 4096; // Kafka's index.interval.bytes

/** The defaults a broker uses for fields it was not given. */
export const defaultLogConfig: Readonly<LogConfig> = Object.freeze({
  segmentBytes: defaultSegmentBytes,
  segmentMs: defaultSegmentMs,
  retentionMs: defaultRetentionMs,
  retentionBytes: -1,
  fsyncPolicy: "interval",
  flushIntervalMs: defaultFlushIntervalMs,
  indexIntervalBytes: defaultIndexIntervalBytes,
});

const maxSegmentBytes = 0x7fffffff; // index positions are int32
const fsyncPolicies: readonly string[] = ["always", "interval", "never"];

function integerIn(config: LogConfig, key: keyof LogConfig, min: number, max: number): void {
  const value = config[key];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError("INVALID_LOG_CONFIG", `${key} must be an integer in [${min}, ${max}]`);
  }
}

/**
 * Checks every field and rejects unknown keys.
 * @throws InvalidArgumentError reason INVALID_LOG_CONFIG; the caller fixes its config.
 * @returns a frozen copy
 */
export function validateLogConfig(config: LogConfig): Readonly<LogConfig> {
  for (const key of Object.keys(config)) {
    if (!(key in defaultLogConfig)) {
      throw new InvalidArgumentError("INVALID_LOG_CONFIG", `unknown log config key ${key}`);
    }
  }
  integerIn(config, "segmentBytes", 1, maxSegmentBytes);
  integerIn(config, "segmentMs", 1, Number.MAX_SAFE_INTEGER);
  integerIn(config, "retentionMs", -1, Number.MAX_SAFE_INTEGER);
  integerIn(config, "retentionBytes", -1, Number.MAX_SAFE_INTEGER);
  integerIn(config, "flushIntervalMs", 1, 0x7fffffff);
  integerIn(config, "indexIntervalBytes", 0, maxSegmentBytes);
  if (!fsyncPolicies.includes(config.fsyncPolicy)) {
    throw new InvalidArgumentError("INVALID_LOG_CONFIG", "fsyncPolicy must be always, interval or never");
  }
  return Object.freeze({ ...config });
}
