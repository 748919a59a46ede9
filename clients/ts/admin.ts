import { AdminService, type TopicConfig } from "../../gen/ts/tributary/v1/admin_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { TopicConfigSchema } from "../../gen/ts/tributary/v1/admin_pb.js";
import { bootstrapList, ClusterMetadata } from "./cluster-metadata.js";
import type { ClientOptions, ServiceClient } from "./grpc-client.js";

export interface AdminOptions extends ClientOptions {
  /** A broker address, HOST:PORT: a bootstrap list of one. Default 127.0.0.1:7070. */
  readonly broker?: string;
  /** Brokers to send admin calls to, HOST:PORT each, tried in order (after `broker`). */
  readonly bootstrap?: readonly string[];
}

type Service = ServiceClient<(typeof AdminService)["method"]>;

/**
 * Thin typed wrappers over AdminService; every answer is the RPC's message. Each
 * call goes to a live broker: the one that answered last, else the next known
 * broker or bootstrap entry, moving on only when a broker is away or busy
 * (UNAVAILABLE, DEADLINE_EXCEEDED). Any broker of a cluster answers admin calls.
 */
export class Admin {
  private readonly metadata: ClusterMetadata;

  constructor(options: AdminOptions = {}) {
    this.metadata = new ClusterMetadata({ ...options, bootstrap: bootstrapList(options) });
  }

  private call<R>(request: (client: Service) => Promise<R>): Promise<R> {
    return this.metadata.any((address) => request(this.metadata.client(AdminService, address)));
  }

  /** @param replicationFactor in a cluster; default the cluster's defaultReplicationFactor */
  createTopic(name: string, partitions: number, config?: MessageInitShape<typeof TopicConfigSchema>, replicationFactor?: number) {
    return this.call((c) => c.createTopic({ name, partitions, config, replicationFactor }));
  }
  deleteTopic(name: string) {
    return this.call((c) => c.deleteTopic({ name }));
  }
  async listTopics(includeInternal = false) {
    return (await this.call((c) => c.listTopics({ includeInternal }))).topics;
  }
  async describeTopic(name: string) {
    return (await this.call((c) => c.describeTopic({ name }))).topic!;
  }
  createPartitions(name: string, totalCount: number) {
    return this.call((c) => c.createPartitions({ name, totalCount }));
  }
  updateTopicConfig(name: string, config: MessageInitShape<typeof TopicConfigSchema> | TopicConfig) {
    return this.call((c) => c.updateTopicConfig({ name, config }));
  }
  /** The offset for a time (ms since the epoch), or "earliest" / "latest". */
  listOffsets(topic: string, partition: number, spec: number | "earliest" | "latest") {
    return this.call((c) =>
      c.listOffsets({
      topic,
      partition,
      spec: typeof spec === "number" ? { case: "timestampMs", value: BigInt(spec) } : { case: spec, value: true },
    }),
    );
  }
  deleteRecords(topic: string, partition: number, beforeOffset: bigint) {
    return this.call((c) => c.deleteRecords({ topic, partition, beforeOffset }));
  }
  describeCluster() {
    return this.call((c) => c.describeCluster({}));
  }
  async listGroups() {
    return (await this.call((c) => c.listGroups({}))).groups;
  }
  describeGroup(groupId: string) {
    return this.call((c) => c.describeGroup({ groupId }));
  }
  /** Moves a group's offsets; `to` is "earliest", "latest", { offset } or { timestampMs }. */
  resetGroupOffsets(
    groupId: string,
    topic: string,
    to: "earliest" | "latest" | { offset: bigint } | { timestampMs: number },
    partitions: number[] = [],
  ) {
    return this.call((c) =>
      c.resetGroupOffsets({
      groupId,
      topic,
      partitions,
      to:
        typeof to === "string"
          ? { case: to, value: true }
          : "offset" in to
            ? { case: "offset", value: to.offset }
            : { case: "timestampMs", value: BigInt(to.timestampMs) },
    }),
    );
  }
  deleteGroup(groupId: string) {
    return this.call((c) => c.deleteGroup({ groupId }));
  }
  close(): void {
    this.metadata.close();
  }
}
