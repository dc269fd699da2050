// The GPU timeline from engine records: blocks merged per SM group and kernel, HBM requests into busy periods,
// collectives on every GPU that takes part, and a valid Chrome trace in nanoseconds.
import { describe, expect, it } from "vitest";
import { toChromeTrace } from "../../../simulator/report/trace/chrome.ts";
import { type GpuRecord, gpuTimeline } from "../../../simulator/report/trace/gpu.ts";
import { validateChromeTrace } from "../../../simulator/report/trace/validate.ts";

function records(): GpuRecord[] {
  const out: GpuRecord[] = [];
  for (const gpu of [0, 1]) {
    out.push({ kind: "launch", gpu, kernel: 0, start: 0, end: 4000 });
    out.push({ kind: "launch", gpu, kernel: 1, start: 4000, end: 8000 });
    out.push({ kind: "kernel", gpu, kernel: 0, name: "gemm_qkv", start: 5000, end: 9000, blocks: 66 });
    for (let slot = 0; slot < 66; slot++)
      out.push({ kind: "block", gpu, kernel: 0, slot, start: 5000 + slot, end: 8000 + slot * 10 });
    out.push({ kind: "hbm", gpu, channel: 0, start: 5000, end: 5100, bytes: 64 });
    out.push({ kind: "hbm", gpu, channel: 3, start: 5050, end: 5200, bytes: 64 }); // overlaps: one busy period
    out.push({ kind: "hbm", gpu, channel: 1, start: 5200, end: 5300, bytes: 64 }); // touches: the same period
    out.push({ kind: "hbm", gpu, channel: 2, start: 6000, end: 6100, bytes: 64 }); // a gap: a second period
    out.push({ kind: "hbm", gpu, channel: 9, start: 6000, end: 6100, bytes: 64 }); // the next channel group
  }
  out.push({
    kind: "collective",
    gpus: [0, 1],
    kernel: 1,
    name: "all_reduce",
    start: 9500,
    end: 12000,
    bytes: 2048,
  });
  return out;
}

describe("GPU timeline", () => {
  const t = gpuTimeline(records(), { gpuName: "h100-sxm", gpus: 2, kernelNames: ["gemm_qkv", "all_reduce"] });
  const threads = (gpu: number) => t.processes.find((p) => p.id === gpu)!.threads;
  const thread = (gpu: number, key: string) => threads(gpu).find((x) => x.key === key)!;

  it("one process per GPU, with host, kernels, SM groups, HBM channel groups and NVLink threads", () => {
    expect(t.processes.map((p) => p.name)).toEqual(["GPU 0 (h100-sxm)", "GPU 1 (h100-sxm)"]);
    expect(
      threads(0)
        .map((x) => x.name)
        .sort(),
    ).toEqual(["HBM ch 0-7", "HBM ch 8-15", "Host", "Kernels", "NVLink", "SMs 0-32", "SMs 33-65"].sort());
  });

  it("a kernel's blocks become one interval per SM group, from the first block's start to the last one's end", () => {
    expect(thread(0, "sm0").intervals.map((i) => [i.name, i.start, i.duration, i.args?.blocks])).toEqual([
      ["gemm_qkv", 5000, 3320, 33],
    ]);
    expect(thread(0, "sm33").intervals.map((i) => [i.start, i.start + i.duration])).toEqual([[5033, 8650]]);
  });

  it("HBM requests that overlap or touch merge into one busy period with their bytes", () => {
    expect(thread(0, "hbm0").intervals.map((i) => [i.start, i.duration, i.args?.bytes])).toEqual([
      [5000, 300, 192],
      [6000, 100, 64],
    ]);
  });

  it("a collective shows on every GPU in it, and the NVLink counter splits its bytes among them", () => {
    expect(thread(1, "nvlink").intervals.map((i) => [i.name, i.start, i.duration])).toEqual([
      ["all_reduce", 9500, 2500],
    ]);
    const link = t.processes[1]!.counters.find((c) => c.name === "NVLink bytes")!;
    expect(link.samples.at(-1)).toEqual({ time: 12000, values: [1024] });
    const hbm = t.processes[0]!.counters.find((c) => c.name === "HBM bytes")!;
    expect(hbm.samples.at(-1)!.values).toEqual([320]);
  });

  it("its Chrome trace is valid, in microseconds (1000 ns = 1 us)", () => {
    const trace = toChromeTrace(t);
    expect(validateChromeTrace(trace)).toEqual([]);
    const kernel = trace.traceEvents.find((e) => e.name === "gemm_qkv" && e.ph === "X")!;
    expect([kernel.ts, kernel.dur]).toEqual([5, 4]);
  });
});
