import { Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { ProduceService, type ProduceResponse, type ProduceStreamResponse } from "../../gen/ts/tributary/v1/produce_pb.js";
import type { BidiStream, ServiceClient } from "./grpc-client.js";

interface Waiting {
  readonly resolve: (response: ProduceResponse) => void;
  readonly reject: (err: unknown) => void;
  /** performance.now() after which the request has timed out. */
  readonly deadline: number;
}

/**
 * The Producer's requests to one broker over ProduceService.ProduceStream: one
 * long-lived stream instead of a unary call (a new HTTP/2 stream) per request,
 * which in Node cost ~0.3 ms of CPU on each side and, because the objects of
 * every finished HTTP/2 stream survive the young generation's collections, 7-21 ms
 * scavenges in the client process (docs/PERFORMANCE.md, "The low-rate latency
 * tail").
 *
 * Requests are written in order and the broker answers them in order, so the
 * answers are matched first in, first out (and checked against their
 * `request_index`). A request's own failure comes back as its answer's error,
 * turned into the ServiceError a Produce would have failed with (code, reason,
 * `tributary-leader`), so the Producer's retry rules read it the same way. When
 * the stream itself fails (the broker went away, a status) every waiting request
 * fails with that status; when a request times out the stream is cancelled, the
 * request fails with DEADLINE_EXCEEDED and the others with UNAVAILABLE. Either
 * way a request may or may not have been appended, exactly as with a unary call
 * that failed in flight; the next request opens a new stream.
 */
export class ProducePipeline {
  private stream: BidiStream<Buffer, ProduceStreamResponse> | undefined;
  private readonly waiting: Waiting[] = [];
  private nextIndex = 0n;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  /** Answers received on the current stream: a broker that answered one has the method. */
  private answered = false;

  constructor(private readonly client: ServiceClient<typeof ProduceService.method>) {}

  /** Sends one encoded ProduceRequest; resolves with its answer, or rejects with a ServiceError. */
  send(request: Buffer, timeoutMs: number): Promise<ProduceResponse> {
    const stream = (this.stream ??= this.open());
    return new Promise<ProduceResponse>((resolve, reject) => {
      const deadline = performance.now() + timeoutMs;
      this.waiting.push({ resolve, reject, deadline });
      stream.write(request);
      if (deadline < this.timerAt) this.arm(deadline);
    });
  }

  /** Half-closes the stream; requests still waiting are answered first. */
  end(): void {
    this.stream?.end();
  }

  private open(): BidiStream<Buffer, ProduceStreamResponse> {
    const stream = this.client.produceStream() as BidiStream<Buffer, ProduceStreamResponse>;
    this.nextIndex = 0n;
    this.answered = false;
    stream.onMessage((answer) => {
      if (this.stream !== stream) return;
      const waiting = this.waiting.shift();
      const index = this.nextIndex++;
      if (waiting === undefined || answer.requestIndex !== index) {
        // Answers that do not match the requests: nothing on this stream can be trusted.
        const details = `ProduceStream answered request ${answer.requestIndex}, expected ${index}`;
        if (waiting !== undefined) this.waiting.unshift(waiting);
        this.reset(stream, failure(status.INTERNAL, details));
        return;
      }
      this.answered = true;
      if (answer.result.case === "response") waiting.resolve(answer.result.value);
      else if (answer.result.case === "error") waiting.reject(produceStreamError(answer.result.value));
      else waiting.reject(failure(status.INTERNAL, "ProduceStream answer without a result"));
      if (this.waiting.length === 0) this.disarm();
    });
    stream.onStatus((error) => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      const err = error ?? failure(status.UNAVAILABLE, "ProduceStream ended with requests unanswered");
      // A broker without the method (a build before it): the Producer falls back to Produce.
      if (!this.answered && error?.code === status.UNIMPLEMENTED) (err as ServiceError & { produceStreamUnsupported?: boolean }).produceStreamUnsupported = true;
      this.failAll(err);
    });
    return stream;
  }

  private reset(stream: BidiStream<Buffer, ProduceStreamResponse>, err: ServiceError): void {
    if (this.stream === stream) this.stream = undefined;
    stream.cancel();
    this.failAll(err);
  }

  private failAll(err: ServiceError): void {
    this.disarm();
    for (const waiting of this.waiting.splice(0)) waiting.reject(err);
  }

  private arm(at: number): void {
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.expire(), Math.max(0, at - performance.now()));
    this.timer.unref?.();
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  /** The oldest deadline passed: the stream is cancelled (its answers would come out of turn otherwise). */
  private expire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = performance.now();
    const late = this.waiting.findIndex((w) => w.deadline <= now);
    if (late === -1) {
      const next = Math.min(...this.waiting.map((w) => w.deadline));
      if (Number.isFinite(next)) this.arm(next);
      return;
    }
    const stream = this.stream;
    this.stream = undefined;
    const [expired] = this.waiting.splice(late, 1);
    expired.reject(failure(status.DEADLINE_EXCEEDED, "Produce over ProduceStream timed out (requestTimeoutMs)"));
    this.failAll(failure(status.UNAVAILABLE, "ProduceStream cancelled: a request on it timed out"));
    stream?.cancel();
  }
}

/** Whether `err` says the broker has no ProduceStream (answered by the pipeline's first use). */
export function isProduceStreamUnsupported(err: unknown): boolean {
  return (err as { produceStreamUnsupported?: boolean }).produceStreamUnsupported === true;
}

function failure(code: status, details: string, metadata = new Metadata()): ServiceError {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata });
}

/** A request's error on a ProduceStream as the ServiceError a Produce would have failed with. */
export function produceStreamError(error: { code: number; message: string; metadata: { [key: string]: string } }): ServiceError {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(error.metadata)) metadata.set(key, value);
  return failure(error.code, error.message, metadata);
}
