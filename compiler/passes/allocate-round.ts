// One placement round of `allocate`: in, the graph's allocation facts and which weights to load narrow; out, every
// used tile's SRAM blocks, the tasks with their reuse (`after`) edges and `lw` widths, or the chips that overflowed.
// Guarantees: a temporary's space is reused only after its last use, tensors one task accesses never share a slice.
import { ELEM_BYTES } from "../../arch/isa.ts";
import { type Machine, slicePosition } from "../../arch/machine.ts";
import { invariant } from "../../util/assert.ts";
import type { Diagnostic } from "../../util/diagnostics.ts";
import { diag } from "../../util/diagnostics.ts";
import type { AllocationFacts } from "./allocate-facts.ts";
import { type FreeBlock, FreeLists } from "./allocate-free.ts";
import type { GroupTable, SliceTables } from "./allocate-groups.ts";
import type { Precedence } from "./allocate-precede.ts";
import { M } from "./messages.ts";
import type { BlockPlacement, Placement, Task, TaskGraph, TiledTensor } from "./task-ir.ts";
import { blockOf } from "./task-ir.ts";

/** Freed blocks per slice group checked for cost-free reuse: a bound that keeps allocation linear. */
const REUSE_CANDIDATES = 4;

/** Slice groups nearest a link's SXM that a relayed copy tries first (docs/compiler.md, "Links": relayed copies). */
const RELAY_GROUPS = 2;

/** What a round reads: the same for every round of one `allocate` call. */
export interface RoundInput {
  readonly g: TaskGraph;
  readonly machine: Machine;
  readonly file: string;
  readonly facts: AllocationFacts;
  readonly slices: SliceTables;
  readonly precedence: Precedence;
  /** One round-robin cursor per chip (a chip's placements then depend only on its own tensors) instead of one
   * shared by every chip. */
  readonly cursorPerChip: boolean;
}

export interface RoundResult {
  readonly graph: TaskGraph;
  readonly diagnostics: Diagnostic[];
  /** Chips whose SRAM overflowed, ascending. */
  readonly fullChips: number[];
  /** The tensors this round loaded wide, by index. */
  readonly wide: Uint8Array;
}

type Spot = Omit<BlockPlacement, "tile" | "row0" | "rows">;

/** Places every tensor; `narrow` says per tensor index whether it must load one row a cycle. With `stopWhenFull`,
 * a chip stops at its first tensor that does not fit, and a round with a full chip returns no graph. */
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

