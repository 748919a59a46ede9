import { setMaxListeners } from "node:events";
import { status, type ServerDuplexStream, type ServiceError } from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { Authorizer } from "../auth/index.js";
import { ShuttingDownError } from "../errors.js";
import type { RpcMetrics } from "../metrics/index.js";
import type { HandlerContext } from "./context.js";
import { codeName, reasonMetadataKey, toServiceError } from "./status.js";

/**
 * A pipelined bidirectional method (ProduceService.ProduceStream): a stream of
 * requests, each handled as a unary call of the method's handler would be, and
 * answered in order. The codec says how an outcome becomes the stream's answer
 * message.
 */
export interface PipelineCodec {
  /** The stream's answer to request `index` (a message, or its bytes): from the handler's
   * response (what it returns as a unary handler), or from the error a unary call would
   * have ended with. */
  answer(index: bigint, outcome: PipelineOutcome): unknown;
}

export type PipelineOutcome = { readonly response: unknown; readonly error?: undefined } | { readonly response?: undefined; readonly error: PipelineError };

/** A request's error as a unary call's status would carry it. */
export interface PipelineError {
  /** The gRPC status code. */
  readonly code: number;
  readonly message: string;
  /** `tributary-reason`, "" when none. */
  readonly reason: string;
  /** The trailing metadata a unary call would have had (text entries). */
  readonly metadata: Readonly<Record<string, string>>;
}

/** Requests of one stream handled at once (answered or written, not yet sent); the stream
 * is not read further until the oldest is sent. The proto's comment says 1024. */
export const pipelineMaxInFlight = 1024;

interface Entry {
  readonly index: bigint;
  readonly started: number;
  outcome: PipelineOutcome | undefined;
}

/**
 * The open streams of one server's pipelined method. A stream idles open between a
 * producer's requests, so the broker's close would otherwise wait for it (grpc-js's
 * tryShutdown) until its grace period ran out: `closeAll` ends them instead.
 */
export class PipelinedStreams {
  private readonly open = new Set<() => void>();
  private closed = false;

  /** Registers a stream's close; returns its removal. */
  add(close: () => void): () => void {
    if (this.closed) {
      close();
      return () => undefined;
    }
    this.open.add(close);
    return () => this.open.delete(close);
  }

  /** Every stream stops reading, answers what it read, and ends with UNAVAILABLE
   * SHUTTING_DOWN: the client sends what it had not had answered elsewhere. */
  closeAll(): void {
    this.closed = true;
    for (const close of [...this.open]) close();
    this.open.clear();
  }
}

export interface PipelineOptions {
  readonly name: string;
  readonly handler: (request: unknown, context: HandlerContext) => Promise<unknown>;
  /** Limits and the one decode (bind-service.ts, steps 2 and 3). */
  readonly decode: (bytes: Buffer) => unknown;
  readonly codec: PipelineCodec;
  /** Where the stream registers, to be ended when the broker closes. */
  readonly streams: PipelinedStreams;
  readonly log: Logger;
  readonly metrics?: RpcMetrics;
  readonly auth?: Authorizer;
  readonly maxInFlight?: number;
}

/**
 * Serves one pipelined stream, authenticated by bindService (its principal, and how
 * to fail the call with a status). Every request is admitted as a unary call is (its limits, one decode, its
 * ACLs, its quota) and given to the handler in the tick it arrived, so a
 * handler whose effects happen before its first await (Produce's appends)
 * applies the requests in the stream's order. A refused or failed request is
 * answered with its error and the stream goes on; answers are written in
 * request order, a quota's debt delaying its request's answer (and so the
 * ones behind it). With `maxInFlight` requests unanswered or unsent, the
 * stream is paused: grpc-js stops reading it and HTTP/2 flow control holds
 * the client back. A client's half-close ends the stream once every request
 * is answered; the broker's close (PipelinedStreams.closeAll) ends it once
 * what it read is answered.
 */
