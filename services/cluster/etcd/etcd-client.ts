import { Client, Metadata, credentials, status, type ChannelOptions, type ServiceError } from "@grpc/grpc-js";
import { create, fromBinary, toBinary, type DescMessage, type DescMethod, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import type { Logger } from "pino";
import type { KeyValue as KeyValueMessage } from "../../../gen/ts/etcd/kv_pb.js";
import {
  Compare_CompareResult,
  Compare_CompareTarget,
  KV,
  Lease,
  type CompareSchema,
  type RequestOpSchema,
  type ResponseHeader,
} from "../../../gen/ts/etcd/rpc_pb.js";
import { EtcdError } from "./etcd-error.js";
import { EtcdWatch, type WatchListener } from "./etcd-watch.js";

/** A key and its value at some revision (etcd's mvccpb.KeyValue; the key as UTF-8). */
export interface KeyValue {
  readonly key: string;
  readonly value: Buffer;
  readonly createRevision: bigint;
  readonly modRevision: bigint;
  readonly version: bigint;
  /** The lease the key is bound to; 0n for none. */
  readonly lease: bigint;
}

/** One condition of a txn; `result` defaults to "=". A missing key has create, mod and
 * version revision 0, so `{ target: "create", value: 0n }` means "does not exist". */
export type Compare =
  | { key: string; target: "create" | "mod" | "version"; result?: "=" | "!=" | ">" | "<"; value: bigint }
  | { key: string; target: "value"; result?: "=" | "!="; value: Buffer | string };

export type TxnOp =
  | { put: { key: string; value: Buffer | string; lease?: bigint } }
  | { delete: { key: string; prefix?: boolean } }
  | { range: { key: string; prefix?: boolean } };

export interface TxnResult {
  succeeded: boolean;
  /** The store's revision after the txn (the revision of its writes, if it wrote). */
  revision: bigint;
  /** One per op of the branch that ran; `kvs` for range ops. */
  responses: Array<{ kvs?: KeyValue[] }>;
}

export type { WatchEvent, WatchListener } from "./etcd-watch.js";

export interface EtcdClientOptions {
  /** Client URLs (`http://127.0.0.1:2379`) or `host:port`; tried in turn. */
  endpoints: string[];
  /** The whole budget of one call, failovers included. Default 2000 ms. */
  requestTimeoutMs?: number;
  logger?: Logger;
}

const defaultRequestTimeoutMs = 2000;
/** The shortest time one attempt on one endpoint gets before the next endpoint is tried. */
const minAttemptTimeoutMs = 250;
/** Pause between rounds over all endpoints when every one failed fast (refused connections). */
const roundBackoffMs = 50;

/**
 * Channel options. A member that comes back (restart) is reconnected quickly. HTTP/2
 * keepalive stays above etcd's --grpc-keepalive-min-time (5 s), or etcd sends GOAWAY
 * ENHANCE_YOUR_CALM; liveness of calls comes from deadlines and watch progress requests.
 */
const channelOptions: ChannelOptions = {
  "grpc.initial_reconnect_backoff_ms": 100,
  "grpc.max_reconnect_backoff_ms": 1000,
  "grpc.keepalive_time_ms": 10_000,
  "grpc.keepalive_timeout_ms": 5_000,
};

/**
 * A thin client for etcd's v3 gRPC API (KV, Lease, Watch) over grpc-js and etcd's own
 * protos (proto/etcd, generated into gen/ts/etcd). Not the npm `etcd3` client: its
 * lease and election defects (CLUSTER.md section 2) are what this avoids.
 *
 * Failover: every call has a deadline (`requestTimeoutMs` in all). A call that fails
 * with UNAVAILABLE or DEADLINE_EXCEEDED, or etcd's "no leader" / "request timed out",
 * is retried on the next endpoint while the budget lasts, and that endpoint becomes the
 * preferred one. Each attempt gets an equal share of the budget (at least 250 ms), so a
 * frozen member (SIGSTOP) cannot eat it all. A write retried after a timeout may have been
 * applied by the first attempt: a txn then fails its compare on the retry and its caller
 * re-reads (the normal conflict path); a plain put is idempotent. When the budget is spent
 * the call rejects with EtcdError ETCD_UNAVAILABLE.
 */
export class EtcdClient {
  private readonly endpoints: string[];
  private readonly clients: Client[];
  private readonly requestTimeoutMs: number;
  private readonly logger: Logger | undefined;
  private preferred = 0;
  private readonly watches = new Set<EtcdWatch>();
  private closed = false;

  constructor(options: EtcdClientOptions) {
    if (options.endpoints.length === 0) throw new Error("EtcdClient needs at least one endpoint");
    this.endpoints = options.endpoints.map((e) => e.replace(/^https?:\/\//, "").replace(/\/$/, ""));
    this.clients = this.endpoints.map((address) => new Client(address, credentials.createInsecure(), channelOptions));
    this.requestTimeoutMs = options.requestTimeoutMs ?? defaultRequestTimeoutMs;
    this.logger = options.logger;
  }

  /** The keys equal to `key` (or starting with it, `prefix`), at `revision` (default: latest). */
  async range(key: string, options: { prefix?: boolean; revision?: bigint } = {}): Promise<{ kvs: KeyValue[]; revision: bigint }> {
    const response = await this.unary(KV.method.range, {
      key: bytes(key),
      rangeEnd: options.prefix ? prefixEnd(key) : new Uint8Array(),
      revision: options.revision ?? 0n,
    });
    return { kvs: response.kvs.map(toKeyValue), revision: headerRevision(response.header) };
  }

  async get(key: string): Promise<KeyValue | undefined> {
    return (await this.range(key)).kvs[0];
  }

  async put(key: string, value: Buffer | string, options: { lease?: bigint } = {}): Promise<{ revision: bigint }> {
    const response = await this.unary(KV.method.put, { key: bytes(key), value: bytes(value), lease: options.lease ?? 0n });
    return { revision: headerRevision(response.header) };
  }

  async delete(key: string, options: { prefix?: boolean } = {}): Promise<{ revision: bigint; deleted: number }> {
    const response = await this.unary(KV.method.deleteRange, {
      key: bytes(key),
      rangeEnd: options.prefix ? prefixEnd(key) : new Uint8Array(),
    });
    return { revision: headerRevision(response.header), deleted: Number(response.deleted) };
  }

  /** If every compare holds, run `success`, else `failure`; atomically. At most 128 ops
   * (etcd's --max-txn-ops). */
  async txn(request: { compare: Compare[]; success: TxnOp[]; failure?: TxnOp[] }): Promise<TxnResult> {
    const response = await this.unary(KV.method.txn, {
      compare: request.compare.map(toCompare),
      success: request.success.map(toRequestOp),
      failure: (request.failure ?? []).map(toRequestOp),
    });
    return {
      succeeded: response.succeeded,
      revision: headerRevision(response.header),
      responses: response.responses.map((op) =>
        op.response.case === "responseRange" ? { kvs: op.response.value.kvs.map(toKeyValue) } : {},
      ),
    };
  }

  /** Drops history up to `revision` (watches from below it are then cancelled "compacted").
   * etcd compacts by itself too (etcd-process.ts: --auto-compaction-retention). */
  async compact(revision: bigint): Promise<void> {
    await this.unary(KV.method.compact, { revision, physical: false });
  }

  async leaseGrant(ttlSeconds: number): Promise<{ id: bigint; ttlSeconds: number }> {
    const response = await this.unary(Lease.method.leaseGrant, { TTL: BigInt(ttlSeconds) });
    if (response.error) throw new EtcdError("ETCD_ERROR", `lease grant failed: ${response.error}`);
    return { id: response.ID, ttlSeconds: Number(response.TTL) };
  }

  /** Revokes the lease: its keys are deleted. A lease already gone is not an error. */
  async leaseRevoke(id: bigint): Promise<void> {
    try {
      await this.unary(Lease.method.leaseRevoke, { ID: id });
    } catch (err) {
      if (err instanceof EtcdError && err.grpcCode === status.NOT_FOUND) return;
      throw err;
    }
  }

  /** The lease's remaining TTL (-1: expired or revoked), the TTL it was granted with, and
   * the keys bound to it. For health reports and tests. */
  async leaseTimeToLive(id: bigint): Promise<{ ttlSeconds: number; grantedTtlSeconds: number; keys: string[] }> {
    const response = await this.unary(Lease.method.leaseTimeToLive, { ID: id, keys: true });
    return {
      ttlSeconds: Number(response.TTL),
      grantedTtlSeconds: Number(response.grantedTTL),
      keys: response.keys.map((key) => Buffer.from(key).toString("utf8")),
    };
  }

  /**
   * One keep-alive with its own deadline, on a LeaseKeepAlive stream opened for it and
   * closed after the answer: a stream hanging on a dead connection cannot go unnoticed
   * (etcd3 issue #110). Resolves the remaining TTL in seconds (0: the lease is gone).
   * `timeoutMs` (default: the request timeout) bounds it, failovers included.
   */
  async leaseKeepAliveOnce(id: bigint, options: { timeoutMs?: number } = {}): Promise<number> {
    const method = Lease.method.leaseKeepAlive;
    const response = await this.withFailover(method.name, options.timeoutMs, (client, deadline) => {
      return new Promise<MessageShape<typeof method.output>>((resolve, reject) => {
        const call = client.makeBidiStreamRequest(
          path(method),
          serializer(method.input),
          deserializer(method.output),
          new Metadata(),
          { deadline },
        );
        let settled = false;
        call.on("data", (message: MessageShape<typeof method.output>) => {
          if (settled) return;
          settled = true;
          resolve(message);
          call.cancel();
        });
        call.on("error", (err: ServiceError) => {
          if (!settled) {
            settled = true;
            reject(err);
          }
        });
        call.on("end", () => {
          if (!settled) {
            settled = true;
            reject(Object.assign(new Error("keep-alive stream ended without an answer"), { code: status.UNAVAILABLE }));
          }
        });
        call.write(create(method.input, { ID: id }));
      });
    });
    return Number(response.TTL);
  }

  /**
   * Watches `key` (or the prefix) from `startRevision` on, delivering events in order,
   * batched per etcd response with that response's revision.
   *
   * Contract: the watch never stops silently. It ends with exactly one
   * `listener.cancelled(...)`: "compacted" when `startRevision` is older than the
   * compacted history, "error" when the stream fails, its member dies or freezes (found
   * by progress requests answered within the request timeout), or etcd cancels it. After
   * either, no more events arrive; the caller re-reads (range with prefix) and watches
   * again from that read's revision + 1. A new watch goes to the preferred endpoint,
   * which moves on from a member that failed.
   */
  watch(
    key: string,
    options: { prefix?: boolean; startRevision: bigint; prevKv?: boolean },
    listener: WatchListener,
  ): { close(): void } {
    const index = this.preferred;
    const watch = new EtcdWatch({
      client: this.clients[index]!,
      key: bytes(key),
      rangeEnd: options.prefix ? prefixEnd(key) : new Uint8Array(),
      startRevision: options.startRevision,
      prevKv: options.prevKv ?? false,
      livenessTimeoutMs: this.requestTimeoutMs,
      listener,
      toKeyValue,
      onEnd: (failed) => {
        this.watches.delete(watch);
        if (failed) this.moveOn(index);
      },
      logger: this.logger,
    });
    this.watches.add(watch);
    if (this.closed) watch.fail(new EtcdError("ETCD_UNAVAILABLE", "etcd client closed"));
    else watch.start();
    return { close: () => watch.close() };
  }

  /** Closes the channels. Open watches end with cancelled("error"). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const watch of [...this.watches]) watch.fail(new EtcdError("ETCD_UNAVAILABLE", "etcd client closed"));
    for (const client of this.clients) client.close();
  }

  private unary<M extends DescMethod & { methodKind: "unary" }>(
    method: M,
    request: MessageInitShape<M["input"]>,
  ): Promise<MessageShape<M["output"]>> {
    const message = create(method.input, request);
    return this.withFailover(method.name, undefined, (client, deadline) => {
      return new Promise((resolve, reject) => {
        client.makeUnaryRequest(
          path(method),
          serializer(method.input),
          deserializer(method.output),
          message,
          new Metadata(),
          { deadline },
          (err, response) => (err ? reject(err) : resolve(response as MessageShape<M["output"]>)),
        );
      });
    });
  }

  /** Runs `attempt` on the preferred endpoint, then the next ones, until it succeeds, fails
   * with a non-retriable error, or the budget is spent. */
  private async withFailover<T>(
    what: string,
    timeoutMs: number | undefined,
    attempt: (client: Client, deadline: Date) => Promise<T>,
  ): Promise<T> {
    if (this.closed) throw new EtcdError("ETCD_UNAVAILABLE", "etcd client closed");
    const budgetMs = timeoutMs ?? this.requestTimeoutMs;
    const budgetEnd = performance.now() + budgetMs;
    const attemptMs = Math.min(budgetMs, Math.max(minAttemptTimeoutMs, budgetMs / this.clients.length));
    let lastError: ServiceError | undefined;
    let failuresThisRound = 0;
    for (;;) {
      const left = budgetEnd - performance.now();
      if (left <= 0 || this.closed) break;
      const index = this.preferred;
      try {
        return await attempt(this.clients[index]!, new Date(Date.now() + Math.min(left, attemptMs)));
      } catch (err) {
        const error = err as ServiceError;
        if (!isRetriable(error)) throw toEtcdError(what, error);
        lastError = error;
        this.logger?.debug({ endpoint: this.endpoints[index], code: error.code, details: error.details }, "etcd endpoint failed");
        this.moveOn(index);
        if (++failuresThisRound >= this.clients.length) {
          failuresThisRound = 0;
          const pause = Math.min(roundBackoffMs, budgetEnd - performance.now());
          if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
        }
      }
    }
    throw new EtcdError(
      "ETCD_UNAVAILABLE",
      `etcd ${what}: no endpoint answered within ${budgetMs} ms (${this.endpoints.join(", ")})` +
        (lastError ? `: ${lastError.details || lastError.message}` : ""),
      lastError?.code,
      lastError?.details,
      { cause: lastError },
    );
  }

  /** The endpoint at `failed` did not answer: prefer the next one (if nobody moved on yet). */
  private moveOn(failed: number): void {
    if (this.preferred === failed) this.preferred = (failed + 1) % this.clients.length;
  }
}

function isRetriable(err: ServiceError): boolean {
  if (err.code === status.UNAVAILABLE || err.code === status.DEADLINE_EXCEEDED) return true;
  return /no leader|request timed out|leader changed|timed out waiting for read index/.test(err.details ?? "");
}

function toEtcdError(what: string, err: ServiceError): EtcdError {
  const details = err.details ?? err.message;
  const reason = /database space exceeded|NOSPACE/i.test(details) ? "ETCD_NOSPACE" : "ETCD_ERROR";
  return new EtcdError(reason, `etcd ${what}: ${details}`, err.code, details, { cause: err });
}

function path(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

function serializer(schema: DescMessage) {
  return (message: unknown): Buffer => {
    const encoded = toBinary(schema, message as never);
    return Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
  };
}

function deserializer<D extends DescMessage>(schema: D) {
  return (encoded: Buffer): MessageShape<D> => fromBinary(schema, encoded);
}

function bytes(value: Buffer | string): Uint8Array {
  return typeof value === "string" ? Buffer.from(value, "utf8") : value;
}

/**
 * The range end that makes a range a prefix: the prefix with its last byte plus one,
 * dropping trailing 0xff bytes (etcd's clientv3.GetPrefixRangeEnd). An empty or all-0xff
 * prefix means every key: "\0".
 */
export function prefixEnd(prefix: string): Uint8Array {
  const end = Buffer.from(prefix, "utf8");
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return new Uint8Array([0]);
}

function headerRevision(header: ResponseHeader | undefined): bigint {
  return header?.revision ?? 0n;
}

function toKeyValue(kv: KeyValueMessage): KeyValue {
  return {
    key: Buffer.from(kv.key).toString("utf8"),
    value: Buffer.from(kv.value.buffer, kv.value.byteOffset, kv.value.byteLength),
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    lease: kv.lease,
  };
}

const compareResults = {
  "=": Compare_CompareResult.Equal,
  "!=": Compare_CompareResult.NotEqual,
  ">": Compare_CompareResult.Greater,
  "<": Compare_CompareResult.Less,
} as const;

function toCompare(compare: Compare): MessageInitShape<typeof CompareSchema> {
  const result = compareResults[compare.result ?? "="];
  const key = bytes(compare.key);
  switch (compare.target) {
    case "create":
      return { key, result, target: Compare_CompareTarget.Create, targetUnion: { case: "createRevision", value: compare.value } };
    case "mod":
      return { key, result, target: Compare_CompareTarget.Mod, targetUnion: { case: "modRevision", value: compare.value } };
    case "version":
      return { key, result, target: Compare_CompareTarget.Version, targetUnion: { case: "version", value: compare.value } };
    case "value":
      return { key, result, target: Compare_CompareTarget.Value, targetUnion: { case: "value", value: bytes(compare.value) } };
  }
}

function toRequestOp(op: TxnOp): MessageInitShape<typeof RequestOpSchema> {
  if ("put" in op) {
    return { request: { case: "requestPut", value: { key: bytes(op.put.key), value: bytes(op.put.value), lease: op.put.lease ?? 0n } } };
  }
  if ("delete" in op) {
    const key = op.delete.key;
    return { request: { case: "requestDeleteRange", value: { key: bytes(key), rangeEnd: op.delete.prefix ? prefixEnd(key) : new Uint8Array() } } };
  }
  const key = op.range.key;
  return { request: { case: "requestRange", value: { key: bytes(key), rangeEnd: op.range.prefix ? prefixEnd(key) : new Uint8Array() } } };
}
