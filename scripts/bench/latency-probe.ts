// Latency probe (issue 15 §5, docs/PERFORMANCE.md "The low-rate latency tail"): one broker,
// one Subscribe reader and a paced producer on one connection, the bench's latency round
// (latency-client.ts), with both processes instrumented by probe-preload.mjs: GC pauses, event-loop
// delay, async resources created per record (load-independent), whether the slowest 1%
// of records overlapped a GC pause of either process, and, when the broker pushes stage
// times to globalThis.__probeTrace (temporary hooks, see the doc), the median time of
// each stage of a record's trip. Usage, from the repository root:
//   node --import tsx --import ./scripts/bench/probe-preload.mjs scripts/bench/latency-probe.ts [RATE] [SECONDS] [WARMUP_ROUNDS]
// BROKER_NODE="--flag ..." adds node flags to the broker.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Admin } from "../../clients/ts/index.js";
import { latencyRound } from "./latency-client.js";
import { brokerNodeFlags, percentile, removeDir, sleep, startNode, tempDir } from "./util.js";

type Entry = [string, number, number, number?];
const [rate = 1000, secs = 4, warmup = 10] = process.argv.slice(2, 5).map(Number);
const out = mkdtempSync(join(tmpdir(), "latency-probe-"));
const brokerOut = join(out, "broker.json");
const clientOut = join(out, "client.json");
const preload = new URL("./probe-preload.mjs", import.meta.url).pathname;
const dir = await tempDir("probe");
process.env.PROBE_OUT = brokerOut; // inherited by the broker
const extraNode = (process.env.BROKER_NODE ?? "").split(/\s+/).filter(Boolean);
const broker = await startNode([...brokerNodeFlags, ...extraNode, "--import", preload, "services/tributary.mjs", "serve", "--listen", "127.0.0.1:0", "--http", "off", "--data-dir", dir]);
const admin = new Admin({ broker: broker.address });
await admin.createTopic("lat", 1);
admin.close();
const recs: number[][] = []; // [offset, sent, received] in absolute ms
const dump = () => {
  process.kill(broker.pid, "SIGUSR2");
  process.kill(process.pid, "SIGUSR2");
};
// Uncounted one-second rounds at the measured rate, as the bench's latency phase does.
for (let i = 0; i < warmup; i++) await latencyRound(broker.address, "lat", rate, 1);
// Both processes start counting once the reader is in place, before the first send.
const { samples, requests, messages } = await latencyRound(broker.address, "lat", rate, secs, {
  beforeSending: async () => {
    dump();
    await sleep(100);
  },
  onRecord: (offset, sent, received) => recs.push([Number(offset), performance.timeOrigin + sent, performance.timeOrigin + received]),
});
process.env.PROBE_OUT = clientOut;
dump();
await sleep(300);
await broker.stop();
await removeDir(dir);

const f = (x: number) => x.toFixed(2);
const s = Float64Array.from(samples).sort();
console.log(`rate ${rate}/s: ${samples.length} records in ${requests} requests, ${messages} messages; latency p50 ${f(percentile(s, 50))} p99 ${f(percentile(s, 99))} p99.9 ${f(percentile(s, 99.9))} max ${f(s[s.length - 1])}`);
const dumps = { broker: JSON.parse(readFileSync(brokerOut, "utf8")), client: JSON.parse(readFileSync(clientOut, "utf8")) };
for (const [who, d] of Object.entries(dumps)) {
  const pauses = (d.gcs as number[][]).map((x) => x[1]).sort((a, b) => a - b);
  const sum = pauses.reduce((a, b) => a + b, 0);
  const perRecord = Object.entries(d.counts as Record<string, number>).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).slice(0, 8);
  console.log(`${who}: CPU ${f(d.cpuMs / requests)} ms per request (${f(d.cpuMs)} ms in ${f((d.to - d.from) / 1000)} s); GC ${pauses.length} pauses, total ${f(sum)} ms, max ${f(pauses.at(-1) ?? 0)}; event-loop delay p50 ${f(d.eld.p50)} p99 ${f(d.eld.p99)} max ${f(d.eld.max)}; created per record: ${perRecord.map(([k, v]) => `${k} ${(v / samples.length).toFixed(2)}`).join(", ")}`);
}

// The slowest 1%: did a GC pause of either process overlap their trip?
const windows = (d: { origin: number; gcs: number[][] }) => d.gcs.map(([start, duration]) => [d.origin + start, d.origin + start + duration]);
const overlaps = (w: number[][], a: number, b: number) => w.some(([x, y]) => x < b && y > a);
const [bg, cg] = [windows(dumps.broker), windows(dumps.client)];
const p99 = percentile(s, 99);
const tail = recs.filter(([, a, b]) => b - a >= p99);
console.log(`records at or above p99 (${f(p99)} ms): ${tail.length}; overlapping a broker GC ${tail.filter(([, a, b]) => overlaps(bg, a, b)).length}, a client GC ${tail.filter(([, a, b]) => overlaps(cg, a, b)).length}`);

// Stage medians, when the broker has stage hooks: "recv" [t, base, last] in the produce
// handler after the append, "imm" [t, logEnd] when the writer's flush starts, "written"
// [t, endOffset] before host.written, "woke" [t, next] after the pump's waitForRecords,
// "reserved"/"readdone"/"send" [t, next] in the pump. WRITEWRAP times come from the preload.
const trace = dumps.broker.trace as Entry[];
if (trace.some((e) => e[0] === "recv")) {
  const ctrace = dumps.client.trace as Entry[];
  const at = (t: Entry[], stage: string, pred: (e: Entry) => boolean) => t.find((e) => e[0] === stage && pred(e))?.[1] ?? NaN;
  const rows = recs.map(([off, sent, got]) => {
    const cwrite = at(ctrace, "WRITEWRAP", (e) => e[1] >= sent);
    const recv = at(trace, "recv", (e) => e[2] <= off && off <= e[3]!);
    const imm = at(trace, "imm", (e) => e[2] > off && e[1] >= recv);
    const written = at(trace, "written", (e) => e[2] > off);
    const woke = at(trace, "woke", (e) => e[1] >= written);
    const reserved = at(trace, "reserved", (e) => e[1] >= woke);
    const readdone = at(trace, "readdone", (e) => e[1] >= reserved);
    const psend = at(trace, "send", (e) => e[2] > off);
    const bwrite = at(trace, "WRITEWRAP", (e) => e[1] >= psend);
    return {
      clientOut: cwrite - sent, toHandler: recv - cwrite, toFlush: imm - recv, toWritten: written - imm, toWoke: woke - written,
      toReserved: reserved - woke, toRead: readdone - reserved, toSend: psend - readdone, toSocket: bwrite - psend, clientIn: got - bwrite,
    };
  });
  const keys = Object.keys(rows[0] ?? {}) as Array<keyof (typeof rows)[number]>;
  const median = (k: (typeof keys)[number]) => percentile(Float64Array.from(rows.map((r) => r[k]).filter(Number.isFinite)).sort(), 50);
  console.log(`stage medians (ms): ${keys.map((k) => `${k} ${f(median(k))}`).join(", ")}`);
}
await removeDir(out);
process.exit(0);
