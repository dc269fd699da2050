// Plesiochronous clocks (docs/isa.md "Many chips"). In: a seed, the chip ids, the machine. Out: per chip a drift
// and a start offset, the map between a chip's program cycles and global time, deskew, and word arrival times.
//
// The model. Global time g is measured in nominal cycles. Chip c runs at the preset clock times (1 + d_c), d_c
// drawn from the seed in [-maxDriftPpm, +maxDriftPpm] ppm, and begins program cycle 0 at global time o_c, drawn in
// [0, epochCycles / 4). Program cycle k happens at g_c(k) = B + (k - K) / (1 + d_c), where (K, B) is the chip's
// latest anchor ((0, o_c) at launch). `deskew` at cycle t pauses the whole chip after cycle t until the first epoch
// boundary b > g_c(t) (boundaries at 0, E, 2E, ...; the hardware-aligned counters agree on them) and sets the
// anchor (t + 1, b). Program cycles do not advance during the pause: each chip's schedule, in program cycles, is
// exactly what the program says; the pause only moves chips in global time.
// A word that leaves a sender in its program cycle F arrives at the receiver in program cycle
// round(g_r^-1(g_s(F))) + L_link (round half up; a word that leaves while the receiver is paused or not yet
// launched counts from the receiver's next cycle). Two chips that deskewed at the same program cycle share the
// boundary b as their cycle t + 1, so for ~0.5 / (2 maxDrift) cycles afterwards the arrival is exactly F + L_link
// for every seed; without the deskew the start offsets shift it, and a tight `recv` meets `recv-empty` for some
// seeds. Events across chips are processed in global-time order (simulator.ts), which keeps every arrival in the
// receiver's future as long as L_link >= 2.
import type { Machine } from "../../arch/machine.ts";
import { Rng } from "../../util/random.ts";

export class ChipClock {
  /** Anchor: program cycle K happens at global time B. */
  private anchorCycle = 0;
  private anchorTime: number;
  /** Global cycles spent paused in deskew, in all. */
  pause = 0;

  constructor(
    readonly offset: number,
    /** Relative frequency deviation (d_c, not in ppm). */
    readonly drift: number,
  ) {
    this.anchorTime = offset;
  }

  /** An independent copy (the fast path keeps a chip's clock as it was after each deskew). */
  copy(): ChipClock {
    const c = new ChipClock(this.offset, this.drift);
    c.anchorCycle = this.anchorCycle;
    c.anchorTime = this.anchorTime;
    c.pause = this.pause;
    return c;
  }

  /** Global time of program cycle k under the current anchor. */
  globalTime(k: number): number {
    // Written out rather than a call to globalTimeAt (the same expression): the exact engine asks per event.
    return this.anchorTime + (k - this.anchorCycle) / (1 + this.drift);
  }

  /** The program cycle at global time g, rounded half up; the next cycle when the chip is paused at g. */
  cycleAt(g: number): number {
    if (g < this.anchorTime) return this.anchorCycle;
    return Math.floor(this.anchorCycle + (g - this.anchorTime) * (1 + this.drift) + 0.5);
  }

  /** Applies a deskew issued at cycle t: pause until the first epoch boundary after g(t). */
  deskew(t: number, epochCycles: number): void {
    const b = deskewBoundary(this.globalTime(t), epochCycles);
    this.pause += b - this.globalTime(t + 1);
    this.anchorCycle = t + 1;
    this.anchorTime = b;
  }

  /** The anchor (program cycle, global time) in force. */
  get anchor(): readonly [number, number] {
    return [this.anchorCycle, this.anchorTime];
  }

  /** Sets the clock to what a run of deskews left (the fast path computes them as numbers: fast/links.ts). */
  restore(anchorCycle: number, anchorTime: number, pause: number): void {
    this.anchorCycle = anchorCycle;
    this.anchorTime = anchorTime;
    this.pause = pause;
  }
}

// The clock's arithmetic on a bare anchor, for the fast path (fast/links.ts), which keeps a chip's anchors through
// its deskews as numbers: the same expressions as ChipClock's methods above, so the same results to the bit (keep
// them equal; test/simulator/lpu/fast-path.test.ts and deskew-repeat.test.ts compare the two engines).

/** Global time of program cycle k under anchor (K, B) of a chip of drift d. */
export function globalTimeAt(K: number, B: number, d: number, k: number): number {
  return B + (k - K) / (1 + d);
}

/** The program cycle at global time g under anchor (K, B), rounded half up; K when g is before B (paused). */
export function cycleAtAnchor(K: number, B: number, d: number, g: number): number {
  if (g < B) return K;
  return Math.floor(K + (g - B) * (1 + d) + 0.5);
}

/** The global time a deskew at global time g pauses until: the first epoch boundary after g. */
export function deskewBoundary(g: number, epochCycles: number): number {
  return (Math.floor(g / epochCycles) + 1) * epochCycles;
}

/** Each chip's clock, drawn from the seed independently of the other chips (adding a chip changes no other). */
export function drawClock(seed: number, chip: number, m: Machine): ChipClock {
  const rng = new Rng((Math.imul(seed | 0, 0x2c1b3c6d) ^ Math.imul(chip + 1, 0x297a2d39)) >>> 0);
  const offset = rng.next() * (m.c2c.epochCycles / 4);
  const drift = (2 * rng.next() - 1) * m.c2c.maxDriftPpm * 1e-6;
  return new ChipClock(offset, drift);
}

/** Link timing as an exact fraction: a 320-byte word occupies the link num/den cycles. */
export interface WordTime {
  readonly num: number;
  readonly den: number;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** lanes / linkBytesPerCycle = lanes * 8 * clockMHz / (linkGbps * 1000), as a reduced fraction of integers. */
export function wordTime(m: Machine): WordTime {
  let scale = 1;
  while (
    scale < 1e6 &&
    (!Number.isInteger(m.clockMHz * scale) || !Number.isInteger(m.c2c.linkGbps * scale))
  ) {
    scale *= 10;
  }
  const num = Math.round(m.lanes * 8 * m.clockMHz * scale);
  const den = Math.round(m.c2c.linkGbps * 1000 * scale);
  const g = gcd(num, den);
  return { num: num / g, den: den / g };
}
