import { readdirSync, readFileSync } from "node:fs";
import { TooManyOpenFilesError } from "../errors.js";

/**
 * The process's file descriptors, as a budget that topic creation checks before it
 * opens anything (issue 14: one client's partitions and segments used up the
 * descriptors, after which produces, CreateTopic, the HTTP port and a clean shutdown
 * all failed). Linux only: it reads /proc/self/limits and /proc/self/fd; elsewhere
 * nothing is checked (the partition limit still holds).
 *
 * A create is refused when, after it, fewer than `reserve` descriptors would be left
 * below the soft limit (RLIMIT_NOFILE): what connections, the HTTP port, index and
 * metadata writes, and shutdown need. The reserve is an eighth of the limit, at
 * least 64.
 */
export class OpenFileBudget {
  /** The soft limit, or undefined when unknown (no /proc) or unlimited. */
  readonly limit: number | undefined;

  constructor() {
    this.limit = readOpenFileLimit();
  }

  /** Descriptors kept free for everything but partitions. */
  get reserve(): number {
    return this.limit === undefined ? 0 : Math.max(64, Math.floor(this.limit / 8));
  }

  /** What a bound on other descriptors may grow to: a quarter of the limit at most. */
  capShare(wanted: number): number {
    return this.limit === undefined ? wanted : Math.min(wanted, Math.floor(this.limit / 4));
  }

  /**
   * @param newFiles descriptors the operation will hold open (one per new partition)
   * @param growth descriptors already promised elsewhere that are not open yet
   *   (idle sealed-segment files the OpenSegmentFiles bound may still reopen)
   * @throws RESOURCE_EXHAUSTED TOO_MANY_OPEN_FILES
   */
  check(newFiles: number, growth: number): void {
    if (this.limit === undefined) return;
    const open = countOpenFiles();
    if (open === undefined) return;
    if (open + newFiles + growth > this.limit - this.reserve) {
      throw new TooManyOpenFilesError(
        `the broker holds ${open} of its ${this.limit} file descriptors; ${newFiles} more would leave fewer than ${this.reserve} free`,
      );
    }
  }
}

function readOpenFileLimit(): number | undefined {
  try {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = line?.slice("Max open files".length).trim().split(/\s+/)[0];
    const limit = Number(soft);
    return Number.isSafeInteger(limit) && limit > 0 ? limit : undefined;
  } catch {
    return undefined;
  }
}

function countOpenFiles(): number | undefined {
  try {
    return readdirSync("/proc/self/fd").length - 1; // minus the descriptor of the listing itself
  } catch {
    return undefined;
  }
}
