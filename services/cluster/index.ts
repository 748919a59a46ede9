export { ClusterNode, type ClusterNodeOptions, type ControlledShutdownOutcome } from "./cluster-node.js";
export { supportedFeatures, featureLevel, finalizedFeatures, controlledShutdownFeature } from "./features.js";
export type { ClusterAdmin, ClusterBroker, PartitionReplication } from "./cluster-admin.js";
export type { PartitionGate } from "./partition-gate.js";
export { ClusterKeys } from "./cluster-keys.js";
export { startEtcd, EtcdClient, type EtcdProcesses, type EtcdMember } from "./etcd/index.js";
export { GroupCoordination, LeaderReads, type GroupCoordinationOptions } from "./coordinator/index.js";
export { interBrokerClient, interBrokerCredentials, plaintextInterBroker, type InterBrokerCredentials } from "./inter-broker.js";
export { SecurityStore, type SecuritySnapshot } from "./security-store.js";
