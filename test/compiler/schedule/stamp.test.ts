// Stamping a repeated block (compiler/schedule/stamp.ts): `--partition layers` on a model with 3 or more instances
// schedules instance 0 (its output read by the ops after the repeat) and copies it for the others. The stamped program must be a program
// like any other: the simulator runs every instruction of every instance with no hazard in exactly the predicted
// cycles, each instance computes with its own seeded weights (the interpreter's values), deskews cover every
// transfer, and compiling twice gives the same bytes.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { printAsm } from "../../../arch/asm/print.ts";
import { expandCopies, instructionCount } from "../../../arch/copies.ts";
import { TSP_V1 } from "../../../arch/presets.ts";
import { runModel } from "../../../cli/run-model.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import { findRepeat } from "../../../compiler/passes/layers.ts";
import { reduceRepeat } from "../../../compiler/passes/reduce-repeat.ts";
import { initialSources } from "../../../compiler/reference/init.ts";
import { deskewPeriodOf } from "../../../compiler/schedule/deskew.ts";
import { linkLeaves } from "../../../compiler/schedule/timing.ts";
import { expectExact } from "../../support/exact.ts";
import { chainModel } from "../helpers/chain-model.ts";

const TINY = "programs/tiny-gpt.model";

function build(layers: number, data: boolean) {
  const graph = loadModel(readFileSync(TINY, "utf8"), TINY, { layers: String(layers) }).graph!;
  const sources = data ? initialSources(graph, 0) : undefined;
  const r = compile(graph, TSP_V1, { chips: 64, file: TINY, partition: "layers", sources });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return { graph, r, sources };
}

