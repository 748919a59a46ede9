#!/usr/bin/env node
// The `tributary` command. The broker is TypeScript run by tsx's loader
// (esbuild, compiled on first load and cached), so a clone needs no build step.
import { register } from "tsx/esm/api";

register();
await import("./main.ts");
