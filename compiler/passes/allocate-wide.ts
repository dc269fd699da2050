// Wide weight blocks' layout for the allocator: in, a plane count's slice groups and a side of the VXM; out, the
// side's fixed chunks of slice groups (a wide block takes one whole chunk) and which chunk a block takes.
// Guarantees: a chunk never spans both sides; the choice depends only on the chunks' tops, clashes and the cursor.
import { type Machine, slicePosition } from "../../arch/machine.ts";
import type { Estimates } from "./allocate-estimate.ts";
import type { GroupTable } from "./allocate-groups.ts";
import type { Placement, Task, TiledTensor } from "./task-ir.ts";
import { blockOf } from "./task-ir.ts";

/**
 * Rows a cycle a converted 8-bit weight loads. It holds one VXM ALU per stream group for 320 / w cycles, 320
 * ALU-cycles a tile whatever the width w. A width that lets every plane load at once and leaves each plane an ALU for
 * its results (acc -> convert -> write): floor(alus / planes) - 1, 3 on tsp-v1. Measured on llama2-70b-fp8 (one
 * layer, 9 chips, before the embedding gathers): one row a cycle 735,705 cycles; width 8 (two loads fill the 16 ALUs
 * and the results wait for one) 713,586; 4: 444,472; 3: 424,560; 2: 469,125.
 */
export function convertWidthOf(machine: Machine): number {
  return Math.max(1, Math.floor(machine.vxm.alus / machine.mxm.planes) - 1);
}

/**
 * Whether a matrix product's input is short. The activation groups' read ports serve every plane's `abc` reads. A
 * wide load takes about rows / maxLoadWidth cycles (40); while the planes' reads of one such load's time fit in it
 * (rows x planes <= 40), the ports keep up with loads back to back. A longer input (bert-base's prefill: 128 rows)
 * would queue its readers on them (bert-base 505,452 -> 552,290 cycles) while its planes are busy computing.
 */
export function shortInputOf(machine: Machine): (t: TiledTensor) => boolean {
  const loadCycles = Math.ceil(machine.mxm.rows / machine.mxm.maxLoadWidth);
  return (t) => t.rows * machine.mxm.planes <= loadCycles;
}

/**
 * Per chip, 1 when it keeps its activation groups out of the wide chunks: only a chip whose `abc` steps mostly read
 * short inputs; elsewhere they would only move its weights (bert-base's prefill, whose inputs are 128 rows but for
 * the pooler's one: 505,452 -> 512,923 cycles with the groups kept on its second chip, not traced further).
 */
export function chipsKeepingActivations(
  machine: Machine,
  tensors: readonly TiledTensor[],
  abcReads: readonly number[],
  chips: number,
): Uint8Array {
  const short = shortInputOf(machine);
  const votes = new Int32Array(chips);
  for (const ti of abcReads) votes[tensors[ti]!.chip]! += short(tensors[ti]!) ? 1 : -1;
  return Uint8Array.from(votes, (v) => (v > 0 ? 1 : 0));
}

/** Per chip, 1 when its wide weights are of two widths (an 8-bit weight's chunks of 3 groups over a 16-bit one's of 7):
 * such a chip takes no turns, as chunks piled by turn on one layout break the other's stacking (llama2-70b-fp8's
 * layer 40,020 -> 40,498 cycles with turns there). */
export function chipsMixingWidths(
  tensors: readonly TiledTensor[],
  wideCandidate: Uint8Array,
  converted: Uint8Array,
  chips: number,
): Uint8Array {
  const mixed = new Uint8Array(chips);
  const kindOf = new Int8Array(chips);
  for (let ti = 0; ti < tensors.length; ti++) {
    if (wideCandidate[ti] !== 1) continue;
    const kind = converted[ti] === 1 ? 2 : 1;
    const c = tensors[ti]!.chip;
    if (kindOf[c] !== 0 && kindOf[c] !== kind) mixed[c] = 1;
    kindOf[c] = kind;
  }
  return mixed;
}

/** A chunk: `width` slice groups of one side from the side's `c`-th group on. */
export interface Chunk {
  readonly west: boolean;
  readonly c: number;
  readonly width: number;
}

