// Slice groups for the allocator: in, a machine; out, per byte-plane count the runs of consecutive MEM slices on one
// side of the VXM, with each group's side and slice bit mask. Guarantees: one table per plane count, built once.
import { ELEM_BYTES } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { slicePosition } from "../../arch/machine.ts";
import { invariant } from "../../util/assert.ts";

/** Slice groups per plane count: runs of consecutive MEM slices that sit on one side of the VXM. */
export function sliceGroups(machine: Machine, planes: number): number[][] {
  const vxm = machine.sliceOrder.indexOf("vxm");
  const west: number[] = [];
  const east: number[] = [];
  for (let i = 0; ; i++) {
    const p = slicePosition(machine, "mem", i);
    if (p === undefined) break;
    (p < vxm ? west : east).push(i);
  }
  const groups: number[][] = [];
  // Interleave west and east groups so consecutive tensors land on both sides of the VXM.
  const w: number[][] = [];
  const e: number[][] = [];
  for (let i = 0; i + planes <= west.length; i += planes) w.push(west.slice(i, i + planes));
  for (let i = 0; i + planes <= east.length; i += planes) e.push(east.slice(i, i + planes));
  for (let i = 0; i < Math.max(w.length, e.length); i++) {
    if (w[i]) groups.push(w[i]!);
    if (e[i]) groups.push(e[i]!);
  }
  return groups;
}

/** The slice groups of one plane count, with what the allocator asks of them per block. */
export interface GroupTable {
  readonly planes: number;
  readonly groups: readonly (readonly number[])[];
  /** Whether group gi lies west of the VXM. */
  readonly west: readonly boolean[];
  /** The groups west / east of the VXM, ascending. */
  readonly westGroups: readonly number[];
  readonly eastGroups: readonly number[];
  /** Group gi's slices as bits: word w of group gi at `mask[gi * maskWords + w]`. */
  readonly mask: Uint32Array;
  /** Free-list number of group gi on chip 0 (chip c adds c * `SliceTables.listsPerChip`). */
  readonly listBase: number;
}

/** Every plane count's groups for one machine, numbered so that each (chip, plane count, group) has one free list. */
export class SliceTables {
  readonly sliceCount: number;
  /** 32-bit words in a slice bit mask. */
  readonly maskWords: number;
  private readonly tables = new Map<number, GroupTable>();
  private nextList = 0;
  private readonly runs = new Map<number, readonly number[]>();

  constructor(private readonly machine: Machine) {
    this.sliceCount = machine.sliceOrder.filter((k) => k === "mem").length;
    this.maskWords = Math.max(1, Math.ceil(this.sliceCount / 32));
    // Every element type's plane count up front, so that the numbering of free lists is fixed before any chip's.
    for (const planes of new Set(Object.values(ELEM_BYTES))) this.build(planes);
  }

  /** Free lists per chip (every plane count's groups). */
  get listsPerChip(): number {
    return this.nextList;
  }

  /** The slices of `width` groups of one side from its c-th group on (a wide block's slices), one array per run. */
  runSlices(table: GroupTable, west: boolean, c: number, width: number): readonly number[] {
    const key =
      ((table.planes * 2 + (west ? 1 : 0)) * table.groups.length + c) * (table.groups.length + 1) + width;
    let slices = this.runs.get(key);
    if (!slices) {
      slices = (west ? table.westGroups : table.eastGroups)
        .slice(c, c + width)
        .flatMap((gi) => table.groups[gi]!);
      this.runs.set(key, slices);
    }
    return slices;
  }

  of(planes: number): GroupTable {
    const table = this.tables.get(planes);
    invariant(table !== undefined, `no slice groups for ${planes} byte planes`);
    return table;
  }

  private build(planes: number): void {
    const groups = sliceGroups(this.machine, planes);
    const vxm = this.machine.sliceOrder.indexOf("vxm");
    const west = groups.map((g) => slicePosition(this.machine, "mem", g[0]!)! < vxm);
    const mask = new Uint32Array(groups.length * this.maskWords);
    groups.forEach((g, gi) => {
      for (const s of g) mask[gi * this.maskWords + (s >>> 5)]! |= 1 << (s & 31);
    });
    const westGroups = groups.flatMap((_, gi) => (west[gi] ? [gi] : []));
    const eastGroups = groups.flatMap((_, gi) => (west[gi] ? [] : [gi]));
    const table = { planes, groups, west, westGroups, eastGroups, mask, listBase: this.nextList };
    this.nextList += groups.length;
    this.tables.set(planes, table);
  }
}
