// The scheduler's view of a task list's `after` edges: task indices in compressed arrays (CSR), both directions.
// In: the tasks (every `after` names an earlier task); out: per task its predecessors and successors by index, in
// list order. Guarantees: computed once per task list object (cached), exactly the edges the task list names.
import { invariant } from "../../util/assert.ts";
import { offHeapInt32 } from "../../util/off-heap.ts";
import type { Task } from "../passes/task-ir.ts";

export interface Dependencies {
  readonly index: ReadonlyMap<string, number>;
  /** Task i's `after` tasks by index: afterOf[afterStart[i] .. afterStart[i + 1]). */
  readonly afterStart: Int32Array;
  readonly afterOf: Int32Array;
  /** Its successors (the tasks naming it in `after`), in task order: succOf[succStart[i] .. succStart[i + 1]). */
  readonly succStart: Int32Array;
  readonly succOf: Int32Array;
}

/** Per task list (a compile schedules the allocated list, and its report's relaxed runs take most of its edges,
 * dependenciesLike): the edges by index, so each `after` name is looked up once, not once per use per run. */
const dependencyCache = new WeakMap<readonly Task[], Dependencies>();

/** `like`: a list of the same ids in the same order whose dependencies are cached (compile.ts: allocate's input
 * for the allocated list), from whose edges these are made (dependenciesLike) instead of every name looked up. */
export function dependencies(tasks: readonly Task[], like?: readonly Task[]): Dependencies {
  const cached = dependencyCache.get(tasks);
  if (cached) return cached;
  const deps =
    like && dependencyCache.has(like) ? dependenciesLike(tasks, like) : uncachedDependencies(tasks);
  dependencyCache.set(tasks, deps);
  return deps;
}

/** `dependencies` without the cache, for a caller that holds the result only while it needs it (allocate: the
 * tiled task list outlives the pass, and its name index is large). */
export function uncachedDependencies(tasks: readonly Task[]): Dependencies {
  const n = tasks.length;
  const index = nameIndex(tasks);
  const afterStart = offHeapInt32(n + 1);
  for (let i = 0; i < n; i++) afterStart[i + 1] = afterStart[i]! + tasks[i]!.after.length;
  const afterOf = offHeapInt32(afterStart[n]!);
  for (let i = 0, k = 0; i < n; i++) k = lookUp(tasks[i]!, index, afterOf, k);
  return withSuccessors(index, afterStart, afterOf);
}

/**
 * `dependencies(tasks)` for a list of the same tasks as `like` (the same ids in the same order) with some other
 * `after` lists (bounds.ts withDataOrder: the tasks before allocate's reuse edges): `like`'s edges (cached, so the
 * scheduler's run on `like` finds them made) copied for each task whose `after` list is `like`'s, and only the
 * other tasks' names looked up. Not cached.
 */
export function dependenciesLike(tasks: readonly Task[], like: readonly Task[]): Dependencies {
  const n = tasks.length;
  if (like.length !== n) return uncachedDependencies(tasks);
  for (let i = 0; i < n; i++)
    if (tasks[i] !== like[i] && tasks[i]!.id !== like[i]!.id) return uncachedDependencies(tasks);
  const ref = dependencies(like);
  const afterStart = offHeapInt32(n + 1);
  for (let i = 0; i < n; i++) afterStart[i + 1] = afterStart[i]! + tasks[i]!.after.length;
  const afterOf = offHeapInt32(afterStart[n]!);
  for (let i = 0, k = 0; i < n; i++) {
    if (tasks[i]!.after === like[i]!.after) {
      afterOf.set(ref.afterOf.subarray(ref.afterStart[i]!, ref.afterStart[i + 1]!), k);
      k += afterStart[i + 1]! - afterStart[i]!;
    } else k = lookUp(tasks[i]!, ref.index, afterOf, k);
  }
  return withSuccessors(ref.index, afterStart, afterOf);
}

/** Writes the indices of the task's `after` names into `afterOf` from `k`; returns the next free position. */
function lookUp(t: Task, index: ReadonlyMap<string, number>, afterOf: Int32Array, k: number): number {
  for (const a of t.after) {
    const j = index.get(a);
    if (j === undefined) invariant(false, `${t.id} is after an unknown task ${a}`);
    afterOf[k++] = j;
  }
  return k;
}

/** The successor lists from the `after` lists (in task order). */
function withSuccessors(
  index: ReadonlyMap<string, number>,
  afterStart: Int32Array,
  afterOf: Int32Array,
): Dependencies {
  const n = afterStart.length - 1;
  const succStart = offHeapInt32(n + 1);
  for (let k = 0; k < afterOf.length; k++) succStart[afterOf[k]! + 1]!++;
  for (let i = 0; i < n; i++) succStart[i + 1]! += succStart[i]!;
  const succOf = offHeapInt32(afterOf.length);
  const fill = succStart.slice(0, n);
  for (let i = 0; i < n; i++)
    for (let k = afterStart[i]!; k < afterStart[i + 1]!; k++) succOf[fill[afterOf[k]!]!++] = i;
  return { index, afterStart, afterOf, succStart, succOf };
}

/** The last name index built and the task list it was built from, weakly held (kept alive by the Dependencies
 * that hold it, not by this). */
let lastIndex:
  | { readonly tasks: WeakRef<readonly Task[]>; readonly index: WeakRef<Map<string, number>> }
  | undefined;

/** Task id -> index. A list with the same ids in the same order as the last one indexed shares its (read-only) map:
 * allocate keeps its input's task order, so the allocated list the scheduler takes shares allocate's (a map of 200k
 * names cost more than the comparison of the ids, which are mostly the same string objects). */
function nameIndex(tasks: readonly Task[]): Map<string, number> {
  const n = tasks.length;
  const prev = lastIndex?.tasks.deref();
  const known = lastIndex?.index.deref();
  if (prev && known && prev.length === n) {
    let same = true;
    for (let i = 0; i < n && same; i++) same = prev[i]!.id === tasks[i]!.id;
    if (same) return known;
  }
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) index.set(tasks[i]!.id, i);
  lastIndex = { tasks: new WeakRef(tasks), index: new WeakRef(index) };
  return index;
}
