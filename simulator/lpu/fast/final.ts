// The words left on a chip's streams when a fast run ends (fast/run.ts), for state(). In: the chip's issue cycles and
// the run's last cycle C. Out: the stream file as the exact engine leaves it where state() can see it: a word visible
// at (p, C) was put at a cycle >= C - positions, so the puts of the last 2 * positions cycles are replayed, in cycle
// order, into the chip's StreamFile (timing only: no values). The chip keeps the instructions that put in that window
// (chip-run.ts `recent`), so this costs nothing per instruction of the program.

import type { ChipState } from "../chip.ts";
import {
  OP_ACC,
  OP_CONVERT,
  OP_GATHER,
  OP_READ,
  OP_RECV,
  OP_SXM,
  OP_VACCUM,
  OP_VBINARY,
  OP_VUNARY,
  SXM_TRANSPOSE,
  TYPE_BYTES,
} from "../code.ts";
import type { Simulator } from "../simulator.ts";

export function replayFinalPuts(
  sim: Simulator,
  chip: ChipState,
  recent: readonly number[],
  last: number,
): void {
  const code = sim.code;
  const from = last - 2 * sim.machine.sliceOrder.length;
  const puts: { cycle: number; g: number; pos: number; id: number }[] = [];
  for (let j = 0; j < recent.length; j += 3) {
    if (recent[j + 2]! < from) continue;
    const id = recent[j]!;
    const t = recent[j + 1]!;
    const q = sim.queues[code.queue[id]!]!;
    {
      const op = code.op[id]!;
      const n = code.n[id]!;
      const L = code.latency[id]!;
      let c0: number;
      let count = n;
      let bytes: number;
      switch (op) {
        case OP_READ:
        case OP_GATHER:
          c0 = t + L;
          bytes = 1;
          break;
        case OP_VUNARY:
        case OP_VBINARY:
          c0 = t + L;
          bytes = TYPE_BYTES[code.t0[id]!]!;
          break;
        case OP_CONVERT:
          c0 = t + L;
          bytes = TYPE_BYTES[code.t1[id]!]!;
          break;
        case OP_VACCUM:
          c0 = t + n - 1 + L;
          count = 1;
          bytes = 4;
          break;
        case OP_SXM:
          c0 = t + (code.fn[id] === SXM_TRANSPOSE ? 15 + L : L);
          bytes = TYPE_BYTES[code.t0[id]!]!;
          break;
        case OP_ACC:
          c0 = t;
          bytes = 4;
          break;
        case OP_RECV:
          c0 = t;
          bytes = TYPE_BYTES[code.t0[id]!]!;
          break;
        default:
          throw new Error(`internal error: opcode ${op} does not put`);
      }
      if (c0 + count - 1 < from) continue;
      const g = code.s0[id]!;
      for (let c = Math.max(c0, from); c < c0 + count; c++)
        for (let b = 0; b < bytes; b++) puts.push({ cycle: c, g: g + b, pos: q.position, id });
    }
  }
  puts.sort((a, b) => a.cycle - b.cycle);
  const streams = chip.streams;
  for (const p of puts) streams.put(p.g, p.pos, p.cycle, null, p.id);
}
