// A binary-heap event queue on typed arrays: (time, kind, a, b) events popped in time order, ties in insertion
// order, so a simulation that pushes the same events gets the same sequence. No allocation per event.

export class EventQueue {
  private times = new Float64Array(1024);
  private seqs = new Float64Array(1024);
  private kinds = new Int32Array(1024);
  private as = new Int32Array(1024);
  private bs = new Int32Array(1024);
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
    let i = this.n++;
    const seq = this.counter++;
    // Sift up.
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = this.times[p]!;
      if (pt < time || (pt === time && this.seqs[p]! < seq)) break;
      this.move(p, i);
      i = p;
    }
    this.times[i] = time;
    this.seqs[i] = seq;
    this.kinds[i] = kind;
    this.as[i] = a;
    this.bs[i] = b;
  }

  /** Removes the earliest event into (time, kind, a, b); false when empty. */
  pop(): boolean {
    if (this.n === 0) return false;
    this.popped[0] = this.times[0]!;
    this.kind = this.kinds[0]!;
    this.a = this.as[0]!;
    this.b = this.bs[0]!;
    const last = --this.n;
    if (last === 0) return true;
    const t = this.times[last]!;
    const s = this.seqs[last]!;
    const k = this.kinds[last]!;
    const a = this.as[last]!;
    const b = this.bs[last]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= last) break;
      const r = l + 1;
      let c = l;
      if (
        r < last &&
        (this.times[r]! < this.times[l]! ||
          (this.times[r] === this.times[l] && this.seqs[r]! < this.seqs[l]!))
      )
        c = r;
      const ct = this.times[c]!;
      if (ct > t || (ct === t && this.seqs[c]! > s)) break;
      this.move(c, i);
      i = c;
    }
    this.times[i] = t;
    this.seqs[i] = s;
    this.kinds[i] = k;
    this.as[i] = a;
    this.bs[i] = b;
    return true;
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from]!;
    this.seqs[to] = this.seqs[from]!;
    this.kinds[to] = this.kinds[from]!;
    this.as[to] = this.as[from]!;
    this.bs[to] = this.bs[from]!;
  }

  private grow(): void {
    const size = this.times.length * 2;
    const grow = <T extends Float64Array | Int32Array>(old: T, make: (n: number) => T): T => {
      const next = make(size);
      next.set(old);
      return next;
    };
    this.times = grow(this.times, (n) => new Float64Array(n));
    this.seqs = grow(this.seqs, (n) => new Float64Array(n));
    this.kinds = grow(this.kinds, (n) => new Int32Array(n));
    this.as = grow(this.as, (n) => new Int32Array(n));
    this.bs = grow(this.bs, (n) => new Int32Array(n));
  }
}
