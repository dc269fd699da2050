// The allocator's layout of weight-loading groups (allocate-wide.ts) and its reuse order on a chip that reuses first
// (allocate-round.ts): a group's wide blocks in one chunk, groups in their expected start order taking chunks in
// turn, the nearest chunks to the planes first, only for blocks one group loads and where chunks are few; and a
// block free of cost before the oldest one.
import { describe, expect, it } from "vitest";
import type { ElemType } from "../../../arch/isa.ts";
import { TSP_V1 } from "../../../arch/presets.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { roundInput } from "../../../compiler/passes/allocate.ts";
import { taskEstimates } from "../../../compiler/passes/allocate-estimate.ts";
import { allocationFacts } from "../../../compiler/passes/allocate-facts.ts";
import { SliceTables } from "../../../compiler/passes/allocate-groups.ts";
import { allocateRound } from "../../../compiler/passes/allocate-round.ts";
import { ChunkTables, loadTurns } from "../../../compiler/passes/allocate-wide.ts";
import type { Step, Task, TaskGraph, TiledTensor } from "../../../compiler/passes/task-ir.ts";
import { blockOf } from "../../../compiler/passes/task-ir.ts";
import { uncachedDependencies } from "../../../compiler/schedule/dependencies.ts";
import { oneTileTensor } from "../helpers/tiled.ts";

/** Four output tiles of three K tiles each: four MXM groups of three weight loads, on one chip. */
const fourGroups = (type: string) => `model four_groups
input x: fp16[1, 960]
param w: ${type}[960, 1280]
output y = matmul(x, w)
`;

/** The four groups of `fourGroups("fp16")`, then an 8-bit product on the same chip. */
const MIXED = `model mixed
input x: fp16[1, 960]
param w: fp16[960, 1280]
param v: fp8[1280, 640]
output y = matmul(matmul(x, w), v)
`;

/** Per MXM group of `w` in a one-chip compile, the slices (as text) of each wide block its weight loads read. */
function groupChunks(type: string, text = fourGroups(type)): Map<string, Set<string>> {
  const graph = loadModel(text, "four.model").graph!;
  const r = compile(graph, TSP_V1, { chips: 1, file: "four.model" });
  const placements = new Map(r.tasks!.placements!.map((p) => [p.tensor, p]));
  const chunkOf = new Map<string, Set<string>>();
  for (const t of r.tasks!.tasks) {
    const lw = t.steps.findIndex((s) => s.kind === "lw");
    let src = t.steps[lw - 1];
    if (src?.kind === "convert") src = t.steps[src.src];
    if (lw < 0 || src?.kind !== "read" || !t.mxmGroup || !src.ref.tensor.startsWith("w")) continue;
    const b = blockOf(placements.get(src.ref.tensor)!, src.ref.tile, src.ref.row);
    expect(b.width ?? 1).toBeGreaterThan(1);
    const set = chunkOf.get(t.mxmGroup) ?? new Set();
    set.add(b.slices.join(","));
    chunkOf.set(t.mxmGroup, set);
  }
  expect(chunkOf.size).toBe(4);
  return chunkOf;
}

const read = (tensor: string, n: number, type: ElemType = "fp16"): Step => ({
  kind: "read",
  ref: { tensor, tile: 0, row: 0, n, stride: 1 },
  type,
});
const write = (tensor: string, n: number): Step => ({
  kind: "write",
  ref: { tensor, tile: 0, row: 0, n, stride: 1 },
  type: "fp16",
  src: 0,
});
const task = (id: string, steps: Step[], after: string[] = [], mxmGroup?: string): Task => ({
  id,
  chip: 0,
  op: id,
  steps,
  after,
  ...(mxmGroup ? { mxmGroup } : {}),
});
/** A group's weight loads (one tile of each of `weights`, default `w<name>`), then one product of a row of `input`. */
const group = (name: string, input: string, after: string[] = [], weights = [`w${name}`]): Task[] =>
  weights.flatMap((w, k) => [
    task(`${name}.k${k}.lw`, [read(w, 320), { kind: "lw", type: "fp16", src: 0, n: 320, row0: 0 }], [], name),
    task(
      `${name}.k${k}.abc`,
      [read(input, 1), { kind: "abc", type: "fp16", src: 0, n: 1, row0: 0, accumulate: false }],
      [`${name}.k${k}.lw`, ...(k > 0 ? [`${name}.k${k - 1}.abc`] : after)],
      name,
    ),
  ]);

