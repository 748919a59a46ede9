import { execFile, spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestBroker, type TestBroker } from "../helpers/test-broker.js";
import { makeTestPki } from "../auth/certs.js";
import { newToken } from "../../services/auth/tokens.js";

import { grpcurl, matches, messages, readme, readmeAddress, stepsUnder, type Step } from "../helpers/readme-steps.js";

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

  /** The README's address replaced by `address`, and any file or token it names by `files`. */
  const withBroker = (args: string[], address = t.broker.address, files: Record<string, string> = {}) =>
    args.map((arg) => (arg === readmeAddress ? address : (files[arg] ?? arg)));

  /** A unary command: exits 0 and prints what the README shows. */
  async function runUnary(step: Step, args = withBroker(step.args)): Promise<void> {
    const { stdout } = await promisify(execFile)(grpcurl, args, { timeout: 20_000 });
    if (step.expected.length > 0) {
      const printed = messages(stdout);
      expect(matches(printed, step.expected), `${step.line}\nprinted: ${JSON.stringify(printed)}`).toBe(true);
    }
  }

  /** A streaming command (Subscribe): runs until it has printed what the README shows, then is stopped. */
  function startStream(step: Step, args = withBroker(step.args)): { child: ChildProcess; printed: () => unknown[] } {
    const child = spawn(grpcurl, args, { stdio: ["ignore", "pipe", "inherit"] });
    streams.push(child);
    let stdout = "";
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    return { child, printed: () => messages(stdout.slice(0, stdout.lastIndexOf("\n}") + 2)) };
  }

  async function runStream(step: Step, args = withBroker(step.args)): Promise<void> {
    const stream = startStream(step, args);
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

  it('"Consumer groups": three grpcurl members share the partitions at once, one commits by hand, the group is operated', async () => {
    const steps = stepsUnder("## Consumer groups");
    expect(steps.map((s) => s.args.at(-1)!.split("/")[1])).toEqual([
      "Subscribe", "Commit", "ListGroups", "DescribeGroup", "ResetGroupOffsets", "ResetGroupOffsets", "FetchCommitted", "DeleteGroup",
    ]);
    const [subscribe, commit, ...operate] = steps;
    type Assignment = { generation: number; memberId: string; partitions: Array<{ topic: string; partition: number }> };
    const lastAssignment = (printed: unknown[]) =>
      (printed as Array<{ assignment?: Assignment }>).filter((m) => m.assignment !== undefined).at(-1)?.assignment;
    // The three terminals, joining one after another; each join completes without
    // waiting for rebalanceTimeoutMs (30 s), since no member holds its revocation.
    const members: Array<ReturnType<typeof startStream>> = [];
    for (const clientId of ["billing-1", "billing-2", "billing-3"]) {
      const args = withBroker(subscribe!.args).map((arg) => arg.replace('"clientId":"billing-1"', `"clientId":"${clientId}"`));
      members.push(startStream(subscribe!, args));
      await vi.waitFor(
        () => {
          // Every member has printed the same generation's assignment: a member whose
          // partitions did not move still gets the new generation, and until grpcurl has
          // printed it, a commit with the old one would be refused as stale.
          const last = members.map((m) => lastAssignment(m.printed()));
          const owned = last.map((a) => a?.partitions.length ?? 0);
          const generations = new Set(last.map((a) => a?.generation));
          const settled = owned.every((n) => n > 0) && owned.reduce((a, b) => a + b) === 3 && generations.size === 1;
          expect(settled, JSON.stringify(last)).toBe(true);
        },
        { timeout: 10_000, interval: 50 },
      );
    }
    const assignments = members.map((m) => lastAssignment(m.printed())!);
    expect(assignments.flatMap((a) => a.partitions.map((p) => p.partition ?? 0)).sort()).toEqual([0, 1, 2]);
    // The hand commit, with the member id and generation of partition 2's owner.
    const owner = assignments.find((a) => a.partitions.some((p) => p.partition === 2))!;
    await runUnary(commit!, withBroker(commit!.args).map((arg) =>
      arg.replace('"memberId":"billing-1-…"', `"memberId":"${owner.memberId}"`).replace('"generation":3', `"generation":${owner.generation}`),
    ));
    await runUnary(operate[0]!);
    await runUnary(operate[1]!);
    for (const m of members) m.child.kill();
    await vi.waitFor(async () => expect((await t.admin.describeGroup({ groupId: "billing" })).state).toBe("Empty"));
    for (const step of operate.slice(2)) await runUnary(step);
  });

  it('"Secure deployment": a token over TLS, and a client certificate under the mutual-TLS config', async () => {
    const steps = stepsUnder("## Secure deployment");
    expect(steps.map((s) => s.args.at(-1))).toEqual(["list", "tributary.v1.FetchService/Subscribe"]);
    const pki = makeTestPki();
    const brokers: TestBroker[] = [];
    try {
      const billing = pki.client("billing");
      const files: Record<string, string> = { "ca.pem": pki.caPath };
      for (const [name, bytes] of [["billing.pem", billing.cert], ["billing.key", billing.key]] as const) {
        files[name] = `${pki.dir}/${name}`;
        writeFileSync(files[name]!, bytes);
      }
      const { token, sha256 } = newToken();
      files["authorization: Bearer 2q6m…"] = `authorization: Bearer ${token}`;
      // The README's config, with its files made here and a real hash for "ops"; the
      // console is off (its own test is test/http/console/console-auth.test.ts).
      const block = /## Secure deployment[\s\S]*?```json\n([\s\S]*?)\n```/.exec(readme);
      const config = JSON.parse(block![1]!) as Record<string, unknown>;
      for (const key of Object.keys(config)) if (key.startsWith("console")) delete config[key];
      Object.assign(config, {
        tlsCert: pki.serverCertPath,
        tlsKey: pki.serverKeyPath,
        tlsClientCa: pki.caPath,
        authTokens: [{ principal: "ops", sha256 }],
        listen: "127.0.0.1:0",
        http: "off",
      });
      const mutual = await startTestBroker(config as never);
      brokers.push(mutual);
      const { tlsClientCa: _, ...tokensOnly } = config;
      const tls = await startTestBroker(tokensOnly as never);
      brokers.push(tls);
      // "orders", created by ops with its token.
      const createOrders = (address: string, ...certificate: string[]) =>
        promisify(execFile)(grpcurl, [
          "-cacert", pki.caPath, ...certificate, "-H", `authorization: Bearer ${token}`,
          "-d", '{"name":"orders","partitions":1}', address, "tributary.v1.AdminService/CreateTopic",
        ]);
      await createOrders(tls.broker.address);
      await runUnary(steps[0]!, withBroker(steps[0]!.args, tls.broker.address, files));
      await createOrders(mutual.broker.address, "-cert", files["billing.pem"]!, "-key", files["billing.key"]!);
      await runStream(steps[1]!, withBroker(steps[1]!.args, mutual.broker.address, files));
    } finally {
      for (const b of brokers) await b.close().catch(() => undefined);
      pki.remove();
    }
  });
});
