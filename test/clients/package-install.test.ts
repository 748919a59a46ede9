import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBroker, tempDir, type TestBroker } from "../helpers/test-broker.js";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../..", import.meta.url));

describe("the tributary package installed into another project", () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(async () => {
    await broker.close();
  });

  it("imports and works from plain node, without tsx", async () => {
    const project = await tempDir();
    try {
      await writeFile(join(project.path, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
      // As a user would: `npm install <path of the repo>`. The compiled client in dist/
      // comes from the repo's `prepare` (npm install there, as `npm test` does first).
      await run("npm", ["install", "--no-audit", "--no-fund", "--offline", repo], { cwd: project.path, timeout: 120_000 });
      const app = `
        import { Admin, Producer, Consumer } from "tributary";
        const broker = process.argv[2];
        const admin = new Admin({ broker });
        await admin.createTopic("plain-node", 1);
        const producer = new Producer({ broker });
        const sent = await producer.send({ topic: "plain-node", key: "k", value: "from plain node" });
        await producer.close();
        const consumer = new Consumer({ broker, topic: "plain-node", partitions: [0], from: "earliest" });
        for await (const record of consumer) {
          console.log(JSON.stringify({ offset: String(sent.offset), value: new TextDecoder().decode(record.value) }));
          break;
        }
        await consumer.close();
        admin.close();
      `;
      await writeFile(join(project.path, "app.mjs"), app);
      const { stdout } = await run(process.execPath, ["app.mjs", broker.broker.address], { cwd: project.path, timeout: 30_000 });
      expect(JSON.parse(stdout.trim())).toEqual({ offset: "0", value: "from plain node" });
    } finally {
      await project.remove();
    }
    // npm install of the repo copies its tree: 20-50 s on two busy cores.
  }, 180_000);
});
