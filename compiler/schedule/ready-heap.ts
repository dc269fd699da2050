// The relaxed runs' ready tasks (relaxed.ts): in, task indices and their priorities; out, the task with the highest
// priority, ties by the lower index (scheduler.ts's order: a total order, so the runs are deterministic).
/** The ready tasks by priority, ties by index (scheduler.ts's order), as a binary heap of task indices in a typed
 * array: the runs take every task out of it once. */
export class ReadyHeap {
  private readonly items: Int32Array;
  private size = 0;

  constructor(
    capacity: number,
    private readonly priority: Int32Array,
  ) {
    this.items = new Int32Array(capacity);
  }

  /** Whether task a comes out before task b. */
  private first(a: number, b: number): boolean {
    const pa = this.priority[a]!;
    const pb = this.priority[b]!;
    return pa > pb || (pa === pb && a < b);
  }

  push(x: number): void {
    const a = this.items;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.first(x, a[parent]!)) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = x;
  }

  pop(): number | undefined {
    if (this.size === 0) return undefined;
    const a = this.items;
    const top = a[0]!;
    const last = a[--this.size]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) break;
      const r = l + 1;
      const c = r < this.size && this.first(a[r]!, a[l]!) ? r : l;
      if (!this.first(a[c]!, last)) break;
      a[i] = a[c]!;
      i = c;
    }
    a[i] = last;
    return top;
  }
}
