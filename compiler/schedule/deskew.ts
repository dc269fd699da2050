// Chip alignment for the scheduler: in, the machine (drift, epoch, link timing); out, the deskew period, whether a
// send's words clear the deskews, and the repeated deskew instruction of a chip. Guarantees every word leaves less
// than one period after its chips' latest deskew and never within a cycle of one (docs/isa.md).
import type { Instruction } from "../../arch/isa.ts";
import { deskewSlots } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import type { InstSink } from "./inst-sink.ts";
import { linkLeaves } from "./timing.ts";

/** Adds `n` deskews of `chip`, `period` cycles apart from cycle 0, on the queue of link `link`, which they
 * occupy from the first to the last (docs/isa.md). */
export function addDeskews(sink: InstSink, chip: number, link: number, n: number, period: number): void {
  const inst: Instruction = n > 1 ? { op: "deskew", n, period } : { op: "deskew" };
  sink.add(
    sink.queue(chip, { kind: "c2c", index: link }),
    inst,
    0,
    deskewSlots(inst),
    "queue",
    sink.deskewNote,
  );
}

/**
 * The longest stretch (a multiple of the epoch) over which chips deskewed together stay aligned to within half a
 * cycle (docs/isa.md: 0.5 / (2 maxDrift) cycles, 2,500 on tsp-v1): chips that talk deskew at every multiple of it
 * up to their last transfer (quiet ones included), so every word leaves less than one period after the latest
 * deskew and arrives exactly L_link later. A period of a whole number of epochs puts every deskew 255 cycles (mod the epoch) after
 * the last alignment, far from an epoch boundary, so no two chips' pauses end at different boundaries.
 */
export function deskewPeriodOf(m: Machine): number {
  const drift = m.c2c.maxDriftPpm * 1e-6;
  const window = drift > 0 ? 0.5 / (2 * drift) : Number.MAX_SAFE_INTEGER;
  const e = m.c2c.epochCycles;
  return Math.max(e, Math.floor((Math.min(window, 2 ** 40) - 1) / e) * e);
}

/** 0 when no word of a send issued at t (words words) leaves within a cycle of a deskew at k * period (k >= 1):
 * a word leaving in the deskew's own cycle would be converted across the pause at a seed-dependent cycle. Else 1:
 * the smallest shift, so the search never skips a feasible start. */
export function deskewClash(m: Machine, t: number, words: number, period: number): number {
  const last = t + linkLeaves(m, words - 1);
  for (let k = Math.max(1, Math.floor((t + 1) / period)); k * period - 1 <= last; k++) {
    const b = k * period;
    if (b + 1 < t) continue;
    for (let j = 0; j < words; j++) {
      const f = t + linkLeaves(m, j);
      if (f > b + 1) break;
      if (f >= b - 1) return 1;
    }
  }
  return 0;
}
