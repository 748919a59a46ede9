/// <reference lib="dom" />
import { ApiError } from "./api.js";
import { h } from "./dom.js";

/** What a page gets: its root element, and a way to poll and report errors. */
export interface PageContext {
  readonly root: HTMLElement;
  /** Calls `tick` now and every second until the page is left. */
  poll(tick: () => Promise<void>): void;
  /** Shows an error (an ApiError's code and reason) in the banner. */
  showError(err: unknown): void;
  /** Shows a success note in the banner. */
  showNote(text: string): void;
}

/** Seconds of history the charts keep. */
export const chartCapacity = 60;

export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    // Under authentication the console acts as one principal: say so, so a refusal
    // reads as "the console may not", not as a broken page.
    const who =
      err.status === 403
        ? "Not allowed for the console's principal — "
        : err.status === 401
          ? "The console is not authenticated to the broker — "
          : "";
    return `${who}${err.code}${err.reason ? ` ${err.reason}` : ""}: ${err.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Runs an action from a form or button, reporting its failure; returns whether it succeeded. */
export async function act(ctx: PageContext, action: () => Promise<unknown>, success: string): Promise<boolean> {
  try {
    await action();
    ctx.showNote(success);
    return true;
  } catch (err) {
    ctx.showError(err);
    return false;
  }
}

/** A labelled input. */
export function field(label: string, input: HTMLElement): HTMLLabelElement {
  return h("label", { class: "field" }, h("span", {}, label), input);
}

/** Appends to a bounded history. */
export function push(history: number[], value: number, capacity = chartCapacity): void {
  history.push(value);
  if (history.length > capacity) history.shift();
}
