export {
  createClient,
  errorReason,
  errorLeader,
  defaultChannelOptions,
  reasonMetadataKey,
  leaderMetadataKey,
  type CallSettings,
  type ClientOptions,
  type TlsOptions,
  type ServerStream,
  type ServiceClient,
} from "./grpc-client.js";
export { Producer, type ProducerMessage, type ProducerOptions, type RecordMetadata } from "./producer.js";
export { Consumer, type ConsumedRecord, type ConsumerOptions, type StartPosition } from "./consumer.js";
export { Admin, type AdminOptions } from "./admin.js";
export { type PartitionMetadata, type TopicMetadata } from "./cluster-metadata.js";
export { Acks } from "../../gen/ts/tributary/v1/produce_pb.js";
