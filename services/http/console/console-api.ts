import { fromJson, toJson, type DescMessage, type JsonValue, type MessageShape } from "@bufbuild/protobuf";
import { GrpcCode as GrpcStatus } from "../../rpc/index.js";
import { Admin, createClient, errorReason, type ClientOptions, type ServiceClient } from "../../../clients/ts/index.js";
import { TributaryError } from "../../errors.js";
import {
  AdminService,
  CreatePartitionsRequestSchema,
  CreateTopicRequestSchema,
  DeleteRecordsRequestSchema,
  DescribeClusterResponseSchema,
  DescribeGroupResponseSchema,
  GroupListingSchema,
  ResetGroupOffsetsRequestSchema,
  ResetGroupOffsetsResponseSchema,
  TopicConfigSchema,
  TopicDescriptionSchema,
} from "../../../gen/ts/tributary/v1/admin_pb.js";
import { FetchService } from "../../../gen/ts/tributary/v1/fetch_pb.js";
import { ConsumerRecordSchema, type ConsumerRecord } from "../../../gen/ts/tributary/v1/record_pb.js";
import { ConsoleRequestError } from "./http-error.js";

/** Most records one browse answer holds. */
const maxBrowseLimit = 500;
/** Records per browse answer when the request names no limit. */
const defaultBrowseLimit = 50;
/**
 * Most record bytes (keys, values, header keys and values) one browse answer
 * holds, and so the most it reads from the broker: a limit of 500 records of
 * 1 MB once took the broker to 4.4 GB (issue 14). The first record always comes,
 * whatever its size, so that paging by `nextOffset` always moves.
 */
export const maxBrowseBytes = 1024 * 1024;
/** A key or value longer than this is shown cut to it, with its length in `truncated`. */
export const maxShownBytes = 64 * 1024;
/** How long the start-up probe waits for the broker's own port (loopback: the handshake is instant). */
const probeDeadlineMs = 10_000;

/** A parsed API request: method, path segments after /console/api/, query, JSON body. */
export interface ApiRequest {
  readonly method: string;
  readonly segments: readonly string[];
  readonly query: URLSearchParams;
  readonly body: unknown;
}

/** What the router answers: HTTP status and a JSON value. */
export interface ApiResponse {
  readonly status: number;
  readonly body: JsonValue;
}

const json = <D extends DescMessage>(schema: D, message: MessageShape<D>): JsonValue =>
  toJson(schema, message, { alwaysEmitImplicit: true });

/**
 * The console's JSON API: each route is one or a few calls of the broker's own
 * gRPC services through the TypeScript client, so validation, errors and
 * ACLs are the broker's: the console acts as the principal of the
 * credentials it is given (docs/console.md). Bodies and answers use the protobuf JSON
 * mapping of the RPC's messages (camelCase, int64 as strings, bytes as base64).
 */
export class ConsoleApi {
  private readonly admin: Admin;
  private readonly fetch: ServiceClient<(typeof FetchService)["method"]>;
  private readonly address: string;
  private readonly client: ClientOptions;

  /**
   * @param address the broker's own gRPC address, HOST:PORT
   * @param client TLS credentials and token of the console's principal (console-credentials.ts)
   */
  constructor(address: string, client: ClientOptions = {}) {
    this.admin = new Admin({ ...client, broker: address });
    this.fetch = createClient(FetchService, address, client);
    this.address = address;
    this.client = client;
  }

