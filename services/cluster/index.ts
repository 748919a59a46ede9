export { ClusterNode, type ClusterNodeOptions } from "./cluster-node.js";
export type { ClusterAdmin, ClusterBroker, PartitionReplication } from "./cluster-admin.js";
export type { PartitionGate } from "./partition-gate.js";
export { ClusterKeys } from "./cluster-keys.js";
export { startEtcd, EtcdClient, type EtcdProcesses, type EtcdMember } from "./etcd/index.js";
export { interBrokerClient, interBrokerCredentials, plaintextInterBroker, type InterBrokerCredentials } from "./inter-broker.js";
export { SecurityStore, type SecuritySnapshot } from "./security-store.js";
