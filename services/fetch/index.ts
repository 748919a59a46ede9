export { createFetchHandler, type FetchDeps } from "./fetch-handler.js";
export { createSubscribeHandler, type SubscribeDeps } from "./subscribe-handler.js";
export { StreamBudget } from "./stream-writer.js";
export { TimestampLookups } from "./timestamp-lookups.js";
