// A binary min-heap of one chip's pending events, ordered by (cycle, phase, insertion order): deterministic, and
// only as large as the number of instructions in flight (each instruction keeps one cursor event per stream).

/** Phases within a cycle (docs/isa.md "put, then take"): issue, then arrivals and SRAM/accumulator updates,
 * then puts, then takes. */
export const PHASE_ISSUE = 0;
export const PHASE_UPDATE = 1;
export const PHASE_PUT = 2;
export const PHASE_TAKE = 3;

export interface SimEvent {
  /** cycle * 4 + phase */
  key: number;
  seq: number;
  kind: number;
  /** The activity (an issued instruction's run) or queue this event belongs to. */
  owner: unknown;
  /** Vector (or word) index. */
  i: number;
  data: unknown;
  aux: number;
}

export class EventHeap {
  private readonly items: SimEvent[] = [];
  /** Handled events, reused by push so a long run allocates no event objects. */
  private readonly free: SimEvent[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  /** Cycle of the earliest event, or Infinity. */
  peekCycle(): number {
    const top = this.items[0];
    return top ? Math.floor(top.key / 4) : Number.POSITIVE_INFINITY;
  }

  push(
    cycle: number,
    phase: number,
    kind: number,
    owner: unknown,
    i = 0,
    data: unknown = null,
    aux = 0,
  ): void {
    let ev = this.free.pop();
    if (ev) {
      ev.key = cycle * 4 + phase;
      ev.seq = this.seq++;
      ev.kind = kind;
      ev.owner = owner;
      ev.i = i;
      ev.data = data;
      ev.aux = aux;
    } else ev = { key: cycle * 4 + phase, seq: this.seq++, kind, owner, i, data, aux };
    const a = this.items;
    let j = a.length;
    a.push(ev);
    while (j > 0) {
      const p = (j - 1) >> 1;
      const q = a[p]!;
      if (q.key < ev.key || (q.key === ev.key && q.seq < ev.seq)) break;
      a[j] = q;
      j = p;
    }
    a[j] = ev;
  }

  /** Returns a handled event for reuse; the caller must not keep it. */
  release(ev: SimEvent): void {
    ev.owner = null;
    ev.data = null;
    this.free.push(ev);
  }

  pop(): SimEvent | undefined {
    const a = this.items;
    const top = a[0];
    if (top === undefined) return undefined;
    const last = a.pop()!;
    const n = a.length;
    if (n > 0) {
      let j = 0;
      for (;;) {
        const l = 2 * j + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        if (r < n) {
          const x = a[r]!;
          const y = a[l]!;
          if (x.key < y.key || (x.key === y.key && x.seq < y.seq)) c = r;
        }
        const m = a[c]!;
        if (last.key < m.key || (last.key === m.key && last.seq < m.seq)) break;
        a[j] = m;
        j = c;
      }
      a[j] = last;
    }
    return top;
  }
}
