// Link words in the fast path (fast/run.ts), after every chip ran alone. In: each chip's words sent per link (the
// sender cycle each leaves) and recvs; the chips' clocks and deskew cycles. Out: each word's arrival cycle at its
// receiver exactly as units-c2c.ts computes it, receivers' ends extended to their arrivals, and a Bail when a recv
// could find too few words or a word would stay unreceived.
//
// The exact engine maps a word leaving sender S in its cycle F to round(g_R^-1(g_S(F))) + L_link with R's clock as it
// is when S processes cycle F: chips are processed in global-time order (ties to the chip listed first), and a
// deskew changes a clock's anchor after the chip's deskew cycle. So R's deskew at cycle t counts for the word iff
// (g_R(t), R's order) < (g_S(F), S's order), each global time taken with the anchors in force before that cycle.
import * as clock from "../clock.ts";
import type { Arena } from "../code.ts";
import type { Simulator } from "../simulator.ts";
import { Bail } from "./bail.ts";
import type { FastChip } from "./chip-run.ts";
import type { RunList } from "./num-list.ts";

// What the link check reads per word, as this module's own constants (fast/chip-run.ts: an imported binding is read
// through its module's import cell at each use; docs/performance.md, nineteenth round).
const { cycleAtAnchor, deskewBoundary, globalTimeAt } = clock;

/**
 * Each chip's clock through its deskews, as numbers in arrays of the run rather than a ChipClock per deskew (a
 * stamped llama2-70b deskews ~2,000 times on each of ~500 chips: a clock object per deskew was most of a run's
 * garbage). Anchor j (j = 0 .. n) is the clock after the first j deskews: its cycle is the cycle of deskew j - 1,
 * plus 1 (the base clock's for j = 0), its global time anchorTime[at0 + j], computed once per chip in the order
 * ChipClock.deskew would and read by plain array loads in the per-word loop below (which walks a receiver's deskews
 * from the start for each link).
 */
interface ClockHistory {
  /** Index of the chip's first deskew in the run's deskew list, and its deskews. */
  readonly from: number;
  readonly n: number;
  readonly cycle0: number;
  readonly drift: number;
  /** Where the chip's anchors start in anchorTime. */
  readonly at0: number;
  /** The clock after every deskew: its anchor and its pause (ChipClock's fields, for the install). */
  readonly final: { readonly cycle: number; readonly time: number; readonly pause: number };
}

/**
 * Every chip's ClockHistory, in chip order. One loop over all the chips' deskews (hundreds of thousands), not a
 * constructor per chip: the link check runs once per process, and V8 compiles one running loop (on-stack) sooner
 * than a constructor entered 500 times, whose doubles (the pause, the anchors) it boxes until then.
 */
function clockHistories(
  chips: readonly FastChip[],
  deskews: Float64Array,
  anchorTime: Float64Array,
  epoch: number,
): ClockHistory[] {
  const out: ClockHistory[] = [];
  for (let c = 0; c < chips.length; c++) {
    const fc = chips[c]!;
    const base = fc.chip.clock;
    const from = fc.deskewFrom;
    const n = fc.deskewTo - from;
    const drift = base.drift;
    const anchor = base.anchor;
    const K0 = anchor[0];
    // A chip's anchors start at its first deskew's index plus its place in the run's order (its deskews are there in
    // that order: run.ts runs a family's chips together), so that no two chips' anchors overlap.
    const at0 = from + fc.runIndex;
    let K = K0;
    let B = anchor[1];
    let pause = base.pause;
    anchorTime[at0] = B;
    for (let k = 0; k < n; k++) {
      const t = deskews[from + k]!;
      const g = globalTimeAt(K, B, drift, t);
      // ChipClock.deskew: the pause grows, the anchor moves to (t + 1, the boundary after g).
      const b = deskewBoundary(g, epoch);
      pause += b - globalTimeAt(K, B, drift, t + 1);
      B = b;
      K = t + 1;
      anchorTime[at0 + k + 1] = B;
    }
    out.push({ from, n, cycle0: K0, drift, at0, final: { cycle: K, time: B, pause } });
  }
  return out;
}

