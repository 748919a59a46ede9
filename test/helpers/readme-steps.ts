import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

/** The README's grpcurl commands, shared by test/e2e/readme-grpcurl.test.ts (one broker)
 * and test/cluster/readme-cluster.test.ts (a cluster). */
export const readme = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");
/** Built by scripts/setup.mjs (`npm test` runs it) from ../shared/tools/grpcurl. */
export const grpcurl = fileURLToPath(new URL("../../node_modules/.cache/tributary/grpcurl", import.meta.url));
/** The broker address the README's commands name. */
export const readmeAddress = "127.0.0.1:7070";

/** One grpcurl command of the README and the output its `# ->` lines show, one per message. */
export interface Step {
  readonly args: string[];
  readonly expected: unknown[];
  readonly line: string;
}

/**
 * The grpcurl commands of the README's ```sh blocks under `heading`, parsed as a
 * shell would: single quotes (spanning lines), backslash-newline continuations,
 * `#` comments. Each `# -> JSON` comment after a command is one message it prints.
 */
export function stepsUnder(heading: string): Step[] {
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
export function matches(actual: unknown, expected: unknown): boolean {
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
export function messages(stdout: string): unknown[] {
  return stdout
    .split(/\n(?=\{)/)
    .map((text) => text.trim())
    .filter((text) => text.length > 0)
    .map((text) => JSON.parse(text));
}

