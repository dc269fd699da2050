// `lpu gpu` at a model batch above 1 (one request stream, concurrency 1): each pass serves `batch` users, so the
// summary's per-user tokens/s is the total divided by the batch, and the mean batch is the model's.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = new URL("../../", import.meta.url).pathname;

describe("lpu gpu at batch > 1", () => {
  it("per-user tokens/s = total / batch, and the mean batch is the model's batch", async () => {
    const args = [
      "bin/lpu.js",
      "gpu",
      "programs/tiny-gpt.model",
      "--set",
      "batch=4",
      "--runs",
      "2",
      "--json",
    ];
    const r = await run(process.execPath, args, { cwd: ROOT, encoding: "utf8" });
    const s = JSON.parse(r.stdout) as {
      batch_mean: number;
      tokens_per_s: { per_user: number; total: number };
    };
    expect(s.batch_mean).toBe(4);
    // Per user from the mean latency, total from tokens over summed time: equal up to rounding for one batch size.
    expect(s.tokens_per_s.per_user * 4).toBeCloseTo(s.tokens_per_s.total, 6);
  });
});
