export {
  EtcdClient,
  prefixEnd,
  type Compare,
  type EtcdClientOptions,
  type KeyValue,
  type TxnOp,
  type TxnResult,
  type WatchEvent,
  type WatchListener,
} from "./etcd-client.js";
export { EtcdError, type EtcdErrorReason } from "./etcd-error.js";
export { startEtcd, type EtcdMember, type EtcdProcesses, type StartEtcdOptions } from "./etcd-process.js";
export { LeaseKeeper, leaseTtlSeconds, type LeaseKeeperOptions } from "./lease-keeper.js";
