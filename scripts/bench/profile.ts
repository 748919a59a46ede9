// Where the broker's time goes under one load: starts a broker with
// --cpu-prof, drives it with the same raw Produce (or Subscribe) load as the
// harness, stops it with SIGTERM and prints the functions with the most self
// time (and the .cpuprofile path, for Chrome DevTools / speedscope).
// Usage: node --import tsx scripts/bench/profile.ts [produce|subscribe] [SECONDS]
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { Admin } from "../../clients/ts/index.js";
import { brokerNodeFlags, cleanupAll, closedLoop, drain, produceCall, produceRequest, rawClient, startNode, subscribeRequest, tempDir } from "./util.js";

const mode = process.argv[2] ?? "produce";
const seconds = Number(process.argv[3] ?? 5);

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const dir = await tempDir("profile-data");
const profDir = await tempDir("profile");
const serve = ["services/main.ts", "serve", "--listen", "127.0.0.1:0", "--http", "off", "--data-dir", dir];
const reqs = [0, 1, 2, 3].map((p) => produceRequest("p", 1000, 100, p));
if (mode === "subscribe") {
  // The backlog is written by a broker that is not profiled, so the profile holds
  // only the draining.
  const writer = await startNode([...brokerNodeFlags, "--import", "tsx", ...serve]);
  const writerAdmin = new Admin({ broker: writer.address });
  await writerAdmin.createTopic("p", 4);
  const writerClient = rawClient(writer.address);
  for (let i = 0; i < 2000; i++) await produceCall(writerClient, reqs[0]);
  writerClient.close();
  writerAdmin.close();
  await writer.stop();
}
const broker = await startNode([...brokerNodeFlags, "--import", "tsx", "--cpu-prof", "--cpu-prof-dir", profDir, ...serve]);
const admin = new Admin({ broker: broker.address });
const client = rawClient(broker.address);
if (mode === "subscribe") {
  for (let round = 0; round < 3; round++) {
    const t = await drain(client, subscribeRequest("p", [0], "earliest"), 2_000_000);
    console.log(`subscribe: ${(2_000_000 / t / 1e6).toFixed(2)}M records/s`);
  }
} else {
  await admin.createTopic("p", 4);
  const rate = await closedLoop(seconds, 8, async (lane, n) => {
    await produceCall(client, reqs[(lane + n) % 4]);
    return 1000;
  });
  console.log(`produce 1000 × 100 B, 8 in flight: ${(rate / 1e3).toFixed(0)}k records/s`);
}
client.close();
admin.close();
await broker.stop();
const file = (await readdir(profDir)).find((f) => f.endsWith(".cpuprofile"));
if (!file) throw new Error("no .cpuprofile written");
const profile = JSON.parse(await readFile(join(profDir, file), "utf8")) as { nodes: Node[]; samples: number[] };
const total = profile.samples.length;
const byFunction = new Map<string, number>();
for (const node of profile.nodes) {
  const where = node.callFrame.url.replace(/^.*\/(node_modules\/|services\/)/, "$1");
  const name = `${node.callFrame.functionName || "(anonymous)"} ${where ? `${where}:${node.callFrame.lineNumber + 1}` : ""}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + (node.hitCount ?? 0));
}
const byArea = new Map<string, number>();
for (const node of profile.nodes) {
  const url = node.callFrame.url;
  const area = url.includes("@grpc/grpc-js") ? "grpc-js" : url.includes("/services/") ? `broker ${url.replace(/^.*\/services\/([^/]+).*$/, "$1")}` : url.startsWith("node:") ? `node ${url.replace(/^node:(internal\/)?([^/]+).*$/, "$2")}` : node.callFrame.functionName.startsWith("(") ? node.callFrame.functionName : url ? "other js" : "native/builtins";
  byArea.set(area, (byArea.get(area) ?? 0) + (node.hitCount ?? 0));
}
const top = (m: Map<string, number>, n: number) =>
  [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`).join("\n");
console.log(`\nBroker CPU by area (${total} samples):\n${top(byArea, 12)}\n\nTop functions by self time:\n${top(byFunction, 25)}`);
const kept = join("/tmp", `tributary-${mode}-${Date.now()}.cpuprofile`);
await (await import("node:fs/promises")).copyFile(join(profDir, file), kept);
console.log(`\nprofile: ${kept}`);
await cleanupAll();
