// The sends of one link that carry column tiles of the same rows of one tensor, in priority order: the scheduler
// asks whether a send should wait for the link to free (docs/compiler.md "A link's FIFO and the order of a
// tensor's tiles"). In: the task graph and the scheduler's priority order; out: `outranked` per send task.
import type { TaskGraph } from "../passes/task-ir.ts";

export class SendOrder {
  /** Per task, its set of sends (a chip's link, an op, a row range), or -1 for a task that sends nothing. */
  private readonly setOf: Int32Array;
  /** Per set, its sends by priority. */
  private readonly order: number[][] = [];
  /** Per set, the position in `order` of its first unplaced send. */
  private readonly next: Int32Array;

  constructor(g: TaskGraph, before: (a: number, b: number) => number) {
    const n = g.tasks.length;
    this.setOf = new Int32Array(n).fill(-1);
    const ids = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const t = g.tasks[i]!;
      const send = t.steps.find((st) => st.kind === "send");
      const read = t.steps.find((st) => st.kind === "read");
      if (send?.kind !== "send" || read?.kind !== "read") continue;
      const key = `${t.chip}/${send.link}/${t.op}/${read.ref.row}`;
      let set = ids.get(key);
      if (set === undefined) {
        set = this.order.length;
        ids.set(key, set);
        this.order.push([]);
      }
      this.setOf[i] = set;
      this.order[set]!.push(i);
    }
    for (const sends of this.order) sends.sort(before);
    this.next = new Int32Array(this.order.length);
  }

  isSend(i: number): boolean {
    return this.setOf[i]! >= 0;
  }

  /** Whether a send of i's set that comes before i by priority is unplaced and released by `due` (its
   * predecessors placed: a sibling whose data are not known yet does not hold i back). */
  outranked(
    i: number,
    due: number,
    placed: readonly boolean[],
    pending: readonly number[],
    releaseAt: readonly number[],
  ): boolean {
    const set = this.setOf[i]!;
    const sends = this.order[set]!;
    let k = this.next[set]!;
    while (k < sends.length && placed[sends[k]!]) k++;
    this.next[set] = k;
    for (; sends[k] !== i; k++) {
      const j = sends[k]!;
      if (!placed[j] && pending[j] === 0 && releaseAt[j]! <= due) return true;
    }
    return false;
  }
}
