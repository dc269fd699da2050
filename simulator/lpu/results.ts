// The results of a finished run: cycles (program cycles, the same for every clock seed when the program deskews
// correctly), time at the preset clock, instructions and vectors, busy fraction per unit kind, SRAM bytes used,
// the deskew pause, and each output region's values and checksum.
import type { ElemType, UnitKind } from "../../arch/isa.ts";
import { QUEUE_KIND_ORDER, queueCount } from "../../arch/presets.ts";
import type { Hazard } from "./hazards.ts";
import type { Simulator } from "./simulator.ts";
import { checksumBytes, decode } from "./values.ts";

export interface OutputValues {
  readonly chip: number;
  readonly name: string;
  readonly type: ElemType;
  readonly words: number;
  readonly checksum: string;
  /** All element values, word by word, when there are at most MAX_VALUES of them (else omitted). */
  readonly values?: number[];
}

export interface RunResult {
  readonly cycles: number;
  readonly latencyUs: number;
  readonly instructions: number;
  readonly vectors: number;
  readonly chips: number;
  readonly utilization: Readonly<Record<UnitKind, number>>;
  readonly sramBytesMax: number;
  /** Largest total deskew pause of a chip, in global (nominal) cycles: depends on the seed, unlike `cycles`. */
  readonly pauseCycles: number;
  readonly outputs: readonly OutputValues[];
  readonly hazards: readonly Hazard[];
}

export const MAX_VALUES = 4096;

export function collectResults(sim: Simulator): RunResult {
  const m = sim.machine;
  const cycles = Math.max(0, ...sim.chips.map((c) => c.end));
  const busy: Record<string, number> = {};
  for (const kind of QUEUE_KIND_ORDER) busy[kind] = 0;
  for (const chip of sim.chips) for (const q of chip.queues) busy[q.kind] = (busy[q.kind] ?? 0) + q.busy;
  const utilization = {} as Record<UnitKind, number>;
  for (const kind of QUEUE_KIND_ORDER) {
    const units = queueCount(m, kind) * sim.chips.length;
    utilization[kind] = cycles > 0 && units > 0 ? round6(busy[kind]! / (units * cycles)) : 0;
  }
  const outputs: OutputValues[] = [];
  const sources = new Map(sim.prepared.chips.map((c) => [c.chip, c.source]));
  for (const chip of sim.chips) {
    const source = sources.get(chip.id)!;
    for (const o of [...source.outputs].sort((a, b) => a.name.localeCompare(b.name))) {
      const chunks: Uint8Array[] = [];
      const values: number[] = [];
      for (let w = 0; w < o.words; w++) {
        const planes = o.slices.map((s) => chip.sram.peek(s, o.addr + w) ?? new Uint8Array(m.lanes));
        for (const p of planes) chunks.push(p);
        if (o.words * m.lanes <= MAX_VALUES) values.push(...decode(o.type, planes, m.lanes));
      }
      outputs.push({
        chip: chip.id,
        name: o.name,
        type: o.type,
        words: o.words,
        checksum: checksumBytes(chunks),
        ...(o.words * m.lanes <= MAX_VALUES && sim.functional ? { values } : {}),
      });
    }
  }
  return {
    cycles,
    latencyUs: round6(cycles / m.clockMHz),
    instructions: sim.instructions,
    vectors: sim.vectors,
    chips: sim.chips.length,
    utilization,
    sramBytesMax: Math.max(0, ...sim.chips.map((c) => c.sram.usedWords * m.lanes)),
    pauseCycles: round6(Math.max(0, ...sim.chips.map((c) => c.clock.pause))),
    outputs,
    hazards: sim.hazards,
  };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
