// The link order a stamped unit needs (docs/compiler.md "Stamping repeated layers"): the reduced model's tasks after
// placeStages (before allocate, which then sees the final order) + where unit 0 is -> the same tasks with the sends
// into unit 0's group and out of it chained in order of the tile and row they carry, and the list re-sorted so
// every `after` still names an earlier task. Why: a recv takes
// the next words of its link, so a copy of unit 0 receives its input in the order unit 0 received its own (the
// order the ops before it sent in) and must send its output in that order too; left to the scheduler each order is
// the order the tiles were made in (llama2-7b: tiles 0, 9, 3, 7, .. in and 0, 3, 9, 6, .. out), and every copy
// after unit 0 would write tiles of its input in each other's place: right cycles, wrong values.
import { invariant } from "../../util/assert.ts";
import { Heap } from "../../util/heap.ts";
import type { Task, TaskGraph } from "../passes/task-ir.ts";

/** `g` with the sends crossing into chips `base .. base + width - 1` from before them, and out of them to chips
 * after them, placed on each link in (tile, row) order: each such send is `after` the one before it. */
export function orderCrossings(g: TaskGraph, base: number, width: number): TaskGraph {
  const region = (chip: number) => (chip < base ? -1 : chip < base + width ? 0 : 1);
  const byId = new Map(g.tasks.map((t) => [t.id, t]));
  const crossings = new Map<string, { id: string; tile: number; row: number }[]>();
  for (const t of g.tasks)
    for (const st of t.steps) {
      if (st.kind !== "recv") continue;
      const send = byId.get(st.from)!;
      const [a, b] = [region(send.chip), region(t.chip)];
      if (!((a === -1 && b === 0) || (a === 0 && b === 1))) continue;
      // The tile and row the send carries: what its read takes (stages.ts moves read one tile's rows, then send).
      const read = send.steps[0];
      if (read?.kind !== "read") continue;
      const key = `${send.chip}/${t.chip}`;
      const list = crossings.get(key) ?? crossings.set(key, []).get(key)!;
      list.push({ id: st.from, tile: read.ref.tile, row: read.ref.row });
    }
  const extra = new Map<string, string>();
  for (const list of crossings.values()) {
    list.sort((x, y) => x.tile - y.tile || x.row - y.row || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    for (let k = 1; k < list.length; k++) extra.set(list[k]!.id, list[k - 1]!.id);
  }
  if (extra.size === 0) return g;
  const position = new Map<string, number>();
  for (const id of extra.keys()) position.set(id, -1);
  for (const id of extra.values()) position.set(id, -1);
  g.tasks.forEach((t, i) => {
    if (position.has(t.id)) position.set(t.id, i);
  });
  let sorted = true;
  const tasks = g.tasks.map((t) => {
    const prev = extra.get(t.id);
    if (prev === undefined || t.after.includes(prev)) return t;
    if (position.get(prev)! > position.get(t.id)!) sorted = false;
    return { ...t, after: [...t.after, prev] };
  });
  // Re-sorted only when a chained send is listed before the one it now follows.
  return { ...g, tasks: sorted ? tasks : stableTopological(tasks) };
}

/** The tasks in an order where every `after` comes earlier, as close to the given order as that allows (Kahn's
 * algorithm taking the earliest listed ready task first): unchanged when it already is one. */
function stableTopological(tasks: readonly Task[]): Task[] {
  const index = new Map(tasks.map((t, i) => [t.id, i]));
  const pending = new Int32Array(tasks.length);
  const next: number[][] = tasks.map(() => []);
  tasks.forEach((t, i) => {
    for (const a of t.after) {
      next[index.get(a)!]!.push(i);
      pending[i]!++;
    }
  });
  const ready = new Heap<number>((a, b) => a - b);
  for (let i = 0; i < tasks.length; i++) if (pending[i] === 0) ready.push(i);
  const out: Task[] = [];
  for (let i = ready.pop(); i !== undefined; i = ready.pop()) {
    out.push(tasks[i]!);
    for (const j of next[i]!) if (--pending[j]! === 0) ready.push(j);
  }
  invariant(out.length === tasks.length, "orderCrossings: the link order makes a cycle of `after` edges");
  return out;
}
