// Which chip runs next in a multi-chip run: a binary heap of the chips that have pending events, keyed by the global
// time of their next event cycle, ties to the chip listed first. Out: the same order as scanning every chip for the
// earliest (strictly smaller global time wins), at O(log chips) per step instead of O(chips), so hundreds of chips
// cost no more per event than one. A chip's key changes only when its events or its clock change: the simulator
// calls update(chip) then.

export interface Ordered {
  /** Position in the simulator's chip list (the tie-break). */
  readonly order: number;
  /** Global time of the chip's next event cycle, or Infinity when it has none. */
  nextTime(): number;
}

export class ChipOrder<T extends Ordered> {
  private readonly heap: T[] = [];
  private readonly time: number[] = [];
  /** Position of each chip (by order) in the heap, -1 when not in it. */
  private readonly at: Int32Array;

  constructor(chips: readonly T[]) {
    this.at = new Int32Array(chips.length).fill(-1);
    for (const c of chips) this.update(c);
  }

  get size(): number {
    return this.heap.length;
  }

  /** The chip to run next, without removing it (undefined when no chip has events). */
  peek(): T | undefined {
    return this.heap[0];
  }

  /** Re-keys a chip after its events or clock changed; adds or removes it as it gains or loses events. */
  update(c: T): void {
    const t = c.nextTime();
    const j = this.at[c.order]!;
    if (j < 0) {
      if (t === Number.POSITIVE_INFINITY) return;
      this.heap.push(c);
      this.time.push(t);
      this.at[c.order] = this.heap.length - 1;
      this.up(this.heap.length - 1);
      return;
    }
    if (t === Number.POSITIVE_INFINITY) {
      this.removeAt(j);
      return;
    }
    this.time[j] = t;
    this.up(j);
    this.down(this.at[c.order]!);
  }

  /** Takes a chip out (it runs again only after update). */
  remove(c: T): void {
    const j = this.at[c.order]!;
    if (j >= 0) this.removeAt(j);
  }

  private removeAt(j: number): void {
    const h = this.heap;
    const last = h.length - 1;
    this.at[h[j]!.order] = -1;
    if (j !== last) {
      h[j] = h[last]!;
      this.time[j] = this.time[last]!;
      this.at[h[j]!.order] = j;
    }
    h.pop();
    this.time.pop();
    if (j < h.length) {
      this.up(j);
      this.down(j);
    }
  }

  private less(a: number, b: number): boolean {
    const ta = this.time[a]!;
    const tb = this.time[b]!;
    return ta < tb || (ta === tb && this.heap[a]!.order < this.heap[b]!.order);
  }

  private swap(a: number, b: number): void {
    const h = this.heap;
    const t = this.time;
    const x = h[a]!;
    h[a] = h[b]!;
    h[b] = x;
    const y = t[a]!;
    t[a] = t[b]!;
    t[b] = y;
    this.at[h[a]!.order] = a;
    this.at[h[b]!.order] = b;
  }

  private up(j: number): void {
    while (j > 0) {
      const p = (j - 1) >> 1;
      if (!this.less(j, p)) return;
      this.swap(j, p);
      j = p;
    }
  }

  private down(j: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * j + 1;
      if (l >= n) return;
      const c = l + 1 < n && this.less(l + 1, l) ? l + 1 : l;
      if (!this.less(c, j)) return;
      this.swap(c, j);
      j = c;
    }
  }
}
