import { execFile, spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { startChildBroker, tributaryBin } from "../helpers/child-broker.js";
import type { LogEntry } from "../helpers/process-stats.js";
import { startTestBroker, tempDir } from "../helpers/test-broker.js";

const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  promisify(execFile)(process.execPath, [tributaryBin, ...args], { env: { ...process.env, ...env }, timeout: 30_000 }).then(
    (r) => ({ code: 0, ...r }),
    (err: { code: number; stdout: string; stderr: string }) => err,
  );

// Each test starts broker processes through tsx: seconds apiece on two busy cores.
describe("tributary serve", { timeout: 120_000 }, () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it("refuses unknown flags, environment variables and config keys with a clear message", async () => {
    const dir = await tempDir();
    cleanup.push(dir.remove);
    const flag = await run(["serve", "--data-dir", dir.path, "--segment-byte", "5"]);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toContain("--segment-byte");
    const env = await run(["serve", "--data-dir", dir.path], { TRIBUTARY_SEGMENTBYTES: "5" });
    expect(env.code).toBe(1);
    expect(env.stderr).toContain("unknown variable TRIBUTARY_SEGMENTBYTES");
    const file = join(dir.path, "config.json");
    await writeFile(file, JSON.stringify({ dataDir: dir.path, retentionHours: 5 }));
    const fromFile = await run(["serve", "--config", file]);
    expect(fromFile.code).toBe(1);
    expect(fromFile.stderr).toContain('unknown config key "retentionHours"');
  });

  it("fails to start, saying why, when the data directory cannot be used", async () => {
    const dir = await tempDir();
    cleanup.push(dir.remove);
    const file = join(dir.path, "a-file");
    await writeFile(file, "x");
    const result = await run(["serve", "--listen", "127.0.0.1:0", "--http", "off", "--data-dir", join(file, "data")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/data directory .* cannot be created or is not writable/);
  });

  it("refuses a second broker on a data directory in use", async () => {
    const first = await startTestBroker();
    cleanup.push(() => first.close());
    const result = await run(["serve", "--listen", "127.0.0.1:0", "--http", "off", "--data-dir", first.dataDir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`is in use by process ${process.pid}`);
  });

  it("runs node with the broker's GC flag from its first line, and warns when started without it", async () => {
    const gcWarning = (logs: readonly LogEntry[]) => logs.some((entry) => entry.msg?.includes("without the broker's GC setting"));
    const dir = await tempDir();
    cleanup.push(dir.remove);
    const command = await startChildBroker(dir.path, ["--log-level", "info"]);
    expect(gcWarning(command.logs), JSON.stringify(command.logs)).toBe(false);
    command.process.kill("SIGTERM");
    expect(await command.exited).toBe(0);
    const bare = await startChildBroker(dir.path, ["--log-level", "info"], { node: false });
    expect(gcWarning(bare.logs), JSON.stringify(bare.logs)).toBe(true);
    bare.process.kill("SIGTERM");
    expect(await bare.exited).toBe(0);
  });

  it("logs human-readable lines on a terminal and JSON lines otherwise", async () => {
    const dir = await tempDir();
    cleanup.push(dir.remove);
    // `script` runs the broker on a pseudo-terminal, as a person's shell would.
    const command = [tributaryBin, "serve", "--listen", "127.0.0.1:0", "--http", "off", "--data-dir", dir.path];
    const child = spawn("script", ["-qfec", command.map((arg) => `'${arg}'`).join(" "), "/dev/null"], {
      stdio: ["pipe", "pipe", "inherit"],
      detached: true,
    });
    cleanup.push(async () => {
      if (child.exitCode === null) process.kill(-child.pid!, "SIGKILL");
    });
    let output = "";
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("broker listening")) resolve();
      });
      child.once("exit", () => reject(new Error(`exited before listening: ${output}`)));
    });
    const line = output.split(/\r?\n/).find((l) => l.includes("broker listening"))!;
    expect(line.trimStart().startsWith("{")).toBe(false);
    expect(line).toContain("INFO");
    process.kill(-child.pid!, "SIGTERM");

    const piped = await startChildBroker(dir.path, ["--log-level", "info"]);
    expect(piped.logs.some((entry) => entry.msg === "broker listening")).toBe(true);
    piped.process.kill("SIGTERM");
    expect(await piped.exited).toBe(0);
  });

  it("serves /healthz and /readyz on the HTTP port, and stops on SIGTERM", async () => {
    const dir = await tempDir();
    cleanup.push(dir.remove);
    const broker = await startChildBroker(dir.path, ["--http", "127.0.0.1:0", "--log-level", "info"]);
    // The HTTP port is logged with the gRPC address.
    const httpPort = await broker.httpPortHint;
    expect(httpPort).toBeGreaterThan(0);
    const health = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
    expect(await ready.text()).toBe("ready\n");
    broker.process.kill("SIGTERM");
    expect(await broker.exited).toBe(0);
  });
});
