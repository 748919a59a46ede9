// Latency rounds against one fresh broker, after N uncounted warm-up rounds, printing each
// measured round's p99: how a round's tail depends on how warm the broker is (docs/
// PERFORMANCE.md, "The low-rate latency tail"). Same round as the bench (latency-client.ts).
// Usage: node --import tsx scripts/bench/latency-rounds.ts [RATE] [SECONDS] [ROUNDS] [WARMUP_ROUNDS]
import { Admin } from "../../clients/ts/index.js";
import { latencyRound } from "./latency-client.js";
import { brokerNodeFlags, percentile, removeDir, startNode, tempDir } from "./util.js";

const [rate = 1000, seconds = 4, rounds = 3, warmup = 10] = process.argv.slice(2, 6).map(Number);
const dir = await tempDir("latency-rounds");
const broker = await startNode([...brokerNodeFlags, "services/tributary.mjs", "serve", "--listen", "127.0.0.1:0", "--http", "off", "--data-dir", dir]);
const admin = new Admin({ broker: broker.address });
await admin.createTopic("lat", 1);
admin.close();
for (let i = 0; i < warmup; i++) await latencyRound(broker.address, "lat", 1000, 1);
const p99s: string[] = [];
for (let r = 0; r < rounds; r++) {
  const { samples } = await latencyRound(broker.address, "lat", rate, seconds, { note: (m) => console.error(m) });
  p99s.push(percentile(Float64Array.from(samples).sort(), 99).toFixed(2));
}
console.log(`${rate}/s after ${warmup} warm-up rounds, p99 by round (ms): ${p99s.join(" ")}`);
await broker.stop();
await removeDir(dir);
process.exit(0);
