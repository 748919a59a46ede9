import { collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { OffsetStore } from "../groups/index.js";
import type { TopicManager } from "../topics/index.js";
import { registerGroupGauges } from "./group-gauges.js";
import { registerLogGauges } from "./log-gauges.js";
import { RpcMetrics } from "./rpc-metrics.js";
import { TrafficMetrics } from "./traffic-metrics.js";

/** fsync buckets in seconds: 50 µs (tmpfs, NVMe) to 5 s (a stalled disk). */
const fsyncBuckets = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface BrokerMetricsOptions {
  /** Also collect prom-client's process metrics (CPU, memory, event loop lag, GC). They
   * start timers and a GC observer that live as long as the process, so the broker
   * turns them on only when it serves /metrics. Default false. */
  readonly processMetrics?: boolean;
}

/**
 * The broker's metrics, in a registry of its own (not prom-client's global
 * one: tests run several brokers in one process). Metrics recorded on a hot
 * path live here; those read from broker state are attached by `watch()` and
 * computed at scrape time. See docs/metrics.md for the list.
 */
export class BrokerMetrics {
  readonly registry = new Registry();
  readonly traffic = new TrafficMetrics(this.registry);
  readonly rpc = new RpcMetrics(this.registry);
  private readonly fsyncSeconds = new Histogram({
    name: "tributary_fsync_duration_seconds",
    help: "Latency of each fdatasync/fsync of a partition's segment or directory by the log writer.",
    buckets: fsyncBuckets,
    registers: [this.registry],
  });
  private readonly connections = new Gauge({
    name: "tributary_connections",
    help: "Open HTTP/2 connections (sessions) on the gRPC port.",
    registers: [this.registry],
  });

  constructor(options: BrokerMetricsOptions = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: "tributary_" });
  }

  /** For the log's `onFsync` hook. */
  readonly onFsync = (seconds: number): void => this.fsyncSeconds.observe(seconds);

  connectionOpened(): void {
    this.connections.inc();
  }

  connectionClosed(): void {
    this.connections.dec();
  }

  /** Adds the gauges computed at scrape time from the topics and committed offsets,
   * and drops a deleted topic's traffic series. */
  watch(topics: TopicManager, offsets: OffsetStore): void {
    registerLogGauges(this.registry, topics);
    registerGroupGauges(this.registry, topics, offsets);
    topics.onChange((name) => {
      if (!topics.list(true).some((t) => t.name === name)) this.traffic.forgetTopic(name);
    });
  }
}
