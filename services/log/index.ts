export type { AppendOptions, AppendResult } from "./append-result.js";
export type { FetchData, ReadOptions } from "./fetch-data.js";
export { Log, type LogOptions } from "./log.js";
export type { EpochEntry } from "./leader-epoch-cache.js";
export type { CompactionResult } from "./log-cleaner.js";
export {
  defaultLogConfig,
  validateLogConfig,
  type CleanupPolicy,
  type FsyncPolicy,
  type LogConfig,
  type ResolvedLogConfig,
} from "./log-config.js";
export type { RecordSpans } from "./record-spans.js";
export { fsyncDir, writeFileAtomic } from "./file-io.js";
