import { defineConfig } from "vitest/config";

export default defineConfig({
  // Import "tributary" as its TypeScript source (package.json's "source" condition), not dist/.
  resolve: { conditions: ["source"] },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Brokers are real processes and files; two cores run two files at once.
    pool: "forks",
    maxWorkers: 2,
    reporters: ["default"],
  },
});
