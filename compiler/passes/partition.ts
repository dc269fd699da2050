// Pass `partition`: kernel IR + chip count -> the kernel IR with a chip for every op and tensor, after checking that
// the chips' SRAM can hold the weights, state and activations (LPU5001 says the smallest chip count that fits).
// Today every op goes to chip 0 (splitting across chips is not built): more chips than needed is a warning.
import type { Machine } from "../../arch/machine.ts";
import { sramBytesPerChip } from "../../arch/machine.ts";
import type { Diagnostic } from "../../util/diagnostics.ts";
import { diag } from "../../util/diagnostics.ts";
import { DTYPE_BYTES } from "../graph/ir.ts";
import type { KernelGraph, KTensor } from "./kernel-ir.ts";
import { M } from "./messages.ts";

export interface PartitionedGraph {
  readonly kernel: KernelGraph;
  /** Chips the program runs on (1 until splitting is built). */
  readonly chips: number;
  /** Chip of each tensor (and of the ops that define it), sorted by tensor id. */
  readonly chipOf: ReadonlyMap<string, number>;
  /** Bytes the model needs in SRAM, lane-padded, every tensor resident (an upper bound on what allocation uses). */
  readonly sramBytesNeeded: number;
}

/** SRAM bytes a tensor takes once tiled: every row a vector per 320-lane column tile, per byte. */
export function paddedBytes(t: KTensor, lanes: number): number {
  return t.rows * Math.ceil(t.cols / lanes) * lanes * DTYPE_BYTES[t.dtype];
}

export function partition(
  kernel: KernelGraph,
  machine: Machine,
  chips: number,
  file: string,
): { partitioned: PartitionedGraph; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const perChip = sramBytesPerChip(machine);
  const needed = kernel.tensors.reduce((s, t) => s + paddedBytes(t, machine.lanes), 0);
  const minChips = Math.max(1, Math.ceil(needed / perChip));
  const dtypes = [...new Set(kernel.tensors.filter((t) => t.role === "param").map((t) => t.dtype))].sort();
  if (minChips > chips) {
    diagnostics.push(
      diag(M.notEnoughChips, file, undefined, [
        kernel.name,
        dtypes.join("/") || "its dtypes",
        minChips,
        needed,
        perChip,
        chips,
      ]),
    );
  } else if (minChips > 1) {
    diagnostics.push(
      diag(M.unsupportedShape, file, undefined, [
        kernel.name,
        `it needs ${minChips} chips and splitting a model across chips is not built yet`,
      ]),
    );
  } else if (chips > 1) {
    diagnostics.push(diag(M.chipsUnused, file, undefined, [chips, 1]));
  }
  const chipOf = new Map(kernel.tensors.map((t) => [t.id, 0]));
  return { partitioned: { kernel, chips: 1, chipOf, sramBytesNeeded: needed }, diagnostics };
}

export function printPartition(p: PartitionedGraph): string {
  const lines = [`partition: ${p.chips} chip(s), ${p.sramBytesNeeded} bytes of SRAM needed`];
  for (const [t, c] of [...p.chipOf].sort((a, b) => (a[0] < b[0] ? -1 : 1)))
    lines.push(`  ${t} -> chip ${c}`);
  return `${lines.join("\n")}\n`;
}
