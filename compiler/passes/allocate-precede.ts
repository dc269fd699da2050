// Whether reusing freed space costs the schedule nothing: in, the task list's `after` edges and each tensor's users
// and writers; out, for a dead tensor's space and a new tenant, whether every user of the old already precedes every
// writer of the new. Guarantees: a bounded search (never a false "yes"; a missed ancestor only makes reuse less
// eager), each writer's search and each pair's answer computed once for every round.

import { offHeapInt32, offHeapUint8 } from "../../util/off-heap.ts";
import type { Dependencies } from "../schedule/dependencies.ts";

/** Tasks searched for a writer's ancestors: a bound that keeps allocation linear in the task count. */
export const ANCESTOR_LIMIT = 256;

export class Precedence {
  private readonly ancestorsOf = new Map<number, Set<number>>();
  /** Answers of `freeFor` per tenant, by old tensor (small integer keys: a product of two would not stay one). */
  private readonly answers = new Map<number, Map<number, boolean>>();
  private tenant = -1;
  private run = 0;
  private readonly runOf: Int32Array;
  private readonly answerOf: Uint8Array;
  private readonly seenStamp: Int32Array;
  private search = 0;
  private readonly queue: number[] = [];

  constructor(
    private readonly deps: Dependencies,
    /** Per tensor, the tasks that read or write it / that write it, by index. */
    private readonly users: readonly (readonly number[])[],
    private readonly writers: readonly (readonly number[])[],
  ) {
    this.seenStamp = offHeapInt32(deps.afterStart.length);
    this.runOf = offHeapInt32(users.length);
    this.answerOf = offHeapUint8(users.length);
  }

  /** Whether every user of tensor `old` precedes every writer of tensor `tenant`: then `tenant` may take the space
   * `old` freed at no cost to the schedule. */
  freeFor(old: number, tenant: number): boolean {
    // The allocator asks about one tenant many times in a row (every freed block it passes over while placing
    // it): those answers come from arrays by old tensor, stamped with the run of questions they belong to.
    if (tenant !== this.tenant) {
      this.tenant = tenant;
      this.run++;
    }
    if (this.runOf[old] === this.run) return this.answerOf[old] === 1;
    let answers = this.answers.get(tenant);
    if (!answers) {
      answers = new Map();
      this.answers.set(tenant, answers);
    }
    let answer = answers.get(old);
    if (answer === undefined) {
      answer = this.precedes(this.users[old]!, this.writers[tenant]!);
      answers.set(old, answer);
    }
    this.runOf[old] = this.run;
    this.answerOf[old] = answer ? 1 : 0;
    return answer;
  }

  /** Ancestors of task i through `after` edges: the first ANCESTOR_LIMIT found breadth first (a bounded search
   * keeps the cost linear). A task joins the queue once, when first found (a stamp per task, no set per search), so
   * the queue lists the ancestors in the order a breadth-first search meets them, and the search stops when the
   * queue holds the limit: a task found later could not be among the first. */
  ancestors(i0: number): ReadonlySet<number> {
    const known = this.ancestorsOf.get(i0);
    if (known) return known;
    const { afterStart, afterOf } = this.deps;
    const queue = this.queue;
    const stamp = ++this.search;
    queue.length = 0;
    for (let k = afterStart[i0]!; k < afterStart[i0 + 1]! && queue.length < ANCESTOR_LIMIT; k++) {
      const a = afterOf[k]!;
      if (this.seenStamp[a] === stamp) continue;
      this.seenStamp[a] = stamp;
      queue.push(a);
    }
    for (let q = 0; q < queue.length && queue.length < ANCESTOR_LIMIT; q++) {
      const x = queue[q]!;
      for (let k = afterStart[x]!; k < afterStart[x + 1]! && queue.length < ANCESTOR_LIMIT; k++) {
        const a = afterOf[k]!;
        if (this.seenStamp[a] === stamp) continue;
        this.seenStamp[a] = stamp;
        queue.push(a);
      }
    }
    const seen = new Set(queue);
    this.ancestorsOf.set(i0, seen);
    return seen;
  }

  /** Whether every one of `users` is a (found) ancestor of every one of `writers`. */
  precedes(users: readonly number[], writers: readonly number[]): boolean {
    for (const w of writers) {
      const anc = this.ancestors(w);
      for (const u of users) if (!anc.has(u)) return false;
    }
    return true;
  }
}