/**
 * The chunks of one side. All of a block's groups on the side of the VXM where the cursor points, so the rows reach
 * the plane with little skew (groups on both sides would make the load wait for the far side's ~45 extra hops). The
 * side's groups in fixed chunks of `full` (the last one narrower): a block takes a whole chunk, so the groups of a
 * chunk keep one top and the blocks stack without gaps. Choosing any `full` lowest groups left gaps below the
 * highest each time (22 groups a side do not divide by 8): on llama2-7b's embedding chip 40% of the SRAM, which
 * overflowed and fell back to one-row loads. With `keep` (a chip of short matrix inputs) the chunks cover the side's
 * groups but its activation groups (allocate-groups.ts), as evenly as `full` allows: 21 fp16 groups make three
 * chunks of 7, whose loads take equally long, so the planes' loads in turn from chunk to chunk do not bunch up behind
 * a slower one.
 */
export function sideChunks(table: GroupTable, west: boolean, keep: boolean, full: number): Chunk[] {
  const wideGroups = !keep
    ? (west ? table.westGroups : table.eastGroups).length
    : west
      ? table.wideWest
      : table.wideEast;
  const count = Math.ceil(wideGroups / full);
  const chunks: Chunk[] = [];
  for (let i = 0, c = 0; i < count; i++) {
    // Without activation groups, chunks of `full` and a narrower last one (8, 8 and 6), as before them.
    const width = !keep
      ? Math.min(full, wideGroups - i * full)
      : Math.floor(wideGroups / count) + (i < wideGroups % count ? 1 : 0);
    chunks.push({ west, c, width });
    c += width;
  }
  return chunks;
}

/** What a wide block's choice reads of the round's state. */
export interface ChunkSpace {
  /** The chunk's first free word (its groups' highest top), or -1 when it clashes with a partner of the block. */
  readonly addrOf: (chunk: Chunk, width: number) => number;
  /** Round-robin distance of the chunk's first group from the cursor. */
  readonly orderOf: (chunk: Chunk) => number;
}

/**
 * The chunk a block of `rows` rows takes, with its width, or undefined. A block an MXM group loads goes to its group's
 * chunk (`own`, from `loadTurns`) when it fits there: a group's `lw`s run one after another on its plane, so they
 * never meet each other, and groups that start one after another take chunks in turn, so the few groups loading at
 * once read different chunks. Chunks by the lowest top instead sent a group's K tiles round the chunks at a stride of
 * its tensor's groups per K tile: llama3-8b's lm head (27 groups a K tile, 6 chunks) put each group on two chunks,
 * the same two as the group 3 further on, which loads at the same time (docs/compiler.md, "The lm head's chunks").
 * A block of no group, or one its group's chunk cannot hold, takes the lowest chunk (the nearest the cursor on a tie).
 */
export function chooseChunk(
  chunks: readonly Chunk[],
  rows: number,
  words: (width: number) => number,
  limit: number,
  space: ChunkSpace,
  own: Chunk | undefined,
): { chunk: Chunk; width: number; addr: number } | undefined {
  if (own) {
    const width = Math.min(own.width, rows);
    const addr = width >= 2 ? space.addrOf(own, width) : -1;
    if (addr >= 0 && addr + words(width) <= limit) return { chunk: own, width, addr };
  }
  let best: { chunk: Chunk; width: number; addr: number } | undefined;
  let bestOrder = 0;
  for (const chunk of chunks) {
    const width = Math.min(chunk.width, rows);
    if (width < 2) continue;
    const addr = space.addrOf(chunk, width);
    if (addr < 0) continue;
    const order = space.orderOf(chunk);
    if (!best || addr < best.addr || (addr === best.addr && order < bestOrder)) {
      best = { chunk, width, addr };
      bestOrder = order;
    }
  }
  if (!best || best.addr + words(best.width) > limit) return undefined;
  return best;
}

/**
 * Both sides' chunks in the order turns take them: each side's nearest its MXM planes first, west and east in
 * turn. A group of turn t takes chunk t mod their count, so the first groups of a chip (all of a small program's)
 * load from the chunks with the shortest way to a plane: mlp2's second layer took 28 cycles more from the east
 * chunk next to the VXM than from the one next to the east planes.
 */
export function chunkCycle(
  machine: Machine,
  table: GroupTable,
  west: readonly Chunk[],
  east: readonly Chunk[],
): Chunk[] {
  const planesAt: number[] = [];
  machine.sliceOrder.forEach((kind, at) => {
    if (kind === "mxm") planesAt.push(at);
  });
  const distance = (chunk: Chunk) => {
    const own = chunk.west ? table.westGroups : table.eastGroups;
    let best = Number.POSITIVE_INFINITY;
    for (let k = chunk.c; k < chunk.c + chunk.width; k++)
      for (const s of table.groups[own[k]!]!)
        for (const at of planesAt) best = Math.min(best, Math.abs(slicePosition(machine, "mem", s)! - at));
    return best;
  };
  const near = (side: readonly Chunk[]) =>
    side
      .map((chunk) => ({ chunk, d: distance(chunk) }))
      .sort((a, b) => a.d - b.d || a.chunk.c - b.chunk.c)
      .map((x) => x.chunk);
  const [w, e] = [near(west), near(east)];
  const cycle: Chunk[] = [];
  for (let i = 0; i < Math.max(w.length, e.length); i++) {
    if (w[i]) cycle.push(w[i]!);
    if (e[i]) cycle.push(e[i]!);
  }
  return cycle;
}

