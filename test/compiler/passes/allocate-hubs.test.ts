// Hub reservations (allocate-hubs.ts): a tile that many tasks access, each with tiles of its own, gets a slice group
// reserved before anything is placed, so its partners placed earlier leave it one. Used only after a plain
// allocation failed on slices held by the same task's tiles; a task whose own tiles need more groups than the chip
// has still fails so (LPU5005).
import { describe, expect, it } from "vitest";
import type { ElemType } from "../../../arch/isa.ts";
import { TSP_V1 } from "../../../arch/presets.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { allocate, roundInput } from "../../../compiler/passes/allocate.ts";
import { hubReservations } from "../../../compiler/passes/allocate-hubs.ts";
import { allocateRound } from "../../../compiler/passes/allocate-round.ts";
import type { Step, Task, TaskGraph, TiledTensor, VecRef } from "../../../compiler/passes/task-ir.ts";
import { compileAndRunText } from "../../e2e/helpers.ts";
import { expectExactRun } from "../../support/exact.ts";
import { oneTileTensor } from "../helpers/tiled.ts";

const ref = (tensor: string): VecRef => ({ tensor, tile: 0, row: 0, n: 1, stride: 1 });
const read = (tensor: string, type: ElemType = "fp32"): Step => ({ kind: "read", ref: ref(tensor), type });
const write = (tensor: string, src: number): Step => ({ kind: "write", ref: ref(tensor), type: "fp32", src });
const task = (id: string, steps: Step[], after: string[] = []): Task => ({
  id,
  chip: 0,
  op: id,
  steps,
  after,
});
const graph = (name: string, tasks: Task[], tensors: TiledTensor[]): TaskGraph => ({
  name,
  chips: 1,
  batch: 1,
  tokensPerPass: 1,
  tasks,
  tensors: [...tensors].sort((a, b) => (a.id < b.id ? -1 : 1)),
  outputs: [],
});

/** `h` (written from x) read by `n` tasks, task i with its own param `a{i}` and output `o{i}`: the shape of a
 * layernorm's broadcast rsqrt copy and the column tiles of g it multiplies. */
function hubGraph(n: number): TaskGraph {
  const tensors = [oneTileTensor("x", "fp32", 1, "input"), oneTileTensor("h", "fp32", 1, "temp")];
  const tasks = [task("mk", [read("x"), write("h", 0)])];
  for (let i = 0; i < n; i++) {
    tensors.push(oneTileTensor(`a${i}`, "fp32", 1, "param"), oneTileTensor(`o${i}`, "fp32", 1, "temp"));
    tasks.push(task(`use${i}`, [read("h"), read(`a${i}`), write(`o${i}`, 1)], ["mk"]));
  }
  return graph("hub", tasks, tensors);
}

/** Per task, whether the blocks of the tiles it accesses sit on pairwise distinct slices. */
function tasksOnDistinctSlices(g: TaskGraph): boolean {
  const slicesOf = new Map<string, number[]>();
  for (const p of g.placements!)
    for (const b of p.blocks)
      slicesOf.set(`${p.tensor}/${b.tile}`, [...(slicesOf.get(`${p.tensor}/${b.tile}`) ?? []), ...b.slices]);
  return g.tasks.every((t) => {
    const tiles = new Set<string>();
    for (const s of t.steps)
      if (s.kind === "read" || s.kind === "write") tiles.add(`${s.ref.tensor}/${s.ref.tile}`);
    const all = [...tiles].flatMap((k) => slicesOf.get(k) ?? []);
    return new Set(all).size === all.length;
  });
}

describe("allocate: a tile many tasks access gets a slice group reserved", () => {
  it("a tile read by 24 tasks, each with its own fp32 param tile, is a hub (at least 22 partners, the fp32 groups); with fewer partners none is", () => {
    const facts = (n: number) => roundInput(hubGraph(n), TSP_V1, "hub.model", false);
    const hub = facts(24);
    const reserved = hubReservations(hub.facts, hub.slices)!;
    const h = hub.facts.tileBase[hub.facts.tensors.findIndex((t) => t.id === "h")]!;
    const words = hub.slices.maskWords;
    const slices = [...reserved.slice(h * words, (h + 1) * words)].reduce((n, w) => n + popcount(w), 0);
    expect(slices).toBe(4); // one fp32 group
    const small = facts(5);
    expect(hubReservations(small.facts, small.slices)).toBeUndefined();
  });

  it("the params, placed first round-robin, would cover all 22 groups; with h's group reserved they leave it, and every task's tiles sit on distinct slices", () => {
    const input = roundInput(hubGraph(24), TSP_V1, "hub.model", false);
    const policy = { narrow: () => false, stopWhenFull: false, reuseFirst: () => false, byTurn: () => true };
    const plain = allocateRound(input, policy);
    expect([plain.fullChips, plain.clashed]).toEqual([[0], true]);
    const reserved = hubReservations(input.facts, input.slices)!;
    expect(allocateRound({ ...input, reserved }, policy).fullChips).toEqual([]);
    // allocate itself falls back to the reservation.
    const r = allocate(hubGraph(24), TSP_V1, "hub.model");
    expect(r.diagnostics).toEqual([]);
    expect(tasksOnDistinctSlices(r.graph)).toBe(true);
  });

  it("an fp32 layernorm of [1, 9600] (30 tiles: LPU5005 before, with 97% of the chip free) compiles on one chip and runs with no hazard, in the predicted cycles, with the interpreter's values (within the fp32 tolerance)", () => {
    const text = `model wide_norm
input x: fp32[1, 9600]
param g: fp32[9600]
param b: fp32[9600]
output y = layernorm(x, g, b)
`;
    expectExactRun(compileAndRunText(text));
  }, 60_000);

  it("so do 12,800 and 16,000 lanes (they failed so too)", () => {
    for (const d of [12800, 16000]) {
      const text = `model wide_norm\ninput x: fp32[1, ${d}]\nparam g: fp32[${d}]\nparam b: fp32[${d}]\noutput y = layernorm(x, g, b)\n`;
      const r = compile(loadModel(text, "x.model").graph!, TSP_V1, { chips: 1, file: "x.model" });
      expect(r.diagnostics).toEqual([]);
      expect(tasksOnDistinctSlices(r.tasks!)).toBe(true);
    }
  }, 60_000);
});

function popcount(w: number): number {
  let n = 0;
  for (let x = w >>> 0; x !== 0; x &= x - 1) n++;
  return n;
}
