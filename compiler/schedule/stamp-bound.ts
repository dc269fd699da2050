// The critical path of a stamped program (stamp.ts) from its reduced model alone: the reduced task graph (the ops
// before the repeat, unit 0, maybe the last unit, the ops after it) + where the units sit + how many there are -> a
// lower bound on the relaxed schedule (bounds.ts `criticalPath`) of the full program: the chain of its units. Fixed
// latencies only: it never reads the scheduled program.
//
// Why it is a lower bound. Relaxed, a task starts at the max over its terms; a term is (the cycle an input is
// written or arrives + a fixed latency) or a constant (cycle 0 or 1, a source, a fresh MXM plane). Every term of a
// task on a unit's chips, with its constants dropped (placement.ts `originOf`), is then a function H of the cycles
// the unit's inputs arrive (the recvs from the group before it: every computed tensor a unit reads comes over a
// link, layers.ts) that is monotone and unchanged by shifting every input by the same c cycles but for the shift:
// H(x + c) = H(x) + c. The relaxed MXM plane choice (the plane where a task ends first) is a min of such terms,
// which keeps both properties, and choosing by the dropped terms' value ends no later than the real choice does.
// Every unit of the stamped program is unit 0 translated to its own chips, with the same tasks, fixed latencies and
// links (stamp.ts checks that unit k's sends meet unit k + 1's recvs as unit 0's would), so every unit maps its
// inputs x_k to the next unit's inputs by the same H: x_{k+1} >= H(x_k).
// One relaxed run of the reduced graph, the tasks before unit 0 counted in full and every other task without its
// constants, gives x_0 (unit 0's input arrivals), y = H(x_0) (the input arrivals of the group after unit 0: the
// last unit, or with a reduced model of one unit the ops after the repeat, whose sends from unit 0 stamp.ts checks
// are those into a unit) and T (the end of that group and everything after it, from y). With d = min(y) - max(x_0):
// H(x_0) >= x_0 + d componentwise, so H^k(y) >= y + k d (monotone, shift), so in the full program that group
// receives no earlier than y + (U - r) d, r the reduced model's units, and ends no earlier than T + (U - r) d. The
// ops before unit 0 and unit 0 itself are the reduced program's: their ends E count too. Bound = max(E, T + (U - r)
// d), a true bound whatever the sign of d. (With r = 1 it is looser than with r = 2 by the last unit's own step
// less d: llama2-70b-fp8, 936,267 -> 927,106 cycles.)
// Assumed, as for every relaxed bound here: a task's cycles depend on the tasks it depends on, not on the order
// the relaxed run places independent tasks in.
import { type RelaxedGraph, relaxedRun } from "./relaxed.ts";

/** Where the reduced model's units are (stamp.ts `StampLayout`) and how many the full program has. */
export interface ChainLayout {
  /** Unit 0 on chips `base .. base + width - 1`; with `reduced` 2 the last unit on the next `width`; the ops after
   * the repeat beyond. */
  readonly base: number;
  readonly width: number;
  /** Units in the full program (>= 3). */
  readonly units: number;
  /** Units in the reduced model: unit 0 alone, or unit 0 and the last. */
  readonly reduced: 1 | 2;
}

/** The relaxed schedule's length of the full stamped program, bounded from below by the chain of its units;
 * `unitRuns` as relaxed.ts's option (the critical path with it, the decomposition path without). */
export function chainedPath(rg: RelaxedGraph, layout: ChainLayout, unitRuns: boolean): number {
  const { base, width, units, reduced } = layout;
  const region = (chip: number) => (chip < base ? -1 : chip < base + width ? 0 : 1);
  const chips = rg.chips;
  // x_0 and y: inputs of unit 0 (from the ops before it) and of the group after it (from unit 0).
  let inLatest = Number.NEGATIVE_INFINITY;
  let outEarliest = Number.POSITIVE_INFINITY;
  const relaxed = relaxedRun(rg, {
    unitRuns,
    chainFrom: base,
    onArrival: (recv, send, cycle) => {
      const [to, by] = [region(chips[recv]!), region(chips[send]!)];
      if (to === 0 && by === -1) inLatest = Math.max(inLatest, cycle);
      if (to === 1 && by === 0) outEarliest = Math.min(outEarliest, cycle);
    },
  });
  // A negative cycle follows from no input (plane-state.ts NO_INPUT): minus infinity in the argument above.
  let head = 0;
  let tail = 0;
  for (let i = 0; i < chips.length; i++)
    if (region(chips[i]!) <= 0) head = Math.max(head, relaxed.ends[i]!);
    else tail = Math.max(tail, relaxed.ends[i]!);
  // No input into unit 0, or one out of it that follows from no input: nothing chains (stamp.ts refuses a unit
  // with no link into it; kept safe here).
  if (inLatest < 0 || outEarliest < 0 || !Number.isFinite(outEarliest)) return head;
  return Math.max(head, tail + (units - reduced) * (outEarliest - inLatest));
}
