import { defineConfig } from "vitest/config";

export default defineConfig({
  // Import "tributary" as its TypeScript source (package.json's "source" condition), not dist/.
  resolve: { conditions: ["source"] },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    reporters: ["default"],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/cluster/**"],
          // Brokers are real processes and files; two cores run two files at once.
          maxWorkers: 2,
        },
      },
      {
        // Several broker processes, etcd and lease keep-alives per file: two such files
        // at once on two cores starve keep-alives and fence brokers falsely (CLUSTER.md
        // section 6). One worker, after every other file (a higher groupOrder runs later,
        // alone), and the brokers run from dist/, compiled once by the global setup.
        extends: true,
        test: {
          name: "cluster",
          include: ["test/cluster/**/*.test.ts"],
          maxWorkers: 1,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          globalSetup: ["test/cluster/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
