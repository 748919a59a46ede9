import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { fromJsonString, toJsonString, type DescService } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { CommitService } from "../../gen/ts/tributary/v1/commit_pb.js";
import { FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { ProduceService } from "../../gen/ts/tributary/v1/produce_pb.js";
import { startTestBroker, type TestBroker } from "../helpers/test-broker.js";

const readme = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");
const services: DescService[] = [AdminService, CommitService, FetchService, ProduceService];

/** The README's grpcurl calls with a JSON body, in order: [service/method, body]. */
function grpcurlCalls(): Array<{ target: string; body: string }> {
  const joined = readme.replace(/\\\n\s*/g, " ");
  const calls: Array<{ target: string; body: string }> = [];
  for (const match of joined.matchAll(/grpcurl -plaintext -d '([^']*)'\s+\S+\s+(tributary\.v1\.\w+\/\w+)/g)) {
    calls.push({ body: match[1], target: match[2] });
  }
  return calls;
}

/**
 * grpcurl cannot be installed here (not in Debian bookworm, not on npm), so
 * this runs the README's walkthrough the way grpcurl would: each `-d` body is
 * parsed with the proto3 JSON mapping against the method's input type (the
 * same mapping grpcurl applies through reflection) and sent to a real broker.
 */
describe("the README's grpcurl walkthrough", () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker();
  });
  afterAll(async () => {
    await t.close();
  });

  it("has bodies that parse as the methods' inputs and calls that succeed in order", async () => {
    const calls = grpcurlCalls();
    expect(calls.map((c) => c.target)).toEqual([
      "tributary.v1.AdminService/CreateTopic",
      "tributary.v1.ProduceService/Produce",
      "tributary.v1.FetchService/Fetch",
      "tributary.v1.AdminService/ListOffsets",
      "tributary.v1.FetchService/Subscribe",
      "tributary.v1.AdminService/DescribeTopic",
      "tributary.v1.FetchService/Subscribe",
      "tributary.v1.AdminService/DescribeGroup",
      "tributary.v1.AdminService/ResetGroupOffsets",
      "tributary.v1.AdminService/ResetGroupOffsets",
      "tributary.v1.CommitService/FetchCommitted",
      "tributary.v1.AdminService/DeleteGroup",
    ]);
    const clients: Record<string, Record<string, (req: unknown) => unknown>> = {
      "tributary.v1.AdminService": t.admin as never,
      "tributary.v1.FetchService": t.fetch as never,
      "tributary.v1.ProduceService": t.produce as never,
      "tributary.v1.CommitService": t.commit as never,
    };
    const answers: string[] = [];
    for (const { target, body } of calls) {
      const [serviceName, methodName] = target.split("/");
      const service = services.find((s) => s.typeName === serviceName)!;
      const method = service.methods.find((m) => m.name === methodName)!;
      const request = fromJsonString(method.input, body);
      const invoke = clients[serviceName][method.localName];
      if (method.methodKind === "server_streaming") {
        const stream = invoke(request) as AsyncIterable<never> & { cancel(): void };
        let records = 0;
        for await (const event of stream) {
          const e = event as { event: { case: string; value: { records: unknown[] } } };
          if (e.event.case === "records") records += e.event.value.records.length;
          if (records >= 2) break;
        }
        stream.cancel();
        answers.push(`${methodName}: ${records} records`);
      } else {
        // The group's member (the Subscribe above) leaves when the server sees the
        // cancel; calls that need an empty group are retried until it has.
        const answer = await vi.waitFor(() => invoke(request) as Promise<never>, { timeout: 10_000 });
        answers.push(`${methodName}: ${toJsonString(method.output, answer)}`);
      }
    }
    expect(answers[1]).toContain('"recordCount":2');
    expect(answers[2]).toContain('"value":"aGVsbG8="');
    expect(answers[2]).toContain('"value":"d29ybGQ="');
    expect(answers[4]).toBe("Subscribe: 2 records");
    expect(answers[5]).toContain('"logEndOffset":"2"');
    expect(answers[6]).toBe("Subscribe: 2 records");
    expect(answers[7]).toContain('"groupId":"billing"');
    expect(answers[8]).toContain('"offsets":[');
    expect(answers[10]).toContain('"topic":"orders"'); // offsets are 0 after the reset: JSON omits zeros
  });
});
