// The GPU engine's recorder and `lpu gpu --trace`: recording changes no result, the records add up to what the run
// counted (kernels, blocks, HBM bytes), and the written Chrome trace is valid with a process per GPU and threads
// Host, Kernels, SM groups, HBM channel groups and NVLink.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { deriveGpu } from "../../../arch/gpu/derive.ts";
import { type GpuCliOptions, gpuSetup } from "../../../cli/commands/gpu.ts";
import { traceGpuRun } from "../../../cli/pipeline/gpu-trace.ts";
import { simulateRunAt } from "../../../simulator/gpu/runs.ts";
import { ENERGY_PRESETS } from "../../../simulator/report/cost/presets.ts";
import type { GpuRecord } from "../../../simulator/report/trace/gpu.ts";
import { validateChromeTrace } from "../../../simulator/report/trace/validate.ts";
import { midPlans } from "./mid-model.ts";

const TINY = "programs/tiny-gpt.model";
const options = (o: Partial<GpuCliOptions> = {}): GpuCliOptions => ({
  gpu: "h100-sxm",
  gpus: 2,
  runs: 4,
  seed: 5,
  concurrency: 1,
  background: 0,
  cudaGraph: false,
  set: { layers: "1" },
  gpuSet: {},
  costSet: {},
  ...o,
});
const dir = mkdtempSync(join(tmpdir(), "lpu-gpu-trace-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the GPU engine's recorder", () => {
  it("a recorded run gives exactly the result of an unrecorded one (host launches, CUDA graph, background, 2 GPUs)", () => {
    const preset = deriveGpu("h100-sxm").preset!;
    for (const extra of [
      { cudaGraph: false, background: 0 },
      { cudaGraph: true, background: 0.3 },
    ]) {
      const runs = {
        preset,
        energy: ENERGY_PRESETS["h100-sxm"]!,
        gpus: 2,
        runs: 3,
        seed: 11,
        concurrency: 1,
        plans: midPlans(preset, 2),
        ...extra,
      };
      for (let i = 0; i < 3; i++) {
        const records: GpuRecord[] = [];
        const traced = simulateRunAt(runs, i, (r) => records.push(r));
        expect(traced).toEqual(simulateRunAt(runs, i));
        expect(records.length).toBeGreaterThan(100);
      }
    }
  });

  it("the records add up: a kernel record per kernel per GPU, every block once, HBM bytes equal the run's count", () => {
    const s = gpuSetup(TINY, options());
    const plan = s.runs.plans(1);
    const records: GpuRecord[] = [];
    const sample = simulateRunAt(s.runs, 1, (r) => records.push(r));
    const of = <K extends GpuRecord["kind"]>(kind: K) =>
      records.filter((r): r is Extract<GpuRecord, { kind: K }> => r.kind === kind);
    for (const gpu of [0, 1]) {
      const kernels = of("kernel").filter((r) => r.gpu === gpu);
      expect(kernels.map((k) => k.kernel)).toEqual(plan.kernels.map((_, i) => i));
      // One stream per GPU: each kernel starts after the previous one ends.
      for (let i = 1; i < kernels.length; i++)
        expect(kernels[i]!.start).toBeGreaterThanOrEqual(kernels[i - 1]!.end);
      expect(of("launch").filter((r) => r.gpu === gpu)).toHaveLength(plan.kernels.length);
      const blocks = of("block").filter((r) => r.gpu === gpu);
      expect(blocks).toHaveLength(plan.kernels.reduce((n, k) => n + k.grid, 0));
      for (const b of blocks) expect(b.slot).toBeLessThan(s.runs.preset.sms);
    }
    const collectives = plan.kernels.filter((k) => k.kind !== 0).length;
    expect(collectives).toBeGreaterThan(0);
    expect(of("collective")).toHaveLength(collectives);
    expect(of("collective").every((c) => c.gpus.join() === "0,1")).toBe(true);
    expect(of("hbm").reduce((n, r) => n + r.bytes, 0)).toBe(sample.result.hbmBytes);
    expect(of("collective").reduce((n, r) => n + r.bytes, 0)).toBe(sample.result.linkBytes);
  });
});

describe("lpu gpu --trace", () => {
  it("writes a valid Chrome trace: a process per GPU with Host, Kernels, SMs, HBM and NVLink threads", () => {
    const out = join(dir, "tiny.trace.json");
    const text = execFileSync(
      "./bin/lpu.js",
      ["gpu", TINY, "--set", "layers=1", "--gpus", "2", "--runs", "4", "--trace", out, "--trace-run", "2"],
      { encoding: "utf8" },
    );
    expect(text).toMatch(/wrote .*tiny\.trace\.json: run 2 \(/);
    const trace = JSON.parse(readFileSync(out, "utf8"));
    expect(validateChromeTrace(trace)).toEqual([]);
    const names = (ev: string, pid: number) =>
      trace.traceEvents
        .filter((e: { name: string; pid: number }) => e.name === ev && e.pid === pid)
        .map((e: { args: { name: string } }) => e.args.name);
    expect([...names("process_name", 0), ...names("process_name", 1)]).toEqual([
      "GPU 0 (h100-sxm)",
      "GPU 1 (h100-sxm)",
    ]);
    for (const pid of [0, 1]) {
      const threads: string[] = names("thread_name", pid);
      expect(threads.slice(0, 3)).toEqual(["Host", "Kernels", "SMs 0-32"]);
      expect(threads.filter((t) => /^HBM ch \d+-\d+$/.test(t)).length).toBeGreaterThan(0);
      expect(threads.at(-1)).toBe("NVLink");
    }
    expect(trace.otherData).toMatchObject({ run: 2, timeUnit: "ns", gpu: "h100-sxm" });
  });

  it("the traced run is the run the table reports, and the trace is byte-identical for the same flags", () => {
    const s = gpuSetup(TINY, options());
    const a = traceGpuRun(s.runs, 3);
    const b = traceGpuRun(gpuSetup(TINY, options()).runs, 3);
    expect(a.sample.ns).toBe(simulateRunAt(s.runs, 3).ns);
    expect(JSON.stringify(a.trace)).toBe(JSON.stringify(b.trace));
  });

  it("--trace-run outside the runs, or without --trace, is a user error (exit 1)", () => {
    const bad = spawnSync(
      "./bin/lpu.js",
      ["gpu", TINY, "--runs", "3", "--trace", join(dir, "x.json"), "--trace-run", "3"],
      {
        encoding: "utf8",
      },
    );
    expect([bad.status, bad.stderr]).toEqual([1, "lpu: --trace-run 3 is not one of the 3 runs (0 to 2)\n"]);
    const alone = spawnSync("./bin/lpu.js", ["gpu", TINY, "--runs", "3", "--trace-run", "1"], {
      encoding: "utf8",
    });
    expect(alone.status).toBe(1);
    expect(alone.stderr).toContain("give --trace FILE too");
  });
});