/**
 * Per load group (`AllocationFacts.loadGroup`) of two or more blocks, its turn: its rank among its chip's such groups
 * in the order the scheduler will most likely start them; -1 for a group of one block. Its chunk decides little
 * (one load, no chain of loads to keep apart from another group's), and it is left to the lowest chunk: on tiny-gpt,
 * whose products are one weight tile each, taking turns moved which groups held planes early and cost 4.6%. First by when its first product could start from the data alone (the
 * earliest start with unlimited units, from the scheduler's task estimates): a projection's groups before those of a
 * product that waits for it, however their priorities compare. Then by the scheduler's priority (the longest
 * estimated path from the group's first load; scheduler.ts, priority.ts) and list order, the order the scheduler
 * takes groups that are ready together. Groups that load at once are then a few turns apart. The estimates before
 * allocate lack its reuse edges and `lw` widths; a weight load's estimate is its read's rows either way.
 */
export function loadTurns(
  tasks: readonly Task[],
  est: Estimates,
  groupTask: readonly number[],
  groupBlocks: readonly number[],
): Int32Array {
  const { earliest, priority } = est;
  const n = tasks.length;
  const number = new Map<string, number>();
  for (let g = 0; g < groupTask.length; g++) number.set(tasks[groupTask[g]!]!.mxmGroup!, g);
  const ready = new Float64Array(groupTask.length).fill(Number.POSITIVE_INFINITY);
  for (let i = 0; i < n; i++) {
    const t = tasks[i]!;
    const g = t.mxmGroup === undefined ? undefined : number.get(t.mxmGroup);
    if (g !== undefined && t.steps.some((st) => st.kind === "abc"))
      ready[g] = Math.min(ready[g]!, earliest[i]!);
  }
  const task = (g: number) => groupTask[g]!;
  const order = groupTask.flatMap((_, g) => (groupBlocks[g]! > 1 ? [g] : []));
  order.sort(
    (a, b) =>
      tasks[task(a)]!.chip - tasks[task(b)]!.chip ||
      ready[a]! - ready[b]! ||
      priority[task(b)]! - priority[task(a)]! ||
      task(a) - task(b),
  );
  const turns = new Int32Array(groupTask.length).fill(-1);
  for (let k = 0, chip = -1, turn = 0; k < order.length; k++) {
    const c = tasks[task(order[k]!)]!.chip;
    turn = c === chip ? turn + 1 : 0;
    chip = c;
    turns[order[k]!] = turn;
  }
  return turns;
}

/** Every (plane count, activation groups kept, width) chunk layout of a machine, both sides and their turn order,
 * built once. */
export class ChunkTables {
  private readonly made = new Map<string, { west: Chunk[]; east: Chunk[]; cycle: Chunk[] }>();

  constructor(private readonly machine: Machine) {}

  of(table: GroupTable, keep: boolean, full: number): { west: Chunk[]; east: Chunk[]; cycle: Chunk[] } {
    const key = `${table.planes}/${keep}/${full}`;
    let chunks = this.made.get(key);
    if (!chunks) {
      const west = sideChunks(table, true, keep, full);
      const east = sideChunks(table, false, keep, full);
      chunks = { west, east, cycle: chunkCycle(this.machine, table, west, east) };
      this.made.set(key, chunks);
    }
    return chunks;
  }
}

/** The task with each `lw` that reads a wide block given that block's width (at most its rows). */
export function withLoadWidth(t: Task, placements: ReadonlyMap<string, Placement>): Task {
  if (!t.steps.some((st) => st.kind === "lw")) return t;
  let changed = false;
  const steps = t.steps.map((st) => {
    if (st.kind !== "lw") return st;
    let src = t.steps[st.src]!;
    if (src.kind === "convert") src = t.steps[src.src]!;
    if (src.kind !== "read") return st;
    const p = placements.get(src.ref.tensor);
    const width = p ? Math.min(blockOf(p, src.ref.tile, src.ref.row).width ?? 1, st.n) : 1;
    if (width <= 1) return st;
    changed = true;
    return { ...st, width };
  });
  return changed ? { ...t, steps } : t;
}