export function allocateRound(
  input: RoundInput,
  narrow: (ti: number) => boolean,
  stopWhenFull: boolean,
  /** Per chip: reuse any freed block before fresh space (the old policy, which packs tighter). */
  reuseFirst: (chip: number) => boolean,
): RoundResult {
  const { g, machine, file, facts, slices: tables, precedence } = input;
  const { tensors, tileBase, tileTensor, partnerStart, partnerOf } = facts;
  const diagnostics: Diagnostic[] = [];
  const sliceCount = tables.sliceCount;
  const maskWords = tables.maskWords;
  const chips = tensors.reduce((n, t) => Math.max(n, t.chip + 1), g.chips);
  /** Per (chip, slice), by index chip * slices + slice: the first free word above the bump pointer. */
  const top = new Int32Array(chips * sliceCount);
  const free = new FreeLists();
  /** Per plane count the next slice group, round-robin: with `cursorPerChip` per (chip, plane count), by index
   * chip * CURSOR_PLANES + planes, else one shared by every chip (then narrowing one chip's tensors moves every
   * later chip's placements). */
  const cursor = new Int32Array(chips * CURSOR_PLANES);
  const slot = (chip: number, planes: number) => (input.cursorPerChip ? chip * CURSOR_PLANES : 0) + planes;
  const placements: (Placement | undefined)[] = new Array(tensors.length);
  /** Temporaries placed in reused space, in placement order, with the tasks their writers must follow. */
  const reused: { ti: number; war: readonly number[] }[] = [];
  const fullChips = new Set<number>();
  /** Per tile, the slices (bit mask) its blocks were placed on: a partner on the same chip must avoid them. */
  const placedOn = new Uint32Array(tileTensor.length * maskWords);
  const wide = new Uint8Array(tensors.length);
  for (let ti = 0; ti < tensors.length; ti++) wide[ti] = facts.wideCandidate[ti] === 1 && !narrow(ti) ? 1 : 0;
  const avoid = new Uint32Array(maskWords);
  const clashes = (table: GroupTable, gi: number): boolean => {
    for (let w = 0; w < maskWords; w++) if ((avoid[w]! & table.mask[gi * maskWords + w]!) !== 0) return true;
    return false;
  };
  const convertWidth = convertWidthOf(machine);
  const wordsPerSlice = machine.mem.wordsPerSlice;
  const topOf = (chip: number, group: readonly number[]): number => {
    let addr = 0;
    for (const s of group) addr = Math.max(addr, top[chip * sliceCount + s]!);
    return addr;
  };
  const raise = (chip: number, group: readonly number[], to: number) => {
    for (const s of group) top[chip * sliceCount + s] = to;
  };

  // The activation groups' read ports serve every plane's `abc` reads. A wide load takes about rows / maxLoadWidth
  // cycles (40); while the planes' reads of one such load's time fit in it (rows x planes <= 40), the ports keep
  // up with loads back to back. A longer input (bert-base's prefill: 128 rows) would queue its readers on them
  // (bert-base 505,452 -> 552,290 cycles) while its planes are busy computing, not loading.
  const loadCycles = Math.ceil(machine.mxm.rows / machine.mxm.maxLoadWidth);
  const shortInput = (t: TiledTensor) => t.rows * machine.mxm.planes <= loadCycles;
  // Only a chip whose `abc` steps mostly read short inputs keeps its activation groups out of the wide chunks:
  // elsewhere they would only move its weights (bert-base's prefill, whose inputs are 128 rows but for the
  // pooler's one: 505,452 -> 512,923 cycles with the groups kept on its second chip, not traced further).
  const shortReads = new Int32Array(chips);
  for (const ti of facts.abcReads) shortReads[tensors[ti]!.chip]! += shortInput(tensors[ti]!) ? 1 : -1;
  const keepsActivation = (chip: number) => shortReads[chip]! > 0;

  /** Fresh space for one wide block: `width` slice groups from the cursor (round-robin, no clash), one address. */
  const placeWide = (t: TiledTensor, ti: number, rows: number, table: GroupTable): Spot | undefined => {
    const planes = table.planes;
    const groups = table.groups;
    const full = Math.min(
      machine.mxm.maxLoadWidth,
      Math.floor(machine.streamsPerDirection / planes),
      facts.converted[ti] === 1 ? convertWidth : Number.POSITIVE_INFINITY,
    );
    if (full <= 1 || rows <= 1) return undefined;
    const start = cursor[slot(t.chip, planes)]!;
    // All groups on the side of the VXM where the cursor points, so the rows reach the plane with little skew
    // (groups on both sides would make the load wait for the far side's ~45 extra hops). The side's groups in
    // fixed chunks of `width` (the last one narrower): a block takes a whole chunk, so the groups of a chunk keep
    // one top and the blocks stack without gaps. Choosing any `width` lowest groups left gaps below the highest
    // each time (22 groups a side do not divide by 8): on llama2-7b's embedding chip 40% of the SRAM, which
    // overflowed and fell back to one-row loads. The chunks cover the side's groups but its activation groups
    // (allocate-groups.ts), as evenly as `full` allows: 21 fp16 groups make three chunks of 7, whose loads take
    // equally long, so the planes' loads in turn from chunk to chunk do not bunch up behind a slower one.
    const cursorSide = table.west[start % groups.length]!;
    const own = cursorSide ? table.westGroups : table.eastGroups;
    const keep = keepsActivation(t.chip);
    const wideGroups = !keep ? own.length : cursorSide ? table.wideWest : table.wideEast;
    const chunks = Math.ceil(wideGroups / full);
    // Without activation groups, chunks of `full` and a narrower last one (8, 8 and 6), as before them.
    const chunkWidth = (i: number) =>
      !keep
        ? Math.min(full, wideGroups - i * full)
        : Math.floor(wideGroups / chunks) + (i < wideGroups % chunks ? 1 : 0);
    let bestC = -1;
    let bestWidth = 0;
    let bestAddr = 0;
    let bestOrder = 0;
    for (let i = 0, c = 0; i < chunks; c += chunkWidth(i), i++) {
      const width = Math.min(chunkWidth(i), rows);
      if (width < 2) continue;
      let clash = false;
      let addr = 0;
      for (let k = c; k < c + width && !clash; k++) {
        clash = clashes(table, own[k]!);
        addr = Math.max(addr, topOf(t.chip, groups[own[k]!]!));
      }
      if (clash) continue;
      const order = (own[c]! - start + groups.length) % groups.length;
      if (bestC < 0 || addr < bestAddr || (addr === bestAddr && order < bestOrder)) {
        bestC = c;
        bestWidth = width;
        bestAddr = addr;
        bestOrder = order;
      }
    }
    if (bestC < 0) return undefined;
    const words = Math.ceil(rows / bestWidth);
    if (bestAddr + words > wordsPerSlice) return undefined;
    const slices = tables.runSlices(table, cursorSide, bestC, bestWidth);
    raise(t.chip, slices, bestAddr + words);
    cursor[slot(t.chip, planes)] = (own[bestC + bestWidth - 1]! + 1) % groups.length;
    return { slices, addr: bestAddr, width: bestWidth };
  };

  /** A freed block from the cursor on (with `costFree`, only one whose users precede this tensor's writers); its
   * old tenants' users join `war` (once per dead tensor per `place`: `warStamp`). */
  const reuse = (
    costFree: boolean,
    table: GroupTable,
    listBase: number,
    start: number,
    rows: number,
    freeForThis: (b: FreeBlock) => boolean,
    war: number[],
    among?: readonly number[],
  ): Spot | undefined => {
    const groups = table.groups;
    const count = among ? among.length : groups.length;
    // A block that costs something: the one freed earliest of every group's, whose old users most likely precede
    // the writers anyway. The lowest block of the first group (as before) tied the next free tensor to the last
    // dead one: bert-base's heads, each reusing its sibling's space, ran one after another on a full chip.
    let best: { gi: number; fit: number; freed: number } | undefined;
    for (let k = 0; k < count; k++) {
      const gi = among ? among[k]! : (start + k) % groups.length;
      if (free.maxWords(listBase + gi) < rows || clashes(table, gi)) continue;
      const fit = costFree
        ? free.firstFit(listBase + gi, rows, freeForThis, REUSE_CANDIDATES)
        : free.oldestFit(listBase + gi, rows);
      if (fit < 0) continue;
      const freed = free.blocks(listBase + gi)[fit]!.freed;
      if (!best || freed < best.freed) best = { gi, fit, freed };
      if (costFree) break;
    }
    if (!best) return undefined;
    const b = free.take(listBase + best.gi, best.fit, rows);
    if (warStamp[b.owner] !== placeCount) {
      warStamp[b.owner] = placeCount;
      for (const u of facts.users[b.owner]!) war.push(u);
    }
    return { slices: groups[best.gi]!, addr: b.addr, reuses: b.tenants };
  };

  /** Fresh space for one block in the first of `among` (slice groups of `table`) where it fits without a clash. */
  const fresh = (
    chip: number,
    table: GroupTable,
    rows: number,
    among: readonly number[],
  ): Spot | undefined => {
    for (const gi of among) {
      if (clashes(table, gi)) continue;
      const group = table.groups[gi]!;
      const addr = topOf(chip, group);
      if (addr + rows > wordsPerSlice) continue;
      raise(chip, group, addr + rows);
      return { slices: group, addr };
    }
    return undefined;
  };

  // A relayed copy (a chip on the way of a transfer: recv, write, read, send) crosses the chip twice between the
  // link's SXM and its slices: on llama3-8b's gateway chip 15, 50 to 90 cycles each way per tile, on every hop.
  // Its groups nearest that SXM, nearest first, per (plane count, SXM position).
  const nearCache = new Map<string, readonly number[]>();
  const nearGroups = (table: GroupTable, at: number): readonly number[] => {
    const key = `${table.planes}/${at}`;
    let near = nearCache.get(key);
    if (!near) {
      const dist = (gi: number) =>
        Math.max(...table.groups[gi]!.map((s) => Math.abs(slicePosition(machine, "mem", s)! - at)));
      near = table.groups
        .map((_, gi) => gi)
        .sort((a, b) => dist(a) - dist(b) || a - b)
        .slice(0, RELAY_GROUPS);
      nearCache.set(key, near);
    }
    return near;
  };

  /** Per dead tensor, the `place` call that last took its users into `war`. */
  const warStamp = new Int32Array(tensors.length);
  let placeCount = 0;
  const place = (ti: number): { blocks: BlockPlacement[]; war: number[] } | undefined => {
    const t = tensors[ti]!;
    const planes = ELEM_BYTES[t.type];
    const table = tables.of(planes);
    const groups = table.groups;
    const out: BlockPlacement[] = [];
    const war: number[] = [];
    // Freed blocks of one dead tensor share its users: take each tensor's once (`warStamp`).
    placeCount++;
    const freeForThis = (b: FreeBlock) => precedence.freeFor(b.owner, ti);
    const listBase = t.chip * tables.listsPerChip + table.listBase;
    for (let j = 0; j < t.tiles; j++) {
      const tile = tileBase[ti]! + j;
      if (facts.used[tile] === 0) continue;
      // Placing this tile's own blocks adds no partner of it, so the slices to avoid stay fixed over its blocks.
      avoid.fill(0);
      for (let q = partnerStart[tile]!; q < partnerStart[tile + 1]!; q++) {
        const p = partnerOf[q]!;
        if (tensors[tileTensor[p]!]!.chip === t.chip)
          for (let w = 0; w < maskWords; w++) avoid[w]! |= placedOn[p * maskWords + w]!;
      }
      for (let row0 = 0; row0 < t.rows; row0 += t.blockRows) {
        const rows = Math.min(t.blockRows, t.rows - row0);
        let placed: Spot | undefined;
        const start = cursor[slot(t.chip, planes)]!;
        if (wide[ti] === 1) placed = placeWide(t, ti, rows, table);
        // Reuse costs time when it orders work the program does not: the new tenant's writers wait for the old
        // tenant's readers and writers. Reusing first tied unrelated work together (llama2-7b: a head's query
        // mask, last on one pipeline chip, waited for the end of that chip's other heads, so the next chip's heads
        // ran only after them). So: first a freed block whose users already precede the writers (free of cost,
        // and near the data of the chain that freed it), then fresh space, round-robin over the groups so tiles
        // stream from different slices; only when a chip's fresh space runs out any freed block. The partitioner
        // sizes stages by every op's output without reuse, so fresh space is what it counted on.
        const tight = reuseFirst(t.chip);
        // A matrix product's input: the activation groups first, where no wide load holds the read ports its `abc`
        // needs (allocate-groups.ts), space reused free of cost, then fresh; not on a chip that reuses first (it
        // overflowed: packing comes first there).
        if (
          !placed &&
          !tight &&
          facts.mxmInput[ti] === 1 &&
          shortInput(t) &&
          keepsActivation(t.chip) &&
          table.activation.length > 0
        ) {
          placed = reuse(true, table, listBase, start, rows, freeForThis, war, table.activation);
          if (!placed) placed = fresh(t.chip, table, rows, table.activation);
        }
        if (!placed && !tight && facts.relayAt[ti]! >= 0) {
          const near = nearGroups(table, facts.relayAt[ti]!);
          placed = reuse(true, table, listBase, start, rows, freeForThis, war, near);
          if (!placed) placed = fresh(t.chip, table, rows, near);
        }
        if (!placed) placed = reuse(!tight, table, listBase, start, rows, freeForThis, war);
        for (let k = 0; k < groups.length && !placed; k++) {
          const gi = (start + k) % groups.length;
          if (clashes(table, gi)) continue;
          const addr = topOf(t.chip, groups[gi]!);
          if (addr + rows <= wordsPerSlice) {
            raise(t.chip, groups[gi]!, addr + rows);
            placed = { slices: groups[gi]!, addr };
            cursor[slot(t.chip, planes)] = (gi + 1) % groups.length;
          }
        }
        // Reuse-first already tried every freed block, and fresh space failing changed none.
        if (!placed && !tight) placed = reuse(false, table, listBase, start, rows, freeForThis, war);
        if (!placed) {
          // One message per chip: after the first, every later tensor of a full chip fails the same way.
          if (!fullChips.has(t.chip))
            diagnostics.push(diag(M.sliceFull, file, undefined, [t.chip, t.id, rows, planes]));
          fullChips.add(t.chip);
          return undefined;
        }
        // The fields in the order the printed and JSON forms have always had.
        out.push(
          placed.reuses !== undefined
            ? { tile: j, row0, rows, slices: placed.slices, addr: placed.addr, reuses: placed.reuses }
            : placed.width !== undefined
              ? { tile: j, row0, rows, slices: placed.slices, addr: placed.addr, width: placed.width }
              : { tile: j, row0, rows, slices: placed.slices, addr: placed.addr },
        );
        for (const s of placed.slices) placedOn[tile * maskWords + (s >>> 5)]! |= 1 << (s & 31);
      }
    }
    return { blocks: out, war };
  };

  const release = (dead: number, freed: number) => {
    const p = placements[dead];
    if (!p) return; // never placed: LPU5005 already says the SRAM is full
    const planes = ELEM_BYTES[tensors[dead]!.type];
    const table = tables.of(planes);
    const listBase = p.chip * tables.listsPerChip + table.listBase;
    for (const tp of p.blocks) {
      // A temporary is never wide, so its blocks sit on one slice group of its plane count each.
      const gi = table.groups.indexOf(tp.slices);
      invariant(gi >= 0, `${p.tensor}: a temporary's block is not on one slice group`);
      const tenants = [...(tp.reuses ?? []), `${p.tensor}/${tp.tile}`];
      free.release(listBase + gi, { addr: tp.addr, words: tp.rows, owner: dead, tenants, freed });
    }
  };

  const stopped = () => ({ graph: g, diagnostics, fullChips: sortedChips(fullChips), wide });
  const record = (ti: number, blocks: BlockPlacement[]) => {
    const t = tensors[ti]!;
    placements[ti] = { tensor: t.id, chip: t.chip, rows: t.rows, blockRows: t.blockRows, blocks };
  };

  // With `stopWhenFull`, a full chip's later tensors are skipped (its result will be thrown away); with a cursor
  // per chip the other chips go on, as their placements do not depend on it, so one round finds every chip that
  // overflows. With a shared cursor they would, so the round stops there.
  const skipped = (ti: number) => stopWhenFull && fullChips.has(tensors[ti]!.chip);
  const giveUp = () => stopWhenFull && !input.cursorPerChip && fullChips.size > 0;
  for (const ti of facts.pinnedOrder) {
    if (skipped(ti)) continue;
    const r = place(ti);
    if (giveUp()) return stopped();
    if (r) record(ti, r.blocks);
  }

  for (let i = 0; i < g.tasks.length; i++) {
    for (const dead of facts.freeBefore[i] ?? NONE) release(dead, i);
    for (const ti of facts.writes[i]!) {
      if (placements[ti] || skipped(ti)) continue;
      const r = place(ti);
      if (giveUp()) return stopped();
      if (!r) continue;
      record(ti, r.blocks);
      if (r.war.length > 0) reused.push({ ti, war: r.war });
    }
    for (const dead of facts.freeAfter[i] ?? NONE) release(dead, i);
  }
  if (stopWhenFull && fullChips.size > 0) return stopped();

  // Every writer of a tensor follows the readers and writers of the space it reuses (in placement order; a round
  // that gave up returned above and never built these sets).
  const extraAfter = new Map<number, Set<number>>();
  for (const { ti, war } of reused)
    for (const w of facts.writers[ti]!) {
      let set = extraAfter.get(w);
      if (!set) {
        set = new Set();
        extraAfter.set(w, set);
      }
      for (const x of war) set.add(x);
    }

  const byName = new Map<string, Placement>();
  for (const p of placements) if (p) byName.set(p.tensor, p);
  const tasks: Task[] = g.tasks.map((t0, i) => {
    const t = withLoadWidth(t0, byName);
    const extra = extraAfter.get(i);
    if (!extra) return t;
    const ids: string[] = [];
    for (const a of extra) if (a !== i) ids.push(g.tasks[a]!.id);
    return { ...t, after: [...new Set([...t.after, ...ids])] };
  });
  const sorted = [...byName.values()].sort((a, b) =>
    a.tensor < b.tensor ? -1 : a.tensor > b.tensor ? 1 : 0,
  );
  return { graph: { ...g, tasks, placements: sorted }, diagnostics, fullChips: sortedChips(fullChips), wide };
}

const NONE: readonly number[] = [];
/** Cursor slots per chip: one per byte-plane count (at most 4). */
const CURSOR_PLANES = 8;
const sortedChips = (chips: ReadonlySet<number>) => [...chips].sort((a, b) => a - b);

/** The task with each `lw` that reads a wide block given that block's width (at most its rows). */
function withLoadWidth(t: Task, placements: ReadonlyMap<string, Placement>): Task {
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
