// A finished LPU simulation -> the activity counts the energy model charges: MACs by type, VXM lane operations,
// SRAM bytes, link bytes. Counted from the instructions each queue actually issued in the run (not from the
// program text), so a run the simulator stopped early is charged only for what it did. `programCounts` gives the
// same counts from the program alone, for a complete run that was not simulated (a sweep's large programs).

import { instructionAt } from "../../../arch/columns.ts";
import { columnsOf } from "../../../arch/columns-build.ts";
import { queuesOf } from "../../../arch/copies.ts";
import { ELEM_BYTES, type Instruction, type Program } from "../../../arch/isa.ts";
import type { Machine } from "../../../arch/machine.ts";
import { assertNever } from "../../../util/assert.ts";
import type { Simulator } from "../../lpu/index.ts";

export interface LpuCounts {
  /** Multiply-accumulates the MXM arrays performed, by input type. */
  readonly macs: Readonly<Partial<Record<"int8" | "fp8" | "fp16" | "bf16", number>>>;
  /** VXM lane operations (one per lane per vector). */
  readonly vectorOps: number;
  /** Bytes read from and written to SRAM. */
  readonly sramBytes: number;
  /** Bytes sent over chip-to-chip links. */
  readonly linkBytes: number;
  /** Activation vectors the MXMs streamed, and the vectors of every kind (for the report). */
  readonly mxmVectors: number;
  readonly vectors: number;
}

/** What one issued instruction adds to the counts; `lanes` bytes per 320-byte word. */
function countInto(c: Mutable, inst: Instruction, rows: number, cols: number, lanes: number): void {
  switch (inst.op) {
    case "abc":
      // Every activation vector passes through the whole rows x cols array: the energy of the MACs the array
      // switches, padding included (zero-operand gating, which would save some, is not modelled: an upper bound).
      if (inst.type === "int8" || inst.type === "fp8" || inst.type === "fp16" || inst.type === "bf16")
        c.macs[inst.type] = (c.macs[inst.type] ?? 0) + inst.n * rows * cols;
      c.mxmVectors += inst.n;
      break;
    case "read":
    case "write":
    case "gather":
    case "scatter":
      // MEM moves one 320-byte word per vector whatever the element type (multi-byte types are byte planes in
      // several slices, each with its own read or write).
      c.sramBytes += inst.n * lanes;
      break;
    case "vunary":
    case "vbinary":
    case "convert":
    case "vaccum":
      c.vectorOps += inst.n * lanes;
      break;
    case "send":
      // A vector of type T is bytes(T) words on the link.
      c.linkBytes += inst.n * ELEM_BYTES[inst.type] * lanes;
      break;
    // Not charged: LW/ACC move operands between streams and the array (stream wires, not in the energy model);
    // SXM moves lanes (wires too); recv is charged at the sender; ICU control does no datapath work.
    case "lw":
    case "acc":
    case "iw":
    case "sxm":
    case "recv":
    case "nop":
    case "sync":
    case "notify":
    case "deskew":
      break;
    default:
      assertNever(inst, "instruction");
  }
  // A deskew's n counts repetitions, not vectors.
  if (inst.op !== "deskew" && "n" in inst) c.vectors += inst.n;
}

interface Mutable {
  macs: Record<string, number>;
  vectorOps: number;
  sramBytes: number;
  linkBytes: number;
  mxmVectors: number;
  vectors: number;
}

function emptyCounts(): Mutable {
  return { macs: {}, vectorOps: 0, sramBytes: 0, linkBytes: 0, mxmVectors: 0, vectors: 0 };
}

/** Counts what every queue of every chip issued (instructions 0 .. next-1 of each queue). */
export function lpuCounts(sim: Simulator): LpuCounts {
  const m = sim.machine;
  const c = emptyCounts();
  for (const chip of sim.chips)
    for (const q of chip.queues)
      for (let i = 0; i < q.next; i++) countInto(c, q.insts[i]!.placed.inst, m.mxm.rows, m.mxm.cols, m.lanes);
  return c;
}

/**
 * What a complete run of `program` issues, from the program alone: the ISA has no branches, so a run that finishes
 * issues every instruction of every queue exactly once. Equals lpuCounts of a finished simulation of the program.
 */
export function programCounts(program: Program, m: Machine): LpuCounts {
  const c = emptyCounts();
  for (const chip of program.chips)
    for (const q of queuesOf(program, chip)) {
      const cols = columnsOf(q);
      for (let k = 0; k < cols.count; k++)
        countInto(c, instructionAt(cols, k), m.mxm.rows, m.mxm.cols, m.lanes);
    }
  return c;
}
