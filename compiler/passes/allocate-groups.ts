// Slice groups for the allocator: in, a machine; out, per byte-plane count the runs of consecutive MEM slices on one
// side of the VXM, with each group's side and slice bit mask. Guarantees: one table per plane count, built once.
import { ELEM_BYTES } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { slicePosition } from "../../arch/machine.ts";
import { invariant } from "../../util/assert.ts";

/** The MEM slice indices on each side of the VXM, in slice order. */
function memSides(machine: Machine): { west: number[]; east: number[] } {
  const vxm = machine.sliceOrder.indexOf("vxm");
  const west: number[] = [];
  const east: number[] = [];
  for (let i = 0; ; i++) {
    const p = slicePosition(machine, "mem", i);
    if (p === undefined) break;
    (p < vxm ? west : east).push(i);
  }
  return { west, east };
}

/** Slice groups per plane count: runs of consecutive MEM slices that sit on one side of the VXM. */
export function sliceGroups(machine: Machine, planes: number): number[][] {
  const { west, east } = memSides(machine);
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

/**
 * MEM slices kept for activations: on each side of the VXM, the last slices of one 16-bit group (the type of every
 * MXM input but 8-bit ones). Wide weight loads hold a whole chunk of slice groups' read ports for 40 cycles, and a
 * side's chunks covered every slice, so a matrix product's input (read once per weight tile by its `abc`) always sat
 * under some plane's load: four planes' loads hold up to 64 of 88 slices at once, and on llama3-8b's lm head an
 * `abc` waited on them often enough that its plane's next load did too. With these slices out of every chunk, a
 * side's 22 fp16 groups leave 21 for three chunks of 7 (46-cycle loads instead of 40, 40 and 54).
 */
const ACTIVATION_BYTES = 2;

/** The slice indices kept out of wide chunks: the last ACTIVATION_BYTES MEM slices of each side, by slice index. */
function activationSlices(machine: Machine): Set<number> {
  const { west, east } = memSides(machine);
  // A side too small to keep them and still hold a chunk keeps none.
  const keep = (side: number[]) => (side.length > 4 * ACTIVATION_BYTES ? side.slice(-ACTIVATION_BYTES) : []);
  return new Set([...keep(west), ...keep(east)]);
}

/** Slice groups nearest a link's SXM that a relayed copy tries first (docs/compiler.md, "Links": relayed copies). */
const RELAY_GROUPS = 2;

/** The slice groups of one plane count, with what the allocator asks of them per block. */
export interface GroupTable {
  readonly planes: number;
  readonly groups: readonly (readonly number[])[];
  /** Whether group gi lies west of the VXM. */
  readonly west: readonly boolean[];
  /** The groups west / east of the VXM, ascending. */
  readonly westGroups: readonly number[];
  readonly eastGroups: readonly number[];
  /** How many of each side's groups, from the first, wide blocks may take (the rest are its activation groups). */
  readonly wideWest: number;
  readonly wideEast: number;
  /** The groups that hold a side's activation slices (`ACTIVATION_BYTES` of them a side), west then east: no wide
   * block takes them, so an MXM input read from them never waits for a weight load's read ports. */
  readonly activation: readonly number[];
  /** Whether group gi is one of `activation`, by gi. */
  readonly isActivation: readonly boolean[];
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
  private readonly near = new Map<string, readonly number[]>();

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

  /**
   * A relayed copy (a chip on the way of a transfer: recv, write, read, send) crosses the chip twice between the
   * link's SXM and its slices: on llama3-8b's gateway chip 15, 50 to 90 cycles each way per tile, on every hop. Its
   * RELAY_GROUPS groups nearest that SXM (at slice position `at`), nearest first.
   */
  nearest(table: GroupTable, at: number): readonly number[] {
    const key = `${table.planes}/${at}`;
    let near = this.near.get(key);
    if (!near) {
      const dist = (gi: number) =>
        Math.max(...table.groups[gi]!.map((s) => Math.abs(slicePosition(this.machine, "mem", s)! - at)));
      near = table.groups
        .map((_, gi) => gi)
        .sort((a, b) => dist(a) - dist(b) || a - b)
        .slice(0, RELAY_GROUPS);
      this.near.set(key, near);
    }
    return near;
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
    const kept = activationSlices(this.machine);
    const isActivation = (gi: number) => groups[gi]!.some((sl) => kept.has(sl));
    // The activation slices are each side's last ones, so its wide groups are a prefix of its list.
    const wideCount = (own: readonly number[]) => {
      let n = own.length;
      while (n > 0 && isActivation(own[n - 1]!)) n--;
      return n;
    };
    const table: GroupTable = {
      planes,
      groups,
      west,
      westGroups,
      eastGroups,
      wideWest: wideCount(westGroups),
      wideEast: wideCount(eastGroups),
      activation: [...westGroups, ...eastGroups].filter(isActivation),
      isActivation: groups.map((_, gi) => isActivation(gi)),
      mask,
      listBase: this.nextList,
    };
    this.nextList += groups.length;
    this.tables.set(planes, table);
  }
}
