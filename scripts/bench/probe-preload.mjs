// Preload for scripts/bench/latency-probe.ts (`node --import ./scripts/bench/probe-preload.mjs`):
// records GC pauses (PerformanceObserver 'gc'), event-loop delay (monitorEventLoopDelay,
// 1 ms resolution), the async resources created by type (timers, immediates, promises,
// socket writes: counts per record do not depend on the machine's load), and the times
// of stages pushed to globalThis.__probeTrace. On SIGUSR2 it writes all that to
// $PROBE_OUT as JSON and starts over.
import { createHook } from "node:async_hooks";
import { writeFileSync } from "node:fs";
import { PerformanceObserver, monitorEventLoopDelay, performance } from "node:perf_hooks";

let gcs = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push([e.startTime, e.duration, e.detail?.kind]);
}).observe({ entryTypes: ["gc"] });
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
const counts = {};
globalThis.__probeTrace = [];
createHook({
  init(_id, type) {
    counts[type] = (counts[type] ?? 0) + 1;
    if (type === "WRITEWRAP") globalThis.__probeTrace.push([type, performance.timeOrigin + performance.now(), 0]);
  },
}).enable();
let from = performance.now();
let cpu = process.cpuUsage();
process.on("SIGUSR2", () => {
  const ms = (ns) => ns / 1e6;
  const dump = {
    origin: performance.timeOrigin,
    from,
    to: performance.now(),
    gcs,
    eld: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max), mean: ms(delay.mean) },
    counts: { ...counts },
    cpuMs: (({ user, system }) => (user + system) / 1000)(process.cpuUsage(cpu)),
    trace: globalThis.__probeTrace,
  };
  if (process.env.PROBE_OUT) writeFileSync(process.env.PROBE_OUT, JSON.stringify(dump));
  gcs = [];
  delay.reset();
  for (const k in counts) counts[k] = 0;
  globalThis.__probeTrace = [];
  from = performance.now();
  cpu = process.cpuUsage();
});
