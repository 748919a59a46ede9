export { ClusterNode, type ClusterNodeOptions } from "./cluster-node.js";
export type { ClusterAdmin, ClusterBroker, PartitionReplication } from "./cluster-admin.js";
export type { PartitionGate } from "./partition-gate.js";
export { ClusterKeys } from "./cluster-keys.js";
export { startEtcd, EtcdClient, type EtcdProcesses, type EtcdMember } from "./etcd/index.js";
export { GroupCoordination, LeaderReads, type GroupCoordinationOptions } from "./coordinator/index.js";
export { interBrokerClient } from "./inter-broker.js";
