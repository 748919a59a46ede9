import { createInterface } from "node:readline";
import { Producer } from "../../clients/ts/index.js";
import { InvalidArgumentError } from "../errors.js";
import { connection, parseCommand, progress, progressDone, required, type CliEnv } from "./cli-args.js";

/**
 * `tributary produce TOPIC [--key K] [--header k=v ...] [--partition N]`:
 * one record per line of standard input, batched by the Producer.
 */
export async function produceCommand(args: string[], env: CliEnv = {}): Promise<void> {
  const { values, positionals } = parseCommand(args, {
    key: { type: "string" },
    header: { type: "string", multiple: true },
    partition: { type: "string" },
  });
  const topic = required(positionals, 0, "topic");
  const headers = (values.header ?? []).map((h): [string, string] => {
    const at = h.indexOf("=");
    if (at <= 0) throw new InvalidArgumentError("USAGE", `--header takes key=value, got ${h}`);
    return [h.slice(0, at), h.slice(at + 1)];
  });
  const partition = values.partition === undefined ? undefined : Number(values.partition);
  const producer = new Producer(connection(values, env));
  let sent = 0;
  let failed: unknown;
  const pending = new Set<Promise<unknown>>();
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    const p = producer.send({ topic, key: values.key, value: line, headers, partition }).then(
      () => {
        sent++;
        if (sent % 1000 === 0) progress(`${sent} records sent`);
      },
      (err: unknown) => (failed ??= err),
    );
    pending.add(p);
    void p.finally(() => pending.delete(p));
    if (pending.size >= 10_000) await Promise.race(pending); // bound memory on large inputs
  }
  await Promise.all(pending);
  await producer.close();
  progressDone();
  if (failed !== undefined) throw failed;
  console.error(`${sent} records sent to ${topic}`);
}
