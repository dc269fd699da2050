// The HBM controller's per-channel request queues, as ring buffers on typed arrays: requests go in at the tail in
// arrival order and leave from any position, the rest keeping their order. No allocation per request.
// Channel c's k-th queued request sits at slot c * cap + ((head[c] + k) & (cap - 1)); cap is a power of two.

export class RequestQueues {
  private cap = 64;
  readonly len: Int32Array;
  private readonly head: Int32Array;
  arrival: Float64Array;
  bytes: Float64Array;
  owner: Int32Array;
  /** First row (channel row index) and rows spanned; the first row's bank and its row within the bank. */
  first: Int32Array;
  rows: Int32Array;
  bank: Int32Array;
  row: Int32Array;

  constructor(private readonly channels: number) {
    this.len = new Int32Array(channels);
    this.head = new Int32Array(channels);
    const n = channels * this.cap;
    this.arrival = new Float64Array(n);
    this.bytes = new Float64Array(n);
    this.owner = new Int32Array(n);
    this.first = new Int32Array(n);
    this.rows = new Int32Array(n);
    this.bank = new Int32Array(n);
    this.row = new Int32Array(n);
  }

  /** The slot of channel c's k-th request (k < len[c]). */
  slot(c: number, k: number): number {
    return c * this.cap + ((this.head[c]! + k) & (this.cap - 1));
  }

  /** A slot at the tail of channel c's queue for the caller to fill. */
  append(c: number): number {
    if (this.len[c] === this.cap) this.grow();
    return this.slot(c, this.len[c]!++);
  }

  /** Removes channel c's k-th request (read its fields first): the k requests ahead of it move back one slot. */
  remove(c: number, k: number): void {
    for (let j = k; j > 0; j--) {
      const to = this.slot(c, j);
      const from = this.slot(c, j - 1);
      this.arrival[to] = this.arrival[from]!;
      this.bytes[to] = this.bytes[from]!;
      this.owner[to] = this.owner[from]!;
      this.first[to] = this.first[from]!;
      this.rows[to] = this.rows[from]!;
      this.bank[to] = this.bank[from]!;
      this.row[to] = this.row[from]!;
    }
    this.head[c] = (this.head[c]! + 1) & (this.cap - 1);
    this.len[c]!--;
  }

  /** Doubles every channel's ring, unwrapping each so its head lands at slot 0. */
  private grow(): void {
    const old = this.cap;
    const cap = old * 2;
    const regrow = <T extends Float64Array | Int32Array>(a: T, make: (k: number) => T): T => {
      const b = make(this.channels * cap);
      for (let c = 0; c < this.channels; c++) {
        for (let k = 0; k < this.len[c]!; k++)
          b[c * cap + k] = a[c * old + ((this.head[c]! + k) & (old - 1))]!;
      }
      return b;
    };
    this.arrival = regrow(this.arrival, (k) => new Float64Array(k));
    this.bytes = regrow(this.bytes, (k) => new Float64Array(k));
    this.owner = regrow(this.owner, (k) => new Int32Array(k));
    this.first = regrow(this.first, (k) => new Int32Array(k));
    this.rows = regrow(this.rows, (k) => new Int32Array(k));
    this.bank = regrow(this.bank, (k) => new Int32Array(k));
    this.row = regrow(this.row, (k) => new Int32Array(k));
    this.head.fill(0);
    this.cap = cap;
  }
}
