// The end of a placement round (allocate-round.ts): in, the task graph, every tensor's placement and the tensors
// placed in reused space with the tasks their writers must follow; out, the task graph with its placements (sorted
// by tensor), `lw` widths and reuse edges. Guarantees: a new tenant's writers come `after` every reader and writer
// of the space's old tenants.
import type { AllocationFacts } from "./allocate-facts.ts";
import { withLoadWidth } from "./allocate-wide.ts";
import type { Placement, Task, TaskGraph } from "./task-ir.ts";

/** A temporary placed in reused space (by tensor index) and the tasks (by index) its writers must follow. */
export interface Reuse {
  readonly ti: number;
  readonly war: readonly number[];
}

export function placedGraph(
  g: TaskGraph,
  facts: AllocationFacts,
  placements: readonly (Placement | undefined)[],
  reused: readonly Reuse[],
): TaskGraph {
  // Every writer of a tensor follows the readers and writers of the space it reuses (in placement order).
  const extraAfter = new Map<number, Set<number>>();
  for (const { ti, war } of reused)
    for (const w of facts.writers[ti]!) {
      let set = extraAfter.get(w);
      if (!set) {
        set = new Set();
        extraAfter.set(w, set);
      }
      for (const x of war) set.add(x);
    }

  const byName = new Map<string, Placement>();
  for (const p of placements) if (p) byName.set(p.tensor, p);
  const tasks: Task[] = g.tasks.map((t0, i) => {
    const t = withLoadWidth(t0, byName);
    const extra = extraAfter.get(i);
    if (!extra) return t;
    const ids: string[] = [];
    for (const a of extra) if (a !== i) ids.push(g.tasks[a]!.id);
    return { ...t, after: [...new Set([...t.after, ...ids])] };
  });
  const sorted = [...byName.values()].sort((a, b) =>
    a.tensor < b.tensor ? -1 : a.tensor > b.tensor ? 1 : 0,
  );
  return { ...g, tasks, placements: sorted };
}
