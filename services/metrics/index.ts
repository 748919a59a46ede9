export { BrokerMetrics, type BrokerMetricsOptions } from "./broker-metrics.js";
export { registerGroupGauges } from "./group-gauges.js";
export { registerLogGauges } from "./log-gauges.js";
export { RpcMetrics } from "./rpc-metrics.js";
export { ScrapeHistogram } from "./scrape-histogram.js";
export { TrafficMetrics, type PartitionTraffic } from "./traffic-metrics.js";
