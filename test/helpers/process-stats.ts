import { readdir, readFile, writeFile } from "node:fs/promises";

export const MiB = 1024 * 1024;

/** Resident memory of a process now (VmRSS) and at its peak (VmHWM), from /proc (Linux). */
export async function memoryOf(pid: number): Promise<{ rssBytes: number; peakRssBytes: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]) * 1024;
  return { rssBytes: kib("VmRSS"), peakRssBytes: kib("VmHWM") };
}

/**
 * Resets a process's VmHWM to its current RSS (`echo 5 > /proc/PID/clear_refs`,
 * Linux ≥ 4.0), so the next peak read covers one scenario only. False when the
 * kernel refuses: the peak then covers the process's whole life, a looser bound.
 */
export async function resetPeakRss(pid: number): Promise<boolean> {
  try {
    await writeFile(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** Open file descriptors of a process (entries of /proc/PID/fd). */
export async function openFds(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}

export type LogEntry = Record<string, unknown> & { msg?: string; level?: number };

export const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;