describe("stamping a repeated block", () => {
  const four = build(4, true);
  const three = build(3, false).r.report!;

  it("a stamped program runs every instance with no hazard in exactly the predicted cycles, with the interpreter's values", () => {
    const { graph, r } = four;
    // 8 chips for the embedding, 4 instances of a whole node each, the lm head on up to a node after them.
    expect(r.report!.chips).toBeGreaterThan(8 + 4 * 8);
    expect(r.report!.chips).toBeLessThanOrEqual(8 + 4 * 8 + 8);
    expectExact(graph, r, TSP_V1);
  });

  it("a unit whose input and output cross the link as several tiles receives each tile in its own place (the sends keep one order), with the interpreter's values", () => {
    // d = 640: two tiles of the residual cross into each unit. Left to the scheduler, unit 0 sent its output's tiles
    // in the order it made them, not the order it received its input in, and every copy swapped them (right cycles,
    // wrong values).
    const graph = loadModel(readFileSync(TINY, "utf8"), TINY, { layers: "3", d: "640" }).graph!;
    const sources = initialSources(graph, 0);
    const r = compile(graph, TSP_V1, { chips: 64, file: TINY, partition: "layers", sources });
    expect(r.diagnostics.map((d) => d.code)).toEqual(["LPU5006"]);
    expectExact(graph, r, TSP_V1);
  });

  it("the passes see instance 0 only; instance k's chips, the last's too, copy instance 0's with its own names and data", () => {
    const { r } = four;
    // The reduced schedule's tasks name instance 0 only.
    const instances = new Set(r.tasks!.tasks.flatMap((t) => /^layer\.(\d+)\./.exec(t.op)?.[1] ?? []));
    expect([...instances].sort()).toEqual(["0"]);
    const p = r.program!;
    for (const k of [1, 2, 3]) {
      const chip = 8 + k * 8;
      const template = p.chips[8]!;
      const copy = p.chips[chip]!;
      // Written compact: the copy names its original and lists only its own deskew queue (on its own phase, where
      // it deskews at 0 and from its phase on: one instruction more than its template).
      expect(copy.copyOf).toEqual({ chip: 8, shift: k * (r.report!.cycles - three.cycles) });
      const deskews = (c: typeof copy) =>
        c.queues.flatMap((q) => q.instructions).filter((x) => x.inst.op === "deskew");
      expect(instructionCount(p, copy) - deskews(copy).length).toBe(
        instructionCount(p, template) - deskews(template).length,
      );
      const labels = copy.data.map((d) => d.label ?? "");
      expect(labels.some((l) => l.startsWith(`layer.${k}.`))).toBe(true);
      expect(labels.some((l) => /^layer\.0\./.test(l))).toBe(false);
      // Seeded weights differ from instance to instance: the copy loads its own.
      const own = copy.data.find((d) => d.label?.startsWith(`layer.${k}.`))!;
      const theirs = template.data.find((d) => d.label === own.label!.replace(`layer.${k}.`, "layer.0."))!;
      expect(Buffer.from(own.bytes).equals(Buffer.from(theirs.bytes))).toBe(false);
    }
  });

  it("every chip that talks deskews at 0, then at most a period apart on whole epochs, up to the last window a word leaves in", () => {
    const p = expandCopies(four.r.program!);
    const period = deskewPeriodOf(TSP_V1);
    let last = 0;
    for (const c of p.chips)
      for (const q of c.queues)
        for (const x of q.instructions)
          if (x.inst.op === "send") {
            const words = x.inst.n * (x.inst.type === "fp32" ? 4 : x.inst.type === "fp16" ? 2 : 1);
            last = Math.max(last, x.cycle! + linkLeaves(TSP_V1, words - 1));
          }
    // Chips with a send or recv: chips of every instance's node (1 to 4) and more.
    const talking = p.chips.filter((c) =>
      c.queues.some((q) => q.instructions.some((x) => x.inst.op === "send" || x.inst.op === "recv")),
    );
    const nodes = new Set(talking.map((c) => Math.floor(c.chip / 8)));
    for (const n of [1, 2, 3, 4]) expect(nodes.has(n), `node ${n}`).toBe(true);
    expect(talking.length).toBeGreaterThan(8);
    for (const c of p.chips) {
      const cycles = c.queues
        .flatMap((q) => q.instructions)
        .flatMap(({ inst, cycle }) =>
          inst.op === "deskew"
            ? Array.from({ length: inst.n ?? 1 }, (_, i) => cycle! + i * (inst.period ?? 0))
            : [],
        );
      if (!talking.includes(c)) {
        expect(cycles).toEqual([]);
        continue;
      }
      expect(cycles[0]).toBe(0);
      for (let i = 1; i < cycles.length; i++) {
        const gap = cycles[i]! - cycles[i - 1]!;
        expect(gap % TSP_V1.c2c.epochCycles).toBe(0);
        expect(gap).toBeGreaterThan(0);
        expect(gap).toBeLessThanOrEqual(period);
      }
      // The last covers the last word, and none comes after it (a deskew after the last event would lengthen the run).
      expect(cycles[cycles.length - 1]!).toBeGreaterThan(last - period);
      expect(cycles[cycles.length - 1]!).toBeLessThanOrEqual(last);
    }
  });

  it("compiling the same model twice gives byte-identical assembly", () => {
    const again = build(4, true);
    expect(printAsm(again.r.program!)).toBe(printAsm(four.r.program!));
  });

  it("the cycles grow by one shift per added instance, a multiple of the epoch", () => {
    const five = build(5, false).r.report!;
    const delta = five.cycles - four.r.report!.cycles;
    expect(delta).toBeGreaterThan(0);
    expect(delta % TSP_V1.c2c.epochCycles).toBe(0);
    expect(five.instructions).toBeGreaterThan(four.r.report!.instructions);
    // The report's stamp: that shift, and the unit's span it rounds up (stamp.ts `stampStep`).
    const { span, delta: shift } = five.stamp!;
    expect(shift).toBe(delta);
    // The step is the span rounded up to the epoch, searched at most up to the next whole deskew period.
    expect(span).toBeGreaterThan(shift - deskewPeriodOf(TSP_V1));
    expect(span).toBeLessThanOrEqual(shift);
  });

  it("instances that do not fit a node each go in units of several on whole nodes, stamped per unit, exact", () => {
    // 8 layers on 48 chips: a node per layer does not fit, a node per two layers does (4 units).
    const graph = loadModel(readFileSync(TINY, "utf8"), TINY, { layers: "8" }).graph!;
    const r = compile(graph, TSP_V1, { chips: 48, file: TINY, partition: "layers" });
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(r.report!.chips).toBeLessThanOrEqual(48);
    const instances = new Set(r.tasks!.tasks.flatMap((t) => /^layer\.(\d+)\./.exec(t.op)?.[1] ?? []));
    // One unit of two layers scheduled.
    expect([...instances].sort()).toEqual(["0", "1"]);
    const run = runModel(graph, r.program!, r.report!, TSP_V1, { functional: false, seed: 0 });
    expect(run.hazards).toEqual([]);
    expect(run.cycles).toBe(r.report!.cycles);
  });

  it("a chain of small layers is stamped when an op feeds it, and compiled whole when a model input does (no link into unit 0 to copy)", () => {
    const text = (arg: string) => chainModel(5, 64, arg);
    for (const [arg, stamped] of [
      ["relu(x)", true],
      ["x", false],
    ] as const) {
      const graph = loadModel(text(arg), "chain.model").graph!;
      const r = compile(graph, TSP_V1, {
        chips: 64,
        file: "chain.model",
        partition: "layers",
        sources: initialSources(graph, 0),
      });
      expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      // A stamped compile schedules one of the five layers.
      const scheduled = new Set(r.tasks!.tasks.flatMap((t) => /^layer\.(\d+)\./.exec(t.op)?.[1] ?? []));
      expect(scheduled.size).toBe(stamped ? 1 : 5);
      expectExact(graph, r, TSP_V1);
    }
  });

  it("when the last unit's output is a model output (unit 0's in a one-unit reduction), unit 0 and the last are scheduled and the rest stamped, exact, with the interpreter's values", () => {
    const graph = loadModel(`${chainModel(5, 64)}output hidden = h\n`, "chain.model").graph!;
    const r = compile(graph, TSP_V1, {
      chips: 64,
      file: "chain.model",
      partition: "layers",
      sources: initialSources(graph, 0),
    });
    // The one-unit attempt's LPU5010 is not reported: the two-unit reduction stamps.
    expect(r.diagnostics.map((d) => d.code)).toEqual(["LPU5006"]);
    const scheduled = new Set(r.tasks!.tasks.flatMap((t) => /^layer\.(\d+)\./.exec(t.op)?.[1] ?? []));
    expect([...scheduled].sort()).toEqual(["0", "1"]);
    expect(r.program!.chips.some((c) => c.copyOf)).toBe(true);
    expectExact(graph, r, TSP_V1);
  });

  it("units whose instance numbers sort differently as text (9, 10, 11) still reduce: the units are compared by renamed id", () => {
    // 15 layers in units of 3: unit 3 is layers 9 .. 11, whose tensors sort as layer.10, layer.11, layer.9.
    const g = loadModel(readFileSync(TINY, "utf8"), TINY, { layers: "15" }).graph!;
    const k = decompose(g, TINY, { gatherRows: 512 }).kernel;
    const r = reduceRepeat(k, 3);
    expect(r).toBeDefined();
    const instances = new Set(r!.kernel.ops.flatMap((op) => /^layer\.(\d+)\./.exec(op.out)?.[1] ?? []));
    expect([...instances].sort()).toEqual(["0", "1", "2", "3", "4", "5"]);
  });

  it("a repeat is found only when its instances are contiguous and chained; 2 instances are compiled whole", () => {
    const two = loadModel(readFileSync(TINY, "utf8"), TINY, { layers: "2" }).graph!;
    const k = decompose(two, TINY, { gatherRows: 512 }).kernel;
    expect(findRepeat(k.ops)?.count).toBe(2);
    expect(reduceRepeat(k)).toBeUndefined();
    const mlp = loadModel(readFileSync("programs/mlp2.model", "utf8"), "mlp2").graph!;
    expect(findRepeat(decompose(mlp, "mlp2", { gatherRows: 512 }).kernel.ops)).toBeUndefined();
    const r = compile(mlp, TSP_V1, { chips: 8, file: "mlp2", partition: "layers" });
    expect(r.diagnostics.map((d) => d.code)).toContain("LPU5009");
  });
});
