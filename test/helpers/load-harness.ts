import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { createClient, type ServiceClient } from "../../clients/ts/index.js";
import { startChildBroker, type ChildBroker } from "./child-broker.js";
import { tempDir } from "./test-broker.js";

/** `tributary serve` in a child process (with every log line it wrote) and its data directory. */
export interface LoggedBroker extends ChildBroker {
  readonly dataDir: string;
}

/** One TCP connection per client: grpc-js otherwise shares one subchannel (one
 * connection) between all clients of the same address and options. */
export const ownConnection = { channelOptions: { "grpc.use_local_subchannel_pool": 1 } } as const;

/**
 * Child brokers and clients for the load tests, each undone (in reverse order) by
 * `cleanup()`: clients closed, the broker killed by its pid if it still runs, its
 * data directory removed.
 */
export class LoadHarness {
  private readonly undo: Array<() => Promise<unknown>> = [];

  /** Runs `tributary serve` on a fresh data directory (or `dataDir`) with extra flags. */
  async broker(args: string[], dataDir?: string): Promise<LoggedBroker> {
    let path = dataDir;
    if (path === undefined) {
      const dir = await tempDir();
      this.undo.push(dir.remove);
      path = dir.path;
    }
    const broker = await startChildBroker(path, args);
    this.undo.push(async () => {
      if (broker.process.exitCode === null && broker.process.signalCode === null) broker.process.kill("SIGKILL");
      await broker.exited;
    });
    return { ...broker, dataDir: path };
  }

  /** A client on its own TCP connection. */
  client<T extends GenServiceMethods>(service: GenService<T>, address: string): ServiceClient<T> {
    const client = createClient(service, address, ownConnection);
    this.undo.push(async () => client.close());
    return client;
  }

  /** Registers more cleanup. */
  defer(fn: () => Promise<unknown>): void {
    this.undo.push(fn);
  }

  async cleanup(): Promise<void> {
    for (const fn of this.undo.splice(0).reverse()) await fn().catch(() => undefined);
  }
}