export function servePipelined(
  call: ServerDuplexStream<unknown, unknown>,
  context: HandlerContext,
  admitted: { readonly principal: string | undefined; readonly fail: (err: unknown) => string },
  options: PipelineOptions,
): void {
  const { name, handler, decode, codec, streams, log, metrics, auth } = options;
  const { principal, fail } = admitted;
  const maxInFlight = options.maxInFlight ?? pipelineMaxInFlight;
  // A request forwarded by another broker was charged where it entered (CLUSTER.md section 5).
  const metered = auth !== undefined && !auth.forwarded(call as never);
  // Every waiting acknowledgement listens to the stream's signal (cluster acks=ALL).
  setMaxListeners(maxInFlight + 16, context.signal);

  const queue: Entry[] = [];
  let next = 0n;
  /** Answers written to grpc-js whose write callback has not run yet. */
  let unsent = 0;
  let paused = false;
  let halfClosed = false;
  /** The broker is closing: requests still arriving are refused, the stream ends once
   * what it read is answered. */
  let closing = false;
  let closed = false;

  const finish = () => {
    if (closed) return;
    closed = true;
    unregister();
    metrics?.pipelineClosed(name);
  };
  const unregister = streams.add(() => {
    closing = true;
    call.pause();
    flush();
  });
  const gone = () => call.cancelled || call.destroyed;
  const sent = () => {
    unsent--;
    maybeResume();
  };
  const maybeResume = () => {
    if (paused && queue.length + unsent <= maxInFlight / 2 && !gone()) {
      paused = false;
      call.resume();
    }
  };
  const flush = () => {
    while (queue.length > 0 && queue[0].outcome !== undefined) {
      const entry = queue.shift()!;
      const outcome = entry.outcome!;
      metrics?.unary(name, outcome.error === undefined ? "OK" : codeName(outcome.error.code), (performance.now() - entry.started) / 1000);
      if (gone()) continue;
      unsent++;
      call.write(codec.answer(entry.index, outcome), sent);
    }
    if (queue.length > 0 || gone() || closed) {
      if (!closing) maybeResume();
      return;
    }
    if (closing) {
      fail(new ShuttingDownError());
      finish();
    } else if (halfClosed) {
      call.end();
      finish();
    } else {
      maybeResume();
    }
  };
  const settle = (entry: Entry, outcome: PipelineOutcome, delayMs: number) => {
    if (delayMs > 0) {
      setTimeout(() => settle(entry, outcome, 0), delayMs);
      return;
    }
    entry.outcome = outcome;
    if (queue[0] === entry) flush();
  };
  const failed = (err: unknown): PipelineOutcome => ({ error: pipelineError(toServiceError(err, log, name)) });

  metrics?.streamOpened(name);
  call.on("data", (bytes: Buffer) => {
    const entry: Entry = { index: next++, started: metrics === undefined ? 0 : performance.now(), outcome: undefined };
    queue.push(entry);
    if (queue.length + unsent >= maxInFlight && !paused) {
      paused = true;
      call.pause();
    }
    let answer: Promise<unknown>;
    let delayMs = 0;
    try {
      if (closing) throw new ShuttingDownError();
      const request = decode(bytes);
      if (auth !== undefined) {
        auth.authorize(principal!, name, request);
        const meter = metered ? auth.meter(principal!, name) : undefined;
        // As a unary Produce: charged its request before it is appended, answered after the debt.
        if (meter !== undefined) delayMs = meter.charge(bytes.length);
      }
      answer = handler(request, context);
    } catch (err) {
      settle(entry, failed(err), 0);
      return;
    }
    answer.then(
      (response) => settle(entry, { response }, delayMs),
      (err: unknown) => settle(entry, failed(err), 0),
    );
  });
  call.on("end", () => {
    halfClosed = true;
    flush();
  });
  call.on("error", finish);
  call.on("close", finish);
}

function pipelineError(error: ServiceError): PipelineError {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(error.metadata.getMap())) if (typeof value === "string") metadata[key] = value;
  return { code: error.code ?? status.UNKNOWN, message: error.details, reason: metadata[reasonMetadataKey] ?? "", metadata };
}
