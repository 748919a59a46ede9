/** What one request of a method may hold; checked before it is decoded (services/rpc/bind-service.ts). */
export interface RequestLimits {
  /** Largest request, bytes. Larger ones are refused (RESOURCE_EXHAUSTED REQUEST_TOO_LARGE) unread. */
  readonly maxBytes: number;
  /** Most elements of repeated fields, summed over the request at every depth (request-scan.ts). */
  readonly maxElements: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

/** A request naming one resource and a few numbers: hundreds of bytes. The margin is for
 * fields a newer client may add. */
const small: RequestLimits = { maxBytes: 64 * KiB, maxElements: 1024 };
/** A request listing partitions (up to maxPartitionsPerTopic, at most 100,000) once or twice. */
const partitionLists: RequestLimits = { maxBytes: 1 * MiB, maxElements: 250_000 };

/**
 * THE table of request limits, by full method path (issue 14, finding 2: a
 * 63 MiB DescribeTopic of unknown fields cost 4.7 GB). Only Produce carries
 * bulk data: its size is the server-wide `maxRequestBytes` (grpc-js refuses
 * more before the handler), its record count `maxBatchRecords`, both enforced
 * by its own parser. bindService refuses to bind a method without an entry.
 */
export const methodRequestLimits: Readonly<Record<string, RequestLimits>> = {
  "tributary.v1.ProduceService/Produce": { maxBytes: Infinity, maxElements: Infinity },
  // Per request of the stream: the same parser and limits as Produce.
  "tributary.v1.ProduceService/ProduceStream": { maxBytes: Infinity, maxElements: Infinity },
  "tributary.v1.FetchService/Fetch": small,
  // Explicit partitions, start offsets per partition, topics of a group subscription.
  "tributary.v1.FetchService/Subscribe": partitionLists,
  // One entry per partition committed, each a topic name, numbers and up to 4 KiB of metadata
  // (Kafka's offset.metadata.max.bytes): a group committing many partitions with long metadata
  // should split its commit.
  "tributary.v1.CommitService/Commit": { maxBytes: 1 * MiB, maxElements: 100_000 },
  "tributary.v1.CommitService/FetchCommitted": partitionLists,
  "tributary.v1.AdminService/CreateTopic": small,
  "tributary.v1.AdminService/DeleteTopic": small,
  "tributary.v1.AdminService/ListTopics": small,
  "tributary.v1.AdminService/DescribeTopic": small,
  "tributary.v1.AdminService/CreatePartitions": small,
  "tributary.v1.AdminService/UpdateTopicConfig": small,
  "tributary.v1.AdminService/ListOffsets": small,
  "tributary.v1.AdminService/DeleteRecords": small,
  "tributary.v1.AdminService/DescribeCluster": small,
  "tributary.v1.AdminService/ListGroups": small,
  "tributary.v1.AdminService/DescribeGroup": small,
  "tributary.v1.AdminService/ResetGroupOffsets": partitionLists,
  "tributary.v1.AdminService/DeleteGroup": small,
  "tributary.v1.AdminService/FindCoordinator": small,
  // Security settings: a few rules per call; a bulk change splits into several.
  "tributary.v1.AdminService/ListAcls": small,
  "tributary.v1.AdminService/CreateAcls": small,
  "tributary.v1.AdminService/DeleteAcls": small,
  "tributary.v1.AdminService/ListTokens": small,
  "tributary.v1.AdminService/CreateToken": small,
  "tributary.v1.AdminService/DeleteToken": small,
  "tributary.v1.AdminService/ListQuotas": small,
  "tributary.v1.AdminService/SetQuota": small,
  "tributary.v1.AdminService/DeleteQuota": small,
  // Internal (issue 16): one follower fetch lists the partitions it follows from a leader.
  "tributary.cluster.v1.ReplicaService/Replicate": partitionLists,
};
