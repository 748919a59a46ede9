import { Counter, Gauge, type Registry } from "prom-client";
import { ScrapeHistogram } from "./scrape-histogram.js";

/** Latency buckets in seconds: 100 µs to 10 s (long-poll Fetch waits up to its max_wait_ms). */
const durationBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Per-RPC request counts by gRPC status and latency, recorded by
 * `bindService` for every service. Unary calls are counted when answered and
 * timed from handler start to answer. Server-streaming calls are counted when
 * the stream ends (OK, CANCELLED when the client left, or the error's code)
 * and not timed: a Subscribe lives for as long as its consumer, which would
 * swamp a latency histogram; `tributary_rpc_active_streams` shows them instead.
 * Counts are plain numbers copied into the counter at scrape time (see
 * TrafficMetrics for why).
 */
export class RpcMetrics {
  /** method -> code -> calls */
  private readonly counts = new Map<string, Map<string, number>>();
  private readonly durationSeconds: ScrapeHistogram;
  private readonly activeStreams: Gauge<"method">;

  constructor(registry: Registry) {
    const counts = this.counts;
    const requestsTotal: Counter<"method" | "code"> = new Counter({
      name: "tributary_rpc_requests_total",
      help: "gRPC calls answered, by method and status code (streams counted when they end).",
      labelNames: ["method", "code"] as const,
      registers: [registry],
      collect() {
        requestsTotal.reset();
        for (const [method, byCode] of counts) {
          for (const [code, calls] of byCode) requestsTotal.inc({ method, code }, calls);
        }
      },
    });
    this.durationSeconds = new ScrapeHistogram(
      "tributary_rpc_duration_seconds",
      "Latency of unary gRPC calls, from handler start to answer.",
      "method",
      durationBuckets,
      registry,
    );
    this.activeStreams = new Gauge({
      name: "tributary_rpc_active_streams",
      help: "Server-streaming calls (Subscribe) currently open.",
      labelNames: ["method"] as const,
      registers: [registry],
    });
  }

  /** A unary call ended with `code` (a gRPC status name such as "OK") after `seconds`. */
  unary(method: string, code: string, seconds: number): void {
    this.count(method, code);
    this.durationSeconds.observe(method, seconds);
  }

  streamOpened(method: string): void {
    this.activeStreams.inc({ method });
  }

  /** A stream that `streamOpened` counted ended with `code`. */
  streamClosed(method: string, code: string): void {
    this.activeStreams.dec({ method });
    this.count(method, code);
  }

  /** A pipelined stream (ProduceStream) ended: its requests were counted one by one
   * (`unary`), so the stream itself leaves only the gauge. */
  pipelineClosed(method: string): void {
    this.activeStreams.dec({ method });
  }

  /** A call refused before its handler ran (an undecodable request). */
  rejected(method: string, code: string): void {
    this.count(method, code);
  }

  private count(method: string, code: string): void {
    let byCode = this.counts.get(method);
    if (byCode === undefined) {
      byCode = new Map();
      this.counts.set(method, byCode);
    }
    byCode.set(code, (byCode.get(code) ?? 0) + 1);
  }
}
