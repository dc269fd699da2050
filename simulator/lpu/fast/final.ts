// The words left on a chip's streams when a fast run ends (fast/run.ts), for state(). In: the chip's last puts and
// the run's last cycle C. Out: the stream file as the exact engine leaves it where state() can see it: a word visible
// at (p, C) was put at a cycle >= C - positions, so the puts of the last 2 * positions cycles are replayed, in cycle
// order, into the chip's StreamFile (timing only: no values). The chip keeps the puts of that window (chip-run.ts
// `recent`, as the run made them), so this costs nothing per instruction of the program and needs no encoding.

import type { ChipState } from "../chip.ts";
import type { Simulator } from "../simulator.ts";
import { RECENT } from "./chip-state.ts";

export function replayFinalPuts(
  sim: Simulator,
  chip: ChipState,
  recent: ArrayLike<number>,
  last: number,
): void {
  const from = last - 2 * sim.machine.sliceOrder.length;
  const puts: { cycle: number; g: number; pos: number; id: number }[] = [];
  for (let j = 0; j < recent.length; j += RECENT) {
    const id0 = recent[j]!;
    const g = recent[j + 1]!;
    const bytes = recent[j + 2]!;
    const pos = recent[j + 3]!;
    const c0 = recent[j + 4]!;
    const each = recent[j + 5]!;
    const count = recent[j + 6]!;
    // The record's instructions whose last vector is at or after `from`.
    for (let i = Math.max(0, Math.floor((from - c0) / each)); i < count; i++) {
      const first = c0 + i * each;
      for (let c = Math.max(first, from); c < first + each; c++)
        for (let b = 0; b < bytes; b++) puts.push({ cycle: c, g: g + b, pos, id: id0 + i });
    }
  }
  puts.sort((a, b) => a.cycle - b.cycle);
  const streams = chip.streams;
  for (const p of puts) streams.put(p.g, p.pos, p.cycle, null, p.id);
}