  /**
   * One call at start-up, so that a console that cannot reach the broker's port
   * (a CA that did not sign the broker's certificate, a server name its
   * subjectAltName lacks, a client certificate the broker refuses) fails the
   * start instead of every page. Being refused by an ACL proves the connection
   * and the credentials work; UNAUTHENTICATED is accepted only when the
   * console was given no credentials (it then answers 401, docs/console.md).
   * @returns whether the console is authenticated to the broker
   */
  async probe(credentialed: boolean): Promise<boolean> {
    // Its own client for the deadline; grpc-js shares the connection of equal credentials.
    const admin = createClient(AdminService, this.address, this.client);
    try {
      await admin.describeCluster({}, { deadline: probeDeadlineMs });
      return true;
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === GrpcStatus.PERMISSION_DENIED) return true;
      if (code === GrpcStatus.UNAUTHENTICATED && !credentialed) return false;
      const reason = errorReason(err);
      throw new TributaryError(
        "precondition",
        "CONSOLE_UNREACHABLE",
        `the web console cannot call the broker's gRPC port: ${GrpcStatus[code ?? GrpcStatus.UNKNOWN] ?? code}` +
          `${reason ? ` ${reason}` : ""}: ${(err as { details?: string }).details ?? (err as Error).message}. ` +
          "Check consoleTlsCa (the CA that signed tlsCert), consoleTlsServerName (a name in the certificate's subjectAltName), " +
          "consoleTlsCert/consoleTlsKey and consoleTokenFile, or set http to off",
        { cause: err },
      );
    } finally {
      admin.close();
    }
  }

  close(): void {
    this.admin.close();
    this.fetch.close();
  }

  /** Answers one request; throws ServiceError or ConsoleRequestError, which the caller maps. */
  async handle(req: ApiRequest): Promise<ApiResponse> {
    const [collection, name, action, extra] = req.segments;
    const route = `${req.method} ${collection ?? ""}${name === undefined ? "" : "/:name"}${action === undefined ? "" : `/${action}`}`;
    if (extra !== undefined) throw notFound();
    switch (route) {
      case "GET overview":
        return ok(await this.overview());
      case "GET topics/:name":
        return ok(json(TopicDescriptionSchema, await this.admin.describeTopic(name)));
      case "POST topics": {
        const request = parse(CreateTopicRequestSchema, req.body);
        const created = await this.admin.createTopic(request.name, request.partitions, request.config);
        return { status: 201, body: json(TopicDescriptionSchema, created.topic!) };
      }
      case "DELETE topics/:name":
        await this.admin.deleteTopic(name);
        return ok({});
      case "POST topics/:name/partitions": {
        const request = parse(CreatePartitionsRequestSchema, { ...asObject(req.body), name });
        const answer = await this.admin.createPartitions(name, request.totalCount);
        return ok(json(TopicDescriptionSchema, answer.topic!));
      }
      case "PATCH topics/:name/config": {
        const answer = await this.admin.updateTopicConfig(name, parse(TopicConfigSchema, req.body));
        return ok(json(TopicDescriptionSchema, answer.topic!));
      }
      case "POST topics/:name/delete-records": {
        const request = parse(DeleteRecordsRequestSchema, { ...asObject(req.body), topic: name });
        const answer = await this.admin.deleteRecords(name, request.partition, request.beforeOffset);
        return ok({ logStartOffset: answer.logStartOffset.toString() });
      }
      case "GET topics/:name/records":
        return ok(await this.browse(name, req.query));
      case "GET groups":
        return ok({ groups: (await this.admin.listGroups()).map((g) => json(GroupListingSchema, g)) });
      case "GET groups/:name":
        return ok(json(DescribeGroupResponseSchema, await this.admin.describeGroup(name)));
      case "POST groups/:name/reset": {
        const request = parse(ResetGroupOffsetsRequestSchema, { ...asObject(req.body), groupId: name });
        const to = request.to;
        if (to.case === undefined) throw new ConsoleRequestError("INVALID_BODY", "give one of earliest, latest, offset, timestampMs");
        const target =
          to.case === "earliest" || to.case === "latest"
            ? to.case
            : to.case === "offset"
              ? { offset: to.value }
              : { timestampMs: Number(to.value) };
        const answer = await this.admin.resetGroupOffsets(name, request.topic, target, request.partitions);
        return ok(json(ResetGroupOffsetsResponseSchema, answer));
      }
      case "DELETE groups/:name":
        await this.admin.deleteGroup(name);
        return ok({});
      default:
        throw notFound();
    }
  }

  /** Broker, topics with partitions, and each group's committed offsets summed per topic. */
  private async overview(): Promise<JsonValue> {
    const [cluster, listings, groups] = await Promise.all([
      this.admin.describeCluster(),
      this.admin.listTopics(),
      this.admin.listGroups(),
    ]);
    const topics = await Promise.all(listings.map((t) => this.admin.describeTopic(t.name).catch(ignoreUnseen)));
    const described = await Promise.all(groups.map((g) => this.admin.describeGroup(g.groupId).catch(ignoreUnseen)));
    return {
      cluster: json(DescribeClusterResponseSchema, cluster),
      topics: topics.filter((t) => t !== undefined).map((t) => json(TopicDescriptionSchema, t)),
      groups: described
        .filter((g) => g !== undefined)
        .map((g) => {
          const committed: Record<string, string> = {};
          let lag = 0n;
          for (const o of g.offsets) {
            if (o.committedOffset >= 0n) committed[o.topic] = ((BigInt(committed[o.topic] ?? 0)) + o.committedOffset).toString();
            lag += o.lag;
          }
          return { groupId: g.groupId, state: g.state, members: g.members.length, committed, lag: lag.toString() };
        }),
    };
  }

  /**
   * Reads up to `limit` records of one partition from `offset`, from the first
   * record at or after `timestampMs` (through ListOffsets), or from the
   * earliest offset when neither is given; at most `maxBrowseBytes` of record
   * bytes but at least one record, each key and value cut to `maxShownBytes`.
   * `nextOffset` is where the next page starts.
   */
  private async browse(topic: string, query: URLSearchParams): Promise<JsonValue> {
    const partition = integerParam(query, "partition") ?? 0n;
    const limit = Number(integerParam(query, "limit") ?? BigInt(defaultBrowseLimit));
    if (limit < 1 || limit > maxBrowseLimit) throw new ConsoleRequestError("INVALID_LIMIT", `limit must be 1..${maxBrowseLimit}`);
    const timestampMs = integerParam(query, "timestampMs");
    let offset = integerParam(query, "offset");
    if (offset === undefined) {
      const spec = timestampMs === undefined ? "earliest" : Number(timestampMs);
      offset = (await this.admin.listOffsets(topic, Number(partition), spec)).offset;
    }
    const records: JsonValue[] = [];
    let next = offset;
    let highWatermark = offset;
    let logStartOffset = 0n;
    let bytes = 0;
    let full = false;
    // A fetch stops at a batch boundary or at maxBytes: read until the limit, the byte
    // bound or the high watermark, asking each fetch for no more than the bound leaves.
    while (!full) {
      const maxBytes = Math.max(1, maxBrowseBytes - bytes);
      const answer = await this.fetch.fetch({ topic, partition: Number(partition), offset: next, maxBytes, maxWaitMs: 0 });
      highWatermark = answer.highWatermark;
      logStartOffset = answer.logStartOffset;
      for (const record of answer.records) {
        if (record.offset < next) continue;
        const size = recordBytes(record);
        if (records.length >= limit || (records.length > 0 && bytes + size > maxBrowseBytes)) {
          full = true;
          break;
        }
        records.push(renderRecord(record));
        bytes += size;
        next = record.offset + 1n;
      }
      if (records.length >= limit || bytes >= maxBrowseBytes) full = true;
      if (full || answer.records.length === 0 || answer.nextOffset >= highWatermark) {
        // Past records compaction removed: the next page starts where the log goes on.
        if (!full && answer.nextOffset > next) next = answer.nextOffset;
        break;
      }
      next = answer.nextOffset;
    }
    return {
      topic,
      partition: Number(partition),
      offset: offset.toString(),
      nextOffset: next.toString(),
      highWatermark: highWatermark.toString(),
      logStartOffset: logStartOffset.toString(),
      records,
    };
  }
}

