// The accumulator rows of the MXM groups (placement.ts): in, the task graph and a plane's per-slot drain ends; out,
// each group's row extent and the slots its products go to. Guarantees: a group's rows fit the accumulators, and
// a group keeps its rows once chosen.

import { invariant } from "../../util/assert.ts";
import type { TaskGraph } from "../passes/task-ir.ts";
import { ACC_SLOT, type GroupState, NO_INPUT } from "./plane-state.ts";

/** Per MXM group (by name): the accumulator rows its products and drains span (the largest row0 + n). */
export function accExtents(g: TaskGraph): Map<string, number> {
  const extent = new Map<string, number>();
  for (const t of g.tasks) {
    if (!t.mxmGroup) continue;
    for (const s of t.steps)
      if (s.kind === "abc" || s.kind === "acc")
        extent.set(t.mxmGroup, Math.max(extent.get(t.mxmGroup) ?? 0, s.row0 + s.n));
  }
  return extent;
}

/**
 * The accumulator rows a group's products go to, and the cycle from which they may be overwritten: its own once
 * chosen, else the run of ACC_SLOT-row slots that its rows fit in whose last drain ends first (the lowest on a
 * tie). A plane's next group then writes rows the previous group is not draining: with one set of rows its first
 * product waited for that drain, which itself may wait on SRAM banks (bert-base's heads, issue 4).
 */
export function accRows(
  group: string,
  extent: number,
  gs: GroupState,
  accumulatorRows: number,
): readonly [number, number] {
  const free = gs.state.accFree;
  const span = Math.ceil(extent / ACC_SLOT);
  const freeOf = (b: number) => {
    let f = NO_INPUT;
    for (let j = b; j < b + span; j++) f = Math.max(f, free[j] ?? NO_INPUT);
    return f;
  };
  if (gs.accBase >= 0) return [gs.accBase, freeOf(Math.floor(gs.accBase / ACC_SLOT))];
  let best = 0;
  let bestFree = Number.POSITIVE_INFINITY;
  for (let b = 0; b * ACC_SLOT + extent <= accumulatorRows; b++) {
    const f = freeOf(b);
    if (f < bestFree) {
      bestFree = f;
      best = b;
    }
  }
  invariant(bestFree < Number.POSITIVE_INFINITY, `${group}: ${extent} accumulator rows do not fit`);
  return [best * ACC_SLOT, bestFree];
}

/** A drain of `n` rows from group row `row0` (offset by the group's base), ending at `end`: the slots it covers
 * are free for a product from then on. */
export function noteDrain(gs: GroupState, row0: number, n: number, end: number): void {
  const free = gs.state.accFree;
  const base = gs.accBase + row0;
  for (let j = Math.floor(base / ACC_SLOT); j * ACC_SLOT < base + n; j++)
    free[j] = Math.max(free[j] ?? NO_INPUT, end);
}
