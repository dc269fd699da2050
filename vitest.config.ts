import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// Test files share their worker's modules (isolate: false): a file no longer pays for importing the compiler and
// simulator afresh (about a tenth of the suite's time). The code's module-level state is caches keyed by all they
// depend on, scratch buffers and process-wide ids, none of which changes a result, and a test that patches process
// state (stdout, cwd, exitCode) puts it back. A file that mocks a module with vi.mock needs its own module graph:
// it runs isolated.
const MOCKING = ["test/compiler/pack-overflow.test.ts"];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    pool: "forks",
    // One worker a core. vitest's default for `run` is one fewer (so 1 on a 2-core machine, CI's: the files then ran
    // one after another). Files that write files write under their own mkdtemp directories (browser.test.ts alone
    // writes out/report), so two files at once do not meet.
    maxWorkers: availableParallelism(),
    projects: [
      {
        extends: true,
        test: { name: "shared", include: ["test/**/*.test.ts"], exclude: MOCKING, isolate: false },
      },
      { extends: true, test: { name: "isolated", include: MOCKING, isolate: true } },
    ],
  },
});
