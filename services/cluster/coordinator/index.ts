export { GroupCoordination, type GroupCoordinationOptions } from "./group-coordination.js";
export { LeaderReads } from "./leader-reads.js";
