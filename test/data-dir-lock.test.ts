import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { lockDataDir } from "../services/data-dir-lock.js";

/** Field 3 (state) and field 22 (start time) of /proc/<pid>/stat. */
function stat(pid: number): { state: string; startTime: string } {
  const text = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0]!, startTime: fields[19]! };
}

describe("lockDataDir", () => {
  let dir: string;
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tributary-lock-"));
  });
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  /** A live process we own; stands in for another broker or for an unrelated process. */
  function sleeper(): number {
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    children.push(child);
    return child.pid!;
  }

  it("refuses a directory whose owner runs, naming it", async () => {
    const owner = sleeper();
    await writeFile(join(dir, ".lock"), `${owner} ${stat(owner).startTime}`);
    await expect(lockDataDir(dir)).rejects.toMatchObject({ reason: "DATA_DIR_LOCKED" });
    await expect(lockDataDir(dir)).rejects.toThrow(String(owner));
  });

  it("takes over from an owner killed but not yet reaped (a zombie)", async () => {
    // The parent forks a child that exits at once and never reaps it.
    const parent = spawn(
      "/usr/bin/python3",
      ["-c", "import os,sys,time\npid=os.fork()\nif pid==0: os._exit(0)\nprint(pid, flush=True)\ntime.sleep(30)"],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    children.push(parent);
    const [line] = await createInterface({ input: parent.stdout! })[Symbol.asyncIterator]().next().then((r) => [r.value as string]);
    const zombie = Number(line);
    await vi.waitFor(() => expect(stat(zombie).state).toBe("Z"));
    // Written as a broker before this lock format would: the pid alone.
    await writeFile(join(dir, ".lock"), String(zombie));
    const unlock = await lockDataDir(dir);
    expect((await readFile(join(dir, ".lock"), "utf8")).split(" ")[0]).toBe(String(process.pid));
    await unlock();
  });

  it("takes over when the recorded pid now belongs to a process started at another time", async () => {
    const other = sleeper();
    const recorded = String(Number(stat(other).startTime) - 1);
    await writeFile(join(dir, ".lock"), `${other} ${recorded}`);
    const unlock = await lockDataDir(dir);
    await unlock();
  });

  it("takes over from a pid that no longer exists, and records its own start time", async () => {
    const gone = spawn("true");
    await new Promise((resolve) => gone.on("exit", resolve));
    await writeFile(join(dir, ".lock"), String(gone.pid));
    const unlock = await lockDataDir(dir);
    expect(await readFile(join(dir, ".lock"), "utf8")).toBe(`${process.pid} ${stat(process.pid).startTime}`);
    await unlock();
  });
});
