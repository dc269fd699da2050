// A binary-heap event queue on typed arrays: (time, kind, a, b) events popped in time order, ties in insertion
// order, so a simulation that pushes the same events gets the same sequence. No allocation per event.
// Layout (for speed): the heap holds only each event's time and the pool slot of its payload (kind, a, b and the
// insertion number), so a sift moves two numbers per level and reads the insertion number only on equal times.

export class EventQueue {
  /** Heap order: time and payload slot of the event at each heap position. */
  private times = new Float64Array(1024);
  private slots = new Int32Array(1024);
  /** Payload pool, indexed by slot; `free` stacks the slots not in use. */
  private seqs = new Float64Array(1024);
  private kinds = new Int32Array(1024);
  private as = new Int32Array(1024);
  private bs = new Int32Array(1024);
  private free = new Int32Array(1024);
  private nFree = 0;
  private nSlots = 0;
  private n = 0;
  private counter = 0;
  /** The popped event's time, kept in a typed array so a pop allocates no heap number. */
  private readonly popped = new Float64Array(1);
  kind = 0;
  a = 0;
  b = 0;

  /** The popped event, valid until the next pop. */
  get time(): number {
    return this.popped[0]!;
  }

  get size(): number {
    return this.n;
  }

  push(time: number, kind: number, a: number, b = 0): void {
    if (this.n === this.times.length) this.grow();
    const slot = this.nFree > 0 ? this.free[--this.nFree]! : this.nSlots++;
    const seq = this.counter++;
    this.seqs[slot] = seq;
    this.kinds[slot] = kind;
    this.as[slot] = a;
    this.bs[slot] = b;
    const times = this.times;
    const slots = this.slots;
    let i = this.n++;
    // Sift up: every event already queued was inserted earlier, so on equal times the new one stays below.
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (times[p]! <= time) break;
      times[i] = times[p]!;
      slots[i] = slots[p]!;
      i = p;
    }
    times[i] = time;
    slots[i] = slot;
  }

  /** Removes the earliest event into (time, kind, a, b); false when empty. */
  pop(): boolean {
    if (this.n === 0) return false;
    const times = this.times;
    const slots = this.slots;
    const seqs = this.seqs;
    const top = slots[0]!;
    this.popped[0] = times[0]!;
    this.kind = this.kinds[top]!;
    this.a = this.as[top]!;
    this.b = this.bs[top]!;
    this.free[this.nFree++] = top;
    const last = --this.n;
    if (last === 0) return true;
    const t = times[last]!;
    const slot = slots[last]!;
    const s = seqs[slot]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= last) break;
      const r = l + 1;
      let c = l;
      if (r < last) {
        const tr = times[r]!;
        const tl = times[l]!;
        if (tr < tl || (tr === tl && seqs[slots[r]!]! < seqs[slots[l]!]!)) c = r;
      }
      const ct = times[c]!;
      if (ct > t || (ct === t && seqs[slots[c]!]! > s)) break;
      times[i] = ct;
      slots[i] = slots[c]!;
      i = c;
    }
    times[i] = t;
    slots[i] = slot;
    return true;
  }

  private grow(): void {
    const size = this.times.length * 2;
    const grow = <T extends Float64Array | Int32Array>(old: T, make: (n: number) => T): T => {
      const next = make(size);
      next.set(old);
      return next;
    };
    this.times = grow(this.times, (n) => new Float64Array(n));
    this.slots = grow(this.slots, (n) => new Int32Array(n));
    this.seqs = grow(this.seqs, (n) => new Float64Array(n));
    this.kinds = grow(this.kinds, (n) => new Int32Array(n));
    this.as = grow(this.as, (n) => new Int32Array(n));
    this.bs = grow(this.bs, (n) => new Int32Array(n));
    this.free = grow(this.free, (n) => new Int32Array(n));
  }
}