describe("allocate: weight-loading groups take chunks in turn", () => {
  it("a group's wide blocks share one chunk, and groups that load at once are on different chunks", () => {
    const chunkOf = groupChunks("fp16");
    for (const chunks of chunkOf.values()) expect(chunks.size).toBe(1);
    const distinct = new Set([...chunkOf.values()].map((s) => [...s][0]));
    expect(distinct.size).toBe(4);
  });

  it("8-bit weights take no turns: their 28 chunks are many for 4 planes, and a group's loads go round them", () => {
    const chunkOf = groupChunks("fp8");
    expect([...chunkOf.values()].some((chunks) => chunks.size > 1)).toBe(true);
  });

  it("a chip with 8-bit and 16-bit wide weights takes no turns: their chunks overlap", () => {
    const chunkOf = groupChunks("fp16", MIXED);
    expect([...chunkOf.values()].some((chunks) => chunks.size > 1)).toBe(true);
  });

  it("a block two groups load belongs to neither (-2); a group counts only the blocks it loads alone", () => {
    const wide = (id: string): TiledTensor => ({
      ...oneTileTensor(id, "fp16", 320, "param"),
      blockRows: 320,
    });
    const tensors = [wide("wa"), wide("ws"), oneTileTensor("x", "fp16", 1, "input")];
    const tasks = [...group("A", "x", [], ["wa", "ws"]), ...group("B", "x", [], ["ws"])];
    const g: TaskGraph = {
      name: "shared",
      chips: 1,
      batch: 1,
      tokensPerPass: 1,
      tasks,
      tensors,
      outputs: [],
    };
    const facts = allocationFacts(g, TSP_V1);
    const blockOfTensor = (ti: number) => facts.loadGroup[facts.blockBase[facts.tileBase[ti]!]!];
    expect([blockOfTensor(0), blockOfTensor(1)]).toEqual([0, -2]);
    // B loads nothing alone: it takes no number.
    expect(facts.loadGroupBlocks).toEqual([1]);
  });

  it("turns follow when a group's product could start from its data, then priority, then list order", () => {
    // A and C can start at once, B only after `long`; B has the longest path after it (its `tail`), so by
    // priority alone it would go first. D loads one block: it takes no turn.
    const tasks = [
      task("long", [read("x", 2000), write("y", 2000)]),
      ...group("A", "x"),
      task("A.tail", [read("x", 500), write("a", 500)], ["A.k0.abc"]),
      ...group("B", "y", ["long"]),
      task("B.tail", [read("x", 9000), write("b", 9000)], ["B.k0.abc"]),
      ...group("C", "x"),
      ...group("D", "x"),
    ];
    const est = taskEstimates(tasks, TSP_V1, uncachedDependencies(tasks));
    const first = ["A", "B", "C", "D"].map((g) => tasks.findIndex((t) => t.id === `${g}.k0.lw`));
    expect(est.priority[first[1]!]!).toBeGreaterThan(est.priority[first[0]!]!);
    expect([...loadTurns(tasks, est, first, [2, 2, 2, 1])]).toEqual([0, 2, 1, -1]);
  });

  it("turns take the chunks nearest each side's MXM planes first, west and east in turn", () => {
    const tables = new SliceTables(TSP_V1);
    const table = tables.of(2);
    const { cycle } = new ChunkTables(TSP_V1).of(table, true, 7);
    const firstSlice = (i: number) => {
      const c = cycle[i]!;
      return table.groups[(c.west ? table.westGroups : table.eastGroups)[c.c]!]![0];
    };
    // tsp-v1: MXM planes at both ends, MEM slices 0..43 west (0 outermost) and 44..87 east (87 outermost, the last
    // two of each side kept for activations); fp16 chunks of 7 groups (14 slices).
    expect(cycle.map((c) => c.west)).toEqual([true, false, true, false, true, false]);
    expect([0, 1, 2, 3, 4, 5].map(firstSlice)).toEqual([0, 72, 14, 58, 28, 44]);
  });
});

describe("allocate: reuse on a chip that reuses first", () => {
  it("a freed block whose users already precede the writer goes before an older one that orders new work", () => {
    // a dies at t2, c at t3; w's writer t4 follows c's users (t1, t3) but not a's (t0, t2). e is too tall for
    // either block, so both are free when w is placed, a's freed first.
    const tensors: TiledTensor[] = [
      oneTileTensor("a", "fp16", 64, "temp"),
      oneTileTensor("b", "fp16", 64, "temp"),
      oneTileTensor("c", "fp16", 64, "temp"),
      oneTileTensor("e", "fp16", 128, "temp"),
      oneTileTensor("out", "fp16", 64, "temp"),
      oneTileTensor("w", "fp16", 64, "temp"),
      oneTileTensor("x", "fp16", 128, "input"),
    ];
    const tasks = [
      task("t0", [read("x", 64), write("a", 64)]),
      task("t1", [read("x", 64), write("c", 64)]),
      task("t2", [read("a", 64), write("b", 64)], ["t0"]),
      task("t3", [read("c", 64), write("e", 128)], ["t1"]),
      task("t4", [read("e", 64), write("w", 64)], ["t3"]),
      task("t5", [read("b", 64), write("out", 64)], ["t2", "t4"]),
      task("t6", [read("w", 64), write("out", 64)], ["t5"]),
    ];
    const g: TaskGraph = {
      name: "reuse",
      chips: 1,
      batch: 1,
      tokensPerPass: 1,
      tasks,
      tensors,
      outputs: [{ name: "out", tensor: "out" }],
    };
    // The policy of a chip that overflowed (the option `reuseFirst` keeps the oldest first, for the reuse tests).
    const r = allocateRound(roundInput(g, TSP_V1, "reuse.model", true), {
      narrow: () => false,
      stopWhenFull: false,
      reuseFirst: () => true,
      byTurn: () => true,
    });
    expect(r.fullChips).toEqual([]);
    const w = r.graph.placements!.find((p) => p.tensor === "w")!;
    expect(w.blocks[0]!.reuses).toEqual(["c/0"]);
    // Only c's users, which precede t4 anyway, join its `after`: nothing orders t4 after a's.
    const after = r.graph.tasks.find((t) => t.id === "t4")!.after;
    expect(after.filter((a) => a === "t0" || a === "t2")).toEqual([]);
  });
});
