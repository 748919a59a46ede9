// The floor for any Node broker on this machine (docs/PERFORMANCE.md, "The low-rate latency
// tail"): 100-byte messages from this process to a trivial Node echo process over loopback
// TCP and back, paced as the latency phase paces (pace.ts), four rounds; prints p50, p99,
// p99.9 and max of the round trip. Usage: node --import tsx scripts/bench/echo-floor.ts [RATE] [SECONDS]
import { spawn } from "node:child_process";
import { connect, createServer, type AddressInfo } from "node:net";
import { paced, readStamp, stamp } from "./pace.js";
import { percentile, sleep } from "./util.js";

if (process.argv[2] === "server") {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on("data", (data) => socket.write(data));
  });
  server.listen(0, "127.0.0.1", () => console.log((server.address() as AddressInfo).port));
} else {
  const [rate = 1000, seconds = 4] = process.argv.slice(2, 4).map(Number);
  const child = spawn(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, "server"], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve) => child.stdout!.once("data", (d: Buffer) => resolve(Number(String(d)))));
  const socket = connect(port, "127.0.0.1");
  socket.setNoDelay(true);
  await new Promise((resolve) => socket.once("connect", resolve));
  for (let round = 0; round < 4; round++) {
    const samples: number[] = [];
    let pending = Buffer.alloc(0);
    const onData = (data: Buffer) => {
      const now = performance.now();
      pending = Buffer.concat([pending, data]);
      for (; pending.length >= 100; pending = pending.subarray(100)) samples.push(now - readStamp(pending.subarray(0, 100)));
    };
    socket.on("data", onData);
    const total = Math.floor(rate * seconds);
    await paced(rate, seconds, (n) => {
      for (let i = 0; i < n; i++) socket.write(stamp(100));
    });
    while (samples.length < total) await sleep(5);
    socket.off("data", onData);
    const s = Float64Array.from(samples).sort();
    const f = (x: number) => x.toFixed(2);
    console.log(`echo ${rate}/s round ${round}: p50 ${f(percentile(s, 50))} p99 ${f(percentile(s, 99))} p99.9 ${f(percentile(s, 99.9))} max ${f(s[s.length - 1])}`);
  }
  socket.destroy();
  child.kill();
}
