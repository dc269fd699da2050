// Pass `partition`: kernel IR + chip count -> the kernel IR with a chip for every op and tensor, after checking that
// the chips' SRAM can hold the weights, state and activations (LPU5001 says the smallest chip count that fits).
// Strategy today: a matmul whose activation is a source (input, param, state) and has several K tiles is split by K
// tiles over up to one node's chips (partial sums return to chip 0 over links); everything else runs on chip 0.
import type { Machine } from "../../arch/machine.ts";
import { sramBytesPerChip } from "../../arch/machine.ts";
import type { Diagnostic } from "../../util/diagnostics.ts";
import { diag } from "../../util/diagnostics.ts";
import { DTYPE_BYTES } from "../graph/ir.ts";
import type { KernelGraph, KTensor } from "./kernel-ir.ts";
import { M } from "./messages.ts";

export interface PartitionedGraph {
  readonly kernel: KernelGraph;
  /** Chips the program runs on. */
  readonly chips: number;
  /** Chips each matmul's K tiles are split over (absent: 1, on chip 0). */
  readonly matmulChips: ReadonlyMap<string, number>;
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
        `it needs ${minChips} chips and placing layers on separate chips is not built yet`,
      ]),
    );
  }
  const tensors = new Map(kernel.tensors.map((t) => [t.id, t]));
  const matmulChips = new Map<string, number>();
  let used = 1;
  const maxChips = Math.min(chips, machine.system.chipsPerNode, machine.system.localLinksPerChip + 1);
  for (const op of kernel.ops) {
    if (op.kind !== "matmul") continue;
    const a = tensors.get(op.a)!;
    const kTiles = Math.ceil(a.cols / machine.lanes);
    const n = a.role === "temp" ? 1 : Math.min(maxChips, kTiles);
    if (n > 1) matmulChips.set(op.id, n);
    used = Math.max(used, n);
  }
  if (chips > used && minChips <= chips)
    diagnostics.push(diag(M.chipsUnused, file, undefined, [chips, used]));
  const chipOf = new Map(kernel.tensors.map((t) => [t.id, 0]));
  return { partitioned: { kernel, chips: used, matmulChips, chipOf, sramBytesNeeded: needed }, diagnostics };
}

export function printPartition(p: PartitionedGraph): string {
  const lines = [`partition: ${p.chips} chip(s), ${p.sramBytesNeeded} bytes of SRAM needed`];
  for (const [op, n] of [...p.matmulChips].sort((a, b) => (a[0] < b[0] ? -1 : 1)))
    lines.push(`  ${op}: K tiles split over chips 0..${n - 1}, partial sums to chip 0`);
  for (const [t, c] of [...p.chipOf].sort((a, b) => (a[0] < b[0] ? -1 : 1)))
    lines.push(`  ${t} -> chip ${c}`);
  return `${lines.join("\n")}\n`;
}
