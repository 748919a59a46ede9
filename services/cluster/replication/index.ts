export { ReplicaManager } from "./replica-manager.js";
export {
  defaultReplicationConfig,
  resolveReplicationConfig,
  type PartitionView,
  type ReplicationConfig,
  type ReplicationDeps,
} from "./replication-deps.js";
export type { ReplicaServiceImpl } from "./replica-service.js";
