// Link words in the fast path (fast/run.ts), after every chip ran alone. In: each chip's words sent per link (the
// sender cycle each leaves) and recvs; the chips' clocks and deskew cycles. Out: each word's arrival cycle at its
// receiver exactly as units-c2c.ts computes it, receivers' ends extended to their arrivals, and a Bail when a recv
// could find too few words or a word would stay unreceived.
//
// The exact engine maps a word leaving sender S in its cycle F to round(g_R^-1(g_S(F))) + L_link with R's clock as it
// is when S processes cycle F: chips are processed in global-time order (ties to the chip listed first), and a
// deskew changes a clock's anchor after the chip's deskew cycle. So R's deskew at cycle t counts for the word iff
// (g_R(t), R's order) < (g_S(F), S's order), each global time taken with the anchors in force before that cycle.
import { cycleAtAnchor, deskewBoundary, globalTimeAt } from "../clock.ts";
import type { Simulator } from "../simulator.ts";
import { Bail } from "./bail.ts";
import type { FastChip } from "./chip-run.ts";
import type { NumList } from "./num-list.ts";

/**
 * A chip's clock through its deskews: anchor k (k = 0 .. n) is the clock after the first k deskews, as numbers in
 * the run's arrays rather than a ChipClock per deskew (a stamped llama2-70b deskews ~2,000 times on each of ~500
 * chips: a million clock objects, most of a run's garbage). Anchor k's cycle is the k-th deskew's cycle + 1 (the
 * base clock's for k = 0), its global time is in `anchorTime`; the global time of deskew k's cycle (under anchor k)
 * is in `times`.
 */
class ClockHistory {
  /** Index of the chip's first deskew in the run's deskew list (and in `times`); anchors start at `at0`. */
  readonly from: number;
  readonly n: number;
  private readonly at0: number;
  private readonly cycle0: number;
  readonly drift: number;
  /** Index of the anchor found by the last `at` (calls come with non-decreasing k, so each walks on from there). */
  private hint = 0;
  constructor(
    fc: FastChip,
    private readonly arrays: HistoryArrays,
    at0: number,
    epoch: number,
  ) {
    const base = fc.chip.clock;
    this.from = fc.deskewFrom;
    this.n = fc.deskewTo - fc.deskewFrom;
    this.at0 = at0;
    this.drift = base.drift;
    const [K0, B0] = base.anchor;
    this.cycle0 = K0;
    const d = arrays.deskews.data;
    const anchors = arrays.anchorTime;
    const times = arrays.times;
    let K = K0;
    let B = B0;
    anchors[at0] = B;
    for (let k = 0; k < this.n; k++) {
      const t = d[this.from + k]!;
      const g = globalTimeAt(K, B, this.drift, t);
      times[this.from + k] = g;
      // ChipClock.deskew: the anchor moves to (t + 1, the boundary after g).
      B = deskewBoundary(g, epoch);
      K = t + 1;
      anchors[at0 + k + 1] = B;
    }
  }

  /** Deskew k's cycle. */
  deskew(k: number): number {
    return this.arrays.deskews.data[this.from + k]!;
  }

  /** Global time of deskew k's cycle. */
  time(k: number): number {
    return this.arrays.times[this.from + k]!;
  }

  /** The anchor in force when the chip processes cycle k (deskews at cycles < k applied). */
  at(k: number): number {
    let j = this.hint;
    if (j > 0 && !(this.deskew(j - 1) < k)) j = 0;
    while (j < this.n && this.deskew(j) < k) j++;
    this.hint = j;
    return j;
  }

  /** Global time of cycle k under anchor j. */
  globalTime(j: number, k: number): number {
    return globalTimeAt(this.anchorCycle(j), this.arrays.anchorTime[this.at0 + j]!, this.drift, k);
  }

  /** The cycle at global time g under anchor j (ChipClock.cycleAt). */
  cycleAt(j: number, g: number): number {
    return cycleAtAnchor(this.anchorCycle(j), this.arrays.anchorTime[this.at0 + j]!, this.drift, g);
  }

  private anchorCycle(j: number): number {
    return j === 0 ? this.cycle0 : this.deskew(j - 1) + 1;
  }
}

/** The run's deskew cycles (every chip's, fast/chip-units.ts) and, per deskew and anchor, their global times. */
interface HistoryArrays {
  readonly deskews: NumList;
  readonly times: Float64Array;
  readonly anchorTime: Float64Array;
}

export function checkLinks(sim: Simulator, chips: readonly FastChip[], deskews: NumList): void {
  const m = sim.machine;
  const L = m.c2c.latency;
  const arrays: HistoryArrays = {
    deskews,
    times: new Float64Array(deskews.length),
    anchorTime: new Float64Array(deskews.length + chips.length),
  };
  const histories = chips.map((fc, i) => new ClockHistory(fc, arrays, fc.deskewFrom + i, m.c2c.epochCycles));
  const index = new Map(chips.map((fc, i) => [fc.chip, i] as const));
  const links = m.c2c.links;
  /** Per receiving (chip, link), chip order * links + link: arrival cycles. */
  const arrivals: (number[] | undefined)[] = [];
  chips.forEach((fc, si) => {
    const sender = histories[si]!;
    fc.links.forEach((fl, li) => {
      if (fl.leaves.length === 0) return;
      const peer = fc.chip.links[li]!.peer;
      if (!peer) throw new Bail("a send on an unwired link");
      const ri = index.get(peer.chip)!;
      const receiver = histories[ri]!;
      const rchip = chips[ri]!;
      const key = ri * links + peer.link;
      let list = arrivals[key];
      if (!list) arrivals[key] = list = [];
      // Leave cycles are non-decreasing, and so mostly their global times: both searches walk on from the last
      // word's answer (and start over when a time goes back), so a link costs its words plus the deskews.
      let j = 0;
      let lastG = Number.NEGATIVE_INFINITY;
      const leaves = fl.leaves.data;
      for (let w = 0; w < fl.leaves.length; w++) {
        const F = leaves[w]!;
        const g = sender.globalTime(sender.at(F), F);
        if (g < lastG) j = 0;
        lastG = g;
        // R's deskews processed before S's cycle F.
        while (j < receiver.n && (receiver.time(j) < g || (receiver.time(j) === g && ri < si))) j++;
        const at = receiver.cycleAt(j, g) + L;
        list.push(at);
        if (at > rchip.lastEvent) rchip.lastEvent = at;
      }
    });
  });
  chips.forEach((fc, ri) => {
    fc.links.forEach((fl, li) => {
      // A typed array sorts numerically without a comparator call per comparison.
      const got = Float64Array.from(arrivals[ri * links + li] ?? []).sort();
      let arrived = 0;
      let received = 0;
      const recv = fl.recvs.data;
      for (let k = 0; k < fl.recvs.length; k += 3) {
        const t = recv[k]!;
        const n = recv[k + 1]!;
        const words = recv[k + 2]!;
        for (let i = 0; i < n; i++) {
          // Arrivals (PHASE_UPDATE) come before a recv's put in the same cycle.
          while (arrived < got.length && got[arrived]! <= t + i) arrived++;
          if (arrived - received < words) throw new Bail("a recv before its words arrive");
          received += words;
        }
      }
      if (received !== got.length) throw new Bail("words never received");
      fl.received = received;
    });
  });
}
