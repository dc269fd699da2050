// The step between stamped copies and each copy's deskews (docs/compiler.md "Stamping repeated layers", "Later
// deskews"). In: the least step at which every recv of a copy issues after its words arrived (stamp.ts), the words
// that cross between groups whose copies are shifted by different numbers of units, the machine. Out: the step
// delta, a multiple of the epoch E (not of the deskew period P), and each chip's deskews for its phase.
//
// Why a multiple of E is enough (docs/isa.md "Many chips"): a deskew pauses its chip to the next epoch boundary, so
// chips that deskewed together at cycle 0 and then deskew at cycles that are multiples of E, never more than P
// apart, keep program cycle k at global time E + k - 1 (within P maxDrift < 0.25 cycles), wherever their grids of
// deskews lie: a copy shifted by s units deskews at 0 and then at phase (s delta mod P) + j P, so its own words keep
// their distance to its own deskews as they had in unit 0. A word between two chips of different phases is exact
// when it leaves (sender's cycle F) outside cycles kP - 1 .. kP + 1 of the receiver's grid: the simulator converts
// F to the receiver's cycle under the receiver's anchor in force at that global time (simulator/lpu/clock.ts), so a
// word leaving in the receiver's deskew cycle is converted before or after its pause depending on the seed. The
// sender's grid only bounds the drift (its words already avoid it). The step is the smallest multiple of E at or
// above the need whose crossing words all clear their receivers' grids; a multiple of P always does (the reduced
// program's words clear the common grid), so the search ends there at the latest.
import type { Instruction } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { deskewPeriodOf } from "./deskew.ts";

/** Words that leave a sender of one group for a receiver of another: their leave cycles in the reduced program and
 * how many units more the sender's copy is shifted than the receiver's (-1 from unit k to unit k + 1). */
export interface Crossing {
  readonly leaves: readonly number[];
  readonly units: number;
}

/** The step between one unit's schedule and the next one's: the smallest multiple of the epoch >= need (>= one
 * epoch) at which every crossing word clears its receiver's deskews; with `phased` false (a deskew that shares its
 * queue, which a copy cannot re-time alone), the smallest multiple of the deskew period >= need. */
export function stampStep(need: number, crossings: readonly Crossing[], m: Machine, phased: boolean): number {
  const period = deskewPeriodOf(m);
  const byPeriod = Math.max(1, Math.ceil(need / period)) * period;
  if (!phased) return byPeriod;
  const epoch = m.c2c.epochCycles;
  for (let delta = Math.max(1, Math.ceil(need / epoch)) * epoch; delta < byPeriod; delta += epoch)
    if (crossings.every((c) => c.leaves.every((f) => clearOfDeskew(f + c.units * delta, period))))
      return delta;
  return byPeriod;
}

/** A word leaving `f` cycles after its receiver's phase is not within a cycle of a deskew (deskew.ts deskewClash). */
function clearOfDeskew(f: number, period: number): boolean {
  const r = ((f % period) + period) % period;
  return r > 1 && r < period - 1;
}

/** The deskews of a chip whose grid is shifted by `phase` (0 <= phase < period, a multiple of the epoch), covering
 * every word that leaves up to cycle `last`: at 0 (every chip aligns at the start), then at phase + j P up to the
 * last at or before `last`, as one repeated deskew (docs/isa.md). With phase 0 one instruction, as before. */
export function phasedDeskews(
  phase: number,
  last: number,
  period: number,
): { inst: Instruction; cycle: number }[] {
  const repeated = (n: number): Instruction => (n > 1 ? { op: "deskew", n, period } : { op: "deskew" });
  const from = Math.max(0, last);
  if (phase === 0) return [{ inst: repeated(Math.floor(from / period) + 1), cycle: 0 }];
  const out = [{ inst: repeated(1), cycle: 0 }];
  if (from >= phase) out.push({ inst: repeated(Math.floor((from - phase) / period) + 1), cycle: phase });
  return out;
}
