import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { partitionForKey } from "../../services/partitioner/index.js";
import { runCli } from "../helpers/child-broker.js";
import { startTestBroker, type TestBroker } from "../helpers/test-broker.js";

/** Runs the `tributary` command as a process, feeding `input` on stdin. */
const cli = (args: string[], input = "") => runCli(args, { input });

describe("the tributary CLI", () => {
  let t: TestBroker;
  let broker: string[];
  beforeAll(async () => {
    t = await startTestBroker();
    broker = ["--broker", t.broker.address];
  });
  afterAll(async () => {
    await t.close();
  });

  it("creates, lists, describes and deletes topics", async () => {
    expect((await cli(["topics", "create", "cli-t", "--partitions", "3", "--config", "retentionMs=60000", ...broker])).stdout).toContain(
      "created cli-t with 3 partitions",
    );
    expect((await cli(["topics", "list", ...broker])).stdout).toBe("cli-t\t3\n");
    const described = await cli(["topics", "describe", "cli-t", ...broker]);
    expect(described.stdout).toContain("retentionMs=60000");
    expect(described.stdout.trim().split("\n")).toHaveLength(5);
    const missing = await cli(["topics", "describe", "nope", ...broker]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("(UNKNOWN_TOPIC)");
    expect((await cli(["topics", "delete", "cli-t", ...broker])).stdout).toContain("deleted cli-t");
    expect((await cli(["topics", "list", ...broker])).stdout).toBe("");
  });

  it("produces stdin lines with a key and headers, and consumes them as text and JSON", async () => {
    await cli(["topics", "create", "lines", "--partitions", "2", ...broker]);
    const produced = await cli(["produce", "lines", "--key", "user-1", "--header", "src=cli", ...broker], "one\ntwo\nthree\n");
    expect(produced.code).toBe(0);
    expect(produced.stderr).toContain("3 records sent to lines");
    const text = await cli(["consume", "lines", "--from", "earliest", "--max", "3", ...broker]);
    expect(text.stdout.trim().split("\n").map((l) => l.split("\t").slice(1).join(" "))).toEqual([
      "user-1 one",
      "user-1 two",
      "user-1 three",
    ]);
    const partition = String(partitionForKey(new TextEncoder().encode("user-1"), 2));
    const json = await cli(["consume", "lines", "--from", "1", "--partition", partition, "--max", "2", "--json", ...broker]);
    const records = json.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.map((r) => [r.offset, r.value, r.headers])).toEqual([
      ["1", "two", { src: "cli" }],
      ["2", "three", { src: "cli" }],
    ]);
  });

  it("consumes as a group member and operates the group", async () => {
    await cli(["topics", "create", "work", "--partitions", "2", ...broker]);
    await cli(["produce", "work", ...broker], "a\nb\nc\nd\n");
    const consumed = await cli(["consume", "work", "--group", "crew", "--from", "earliest", "--max", "4", ...broker]);
    expect(consumed.stdout.trim().split("\n")).toHaveLength(4);
    expect((await cli(["groups", "list", ...broker])).stdout).toBe("crew\tEmpty\t0 members\n");
    const described = await cli(["groups", "describe", "crew", ...broker]);
    expect(described.stdout).toMatch(/work\t0\t2\t2\t0\t-/);
    expect(described.stdout).toMatch(/work\t1\t2\t2\t0\t-/);
    expect((await cli(["groups", "reset", "crew", "--topic", "work", "--to", "earliest", ...broker])).stdout).toBe("work/0\t0\nwork/1\t0\n");
    const lag = JSON.parse((await cli(["groups", "describe", "crew", "--json", ...broker])).stdout) as { offsets: Array<{ lag: string }> };
    expect(lag.offsets.map((o) => o.lag)).toEqual(["2", "2"]);
    expect((await cli(["groups", "delete", "crew", ...broker])).stdout).toContain("deleted crew");
    expect((await cli(["groups", "list", ...broker])).stdout).toBe("");
  });

  it("explains bad usage", async () => {
    const result = await cli(["topics", "frobnicate", ...broker]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("tributary topics create NAME");
  });
});
