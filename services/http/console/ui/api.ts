/// <reference lib="dom" />

/** An error answer of the console API: the broker's gRPC status name and reason. */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

const base = "/console/api/";

/** Calls the console API; throws ApiError with the broker's code and reason. */
export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  // Every change carries a JSON body: the API refuses others (a cross-site form cannot send one).
  const reads = method === "GET" || method === "HEAD";
  const response = await fetch(base + path, {
    method,
    headers: reads ? {} : { "content-type": "application/json" },
    body: reads ? undefined : JSON.stringify(body ?? {}),
  });
  const answer = (await response.json()) as T & { error?: { code: string; reason: string; message: string } };
  if (!response.ok) {
    const e = answer.error ?? { code: "UNKNOWN", reason: "", message: response.statusText };
    throw new ApiError(response.status, e.code, e.reason, e.message);
  }
  return answer;
}

export interface Partition {
  partition: number;
  logStartOffset: string;
  logEndOffset: string;
  highWatermark: string;
  sizeBytes: string;
  segmentCount: number;
}
export interface Topic {
  name: string;
  config: Record<string, string | number | undefined>;
  partitions: Partition[];
  internal: boolean;
  createdTimeMs: string;
}
export interface Overview {
  cluster: { clusterId: string; controllerId: number; brokers: { id: number; host: string; port: number; version: string }[] };
  topics: Topic[];
  groups: { groupId: string; state: string; members: number; committed: Record<string, string>; lag: string }[];
}
export interface ConsumerRecord {
  offset: string;
  timestampMs: string;
  key: string;
  value: string;
  headers: { key: string; value: string }[];
  /** Full byte lengths of a key or value the console cut to its first 64 KiB. */
  truncated?: { key?: number; value?: number };
}
export interface Records {
  offset: string;
  /** Where the next page starts: answers stop at 1 MiB of record bytes as well as at the limit. */
  nextOffset: string;
  highWatermark: string;
  logStartOffset: string;
  records: ConsumerRecord[];
}
export interface Group {
  groupId: string;
  state: string;
  generation: number;
  assignor: string;
  members: { memberId: string; instanceId: string; clientId: string; host: string; assignment: { topic: string; partition: number }[] }[];
  offsets: { topic: string; partition: number; committedOffset: string; logEndOffset: string; lag: string; memberId: string }[];
}
