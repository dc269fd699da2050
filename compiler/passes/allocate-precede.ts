// Whether reusing freed space costs the schedule nothing: in, the task list's `after` edges and each tensor's users
// and writers; out, for a dead tensor's space and a new tenant, whether every user of the old already precedes every
// writer of the new. Guarantees: a bounded search (never a false "yes"; a missed ancestor only makes reuse less
// eager), each writer's search and each pair's answer computed once for every round.
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
    this.seenStamp = new Int32Array(deps.afterStart.length);
    this.runOf = new Int32Array(users.length);
    this.answerOf = new Uint8Array(users.length);
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
  precedes(users: readonly number[], writers: readonly number[]): boolean {
    for (const w of writers) {
      const anc = this.ancestors(w);
      for (const u of users) if (!anc.has(u)) return false;
    }
    return true;
  }
}
