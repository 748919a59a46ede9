export type { AppendOptions, AppendResult } from "./append-result.js";
export type { FetchData } from "./fetch-data.js";
export { Log, type LogOptions } from "./log.js";
export { defaultLogConfig, validateLogConfig, type FsyncPolicy, type LogConfig } from "./log-config.js";
export type { RecordSpans } from "./record-spans.js";
export { fsyncDir, writeFileAtomic } from "./file-io.js";
