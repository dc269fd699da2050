// The per-bank state of one GPU's HBM channels: each bank's open row, when that row was activated and when the bank
// is next free. In: writes for one bank, streams (a request that opens rows in consecutive banks) and all-bank
// closes; out: each bank's current state, in flat typed arrays (bank b of channel c at c * banks + b).
//
// Kept eager on purpose. Two lazy forms were tried and measured no faster on llama2-7b: every stream as a record
// with stamps, expanded when a bank is read (slower: the controller reads a bank's open row for every queued
// request on every pick, and shorter streams had to be written out anyway), and only whole-channel streams (at
// least `banks` rows) as a record (no gain: such a stream is mostly followed by a shorter one on its channel).
// One interleaved array of (row, activate, free) per bank instead of three arrays made no difference either.
// A stream's writes walk the banks without division instead.

export class Banks {
  private readonly openRow: Int32Array;
  private readonly actAt: Float64Array;
  private readonly freeAt: Float64Array;

  constructor(
    channels: number,
    private readonly banks: number,
  ) {
    const n = channels * banks;
    this.openRow = new Int32Array(n).fill(-1);
    this.actAt = new Float64Array(n).fill(-1e12);
    this.freeAt = new Float64Array(n);
  }

  /** The open row of bank b in channel c, -1 if none. */
  open(c: number, b: number): number {
    return this.openRow[c * this.banks + b]!;
  }

  /** When the bank's open (or last) row was activated. */
  act(c: number, b: number): number {
    return this.actAt[c * this.banks + b]!;
  }

  /** When the bank can take its next activate or column. */
  free(c: number, b: number): number {
    return this.freeAt[c * this.banks + b]!;
  }

  /** One bank's new state. */
  set(c: number, b: number, row: number, act: number, free: number): void {
    const bi = c * this.banks + b;
    this.openRow[bi] = row;
    this.actAt[bi] = act;
    this.freeAt[bi] = free;
  }

  /**
   * A request opened rows first .. first + rows - 1 (channel row indices) one per `period`: row i was activated
   * at act + i * period and its bank is free at data + (i + 1) * period. Each bank keeps the last row opened in it.
   */
  stream(c: number, first: number, rows: number, act: number, period: number, data: number): void {
    const banks = this.banks;
    const openRow = this.openRow;
    const actAt = this.actAt;
    const freeAt = this.freeAt;
    let i = Math.max(0, rows - banks);
    let b = (first + i) % banks;
    let r = (first + i - b) / banks;
    // At most two runs of consecutive banks: up to the last bank, then from bank 0 with the next row.
    while (i < rows) {
      const end = Math.min(rows, i + banks - b);
      let bi = c * banks + b;
      for (; i < end; i++, bi++) {
        openRow[bi] = r;
        actAt[bi] = act + i * period;
        freeAt[bi] = data + (i + 1) * period;
      }
      b = 0;
      r++;
    }
  }

  /** Every row of channel c closes (all-bank refresh). */
  closeAll(c: number): void {
    this.openRow.fill(-1, c * this.banks, (c + 1) * this.banks);
  }
}
