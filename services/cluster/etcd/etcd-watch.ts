import { Metadata, type Client, type ClientDuplexStream, type ServiceError } from "@grpc/grpc-js";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { Logger } from "pino";
import { Event_EventType, type KeyValue as KeyValueMessage } from "../../../gen/ts/etcd/kv_pb.js";
import { Watch, type WatchRequest, type WatchResponse } from "../../../gen/ts/etcd/rpc_pb.js";
import type { KeyValue } from "./etcd-client.js";
import { EtcdError } from "./etcd-error.js";

export interface WatchEvent {
  type: "put" | "delete";
  /** For a delete: the key with modRevision = the delete's revision and an empty value. */
  kv: KeyValue;
  /** The key before this event, when the watch asked for prevKv (and etcd still had it). */
  prevKv?: KeyValue;
}

export interface WatchListener {
  /** Events of one etcd response, in revision order; `revision` is that response's header
   * revision (the store's revision when it was sent: at least the last event's). */
  events(events: WatchEvent[], revision: bigint): void;
  /** The watch ended: "compacted" (start revision compacted; re-read, then watch again) or "error". */
  cancelled(reason: "compacted" | "error", detail: { compactRevision?: bigint; err?: Error }): void;
}

export interface EtcdWatchOptions {
  client: Client;
  key: Uint8Array;
  rangeEnd: Uint8Array;
  startRevision: bigint;
  prevKv: boolean;
  /** A create or progress request not answered within this ends the watch ("error"). */
  livenessTimeoutMs: number;
  listener: WatchListener;
  toKeyValue: (kv: KeyValueMessage) => KeyValue;
  /** Called once when the watch ends; `failed` for an error (the client then prefers another endpoint). */
  onEnd: (failed: boolean) => void;
  logger: Logger | undefined;
}

const watchMethod = Watch.method.watch;

/**
 * One etcd watch on its own Watch stream (EtcdClient.watch documents the contract).
 * Liveness: a stream to a frozen or partitioned member neither ends nor errors, so the
 * watch asks etcd for a progress notification whenever it has heard nothing for half the
 * liveness timeout, and fails when a request (the create, or a progress request) stays
 * unanswered for the whole timeout. Any response counts as an answer.
 */
export class EtcdWatch {
  private call: ClientDuplexStream<WatchRequest, WatchResponse> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** When the oldest unanswered request was sent (performance.now()); undefined when none. */
  private waitingSince: number | undefined;
  private ended = false;

  constructor(private readonly options: EtcdWatchOptions) {}

  start(): void {
    const { client } = this.options;
    const call = client.makeBidiStreamRequest(
      `/${Watch.typeName}/${watchMethod.name}`,
      (message: WatchRequest) => Buffer.from(toBinary(watchMethod.input, message)),
      (bytes: Buffer) => fromBinary(watchMethod.output, bytes),
      new Metadata(),
    );
    this.call = call;
    call.on("data", (response: WatchResponse) => this.onResponse(response));
    call.on("error", (err: ServiceError) => this.fail(err));
    call.on("end", () => this.fail(new EtcdError("ETCD_UNAVAILABLE", "etcd watch stream ended")));
    this.waitingSince = performance.now();
    call.write(
      create(watchMethod.input, {
        requestUnion: {
          case: "createRequest",
          value: {
            key: this.options.key,
            rangeEnd: this.options.rangeEnd,
            startRevision: this.options.startRevision,
            prevKv: this.options.prevKv,
          },
        },
      }),
    );
    const tickMs = Math.max(50, this.options.livenessTimeoutMs / 2);
    this.timer = setInterval(() => this.checkLiveness(), tickMs);
    this.timer.unref();
  }

  private checkLiveness(): void {
    if (this.ended) return;
    const now = performance.now();
    if (this.waitingSince !== undefined) {
      if (now - this.waitingSince >= this.options.livenessTimeoutMs) {
        this.fail(new EtcdError("ETCD_UNAVAILABLE", `etcd watch: no answer within ${this.options.livenessTimeoutMs} ms`));
      }
      return;
    }
    this.waitingSince = now;
    this.call?.write(create(watchMethod.input, { requestUnion: { case: "progressRequest", value: {} } }));
  }

  private onResponse(response: WatchResponse): void {
    if (this.ended) return;
    this.waitingSince = undefined;
    if (response.compactRevision > 0n) {
      this.end(false);
      this.options.listener.cancelled("compacted", { compactRevision: response.compactRevision });
      return;
    }
    if (response.canceled) {
      this.fail(new EtcdError("ETCD_ERROR", `etcd cancelled the watch: ${response.cancelReason || "no reason given"}`));
      return;
    }
    if (response.events.length === 0) return;
    const { toKeyValue } = this.options;
    const events = response.events.map(
      (event): WatchEvent => ({
        type: event.type === Event_EventType.Delete ? "delete" : "put",
        kv: toKeyValue(event.kv!),
        ...(event.prevKv ? { prevKv: toKeyValue(event.prevKv) } : {}),
      }),
    );
    try {
      this.options.listener.events(events, response.header?.revision ?? events[events.length - 1]!.kv.modRevision);
    } catch (err) {
      this.options.logger?.error({ err }, "etcd watch listener threw; ending the watch");
      this.fail(err as Error);
    }
  }

  /** Ends the watch with cancelled("error"), once. */
  fail(err: Error): void {
    if (this.ended) return;
    this.end(true);
    this.options.logger?.debug({ err }, "etcd watch failed");
    this.options.listener.cancelled("error", { err });
  }

  /** Ends the watch without telling the listener (the caller asked for it). */
  close(): void {
    if (!this.ended) this.end(false);
  }

  private end(failed: boolean): void {
    this.ended = true;
    clearInterval(this.timer);
    this.call?.cancel();
    this.options.onEnd(failed);
  }
}
