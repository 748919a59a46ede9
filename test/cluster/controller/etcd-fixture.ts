import { create, fromJsonString, toJsonString } from "@bufbuild/protobuf";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino, type Logger } from "pino";
import {
  BrokerRegistrationSchema,
  PartitionStateSchema,
  TopicAssignmentSchema,
  type PartitionState,
  type TopicAssignment,
} from "../../../gen/ts/tributary/cluster/v1/metadata_pb.js";
import { ClusterKeys } from "../../../services/cluster/cluster-keys.js";
import { EtcdClient } from "../../../services/cluster/etcd/etcd-client.js";
import { startEtcd, type EtcdProcesses } from "../../../services/cluster/etcd/etcd-process.js";

/** etcd fsyncs every write: /dev/shm keeps that cheap. */
const tempRoot = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();

/** One real etcd member in a temp dir, and a client talking to it directly. */
export async function startTestEtcd(): Promise<{ etcd: EtcdProcesses; client: EtcdClient; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tempRoot, "tributary-ctrl-"));
  const etcd = await startEtcd({ dataDir: dir });
  const client = new EtcdClient({ endpoints: etcd.endpoints });
  return {
    etcd,
    client,
    stop: async () => {
      client.close();
      await etcd.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let clusters = 0;
/** A fresh cluster name per test: tests share one etcd without seeing each other. */
export function freshKeys(): ClusterKeys {
  return new ClusterKeys(`c${process.pid}-${++clusters}`);
}

/** A broker registered by hand as a broker does it: a lease-bound key, created only if absent. */
export interface TestBroker {
  readonly id: number;
  readonly leaseId: bigint;
  readonly brokerEpoch: bigint;
}

export async function registerBroker(
  client: EtcdClient,
  keys: ClusterKeys,
  id: number,
  options: { rack?: string; cleanStart?: boolean } = {},
): Promise<TestBroker> {
  // Long enough for any test here; brokers "die" by revoking.
  const { id: leaseId } = await client.leaseGrant(60);
  const value = toJsonString(
    BrokerRegistrationSchema,
    create(BrokerRegistrationSchema, {
      id,
      address: `127.0.0.1:${9000 + id}`,
      rack: options.rack ?? "",
      version: "test",
      cleanStart: options.cleanStart ?? true,
    }),
  );
  const result = await client.txn({
    compare: [{ key: keys.broker(id), target: "create", value: 0n }],
    success: [{ put: { key: keys.broker(id), value, lease: leaseId } }],
  });
  if (!result.succeeded) throw new Error(`broker ${id} is still registered`);
  return { id, leaseId, brokerEpoch: result.revision };
}

export async function readPartition(client: EtcdClient, keys: ClusterKeys, topic: string, partition: number): Promise<{ state: PartitionState; modRevision: bigint } | undefined> {
  const kv = await client.get(keys.partition(topic, partition));
  if (kv === undefined) return undefined;
  return { state: fromJsonString(PartitionStateSchema, kv.value.toString("utf8")), modRevision: kv.modRevision };
}

export async function readTopic(client: EtcdClient, keys: ClusterKeys, topic: string): Promise<TopicAssignment | undefined> {
  const kv = await client.get(keys.topic(topic));
  return kv === undefined ? undefined : fromJsonString(TopicAssignmentSchema, kv.value.toString("utf8"));
}

export const silentLogger: Logger = pino({ level: "silent" });

/** A logger whose records land in `records` (to assert on what was logged loudly). */
export function recordingLogger(): { logger: Logger; records: Array<{ level: number; msg: string; [k: string]: unknown }> } {
  const records: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => records.push(JSON.parse(line)) });
  return { logger, records };
}
