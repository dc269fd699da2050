// Hazards as data and their report. In: what the simulator found (hazard name, chip, queue, instruction, cycle,
// details). Out: Diagnostics (codes from messages.ts) with the instruction's assembly span, sorted by cycle, chip,
// queue and instruction so the report is identical on every run.
import { mnemonicOf } from "../../arch/asm/names.ts";
import type { Placed } from "../../arch/isa.ts";
import { type Diagnostic, diag, formatDiagnostic, LineIndex } from "../../util/diagnostics.ts";
import { HAZARDS, type HazardName } from "./messages.ts";

/** One instruction of the program, numbered across all chips (its id) and within its queue (k). */
export interface InstRecord {
  readonly id: number;
  readonly chip: number;
  readonly queue: string;
  /** Order of the queue in the chip (mem, vxm, mxm, sxm, c2c, by index) for sorting reports. */
  readonly queueOrder: number;
  readonly k: number;
  readonly placed: Placed;
}

export interface Hazard {
  readonly name: HazardName;
  readonly chip: number;
  /** The instruction at fault; absent for data directives. */
  readonly inst?: InstRecord;
  /** Where a fault has no instruction: e.g. ".data slice 3". */
  readonly where?: string;
  /** Program cycle of the chip; absent for static faults. */
  readonly cycle?: number;
  readonly args: readonly (string | number)[];
  readonly hint?: string;
}

export function place(h: Hazard): string {
  const parts = [`chip ${h.chip}`];
  if (h.inst) parts.push(`${h.inst.queue} #${h.inst.k} '${mnemonicOf(h.inst.placed.inst)}'`);
  if (h.where) parts.push(h.where);
  if (h.cycle !== undefined) parts.push(`cycle ${h.cycle}`);
  return parts.join(", ");
}

export function compareHazards(a: Hazard, b: Hazard): number {
  return (
    (a.cycle ?? -1) - (b.cycle ?? -1) ||
    a.chip - b.chip ||
    (a.inst?.queueOrder ?? -1) - (b.inst?.queueOrder ?? -1) ||
    (a.inst?.k ?? -1) - (b.inst?.k ?? -1) ||
    HAZARDS[a.name].code.localeCompare(HAZARDS[b.name].code) ||
    (a.where ?? "").localeCompare(b.where ?? "")
  );
}

export function hazardDiagnostic(h: Hazard, file: string): Diagnostic {
  return diag(HAZARDS[h.name], file, h.inst?.placed.span, [place(h), ...h.args], h.hint);
}

/** The printed report: hazards in time order, each with its source line when the program came from text. */
export function formatHazards(hazards: readonly Hazard[], file = "<program>", source?: string): string {
  const index = source === undefined ? undefined : new LineIndex(source);
  return [...hazards]
    .sort(compareHazards)
    .map((h) => formatDiagnostic(hazardDiagnostic(h, file), index))
    .join("\n");
}
