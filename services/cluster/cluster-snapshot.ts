/**
 * Turning etcd key-values into a ClusterSnapshot, in one place for the controller (one
 * Range of the cluster's root prefix, every key at one revision: a state etcd really was
 * in) and the MetadataCache (that Range, then each watch event applied in order).
 *
 * Values are protobuf JSON; unknown fields are ignored (a newer broker may add some
 * during a rolling upgrade). A value that does not parse is skipped and reported through
 * `onInvalid`: one bad key must not stop a broker. Partition states without a topic key
 * (a create in progress or abandoned, controller/topic-writes.ts) are kept in
 * `partitions`; readers look partitions up from topics, so they are never served.
 */
import { fromJsonString, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import {
  BrokerRegistrationSchema,
  ControllerRegistrationSchema,
  PartitionStateSchema,
  ReplicaStateSchema,
  TopicAssignmentSchema,
} from "../../gen/ts/tributary/cluster/v1/metadata_pb.js";
import type { ClusterKeys } from "./cluster-keys.js";
import {
  partitionKey,
  type ClusterSnapshot,
  type LiveBroker,
  type PartitionEntry,
  type ReplicaStateEntry,
  type TopicEntry,
} from "./cluster-state.js";

/** The fields of an etcd KeyValue a snapshot needs (EtcdClient's KeyValue has them). */
export interface SnapshotKeyValue {
  readonly key: string;
  readonly value: Buffer;
  readonly createRevision: bigint;
  readonly modRevision: bigint;
}

/** A snapshot being built or changed; published as the readonly ClusterSnapshot. */
export interface MutableSnapshot {
  revision: bigint;
  brokers: Map<number, LiveBroker>;
  controller: { brokerId: number; epoch: bigint } | undefined;
  topics: Map<string, TopicEntry>;
  partitions: Map<string, PartitionEntry>;
  replicaStates: Map<string, ReplicaStateEntry>;
}

export type InvalidValueHandler = (key: string, err: Error) => void;

export function emptySnapshot(revision: bigint): MutableSnapshot {
  return { revision, brokers: new Map(), controller: undefined, topics: new Map(), partitions: new Map(), replicaStates: new Map() };
}

/** A copy to change while readers keep the original. */
export function copySnapshot(s: ClusterSnapshot): MutableSnapshot {
  return {
    revision: s.revision,
    brokers: new Map(s.brokers),
    controller: s.controller,
    topics: new Map(s.topics),
    partitions: new Map(s.partitions),
    replicaStates: new Map(s.replicaStates),
  };
}

/** Every key of one Range, read at `revision`. */
export function snapshotFromKvs(
  keys: ClusterKeys,
  kvs: Iterable<SnapshotKeyValue>,
  revision: bigint,
  onInvalid: InvalidValueHandler = () => {},
): ClusterSnapshot {
  const snapshot = emptySnapshot(revision);
  for (const kv of kvs) applyKeyValue(snapshot, keys, "put", kv, onInvalid);
  return snapshot;
}

/** One put or delete (a key of a Range is a put); keys this version does not know are ignored. */
export function applyKeyValue(
  s: MutableSnapshot,
  keys: ClusterKeys,
  type: "put" | "delete",
  kv: SnapshotKeyValue,
  onInvalid: InvalidValueHandler,
): void {
  const what = keys.parse(kv.key);
  if (what === undefined) return;
  const parse = <D extends DescMessage>(schema: D): MessageShape<D> | undefined => {
    if (type === "delete") return undefined;
    try {
      return fromJsonString(schema, kv.value.toString("utf8"), { ignoreUnknownFields: true });
    } catch (err) {
      onInvalid(kv.key, err as Error);
      return undefined;
    }
  };
  switch (what.kind) {
    case "broker": {
      const registration = parse(BrokerRegistrationSchema);
      if (registration === undefined) s.brokers.delete(what.id);
      else s.brokers.set(what.id, { registration, brokerEpoch: kv.createRevision });
      return;
    }
    case "controller": {
      const registration = parse(ControllerRegistrationSchema);
      s.controller = registration === undefined ? undefined : { brokerId: registration.brokerId, epoch: kv.createRevision };
      return;
    }
    case "topic": {
      const assignment = parse(TopicAssignmentSchema);
      if (assignment === undefined) s.topics.delete(what.name);
      else s.topics.set(what.name, { assignment, modRevision: kv.modRevision });
      return;
    }
    case "partition": {
      const id = partitionKey(what.name, what.partition);
      const state = parse(PartitionStateSchema);
      if (state === undefined) s.partitions.delete(id);
      else s.partitions.set(id, { topic: what.name, partition: what.partition, state, modRevision: kv.modRevision });
      return;
    }
    case "replica-state": {
      const id = `${what.name}/${what.partition}/${what.brokerId}`;
      const state = parse(ReplicaStateSchema);
      if (state === undefined) s.replicaStates.delete(id);
      else s.replicaStates.set(id, { topic: what.name, partition: what.partition, brokerId: what.brokerId, state });
      return;
    }
  }
}
