// Deskews on a program whose transfers are separated by quiet stretches: tiny-gpt, 12 layers, pipelined over 2
// chips, sends its activations only after about 15,440 cycles (six and a half deskew periods) of compute on chip 0. (It was
// 3, then 6 layers until faster schedules brought their first send before four periods, the premise of these
// tests, and at 6 layers after the fused pointwise ops to five periods, where no drift seed broke the old rule;
// then 9 layers until a softmax's sum in one product brought it to 12,700 cycles, where seed 6 did not either;
// then 11 until a layernorm's variance in one pass, where seed 6 did not either.)
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Placed, Program } from "../../../arch/isa.ts";
import { TSP_V1 } from "../../../arch/presets.ts";
import { runModel } from "../../../cli/run-model.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { initialSources } from "../../../compiler/reference/init.ts";
import { deskewPeriodOf } from "../../../compiler/schedule/deskew.ts";

const PATH = "programs/tiny-gpt.model";

function build() {
  const graph = loadModel(readFileSync(PATH, "utf8"), PATH, { layers: "12" }).graph!;
  const r = compile(graph, TSP_V1, {
    file: PATH,
    chips: 2,
    partition: "pipeline",
    sources: initialSources(graph, 0),
  });
  return { graph, r };
}

/** The program with each repeated deskew written as its separate deskews (what it means, docs/isa.md). */
const expandDeskews = (p: Program): Program => ({
  ...p,
  chips: p.chips.map((c) => ({
    ...c,
    queues: c.queues.map((q) => ({
      ...q,
      instructions: q.instructions.flatMap((pl): Placed[] =>
        pl.inst.op === "deskew"
          ? Array.from({ length: pl.inst.n ?? 1 }, (_, k) => ({
              ...pl,
              inst: { op: "deskew" },
              cycle: pl.cycle! + k * (pl.inst.op === "deskew" ? (pl.inst.period ?? 1) : 0),
            }))
          : [pl],
      ),
    })),
  })),
});

const deskewCycles = (p: Program, chip: number) =>
  expandDeskews(p).chips[chip]!.queues.flatMap((q) =>
    q.instructions.filter((i) => i.inst.op === "deskew").map((i) => i.cycle!),
  );

describe("deskews across quiet windows", () => {
  const { graph, r } = build();
  const period = deskewPeriodOf(TSP_V1);

  it("each chip that talks has one deskew instruction, repeated every period from cycle 0", () => {
    for (const chip of [0, 1]) {
      const ds = r.program!.chips[chip]!.queues.flatMap((q) =>
        q.instructions.filter((i) => i.inst.op === "deskew"),
      );
      expect(ds.map((d) => [d.cycle, d.inst.op === "deskew" && d.inst.period])).toEqual([[0, period]]);
    }
  });

  it("every chip that talks deskews at every period up to its last transfer, quiet windows included", () => {
    const firstSend = Math.min(
      ...r.program!.chips.flatMap((c) =>
        c.queues.flatMap((q) => q.instructions.filter((i) => i.inst.op === "send").map((i) => i.cycle!)),
      ),
    );
    // The rule matters only when the first transfer comes several periods after the deskew at cycle 0.
    expect(firstSend).toBeGreaterThan(4 * period);
    for (const chip of [0, 1]) {
      const cycles = deskewCycles(r.program!, chip).sort((a, b) => a - b);
      expect(cycles).toEqual(cycles.map((_, k) => k * period));
      expect(cycles[cycles.length - 1]!).toBeGreaterThan(firstSend - period);
    }
  });

  it("a deskew lands every chip on the same epoch boundary only while the drift since the previous one is under a cycle: cycle-exact, no hazard, the interpreter's values, for drift seeds that broke the windows-with-traffic rule", () => {
    for (const clockSeed of [1, 6, 7]) {
      // Values once (seed 6); the other seeds check timing only, which is what a misaligned clock breaks.
      const functional = clockSeed === 6;
      const run = runModel(graph, r.program!, r.report!, TSP_V1, { functional, seed: 0, clockSeed });
      expect(run.hazards).toEqual([]);
      expect(run.cycles).toBe(r.report!.cycles);
      if (functional) expect(run.outputsMatch).toBe(true);
    }
  });

  it("keeping only the deskews of windows with a word leaving (the old rule) meets recv-empty for seed 6", () => {
    const sends = r.program!.chips.flatMap((c) =>
      c.queues.flatMap((q) => q.instructions.filter((i) => i.inst.op === "send").map((i) => i.cycle!)),
    );
    const talk = new Set(sends.map((c) => Math.floor(c / period)));
    const all = expandDeskews(r.program!);
    const old: Program = {
      ...all,
      chips: all.chips.map((c) => ({
        ...c,
        queues: c.queues.map((q) => ({
          ...q,
          instructions: q.instructions.filter(
            (i) => i.inst.op !== "deskew" || i.cycle === 0 || talk.has(i.cycle! / period),
          ),
        })),
      })),
    };
    expect(deskewCycles(old, 0).length).toBeLessThan(deskewCycles(r.program!, 0).length);
    const run = runModel(graph, old, r.report!, TSP_V1, { functional: false, seed: 0, clockSeed: 6 });
    expect(run.hazards.map((h) => h.name)).toContain("recv-empty");
  });
});
