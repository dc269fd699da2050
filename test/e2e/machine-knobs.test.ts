// End to end on changed machines (--arch-set): whatever a per-op cost is, the simulated cycle count equals the
// compiler's prediction exactly and the schedule has no hazard (issue 4). The MXM's cycles per vector are swept
// widely because a value above L_mxm + 1 makes an abc hold its array after its last result is in, which ends the run.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { deriveMachine } from "../../arch/derive.ts";
import { TSP_V1 } from "../../arch/presets.ts";
import { runModel } from "../../cli/run-model.ts";
import { compile } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend.ts";
import type { PartitionStrategy } from "../../compiler/passes/partition.ts";
import { initialSources } from "../../compiler/reference/init.ts";

const MLP2 = readFileSync("programs/mlp2.model", "utf8");
const ATTENTION = readFileSync("programs/attention-head.model", "utf8");

// 8-bit weights are converted to fp16 on the VXM on their way to the MXM, so the fp16 cost applies to them.
const FP8_CHAIN = `model fp8chain
input x: fp16[2, 320]
param w1: fp8[320, 640]
param w2: fp8[640, 320]
output o = matmul(relu(matmul(x, w1)), w2)
`;

const CHAIN = `model chain
input x: fp16[1, 320]
param w1: fp16[320, 320]
param w2: fp16[320, 320]
param w3: fp16[320, 320]
output y = matmul(relu(matmul(relu(matmul(x, w1)), w2)), w3)
`;

interface Case {
  readonly name: string;
  readonly text: string;
  readonly sets?: Record<string, string>;
  readonly chips?: number;
  readonly partition?: PartitionStrategy;
}

const CASES: readonly Case[] = [
  { name: "mlp2, one vector per abc", text: MLP2 },
  { name: "mlp2 at batch 3, three vectors per abc", text: MLP2, sets: { batch: "3" } },
  { name: "fp8 weights", text: FP8_CHAIN },
  { name: "a 3-layer chain, one layer per chip", text: CHAIN, chips: 3, partition: "pipeline" },
];

function run(c: Case, archSets: Record<string, string>, functional: boolean) {
  const m = deriveMachine(TSP_V1, archSets);
  const graph = loadModel(c.text, "test.model", c.sets ?? {}).graph!;
  const r = compile(graph, m, {
    chips: c.chips ?? 1,
    file: "test.model",
    ...(functional ? { sources: initialSources(graph, 0) } : {}),
    ...(c.partition ? { partition: c.partition } : {}),
  });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  expect(r.report!.chips).toBe(c.chips ?? 1);
  const res = runModel(graph, r.program!, r.report!, m, { functional, seed: 0 });
  expect(res.hazards).toEqual([]);
  return { r, res };
}

describe("predicted cycles equal simulated cycles on a changed machine", () => {
  const values = [1, 2, 7, 64, 3000, 40000];
  for (const c of CASES)
    it(`for any mxm cycles per vector (fp16/bf16: ${values.join(", ")}): ${c.name}`, () => {
      const cycles: number[] = [];
      for (const v of values) {
        const { res } = run(c, { mxm_fp16_cycles: String(v) }, false);
        expect({ v, simulated: res.cycles }).toEqual({ v, simulated: res.predictedCycles });
        cycles.push(res.cycles);
      }
      // The cost is felt: a 40000-cycle vector holds its plane, and the run, far beyond the default's length.
      expect(cycles[values.length - 1]!).toBeGreaterThan(40000);
      // The exact engine, with values, agrees too, and the outputs are the interpreter's.
      const { res } = run(c, { mxm_fp16_cycles: "3000" }, true);
      expect(res.cycles).toBe(res.predictedCycles);
      expect(res.outputsMatch).toBe(true);
    });

  it("mxm int8/fp8 cycles per vector never reach a compiled program: every abc streams fp16 or bf16", () => {
    for (const c of CASES) {
      const base = run(c, {}, false);
      const { r, res } = run(c, { mxm_int8_cycles: "40000" }, false);
      expect(res.cycles).toBe(res.predictedCycles);
      expect(res.cycles).toBe(base.res.cycles);
      const types = new Set(
        r.program!.chips.flatMap((chip) =>
          chip.queues.flatMap((q) =>
            q.instructions.flatMap((i) => (i.inst.op === "abc" ? [i.inst.type] : [])),
          ),
        ),
      );
      expect(types.size).toBeGreaterThan(0);
      for (const t of types) expect(["fp16", "bf16"]).toContain(t);
    }
  });

  // Each unit latency at an extreme, on programs that use it: VXM ops (relu, convert, the attention's exp and
  // recip), the SXM (attention's lane moves), MEM reads and writes, the MXM's result and install latencies, and a
  // link between two chips (its latency, its rate, the epoch the deskews follow).
  const knobs: [string, string][] = [
    ["vxm_latency", "3000"],
    ["vxm_convert_latency", "3000"],
    ["vxm_transcendental_latency", "3000"],
    ["sxm_latency", "3000"],
    ["mem_read_latency", "3000"],
    ["mem_write_latency", "3000"],
    ["mxm_latency", "1"],
    ["mxm_latency", "3000"],
    ["mxm_install_latency", "3000"],
    ["mxm_load_width", "1"],
  ];
  const attention: Case = { name: "attention head", text: ATTENTION };
  for (const [key, value] of knobs)
    it(`at ${key}=${value}: ${attention.name} and fp8 weights`, () => {
      for (const c of [attention, CASES[2]!]) {
        const { res } = run(c, { [key]: value }, false);
        expect(res.cycles).toBe(res.predictedCycles);
      }
    });

  const links: [string, string][] = [
    ["link_latency", "5000"],
    ["link_gbps", "1"],
    ["link_lanes", "1"],
    ["epoch_cycles", "5000"],
    ["drift_ppm", "5000"],
  ];
  for (const [key, value] of links)
    it(`at ${key}=${value}: a chain over three chips`, () => {
      const { res } = run(CASES[3]!, { [key]: value }, false);
      expect(res.cycles).toBe(res.predictedCycles);
    });

  it("at the smallest send buffer, one fp32 vector (4 words): fp16 activations and fp32 partial sums cross links", () => {
    const kSplit: Case = { name: "mlp2, K split", text: MLP2, chips: 2, partition: "k-split" };
    for (const c of [CASES[3]!, kSplit]) {
      const { res } = run(c, { link_buffer_words: "4" }, false);
      expect(res.cycles).toBe(res.predictedCycles);
    }
    // Smaller, a send of one fp32 vector could never be taken (the link-bandwidth hazard): the key refuses it.
    expect(() => deriveMachine(TSP_V1, { link_buffer_words: "3" })).toThrow(/at least 4/);
  });
});
