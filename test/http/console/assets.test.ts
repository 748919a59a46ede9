import { execFileSync } from "node:child_process";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { consoleAssetsDir } from "../../../services/http/console/index.js";
import { tempDir } from "../../helpers/test-broker.js";

const buildScript = fileURLToPath(new URL("../../../services/http/console/build.mjs", import.meta.url));

describe("console assets", () => {
  let remove: (() => Promise<void>) | undefined;
  afterEach(() => remove?.());

  it("are what `npm run build:console` makes of ui/ (rebuild after changing the UI)", async () => {
    const dir = await tempDir();
    remove = dir.remove;
    execFileSync(process.execPath, [buildScript, dir.path]);
    const committed = (await readdir(consoleAssetsDir)).sort();
    expect((await readdir(dir.path)).sort()).toEqual(committed);
    for (const name of committed) {
      expect(await readFile(join(dir.path, name), "utf8"), name).toBe(await readFile(join(consoleAssetsDir, name), "utf8"));
    }
  });
});
