export { createFetchHandler } from "./fetch-handler.js";
export { createSubscribeHandler } from "./subscribe-handler.js";
export { StreamBudget } from "./stream-writer.js";
export { TimestampLookups } from "./timestamp-lookups.js";
export type { LeaderPumpOptions, MemberReads, OffsetSpec, ResetPolicy } from "./member-reads.js";
