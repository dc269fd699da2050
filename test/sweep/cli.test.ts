// `lpu sweep` end to end through bin/lpu.js, with the real evaluations: the LPU compiler (plus the simulator's
// cycle check) and the GPU baseline, on the small mlp2 model.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { csvToSheet } from "../../compiler/sweep/csv.ts";

const run = promisify(execFile);
const ROOT = new URL("../../", import.meta.url).pathname;

async function lpu(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ["bin/lpu.js", ...args], { cwd: ROOT, encoding: "utf8" });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

// At hidden=1024, one chip of 10 MiB of SRAM cannot hold mlp2's 2 MB of weights (its slices of 372 words keep
// 1.4 MB usable, partition.ts); 9 GPUs are more than one NVLink node: two failed rows among good ones.
const SWEEP = [
  "sweep",
  "programs/mlp2.model",
  "--set",
  "hidden=1024",
  "--chips",
  "1",
  "--arch-set",
  "sram_mib=10,220",
];
const GPUS = ["--gpus", "1,9", "--runs", "3", "--workers", "2"];

describe("lpu sweep", () => {
  let whole: Awaited<ReturnType<typeof lpu>>;
  let table: Awaited<ReturnType<typeof lpu>>;
  let json: Awaited<ReturnType<typeof lpu>>;
  beforeAll(async () => {
    [whole, table, json] = await Promise.all([
      lpu(...SWEEP, ...GPUS, "--csv"),
      lpu(...SWEEP, ...GPUS),
      lpu(...SWEEP, ...GPUS, "--json"),
    ]);
  }, 60_000);

  it("prints the same rows as a table, CSV and JSON, each byte for byte as its golden", async () => {
    for (const r of [whole, table, json]) expect(r.code, r.stderr).toBe(0);
    await expect(table.stdout).toMatchFileSnapshot("./golden/mlp2-table.txt");
    await expect(whole.stdout).toMatchFileSnapshot("./golden/mlp2.csv");
    await expect(json.stdout).toMatchFileSnapshot("./golden/mlp2.json");
  });

  it("fills latency, tokens/s, chips needed, J/token and $/Mtok on the LPU and the GPU rows alike", () => {
    const sheet = csvToSheet(whole.stdout, "stdout", []);
    const ok = sheet.rows.filter((x) => x.outcome.kind === "ok");
    expect(ok.map((x) => x.target)).toEqual(["lpu", "gpu"]);
    for (const row of ok) {
      if (row.outcome.kind !== "ok") throw new Error("expected an ok row");
      const m = row.outcome.metrics;
      for (const key of ["latency_us", "tokens_per_s", "chips_needed", "joules_per_token", "usd_per_mtok"])
        expect(m[key], `${row.target} ${key}`).toBeGreaterThan(0);
      expect(m.chips_needed).toBeLessThanOrEqual(m.chips_used as number);
    }
  });

  it("evaluates every combination with the real engines, a failure in its own row, the simulator agreeing", () => {
    const r = whole;
    expect(r.code, r.stderr).toBe(0);
    const sheet = csvToSheet(r.stdout, "stdout", []);
    expect(sheet.rows.map((x) => `${x.target} ${x.outcome.kind}`)).toEqual([
      "lpu failed",
      "lpu ok",
      "gpu ok",
      "gpu failed",
    ]);
    const [small, lpuOk, gpuOk, nine] = sheet.rows.map((x) => x.outcome);
    expect(small!.kind === "failed" && small!.reason).toMatch(/^LPU5001: .* needs at least 2 chips/);
    // A failed row still says how many chips (GPUs) would do: the LPU partitioner's 2, the one GPU that holds mlp2.
    expect(small!.kind === "failed" && small!.metrics).toEqual({ chips_needed: 2 });
    expect(nine!.kind === "failed" && nine!.metrics).toEqual({ chips_needed: 1 });
    expect(nine!.kind === "failed" && nine!.reason).toMatch(/--gpus takes 1 to 8/);
    if (lpuOk!.kind !== "ok" || gpuOk!.kind !== "ok") throw new Error("expected ok rows");
    expect(lpuOk.metrics.simulated_cycles).toBe(lpuOk.metrics.cycles);
    expect(lpuOk.metrics.tokens_per_s).toBeGreaterThan(0);
    expect(gpuOk.metrics.joules_per_token).toBeGreaterThan(0);
    expect(gpuOk.metrics.p99_us).toBeGreaterThanOrEqual(gpuOk.metrics.latency_us as number);
  });

  it("merges the CSVs of --shard 1/2 and 2/2 into the unsharded CSV, and names a missing shard", async () => {
    // As two array jobs would: concurrently, one worker each.
    const [one, two] = await Promise.all([
      lpu(...SWEEP, ...GPUS, "--workers", "1", "--csv", "--shard", "1/2"),
      lpu(...SWEEP, ...GPUS, "--workers", "1", "--csv", "--shard", "2/2"),
    ]);
    const dir = mkdtempSync(join(tmpdir(), "lpu-sweep-"));
    writeFileSync(join(dir, "1.csv"), one.stdout);
    writeFileSync(join(dir, "2.csv"), two.stdout);
    const [merged, partial] = await Promise.all([
      lpu("sweep", "--merge", join(dir, "2.csv"), join(dir, "1.csv"), "--csv"),
      lpu("sweep", "--merge", join(dir, "2.csv")),
    ]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toBe(whole.stdout);
    expect(partial.code).toBe(1);
    expect(partial.stderr).toContain("2 of 4 combinations missing: 1, 3");
    expect(partial.stdout).toContain("missing combinations: 1, 3");
  });

  it("stops with exit 1 before any worker starts on a misspelt machine key", async () => {
    const key = await lpu("sweep", "programs/mlp2.model", "--chips", "1", "--arch-set", "sram_mbi=220");
    expect(key.code).toBe(1);
    expect(key.stdout).toBe("");
    expect(key.stderr).toMatch(/sram_mbi.*did you mean 'sram_mib'/);
  });
});
