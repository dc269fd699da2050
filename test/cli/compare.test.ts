// `lpu compare` end to end on programs/mlp2.model through the real CLI: the JSON contract of issue 5, byte-identical
// output for the same flags, the LPU's runs identical in cycles across clock seeds, and clear errors.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const lpu = (...args: string[]) => execFileSync("./bin/lpu.js", args, { encoding: "utf8" });
const fail = (...args: string[]) => spawnSync("./bin/lpu.js", args, { encoding: "utf8" });
const MODEL = "programs/mlp2.model";
const DIST = ["max", "mean", "min", "p50", "p90", "p99", "p999", "stdev"];

describe("lpu compare", () => {
  it('JSON is {"lpu", "gpu"} with latency_us, tokens_per_s, joules_per_token, usd_per_mtok, runs; byte-identical twice', () => {
    const args = ["compare", MODEL, "--runs", "6", "--seed", "3", "--json"];
    const out = lpu(...args);
    expect(lpu(...args)).toBe(out);
    const doc = JSON.parse(out);
    for (const side of ["lpu", "gpu"]) {
      const s = doc[side];
      expect(Object.keys(s.latency_us).sort()).toEqual(DIST);
      expect(Object.keys(s.tokens_per_s).sort()).toEqual(["per_user", "total"]);
      expect(s.joules_per_token).toBeGreaterThan(0);
      expect(s.usd_per_mtok).toBeGreaterThan(0);
      expect(s.tokens_per_s_per_w_per_usd).toBeGreaterThan(0);
      expect(s.runs).toBe(6);
    }
    expect(doc.lpu.chips).toBe(1);
    expect(doc.gpu.gpus).toBe(1);
    expect(doc.model).toBe(MODEL);
  });

  it("the LPU's K runs (one clock-drift seed each) are identical in cycles, equal to the prediction; the GPU's vary", () => {
    const doc = JSON.parse(lpu("compare", MODEL, "--runs", "12", "--json"));
    expect(doc.lpu.cycles).toEqual({ distinct: [doc.lpu.predicted_cycles], identical: true });
    expect(doc.lpu.latency_us.stdev).toBe(0);
    expect(doc.lpu.latency_us.min).toBe(doc.lpu.latency_us.max);
    expect(doc.gpu.latency_us.stdev).toBeGreaterThan(0);
  });

  it("useful MACs are the model's multiply-adds, the same count as the compile report's flops / 2 (attention included)", () => {
    const doc = JSON.parse(lpu("compare", "programs/attention-head.model", "--runs", "2", "--json"));
    const report = JSON.parse(lpu("compile", "programs/attention-head.model", "--json"));
    expect(doc.lpu.useful_macs_per_run).toBe(report.flops / 2);
    // attention-head has attention's products beside its matmuls: more than its matmuls' MACs alone.
    const graph = JSON.parse(lpu("graph", "programs/attention-head.model", "--json"));
    expect(doc.lpu.useful_macs_per_run).toBeGreaterThan(graph.stats.flopsByOp.matmul / 2);
  });

  it("text: the side-by-side table, the determinism line and both histograms on one axis", () => {
    const out = lpu("compare", MODEL, "--runs", "8");
    expect(out).toMatch(/LPU {2}1 chip\(s\) of tsp-v1 .*: \d+ cycles in every one of 8 runs .*identical/);
    for (const row of [
      "latency p99.9 (us)",
      "p99 / p50",
      "tokens/s per user",
      "joules per token",
      "$ per million tokens",
    ])
      expect(out).toContain(row);
    expect(out).toMatch(/tokens\/s per W per \$\s+\S+\s+\S+\s+\S+x/);
    expect(out).toMatch(/bin start \| LPU 1 x tsp-v1\s+\| GPU 1 x h100-sxm/);
  });

  it("--concurrency C compiles the LPU at batch C: C requests per pass, total = C x per user", () => {
    const doc = JSON.parse(lpu("compare", MODEL, "--runs", "4", "--concurrency", "3", "--json"));
    expect(doc.lpu.batch).toBe(3);
    expect(doc.lpu.tokens_per_s.total).toBeCloseTo(3 * doc.lpu.tokens_per_s.per_user, 6);
    expect(doc.lpu.cycles.identical).toBe(true);
    expect(doc.concurrency).toBe(3);
  });

  it("a model the LPU compiler rejects: its diagnostics, a message saying so, nothing on stdout, exit 1", () => {
    // Today's unlowered ops (programs/tiny-gpt.model) take this path too; a model too big for one chip always will.
    const r = fail("compare", MODEL, "--set", "hidden=200000", "--runs", "2");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error LPU5001");
    expect(r.stderr).toContain("the LPU compiler did not compile 'programs/mlp2.model'");
    expect(r.stdout).toBe("");
  });

  it("an unknown --cost-set key is an LPU7005 error with a hint, exit 1", () => {
    const r = fail("compare", MODEL, "--runs", "2", "--cost-set", "lpu.price_usdd=1");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("LPU7005");
    expect(r.stderr).toContain("did you mean 'price_usd'?");
  });

  it("--report writes one self-contained HTML file (no network, no external script or font); --json stays JSON", () => {
    const dir = mkdtempSync(join(tmpdir(), "lpu-report-"));
    try {
      const file = join(dir, "sub", "r.html");
      const r = fail("compare", MODEL, "--runs", "5", "--json", "--report", file);
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout).lpu.runs).toBe(5);
      expect(r.stderr).toBe(`wrote ${file}\n`);
      const html = readFileSync(file, "utf8");
      expect(html).toMatch(/^<!DOCTYPE html>/);
      // The SVG namespace is a name, not a fetch; nothing else may point outside the file.
      const outside = html.replaceAll("http://www.w3.org/2000/svg", "");
      expect(outside).not.toMatch(/https?:\/\/|<script[^>]+src=|<link[^>]+href=|@import|url\(/);
      for (const part of ['id="comparison"', 'id="histogram"', 'id="gantt"', 'id="breakdown-table"'])
        expect(html).toContain(part);
      // The same flags give the same bytes.
      fail("compare", MODEL, "--runs", "5", "--json", "--report", join(dir, "again.html"));
      expect(readFileSync(join(dir, "again.html"), "utf8")).toBe(html);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a model that does not fit the GPUs' HBM stops with LPU7008 before the LPU side is compiled", () => {
    const r = fail("compare", "programs/llama2-70b.model", "--runs", "1");
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("error LPU7008: the model does not fit in HBM on 1 x h100-sxm");
    expect(r.stderr).toContain("the smallest GPU count that fits: --gpus 2");
    expect(r.stderr).not.toContain("LPU5001");
  });
});
