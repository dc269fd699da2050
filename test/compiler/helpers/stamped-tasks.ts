// The task graph a stamped program runs, written out (tests only): the reduced model's tasks (compile.ts) with
// unit 0's copied once per stamped unit, as stamp.ts copies its chips: renamed (shiftNames), translated by whole
// groups, each copy's input recvs fed by the previous copy's sends in the link order the reduced schedule gave unit
// 0's sends to the group after it. Its relaxed schedule is what the stamped critical path (stamp-bound.ts) bounds.
import { renamed } from "../../../compiler/passes/reduce-repeat.ts";
import type { Placement, Task, TaskGraph } from "../../../compiler/passes/task-ir.ts";
import { type Schedule, scheduledInsts } from "../../../compiler/schedule/schedule-ir.ts";
import { shiftNames } from "../../../compiler/schedule/stamp.ts";

export interface StampedShape {
  readonly name: string;
  /** Instances per unit, units in the full program, unit 0's first chip and chips per unit. */
  readonly unit: number;
  readonly units: number;
  readonly base: number;
  readonly width: number;
  /** Units in the reduced model (stamp.ts `StampLayout`): unit 0 alone, or unit 0 and the last. */
  readonly reduced: 1 | 2;
}

/** `g`: the reduced tasks (with the edges the bound uses); `s`: their real schedule (for each link's order). */
export function stampedTasks(g: TaskGraph, s: Schedule, shape: StampedShape): TaskGraph {
  const { name, unit: q, units: n, base, width: u, reduced } = shape;
  // Unit 0 is copied as units 1 .. tail; the group after it is the reduced model's, shifted by tail units.
  const tail = n - reduced;
  const region = (chip: number) => (chip < base ? -1 : chip < base + u ? 0 : 1);
  const rename = (k: number) => shiftNames(name, reduced * q, k * q, k * u);
  const chipOf = new Map(g.tasks.map((t) => [t.id, t.chip]));
  // Each recv task's place in its link's order: recvs take words in the order they were sent.
  const byLink = new Map<string, { task: string; cycle: number }[]>();
  for (const i of scheduledInsts(s))
    if (i.inst.op === "recv") {
      const key = `${i.chip}/${i.queue.index}`;
      const list = byLink.get(key) ?? byLink.set(key, []).get(key)!;
      if (!list.some((x) => x.task === i.task)) list.push({ task: i.task, cycle: i.cycle });
    }
  const slot = new Map<string, string>();
  for (const [key, list] of byLink) {
    list.sort((a, b) => a.cycle - b.cycle);
    for (const [k, x] of list.entries()) slot.set(x.task, `${key}#${k}`);
  }
  const recvOf = (t: Task) =>
    t.steps.find((st) => st.kind === "recv") as Extract<Task["steps"][number], { kind: "recv" }> | undefined;
  // The send of unit 0 that unit 0's own input recv (chip, link, place) would meet one unit later.
  const sendInto = new Map<string, string>();
  for (const t of g.tasks) {
    const r = recvOf(t);
    if (r && region(t.chip) === 1 && region(chipOf.get(r.from)!) === 0) {
      const [key, k] = slot.get(t.id)!.split("#");
      const [chip, link] = key!.split("/");
      sendInto.set(`${Number(chip) - u}/${link}#${k}`, r.from);
    }
  }
  const tasks: Task[] = g.tasks.filter((t) => region(t.chip) === -1);
  const unit0 = g.tasks.filter((t) => region(t.chip) === 0);
  for (let k = 0; k <= tail; k++)
    for (const t of unit0) {
      const c = k === 0 ? t : { ...renamed(t, rename(k)), chip: t.chip + k * u };
      const r = recvOf(t);
      if (k === 0 || !r || region(chipOf.get(r.from)!) !== -1) {
        tasks.push(c);
        continue;
      }
      const from = rename(k - 1)(sendInto.get(slot.get(t.id)!)!);
      const wrong = rename(k)(r.from);
      tasks.push({
        ...c,
        steps: c.steps.map((st) => (st.kind === "recv" ? { ...st, from } : st)),
        after: c.after.map((a) => (a === wrong ? from : a)),
      });
    }
  const last = rename(tail);
  for (const t of g.tasks)
    if (region(t.chip) === 1) tasks.push({ ...renamed(t, last), chip: t.chip + tail * u });
  // Tensors and placements: unit 0's copied per copy, the last unit's and the suffix's renamed once.
  const tensorById = new Map(g.tensors.map((t) => [t.id, t]));
  const placementOf = new Map((g.placements ?? []).map((p) => [p.tensor, p]));
  const tensors = new Map(g.tensors.filter((t) => t.chip < base).map((t) => [t.id, t]));
  const placements = new Map<string, Placement>();
  for (const p of g.placements ?? []) if (p.chip < base) placements.set(p.tensor, p);
  const add = (id: string, k: number) => {
    const to = rename(k)(id);
    const t = tensorById.get(id)!;
    tensors.set(to, { ...t, id: to });
    const p = placementOf.get(id);
    if (p) placements.set(to, { ...p, tensor: to, chip: p.chip + k * u });
  };
  for (const t of g.tensors) {
    if (t.chip < base) continue;
    if (region(t.chip) === 0) for (let k = 0; k <= tail; k++) add(t.id, k);
    else add(t.id, tail);
  }
  return {
    ...g,
    chips: g.chips + tail * u,
    tasks,
    tensors: [...tensors.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    placements: [...placements.values()],
  };
}
