export * from "./authorizer.js";
export * from "./config.js";
export * from "./errors.js";
export * from "./method-acls.js";
export * from "./tokens.js";
export * from "./quotas.js";
