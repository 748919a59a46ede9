#!/usr/bin/env node
// Builds the console's front end (./ui) into ./assets, which is committed and
// served as is: `npm run build:console` after changing anything under ui/.
// An optional argument names another output directory (the test that checks
// the committed assets are up to date builds into a temp dir).
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const outDir = process.argv[2] ?? here("./assets");

await build({
  entryPoints: [here("./ui/main.ts")],
  outfile: join(outDir, "app.js"),
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  legalComments: "none",
  logLevel: "warning",
});
for (const name of ["index.html", "style.css"]) copyFileSync(here(`./ui/${name}`), join(outDir, name));
