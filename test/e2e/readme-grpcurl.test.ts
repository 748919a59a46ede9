import { execFile, spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestBroker, type TestBroker } from "../helpers/test-broker.js";

const readme = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");
/** Built by scripts/setup.mjs (`npm test` runs it) from ../shared/tools/grpcurl. */
const grpcurl = fileURLToPath(new URL("../../node_modules/.cache/tributary/grpcurl", import.meta.url));
const readmeAddress = "127.0.0.1:7070";

/** One grpcurl command of the README and the output its `# ->` lines show, one per message. */
interface Step {
  readonly args: string[];
  readonly expected: unknown[];
  readonly line: string;
}

/**
 * The grpcurl commands of the README's ```sh blocks under `heading`, parsed as a
 * shell would: single quotes (spanning lines), backslash-newline continuations,
 * `#` comments. Each `# -> JSON` comment after a command is one message it prints.
 */
function stepsUnder(heading: string): Step[] {
  const start = readme.indexOf(`\n${heading}\n`);
  expect(start, heading).toBeGreaterThan(0);
  const section = readme.slice(start + heading.length + 2).split(/\n## /)[0]!;
  const steps: Step[] = [];
  for (const [, block] of section.matchAll(/```sh\n([\s\S]*?)```/g)) {
    let words: string[] = [];
    let word: string | undefined;
    let quoted = false;
    const endCommand = () => {
      if (word !== undefined) words.push(word);
      word = undefined;
      if (words[0] === "grpcurl") steps.push({ args: words.slice(1), expected: [], line: words.join(" ") });
      words = [];
    };
    for (let i = 0; i < block!.length; i++) {
      const c = block![i]!;
      if (quoted) {
        if (c === "'") quoted = false;
        else word += c;
      } else if (c === "'") {
        quoted = true;
        word ??= "";
      } else if (c === "\\" && block![i + 1] === "\n") {
        i++;
      } else if (c === "#" && word === undefined) {
        const end = block!.indexOf("\n", i);
        const comment = block!.slice(i, end);
        if (comment.startsWith("# -> ")) steps.at(-1)!.expected.push(JSON.parse(comment.slice(5)));
        i = end - 1;
      } else if (c === "\n") {
        endCommand();
      } else if (c === " ") {
        if (word !== undefined) words.push(word);
        word = undefined;
      } else {
        word = (word ?? "") + c;
      }
    }
    endCommand();
  }
  return steps;
}

/** `actual` is `expected`, where the string "…" in `expected` stands for any value. */
function matches(actual: unknown, expected: unknown): boolean {
  if (expected === "…") return actual !== undefined;
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => matches(actual[i], e));
  }
  if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) return false;
    const keys = Object.keys(expected);
    return (
      keys.length === Object.keys(actual).length &&
      keys.every((k) => matches((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k]))
    );
  }
  return actual === expected;
}

/** grpcurl prints each message as indented JSON; top-level objects start and end at column 0. */
function messages(stdout: string): unknown[] {
  return stdout
    .split(/\n(?=\{)/)
    .map((text) => text.trim())
    .filter((text) => text.length > 0)
    .map((text) => JSON.parse(text));
}

describe("the README's grpcurl commands, run with the real grpcurl v1.8.5", () => {
  let t: TestBroker;
  const streams: ChildProcess[] = [];
  beforeAll(async () => {
    accessSync(grpcurl, constants.X_OK); // missing: `node scripts/setup.mjs` builds it
    t = await startTestBroker();
  });
  afterAll(async () => {
    for (const stream of streams) stream.kill("SIGKILL");
    await t?.close();
  });

  const withBroker = (args: string[]) => args.map((arg) => (arg === readmeAddress ? t.broker.address : arg));

  /** A unary command: exits 0 and prints what the README shows. */
  async function runUnary(step: Step): Promise<void> {
    const { stdout } = await promisify(execFile)(grpcurl, withBroker(step.args), { timeout: 20_000 });
    if (step.expected.length > 0) {
      const printed = messages(stdout);
      expect(matches(printed, step.expected), `${step.line}\nprinted: ${JSON.stringify(printed)}`).toBe(true);
    }
  }

  /** A streaming command (Subscribe): runs until it has printed what the README shows, then is stopped. */
  function startStream(step: Step): { child: ChildProcess; printed: () => unknown[] } {
    const child = spawn(grpcurl, withBroker(step.args), { stdio: ["ignore", "pipe", "inherit"] });
    streams.push(child);
    let stdout = "";
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    return { child, printed: () => messages(stdout.slice(0, stdout.lastIndexOf("\n}") + 2)) };
  }

  async function runStream(step: Step): Promise<void> {
    const stream = startStream(step);
    await vi.waitFor(
      () => {
        const printed = stream.printed().slice(0, step.expected.length);
        expect(matches(printed, step.expected), `${step.line}\nprinted: ${JSON.stringify(printed)}`).toBe(true);
      },
      { timeout: 10_000, interval: 50 },
    );
    stream.child.kill();
  }

  it('"Five minutes with grpcurl": every command works and prints what the README shows', async () => {
    const steps = stepsUnder("## Five minutes with grpcurl");
    expect(steps.length).toBeGreaterThanOrEqual(9);
    for (const step of steps) {
      if (step.args.at(-1)!.endsWith("/Subscribe")) await runStream(step);
      else await runUnary(step);
    }
  });
});
