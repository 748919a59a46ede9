import type { Metric, Registry } from "prom-client";

interface Series {
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

/**
 * A histogram with one label whose `observe` is a bucket search and three
 * additions on a plain array. prom-client's Histogram hashes and validates
 * its labels on every observation, too much for a per-RPC hot path. This one
 * implements the small interface its Registry reads (`name`, `help`, `type`,
 * `get()`) and builds the `_bucket`, `_sum` and `_count` samples at scrape time.
 */
export class ScrapeHistogram {
  readonly type = "histogram";
  readonly aggregator = "sum";
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelName: string,
    private readonly upperBounds: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  /** Records `value` for the label value `label` (a cached Map lookup). */
  observe(label: string, value: number): void {
    let series = this.series.get(label);
    if (series === undefined) {
      series = { buckets: new Float64Array(this.upperBounds.length), sum: 0, count: 0 };
      this.series.set(label, series);
    }
    const bounds = this.upperBounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    if (i < bounds.length) series.buckets[i]++;
    series.sum += value;
    series.count++;
  }

  reset(): void {
    this.series.clear();
  }

  /** What prom-client's Registry formats. */
  get() {
    const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
    for (const [label, series] of this.series) {
      let cumulative = 0;
      this.upperBounds.forEach((bound, i) => {
        cumulative += series.buckets[i];
        values.push({ metricName: `${this.name}_bucket`, labels: { le: bound, [this.labelName]: label }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: "+Inf", [this.labelName]: label }, value: series.count });
      values.push({ metricName: `${this.name}_sum`, labels: { [this.labelName]: label }, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels: { [this.labelName]: label }, value: series.count });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
