// SRAM reuse across lifetimes: a temporary's space goes to a later tensor only after every task that read or wrote
// it, in placement order and in time. The simulator cannot check this (a read of valid but stale SRAM is no
// hazard), so these tests compare values with the interpreter and run verifySramOrder, which --verify-each runs.
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import { runModel } from "../../../cli/run-model.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import type { TaskGraph } from "../../../compiler/passes/task-ir.ts";
import { verifySramOrder } from "../../../compiler/schedule/sram-order.ts";
import { compileWithOrder, shuffleTasks } from "../helpers/task-order.ts";

/** y's fourth column tile is computed (one MXM group per output tile) but the split drops it: written, never read.
 * Its group waits for nothing and nothing waits for it, so the scheduler places it late (after the layers' groups
 * on its plane), while y's space is reused by the layers' outputs. */
const UNREAD = `model unread
const d = 960
input x: fp16[1, 64]
param w: fp16[64, d + 320]
block layer(h: fp16[1, d]) -> fp16[1, d] {
  param wl: fp16[d, d]
  o = relu(matmul(h, wl))
  return o
}
y = matmul(x, w)
a, b = split(y, axis=-1, sizes=[d, 320])
output z = repeat 3 layer(a)
`;

/** Four heads of 96 lanes (the kv width spans two tiles, so a head's scores read only some tiles of its masked
 * query: the others are written and never read). */
const GQA = `model gqa
const heads = 4
const head_dim = 96
const d = heads * head_dim
input x: fp16[1, 1, d]
param wq: fp16[d, d]
param wk: fp16[d, d]
param wv: fp16[d, d]
state k_cache: fp16[1, 8, heads, head_dim]
state v_cache: fp16[1, 8, heads, head_dim]
q = reshape(matmul(x, wq), shape=[1, 1, heads, head_dim])
k = reshape(matmul(x, wk), shape=[1, 1, heads, head_dim])
v = reshape(matmul(x, wv), shape=[1, 1, heads, head_dim])
a = attention(q, k, v, k_cache, v_cache, causal=true)
output y = reshape(a, shape=[1, 1, d])
`;

const graphOf = (text: string) => loadModel(text, "test.model").graph!;

/** Allocate takes fresh space before reused space, so on tsp-v1 these small programs would reuse almost nothing:
 * they are allocated with the reuse-first policy, which reuses whenever it can. */
const REUSE_FIRST = { reuseFirst: true };

/** Tasks that read or write each tensor. */
function usersOf(g: TaskGraph): Map<string, Set<string>> {
  const users = new Map<string, Set<string>>();
  for (const t of g.tasks)
    for (const s of t.steps)
      if (s.kind === "read" || s.kind === "write")
        (users.get(s.ref.tensor) ?? users.set(s.ref.tensor, new Set()).get(s.ref.tensor)!).add(t.id);
  return users;
}

describe("SRAM reuse across lifetimes", () => {
  it("a tile written but never read keeps its space until its write: the next tenant of its block is written after it (cycle-exact, no hazard, the interpreter's values)", () => {
    const graph = graphOf(UNREAD);
    const r = compileWithOrder(graph, TSP_V1, undefined, undefined, REUSE_FIRST);
    // What --verify-each runs after `schedule`: no read of a block after a later tenant's write.
    expect(verifySramOrder(r.schedule, TSP_V1)).toEqual([]);
    const g = r.schedule.graph;
    // The premise: y's tile 3 has a writer and no reader, and a later tensor reuses its block.
    const reads = g.tasks.flatMap((t) => t.steps.flatMap((s) => (s.kind === "read" ? [s.ref.tensor] : [])));
    const yWriters = g.tasks.filter((t) => t.steps.some((s) => s.kind === "write" && s.ref.tensor === "y"));
    expect(yWriters.length).toBe(4);
    expect(reads.filter((x) => x === "y").length).toBeGreaterThan(0);
    const reusers = g.placements!.filter((p) => p.blocks.some((b) => b.reuses?.includes("y/3")));
    expect(reusers.length).toBeGreaterThan(0);
    const run = runModel(graph, r.program, r.report, TSP_V1, { functional: true, seed: 0 });
    expect(run.hazards).toEqual([]);
    expect(run.cycles).toBe(r.report.cycles);
    expect(run.outputsMatch).toBe(true);
  });

  it("every writer of a block's new tenant is ordered after every task that read or wrote its previous tenant", () => {
    for (const text of [UNREAD, GQA]) {
      const graph = graphOf(text);
      const g = compileWithOrder(graph, TSP_V1, undefined, undefined, REUSE_FIRST).schedule.graph;
      const users = usersOf(g);
      let checked = 0;
      for (const p of g.placements!)
        for (const b of p.blocks) {
          const prev = b.reuses?.[b.reuses.length - 1];
          if (!prev) continue;
          const old = users.get(prev.slice(0, prev.lastIndexOf("/")))!;
          for (const w of g.tasks.filter((t) =>
            t.steps.some((s) => s.kind === "write" && s.ref.tensor === p.tensor && s.ref.tile === b.tile),
          ))
            for (const u of old) {
              if (u !== w.id) expect(w.after, `${w.id} after ${u}`).toContain(u);
              checked++;
            }
        }
      expect(checked).toBeGreaterThan(0);
    }
  });

  it("the simulator cannot see a stale read and verifySramOrder can: without the write-after-tenant times, values go wrong with no hazard", () => {
    const graph = graphOf(GQA);
    const noTimes = (g: TaskGraph): TaskGraph => ({
      ...g,
      placements: g.placements!.map((p) => ({ ...p, blocks: p.blocks.map(({ reuses: _, ...b }) => b) })),
    });
    const r = compileWithOrder(graph, TSP_V1, undefined, noTimes, REUSE_FIRST);
    expect(verifySramOrder(r.schedule, TSP_V1).length).toBeGreaterThan(0);
    const run = runModel(graph, r.program, r.report, TSP_V1, { functional: true, seed: 0 });
    expect(run.hazards).toEqual([]);
    expect(run.cycles).toBe(r.report.cycles);
    expect(run.outputsMatch).toBe(false);
  });

  it("any topological order of the tasks compiles to the interpreter's values with no stale read (random orders)", () => {
    for (const [text, seeds] of [
      [UNREAD, [1]],
      [GQA, [3]],
    ] as const) {
      const graph = graphOf(text);
      for (const seed of seeds) {
        const r = compileWithOrder(graph, TSP_V1, (g) => shuffleTasks(g, seed), undefined, REUSE_FIRST);
        expect(verifySramOrder(r.schedule, TSP_V1)).toEqual([]);
        const run = runModel(graph, r.program, r.report, TSP_V1, { functional: true, seed: 0 });
        expect(run.hazards).toEqual([]);
        expect(run.cycles).toBe(r.report.cycles);
        expect(run.outputsMatch).toBe(true);
      }
    }
  });
});
