// Why a block found no place (LPU5005): in, a round's state on the full chip when a block of a tensor did not fit;
// out, a diagnostic naming what ran out, with the numbers. Guarantees: the reasons follow the placement rules of
// allocate-round.ts (a block fits a slice group's run of free words, on slices no tile of the same task holds).
import { ELEM_BYTES } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { invariant } from "../../util/assert.ts";
import { type Diagnostic, diag } from "../../util/diagnostics.ts";
import type { FreeLists } from "./allocate-free.ts";
import type { GroupTable, SliceTables } from "./allocate-groups.ts";
import { M } from "./messages.ts";

/** The state of one chip when a block of `tensor` (`rows` words in each of `table.planes` slices) found no place. */
export interface FullChip {
  readonly machine: Machine;
  readonly file: string;
  readonly chip: number;
  readonly tensor: string;
  readonly rows: number;
  readonly table: GroupTable;
  readonly tables: SliceTables;
  /** Per slice of the chip, the first free word above its bump pointer. */
  readonly top: (slice: number) => number;
  readonly free: FreeLists;
  /** Whether group gi of `table` holds a slice that a tile the same task accesses sits on. */
  readonly clashes: (gi: number) => boolean;
}

/** The diagnostic, and whether the block failed only for the slices its task's other tiles hold (groups with room
 * exist): the case a round with hub reservations may solve (allocate-hubs.ts). */
export interface FullChipVerdict {
  readonly diagnostic: Diagnostic;
  readonly sliceClash: boolean;
}

/**
 * The resource that ran out, checked in this order: a block taller than a slice (no chip holds it); the chip's free
 * bytes (above the bump pointers and in freed blocks) fewer than the block's; else the slice groups: none has a run
 * of free words as long as the block (free space in pieces: freed blocks, words stranded below wide weight blocks),
 * or every one that has holds a tile the same task accesses.
 */
export function fullChipDiagnostic(f: FullChip): FullChipVerdict {
  const verdict = (diagnostic: Diagnostic, sliceClash = false) => ({ diagnostic, sliceClash });
  const { machine, file, chip, tensor, rows, table, tables, free } = f;
  const words = machine.mem.wordsPerSlice;
  const planes = table.planes;
  if (rows > words)
    return verdict(diag(M.blockTallerThanSlice, file, undefined, [chip, tensor, rows, words]));
  const lanes = machine.lanes;
  const capacity = tables.sliceCount * words * lanes;
  const freeBytes = freeWords(f) * lanes;
  const needed = rows * planes * lanes;
  if (freeBytes < needed)
    return verdict(
      diag(M.sramFull, file, undefined, [chip, tensor, needed, rows, planes, freeBytes, capacity]),
    );
  const listBase = chip * tables.listsPerChip + table.listBase;
  let longest = 0;
  let roomy = 0;
  table.groups.forEach((group, gi) => {
    let high = 0;
    for (const s of group) high = Math.max(high, f.top(s));
    const room = Math.max(words - high, free.maxWords(listBase + gi));
    if (room < rows) {
      longest = Math.max(longest, room);
      return;
    }
    invariant(f.clashes(gi), `${tensor}: group ${gi} has room for the block that found no place`);
    roomy++;
  });
  if (roomy > 0)
    return verdict(
      diag(M.sliceClash, file, undefined, [chip, tensor, roomy, planes, rows, freeBytes, capacity]),
      true,
    );
  return verdict(
    diag(M.sliceFull, file, undefined, [chip, tensor, rows, planes, longest, freeBytes, capacity]),
  );
}

/** The chip's free words over all slices: above each slice's bump pointer, and in every freed block (a block on a
 * group of p slices frees its words in each). Freed space lies below the pointers, so nothing counts twice. */
function freeWords(f: FullChip): number {
  let total = 0;
  for (let s = 0; s < f.tables.sliceCount; s++) total += f.machine.mem.wordsPerSlice - f.top(s);
  for (const planes of new Set(Object.values(ELEM_BYTES))) {
    const table = f.tables.of(planes);
    const base = f.chip * f.tables.listsPerChip + table.listBase;
    for (let gi = 0; gi < table.groups.length; gi++)
      for (const b of f.free.blocks(base + gi)) total += b.words * planes;
  }
  return total;
}
