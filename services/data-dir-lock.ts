import { readFileSync } from "node:fs";
import { open, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { TributaryError } from "./errors.js";

/**
 * One broker per data directory: `<data>/.lock` holds the owner's pid and, on
 * Linux, the owner's start time (field 22 of /proc/<pid>/stat, in clock ticks
 * since boot). A lock is taken over when its owner no longer runs. "Runs"
 * means more than `kill(pid, 0)` succeeding: right after `kill -9` the owner
 * can still be a zombie its parent has not reaped, and after a reboot or a
 * long time its pid can belong to an unrelated process. Both would refuse a
 * restart after a crash, which must never happen; so a zombie is dead, and a
 * pid whose start time differs from the one recorded is someone else. A live
 * owner is a clear start-up error rather than two brokers appending to one log.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const path = join(dataDir, ".lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const file = await open(path, "wx");
      const started = startTime(process.pid);
      await file.writeFile(started === undefined ? String(process.pid) : `${process.pid} ${started}`);
      await file.close();
      return () => unlink(path).catch(() => undefined);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const [pidText, startedText] = (await readFile(path, "utf8").catch(() => "")).trim().split(/\s+/);
      const owner = Number(pidText);
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && runs(owner, startedText)) {
        throw new TributaryError(
          "precondition",
          "DATA_DIR_LOCKED",
          `data directory ${dataDir} is in use by process ${owner}`,
        );
      }
      await unlink(path).catch(() => undefined);
    }
  }
  throw new TributaryError("precondition", "DATA_DIR_LOCKED", `could not lock data directory ${dataDir}`);
}

/** Whether `pid` is a live (not zombie) process that started when the lock says it did. */
function runs(pid: number, recordedStart: string | undefined): boolean {
  const stat = procStat(pid);
  if (stat === undefined) return signalable(pid); // no /proc: the portable check
  if (stat === null) return false; // no such process
  if (stat.state === "Z" || stat.state === "X") return false; // dead, not yet reaped
  return recordedStart === undefined || recordedStart === stat.startTime;
}

function startTime(pid: number): string | undefined {
  return procStat(pid)?.startTime;
}

/**
 * State and start time from /proc/<pid>/stat; null when the process does not
 * exist, undefined when /proc is not there (not Linux). The command name (field
 * 2) is in parentheses and may hold spaces, so fields are counted after its ")".
 */
function procStat(pid: number): { state: string; startTime: string } | null | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") return undefined;
    try {
      readFileSync("/proc/self/stat");
      return null;
    } catch {
      return undefined;
    }
  }
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
  return { state: fields[0] ?? "", startTime: fields[19] ?? "" };
}

function signalable(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
