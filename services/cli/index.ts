export { connectionUsage, dropIpServerNameWarning, type CliEnv } from "./cli-args.js";
export { describeCliError } from "./cli-error.js";
export { consumeCommand } from "./consume-command.js";
export { groupsCommand } from "./groups-command.js";
export { produceCommand } from "./produce-command.js";
export { topicsCommand } from "./topics-command.js";
export { devCommand } from "./dev-cluster-command.js";
