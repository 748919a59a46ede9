#!/usr/bin/env -S node --initial-old-space-size=64
// The `tributary` command. The broker is TypeScript run by tsx's loader
// (esbuild, compiled on first load and cached), so a clone needs no build step.
// The V8 flag on the first line (also in package.json's start and serve scripts,
// which a test keeps equal) is the broker's GC setting, see docs/configuration.md
// "Node.js runtime flags": V8 cannot take it from NODE_OPTIONS or at run time.
import { register } from "tsx/esm/api";

register();
await import("./main.ts");
