import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { createClient } from "../../clients/ts/index.js";
import { startBroker, type Broker } from "../../services/server.js";
import type { BrokerConfig } from "../../services/config.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { CommitService } from "../../gen/ts/tributary/v1/commit_pb.js";
import { FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { ProduceService } from "../../gen/ts/tributary/v1/produce_pb.js";

export type TestBroker = Awaited<ReturnType<typeof startTestBroker>>;

export const silentLogger = pino({ level: "silent" });

/** A temp data directory, removed by the returned function. */
export async function tempDir(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), "tributary-test-"));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/**
 * A real broker from startBroker() on port 0 with data in a temp dir, plus a
 * client per service. `restart()` closes the broker and opens a new one on
 * the same data directory.
 */
export async function startTestBroker(settings: Partial<BrokerConfig> = {}, existingDir?: string) {
  const dir = existingDir ? { path: existingDir, remove: async () => {} } : await tempDir();
  const config = { listen: "127.0.0.1:0", http: "off", logLevel: "silent", dataDir: dir.path, ...settings } as const;
  let broker: Broker = await startBroker(config, { logger: silentLogger });
  const connect = () => ({
    produce: createClient(ProduceService, broker.address),
    fetch: createClient(FetchService, broker.address),
    admin: createClient(AdminService, broker.address),
    commit: createClient(CommitService, broker.address),
  });
  let clients = connect();
  const closeClients = () => Object.values(clients).forEach((c) => c.close());
  return {
    get broker() {
      return broker;
    },
    get produce() {
      return clients.produce;
    },
    get fetch() {
      return clients.fetch;
    },
    get admin() {
      return clients.admin;
    },
    get commit() {
      return clients.commit;
    },
    dataDir: dir.path,
    async restart(): Promise<void> {
      closeClients();
      await broker.close();
      broker = await startBroker(config, { logger: silentLogger });
      clients = connect();
    },
    async close(): Promise<void> {
      closeClients();
      await broker.close();
      await dir.remove();
    },
  };
}

/** Encodes text as bytes for record keys and values. */
export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
export const text = (data: Uint8Array): string => new TextDecoder().decode(data);

/**
 * Brokers from startBroker() on port 0, each with its own temp data dir (HTTP off and
 * a silent log unless the settings say otherwise). `closeAll` closes them and removes
 * the dirs, including the dir of a start that failed.
 */
export class BrokerSet {
  private brokers: Broker[] = [];
  private dirs: Array<{ remove(): Promise<void> }> = [];

  async start(settings: Partial<BrokerConfig> | Record<string, unknown> = {}): Promise<Broker> {
    const dir = await tempDir();
    this.dirs.push(dir);
    const broker = await startBroker(
      { listen: "127.0.0.1:0", http: "off", logLevel: "silent", dataDir: dir.path, ...settings },
      { logger: silentLogger },
    );
    this.brokers.push(broker);
    return broker;
  }

  async closeAll(): Promise<void> {
    const brokers = this.brokers.splice(0);
    const dirs = this.dirs.splice(0);
    for (const b of brokers) await b.close();
    for (const d of dirs) await d.remove();
  }
}