/** The check; returns each chip's clock after its deskews (ClockHistory.final, in chip order) for the install. */
export function checkLinks(
  sim: Simulator,
  chips: readonly FastChip[],
  deskewList: RunList,
  anchors: RunList,
  arena: Arena,
): ClockHistory["final"][] {
  const m = sim.machine;
  const L = m.c2c.latency;
  const deskews = deskewList.data;
  // Anchors written chip after chip from index 0, each chip's right after the last one's (contiguous: the array,
  // kept from run to run, is written in place or appended to, and stays packed with no filling first).
  anchors.reserve(deskewList.length + chips.length);
  anchors.length = deskewList.length + chips.length;
  const anchorTime = anchors.data;
  const histories = clockHistories(chips, deskews, anchorTime, m.c2c.epochCycles);
  const index = new Map(chips.map((fc, i) => [fc.chip, i] as const));
  const links = m.c2c.links;
  // Every word's arrival cycle, bucketed by receiving link (receiving chip order * links + link) as it is computed:
  // each link's count of words is its sender's list's length, so the buckets are laid out before the first arrival
  // (no list of pairs to bucket afterwards), and each link's cycles are sorted in place below.
  const ends = chips.length * links;
  const start = new Int32Array(ends + 1);
  for (let si = 0; si < chips.length; si++) {
    const fc = chips[si]!;
    for (let li = 0; li < fc.links.length; li++) {
      const fl = fc.links[li]!;
      if (fl.leaves.length === 0) continue;
      const peer = fc.chip.links[li]!.peer;
      if (!peer) throw new Bail("a send on an unwired link");
      start[index.get(peer.chip)! * links + peer.link + 1]! += fl.leaves.length;
    }
  }
  for (let e = 0; e < ends; e++) start[e + 1]! += start[e]!;
  const fill = start.slice(0, ends);
  const { buf, at: at0 } = arena.take(8 * Math.max(1, start[ends]!), false);
  const cycles = new Float64Array(buf, at0, start[ends]!);
  for (let si = 0; si < chips.length; si++) {
    const fc = chips[si]!;
    const sh = histories[si]!;
    const sFrom = sh.from;
    /** The sender's anchor in force at the last word's cycle (deskews at cycles < F applied). */
    let sj = 0;
    for (let li = 0; li < fc.links.length; li++) {
      const fl = fc.links[li]!;
      if (fl.leaves.length === 0) continue;
      const peer = fc.chip.links[li]!.peer;
      if (!peer) throw new Bail("a send on an unwired link");
      const ri = index.get(peer.chip)!;
      const rh = histories[ri]!;
      const rFrom = rh.from;
      const rchip = chips[ri]!;
      const key = ri * links + peer.link;
      let to = fill[key]!;
      // Leave cycles are non-decreasing, and so mostly their global times: both walks go on from the last word's
      // anchor (and start over when a cycle or a time goes back), so a link costs its words plus the deskews.
      let j = 0;
      let lastG = Number.NEGATIVE_INFINITY;
      const leaves = fl.leaves.data;
      for (let w = 0; w < fl.leaves.length; w++) {
        const F = leaves[w]!;
        if (sj > 0 && !(deskews[sFrom + sj - 1]! < F)) sj = 0;
        while (sj < sh.n && deskews[sFrom + sj]! < F) sj++;
        const sK = sj === 0 ? sh.cycle0 : deskews[sFrom + sj - 1]! + 1;
        const g = globalTimeAt(sK, anchorTime[sh.at0 + sj]!, sh.drift, F);
        if (g < lastG) j = 0;
        lastG = g;
        // R's deskews processed before S's cycle F: those whose cycle's global time (under the anchor before it) is
        // earlier, or equal on a chip listed first.
        while (j < rh.n) {
          const K = j === 0 ? rh.cycle0 : deskews[rFrom + j - 1]! + 1;
          const tj = globalTimeAt(K, anchorTime[rh.at0 + j]!, rh.drift, deskews[rFrom + j]!);
          if (!(tj < g || (tj === g && ri < si))) break;
          j++;
        }
        const rK = j === 0 ? rh.cycle0 : deskews[rFrom + j - 1]! + 1;
        const at = cycleAtAnchor(rK, anchorTime[rh.at0 + j]!, rh.drift, g) + L;
        cycles[to++] = at;
        if (at > rchip.lastEvent) rchip.lastEvent = at;
      }
      fill[key] = to;
    }
  }
  for (let ri = 0; ri < chips.length; ri++) {
    const fc = chips[ri]!;
    for (let li = 0; li < fc.links.length; li++) {
      const fl = fc.links[li]!;
      const e = ri * links + li;
      const from = start[e]!;
      const count = start[e + 1]! - from;
      if (count === 0 && fl.recvs.length === 0) continue;
      // A link's words arrive mostly in the order they left (one sender per link): sorted only when they are not. A
      // typed array sorts numerically without a comparator call per comparison.
      let sorted = true;
      for (let i = from + 1; i < from + count; i++)
        if (cycles[i - 1]! > cycles[i]!) {
          sorted = false;
          break;
        }
      if (!sorted) cycles.subarray(from, from + count).sort();
      let arrived = 0;
      let received = 0;
      const recv = fl.recvs.data;
      for (let k = 0; k < fl.recvs.length; k += 3) {
        const t = recv[k]!;
        const n = recv[k + 1]!;
        const words = recv[k + 2]!;
        for (let i = 0; i < n; i++) {
          // Arrivals (PHASE_UPDATE) come before a recv's put in the same cycle.
          while (arrived < count && cycles[from + arrived]! <= t + i) arrived++;
          if (arrived - received < words) throw new Bail("a recv before its words arrive");
          received += words;
        }
      }
      if (received !== count) throw new Bail("words never received");
      fl.received = received;
    }
  }
  return histories.map((h) => h.final);
}
