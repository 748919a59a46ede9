import { AdminService, type TopicConfig } from "../../gen/ts/tributary/v1/admin_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { TopicConfigSchema } from "../../gen/ts/tributary/v1/admin_pb.js";
import { createClient, type ClientOptions, type ServiceClient } from "./grpc-client.js";

export interface AdminOptions extends ClientOptions {
  /** Broker address, HOST:PORT. Default 127.0.0.1:7070. */
  readonly broker?: string;
}

type Service = ServiceClient<(typeof AdminService)["method"]>;

/** Thin typed wrappers over AdminService; every answer is the RPC's message. */
export class Admin {
  private readonly client: Service;

  constructor(options: AdminOptions = {}) {
    this.client = createClient(AdminService, options.broker ?? "127.0.0.1:7070", options);
  }

  createTopic(name: string, partitions: number, config?: MessageInitShape<typeof TopicConfigSchema>) {
    return this.client.createTopic({ name, partitions, config });
  }
  deleteTopic(name: string) {
    return this.client.deleteTopic({ name });
  }
  async listTopics(includeInternal = false) {
    return (await this.client.listTopics({ includeInternal })).topics;
  }
  async describeTopic(name: string) {
    return (await this.client.describeTopic({ name })).topic!;
  }
  createPartitions(name: string, totalCount: number) {
    return this.client.createPartitions({ name, totalCount });
  }
  updateTopicConfig(name: string, config: MessageInitShape<typeof TopicConfigSchema> | TopicConfig) {
    return this.client.updateTopicConfig({ name, config });
  }
  /** The offset for a time (ms since the epoch), or "earliest" / "latest". */
  listOffsets(topic: string, partition: number, spec: number | "earliest" | "latest") {
    return this.client.listOffsets({
      topic,
      partition,
      spec: typeof spec === "number" ? { case: "timestampMs", value: BigInt(spec) } : { case: spec, value: true },
    });
  }
  deleteRecords(topic: string, partition: number, beforeOffset: bigint) {
    return this.client.deleteRecords({ topic, partition, beforeOffset });
  }
  describeCluster() {
    return this.client.describeCluster({});
  }
  async listGroups() {
    return (await this.client.listGroups({})).groups;
  }
  describeGroup(groupId: string) {
    return this.client.describeGroup({ groupId });
  }
  /** Moves a group's offsets; `to` is "earliest", "latest", { offset } or { timestampMs }. */
  resetGroupOffsets(
    groupId: string,
    topic: string,
    to: "earliest" | "latest" | { offset: bigint } | { timestampMs: number },
    partitions: number[] = [],
  ) {
    return this.client.resetGroupOffsets({
      groupId,
      topic,
      partitions,
      to:
        typeof to === "string"
          ? { case: to, value: true }
          : "offset" in to
            ? { case: "offset", value: to.offset }
            : { case: "timestampMs", value: BigInt(to.timestampMs) },
    });
  }
  deleteGroup(groupId: string) {
    return this.client.deleteGroup({ groupId });
  }
  close(): void {
    this.client.close();
  }
}