/** A record's bytes as the console counts them against maxBrowseBytes. */
function recordBytes(record: ConsumerRecord): number {
  let size = record.key.length + record.value.length;
  for (const header of record.headers) size += Buffer.byteLength(header.key) + header.value.length;
  return size;
}

/** The record in the protobuf JSON mapping, key and value cut to maxShownBytes; a cut one's
 * full length is under `truncated` (`{ "value": 1000000 }`). */
function renderRecord(record: ConsumerRecord): JsonValue {
  const truncated: Record<string, number> = {};
  const cut = (name: "key" | "value", data: Uint8Array): Uint8Array => {
    if (data.length <= maxShownBytes) return data;
    truncated[name] = data.length;
    return data.subarray(0, maxShownBytes);
  };
  const shown = { ...record, key: cut("key", record.key), value: cut("value", record.value) };
  const rendered = json(ConsumerRecordSchema, shown) as Record<string, JsonValue>;
  return Object.keys(truncated).length === 0 ? rendered : { ...rendered, truncated };
}

const ok = (body: JsonValue): ApiResponse => ({ status: 200, body });

const notFound = () => new ConsoleRequestError("UNKNOWN_ROUTE", "no such console API route", { status: 404 });

function ignoreUnseen(err: unknown): undefined {
  const code = (err as { code?: number }).code;
  // A topic or group deleted between the listing and the describe, or one the
  // console's principal may not describe: the overview shows what it may see,
  // as Kafka's metadata leaves out topics a client is not authorized for.
  if (code === GrpcStatus.NOT_FOUND || code === GrpcStatus.PERMISSION_DENIED) return undefined;
  throw err;
}

function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ConsoleRequestError("INVALID_BODY", "the request body must be a JSON object");
  }
  return body as Record<string, unknown>;
}

/** The body as the RPC's request message, by the protobuf JSON mapping; unknown fields are refused. */
function parse<D extends DescMessage>(schema: D, body: unknown): MessageShape<D> {
  try {
    return fromJson(schema, asObject(body) as JsonValue);
  } catch (cause) {
    if (cause instanceof ConsoleRequestError) throw cause;
    throw new ConsoleRequestError("INVALID_BODY", (cause as Error).message, { cause });
  }
}

function integerParam(query: URLSearchParams, name: string): bigint | undefined {
  const raw = query.get(name);
  if (raw === null || raw === "") return undefined;
  if (!/^-?\d+$/.test(raw)) throw new ConsoleRequestError("INVALID_PARAMETER", `${name} must be an integer`);
  return BigInt(raw);
}
