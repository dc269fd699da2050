// Whether reusing freed space costs the schedule nothing: in, the task list's `after` edges; out, for a freed block's
// users and a new tenant's writers, whether every user already precedes every writer. Guarantees: a bounded search
// (never a false "yes"; a missed ancestor only makes reuse less eager), cached per writer for every round.
import type { Dependencies } from "../schedule/dependencies.ts";

/** Tasks searched for a writer's ancestors: a bound that keeps allocation linear in the task count. */
export const ANCESTOR_LIMIT = 256;

export class Precedence {
  private readonly ancestorsOf = new Map<number, Set<number>>();
  private readonly seenStamp: Int32Array;
  private search = 0;
  private readonly queue: number[] = [];

  constructor(private readonly deps: Dependencies) {
    this.seenStamp = new Int32Array(deps.afterStart.length);
  }

  /** Ancestors of task i through `after` edges, searched breadth first up to ANCESTOR_LIMIT tasks (a bounded
   * search keeps the cost linear), with a stamp per task for "seen in this search" (no set per search). */
  ancestors(i0: number): ReadonlySet<number> {
    const known = this.ancestorsOf.get(i0);
    if (known) return known;
    const { afterStart, afterOf } = this.deps;
    const seen = new Set<number>();
    const queue = this.queue;
    const stamp = ++this.search;
    queue.length = 0;
    for (let k = afterStart[i0]!; k < afterStart[i0 + 1]!; k++) queue.push(afterOf[k]!);
    for (let q = 0; q < queue.length && seen.size < ANCESTOR_LIMIT; q++) {
      const a = queue[q]!;
      if (this.seenStamp[a] === stamp) continue;
      this.seenStamp[a] = stamp;
      seen.add(a);
      for (let k = afterStart[a]!; k < afterStart[a + 1]!; k++) queue.push(afterOf[k]!);
    }
    this.ancestorsOf.set(i0, seen);
    return seen;
  }

  /** Whether every one of `users` is a (found) ancestor of every one of `writers`. */
  precedes(users: Int32Array, writers: Int32Array): boolean {
    for (const w of writers) {
      const anc = this.ancestors(w);
      for (const u of users) if (!anc.has(u)) return false;
    }
    return true;
  }
}
