/**
 * Builds a ClusterSnapshot from the key-values of one Range of the cluster's root
 * prefix: every key read at one revision, so the snapshot is a state etcd really
 * was in (the controller decides on nothing less, CLUSTER.md section 2).
 *
 * Values are protobuf JSON; unknown fields are ignored (a newer broker may add
 * some during a rolling upgrade). A value that does not parse is skipped and
 * reported through `onInvalid`: one bad key must not stop the controller.
 * Partition states without a topic key (a create in progress or abandoned, see
 * topic-writes.ts) are kept in `partitions`; readers look partitions up from
 * topics, so they are never served.
 */
import { fromJsonString, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import {
  BrokerRegistrationSchema,
  ControllerRegistrationSchema,
  PartitionStateSchema,
  ReplicaStateSchema,
  TopicAssignmentSchema,
} from "../../../gen/ts/tributary/cluster/v1/metadata_pb.js";
import type { ClusterKeys } from "../cluster-keys.js";
import {
  partitionKey,
  type ClusterSnapshot,
  type LiveBroker,
  type PartitionEntry,
  type ReplicaStateEntry,
  type TopicEntry,
} from "../cluster-state.js";

/** The fields of an etcd KeyValue a snapshot needs (EtcdClient's KeyValue has them). */
export interface SnapshotKeyValue {
  readonly key: string;
  readonly value: Buffer;
  readonly createRevision: bigint;
  readonly modRevision: bigint;
}

export function snapshotFromKvs(
  keys: ClusterKeys,
  kvs: Iterable<SnapshotKeyValue>,
  revision: bigint,
  onInvalid: (key: string, err: Error) => void = () => {},
): ClusterSnapshot {
  const brokers = new Map<number, LiveBroker>();
  const topics = new Map<string, TopicEntry>();
  const partitions = new Map<string, PartitionEntry>();
  const replicaStates = new Map<string, ReplicaStateEntry>();
  let controller: ClusterSnapshot["controller"];
  const parse = <D extends DescMessage>(schema: D, kv: SnapshotKeyValue): MessageShape<D> | undefined => {
    try {
      return fromJsonString(schema, kv.value.toString("utf8"), { ignoreUnknownFields: true });
    } catch (err) {
      onInvalid(kv.key, err as Error);
      return undefined;
    }
  };
  for (const kv of kvs) {
    const what = keys.parse(kv.key);
    switch (what?.kind) {
      case "broker": {
        const registration = parse(BrokerRegistrationSchema, kv);
        if (registration !== undefined) brokers.set(what.id, { registration, brokerEpoch: kv.createRevision });
        break;
      }
      case "controller": {
        const registration = parse(ControllerRegistrationSchema, kv);
        if (registration !== undefined) controller = { brokerId: registration.brokerId, epoch: kv.createRevision };
        break;
      }
      case "topic": {
        const assignment = parse(TopicAssignmentSchema, kv);
        if (assignment !== undefined) topics.set(what.name, { assignment, modRevision: kv.modRevision });
        break;
      }
      case "partition": {
        const state = parse(PartitionStateSchema, kv);
        if (state !== undefined) {
          partitions.set(partitionKey(what.name, what.partition), {
            topic: what.name,
            partition: what.partition,
            state,
            modRevision: kv.modRevision,
          });
        }
        break;
      }
      case "replica-state": {
        const state = parse(ReplicaStateSchema, kv);
        if (state !== undefined) {
          replicaStates.set(`${what.name}/${what.partition}/${what.brokerId}`, {
            topic: what.name,
            partition: what.partition,
            brokerId: what.brokerId,
            state,
          });
        }
        break;
      }
      default:
        break;
    }
  }
  return { revision, brokers, controller, topics, partitions, replicaStates };
}
