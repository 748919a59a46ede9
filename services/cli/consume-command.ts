import { TextDecoder } from "node:util";
import { Consumer, type ConsumedRecord } from "../../clients/ts/index.js";
import { connection, parseCommand, parsePosition, required, toJson, type CliEnv } from "./cli-args.js";

/**
 * `tributary consume TOPIC [--group G] [--from earliest|latest|OFFSET|TIME]
 * [--partition N ...] [--max N] [--json]`: prints records until Ctrl-C (or
 * --max); with --group, as a member that commits what it printed.
 */
export async function consumeCommand(args: string[], env: CliEnv = {}): Promise<void> {
  const { values, positionals } = parseCommand(args, {
    group: { type: "string" },
    from: { type: "string", default: "latest" },
    partition: { type: "string", multiple: true },
    max: { type: "string" },
    json: { type: "boolean", default: false },
  });
  const topic = required(positionals, 0, "topic");
  const max = values.max === undefined ? Number.POSITIVE_INFINITY : Number(values.max);
  const from = parsePosition(values.from!);
  const conn = connection(values, env);
  const consumer = new Consumer(
    values.group !== undefined
      ? { ...conn, groupId: values.group, topics: [topic], from, clientId: "tributary-cli" }
      : { ...conn, topic, partitions: (values.partition ?? []).map(Number), from },
  );
  const stop = () => void consumer.close();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  let count = 0;
  const decoder = new TextDecoder();
  if (max > 0) {
    for await (const record of consumer) {
      console.log(values.json ? asJson(record, decoder) : asText(record, decoder));
      if (++count >= max) break;
    }
  }
  await consumer.close();
}

function asText(r: ConsumedRecord, decoder: TextDecoder): string {
  const key = r.key.length > 0 ? `${decoder.decode(r.key)}\t` : "";
  return `${r.partition}:${r.offset}\t${key}${decoder.decode(r.value)}`;
}

function asJson(r: ConsumedRecord, decoder: TextDecoder): string {
  return toJson({
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    timestampMs: r.timestampMs,
    key: decoder.decode(r.key),
    value: decoder.decode(r.value),
    headers: Object.fromEntries(r.headers.map((h) => [h.key, decoder.decode(h.value)])),
  });
}
