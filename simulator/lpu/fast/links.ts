// Link words in the fast path (fast/run.ts), after every chip ran alone. In: each chip's words sent per link (the
// sender cycle each leaves) and recvs; the chips' clocks and deskew cycles. Out: each word's arrival cycle at its
// receiver exactly as units-c2c.ts computes it, receivers' ends extended to their arrivals, and a Bail when a recv
// could find too few words or a word would stay unreceived.
//
// The exact engine maps a word leaving sender S in its cycle F to round(g_R^-1(g_S(F))) + L_link with R's clock as it
// is when S processes cycle F: chips are processed in global-time order (ties to the chip listed first), and a
// deskew changes a clock's anchor after the chip's deskew cycle. So R's deskew at cycle t counts for the word iff
// (g_R(t), R's order) < (g_S(F), S's order), each global time taken with the anchors in force before that cycle.
import { ChipClock } from "../clock.ts";
import type { Simulator } from "../simulator.ts";
import { Bail } from "./bail.ts";
import type { FastChip } from "./chip-run.ts";

/** A chip's clock through its deskews: the global time of each deskew cycle and a clock per anchor. */
class ClockHistory {
  /** clocks[k]: the clock after the first k deskews. */
  readonly clocks: ChipClock[] = [];
  /** Global time of deskew k's cycle (under clocks[k]). */
  readonly times: number[] = [];
  constructor(
    base: ChipClock,
    readonly deskews: readonly number[],
    epoch: number,
  ) {
    const c = new ChipClock(base.offset, base.drift);
    this.clocks.push(c.copy());
    for (const t of deskews) {
      this.times.push(c.globalTime(t));
      c.deskew(t, epoch);
      this.clocks.push(c.copy());
    }
  }

  /** Index into `clocks` found by the last `at` (calls come with non-decreasing k, so each walks on from there). */
  private hint = 0;

  /** The clock in force when the chip processes cycle k (deskews at cycles < k applied). */
  at(k: number): ChipClock {
    let j = this.hint;
    if (j > 0 && !(this.deskews[j - 1]! < k)) j = 0;
    while (j < this.deskews.length && this.deskews[j]! < k) j++;
    this.hint = j;
    return this.clocks[j]!;
  }
}

export function checkLinks(sim: Simulator, chips: readonly FastChip[]): void {
  const m = sim.machine;
  const L = m.c2c.latency;
  const histories = chips.map((fc) => new ClockHistory(fc.chip.clock, fc.deskews, m.c2c.epochCycles));
  const index = new Map(chips.map((fc, i) => [fc.chip, i] as const));
  /** Per receiving (chip, link): arrival cycles. */
  const arrivals = new Map<string, number[]>();
  chips.forEach((fc, si) => {
    const sender = histories[si]!;
    fc.links.forEach((fl, li) => {
      if (fl.leaves.length === 0) return;
      const peer = fc.chip.links[li]!.peer;
      if (!peer) throw new Bail("a send on an unwired link");
      const ri = index.get(peer.chip)!;
      const receiver = histories[ri]!;
      const rchip = chips[ri]!;
      const list: number[] = [];
      // Leave cycles are non-decreasing, and so mostly their global times: both searches walk on from the last
      // word's answer (and start over when a time goes back), so a link costs its words plus the deskews.
      let j = 0;
      let lastG = Number.NEGATIVE_INFINITY;
      const leaves = fl.leaves.data;
      for (let w = 0; w < fl.leaves.length; w++) {
        const F = leaves[w]!;
        const g = sender.at(F).globalTime(F);
        if (g < lastG) j = 0;
        lastG = g;
        // R's deskews processed before S's cycle F.
        while (
          j < receiver.deskews.length &&
          (receiver.times[j]! < g || (receiver.times[j] === g && ri < si))
        )
          j++;
        const at = receiver.clocks[j]!.cycleAt(g) + L;
        list.push(at);
        if (at > rchip.lastEvent) rchip.lastEvent = at;
      }
      const key = `${ri}:${peer.link}`;
      const had = arrivals.get(key);
      if (had) for (const a of list) had.push(a);
      else arrivals.set(key, list);
    });
  });
  chips.forEach((fc, ri) => {
    fc.links.forEach((fl, li) => {
      // A typed array sorts numerically without a comparator call per comparison.
      const got = Float64Array.from(arrivals.get(`${ri}:${li}`) ?? []).sort();
      let arrived = 0;
      let received = 0;
      for (let k = 0; k < fl.recvAt.length; k++) {
        const t = fl.recvAt[k]!;
        const words = fl.recvWords[k]!;
        for (let i = 0; i < fl.recvN[k]!; i++) {
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
