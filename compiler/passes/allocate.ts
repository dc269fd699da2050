// Pass `allocate`: task IR -> task IR with a static SRAM placement for every tensor tile. Weights, inputs and
// state are pinned; a temporary's space is freed after its last use (read or write) and reused by a later temporary
// (the reuse adds `after` edges so its writers are placed after every task that read or wrote the old tenant). Byte planes of multi-byte types go to
// consecutive slices of one hemisphere (so one stream group reaches them all in one direction); successive tiles
// go round-robin over slice groups so that reads of different tiles stream in parallel.
import { ELEM_BYTES } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { slicePosition } from "../../arch/machine.ts";
import type { Diagnostic } from "../../util/diagnostics.ts";
import { diag } from "../../util/diagnostics.ts";
import { type Dependencies, uncachedDependencies } from "../schedule/dependencies.ts";
import { M } from "./messages.ts";
import type { BlockPlacement, Placement, Task, TaskGraph, TiledTensor } from "./task-ir.ts";
import { blockOf, wideLoadAt } from "./task-ir.ts";

interface FreeBlock {
  addr: number;
  words: number;
  /** Tasks that read or wrote the block's previous tenants: a new tenant's writers must come after them. */
  users: string[];
  /** The previous tenants as `tensor/tile`, for the scheduler's write-after-read check. */
  tenants: string[];
}

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

export interface AllocateOptions {
  /** Reuse a freed block before taking fresh space, whatever order that adds (the least SRAM; the old policy).
   * Tests use it to exercise reuse on programs far smaller than a chip. */
  readonly reuseFirst?: boolean;
}

export function allocate(
  g: TaskGraph,
  machine: Machine,
  file: string,
  opts: AllocateOptions = {},
): { graph: TaskGraph; diagnostics: Diagnostic[] } {
  // Wide weight blocks start all their slice groups at one address, which can strand space below it; when that
  // makes a chip's SRAM overflow (the partitioner's estimate counts bytes, not this layout), the program is
  // allocated again with that chip's largest wide tensor loaded one row a cycle, and so on until it fits. The
  // chip's other weights keep their wide loads: before, one full chip (llama2-7b's embedding table) made every
  // weight on every chip load one row a cycle, 8x slower. A wide attempt stops at the first full chip (its
  // result would be thrown away); the last resort, every tensor narrow, runs to the end for its diagnostics.
  const reuseFirst = opts.reuseFirst ?? false;
  const deps = uncachedDependencies(g.tasks);
  const r = allocateNarrowing(g, deps, machine, file, reuseFirst);
  // Fresh space first can strand a full chip's freed space in pieces too small for a later large tensor (bert-base
  // packed on 2 chips: the embedding's [128, 30522] temporaries); the reuse-first policy packs tighter.
  if (reuseFirst || !r.diagnostics.some((d) => d.code === M.sliceFull.code)) return r;
  return allocateNarrowing(g, deps, machine, file, true);
}

/** allocateWith, narrowing the largest wide tensor of each full chip until the program fits (or every tensor). */
function allocateNarrowing(
  g: TaskGraph,
  deps: Dependencies,
  machine: Machine,
  file: string,
  reuseFirst: boolean,
): { graph: TaskGraph; diagnostics: Diagnostic[] } {
  const canWiden = machine.mxm.maxLoadWidth > 1;
  const narrow = new Set<string>();
  for (let round = 0; canWiden && round < MAX_NARROWING_ROUNDS; round++) {
    const r = allocateWith(g, deps, machine, file, narrow, true, reuseFirst);
    if (r.fullChips.length === 0) return { graph: r.graph, diagnostics: r.diagnostics };
    let more = false;
    for (const chip of r.fullChips) {
      const left = r.wide.filter((t) => t.chip === chip);
      const largest = [...left].sort((x, y) => y.bytes - x.bytes || (x.id < y.id ? -1 : 1))[0];
      if (!largest) continue;
      // After four rounds, every wide tensor of the chip at once (bounds the number of passes).
      for (const t of round >= 4 ? left : [largest]) narrow.add(t.id);
      more = true;
    }
    if (!more) break;
  }
  const r = allocateWith(g, deps, machine, file, ALL_NARROW, false, reuseFirst);
  return { graph: r.graph, diagnostics: r.diagnostics };
}

/** Passes of the narrowing loop before every tensor is loaded one row a cycle. */
const MAX_NARROWING_ROUNDS = 8;
/** A `narrow` set that holds every tensor. */
const ALL_NARROW: ReadonlySet<string> = { has: () => true } as unknown as ReadonlySet<string>;

/** Freed blocks per slice group checked for cost-free reuse, and tasks searched for a writer's ancestors: bounds
 * that keep allocation linear in the task count. */
const REUSE_CANDIDATES = 4;
const ANCESTOR_LIMIT = 256;

function allocateWith(
  g: TaskGraph,
  deps: Dependencies,
  machine: Machine,
  file: string,
  narrow: ReadonlySet<string>,
  stopWhenFull: boolean,
  reuseFirst: boolean,
): {
  graph: TaskGraph;
  diagnostics: Diagnostic[];
  fullChips: number[];
  wide: { id: string; chip: number; bytes: number }[];
} {
  const diagnostics: Diagnostic[] = [];
  const gaveUp = () => stopWhenFull && fullChips.size > 0;
  // Per (chip, slice), by index chip * slices + slice: the first free word above the bump pointer.
  const sliceCount = machine.sliceOrder.filter((k) => k === "mem").length;
  const top: number[] = [];
  const topAt = (chip: number, slice: number) => top[chip * sliceCount + slice] ?? 0;
  /** Freed blocks per chip and slice list (its joined form: a wide block's list is a new array). */
  const free: Map<string, FreeBlock[]>[] = [];
  /** The `free` key of a slice list (group lists are reused, so their joined form is kept). */
  const joined = new WeakMap<readonly number[], string>();
  const sliceKey = (slices: readonly number[]) =>
    joined.get(slices) ?? joined.set(slices, slices.join(",")).get(slices)!;
  const freeOf = (chip: number, slices: readonly number[]): FreeBlock[] | undefined =>
    free[chip]?.get(sliceKey(slices));
  const cursor = new Map<number, number>(); // planes -> next group index
  const groupsFor = new Map<number, number[][]>();
  const placements = new Map<string, Placement>();
  const extraAfter = new Map<string, Set<string>>(); // task id -> WAR predecessors
  const fullChips = new Set<number>();

  // Tensors one task accesses together must not share a slice: their MEM instructions run at fixed offsets from
  // one another, so two of them on one slice could collide at every start cycle.
  // Tracked per column tile (`tensor/tile`): a wide tensor spreads its tiles over every slice group, so a
  // tensor-level rule would leave its partners no group at all.
  const together = new Map<string, Set<string>>();
  for (const task of g.tasks) {
    const ids = [
      ...new Set(
        task.steps.flatMap((st) =>
          st.kind === "read" || st.kind === "write" || st.kind === "gather"
            ? [`${st.ref.tensor}/${st.ref.tile}`]
            : [],
        ),
      ),
    ];
    for (const a of ids)
      for (const b of ids) if (a !== b) (together.get(a) ?? together.set(a, new Set()).get(a)!).add(b);
  }
  /** Where each `tensor/tile` was placed, as chip * slices + slice. */
  const placedOn = new Map<string, number[]>();
  /** The slices of `chip` that hold a partner of a tile: the tile must avoid them. Walks the partners (a slice
   * collects every tensor ever placed on it, so walking its tenants would make the pass quadratic). */
  const clashSlices = (chip: number, partners: ReadonlySet<string> | undefined): ReadonlySet<number> => {
    const out = new Set<number>();
    for (const p of partners ?? [])
      for (const key of placedOn.get(p) ?? [])
        if (Math.floor(key / sliceCount) === chip) out.add(key % sliceCount);
    return out;
  };
  const clashes = (avoid: ReadonlySet<number>, slices: readonly number[]): boolean => {
    if (avoid.size === 0) return false;
    for (const sl of slices) if (avoid.has(sl)) return true;
    return false;
  };

  const place = (t: TiledTensor): { blocks: BlockPlacement[]; war: string[] } | undefined => {
    const planes = ELEM_BYTES[t.type];
    let groups = groupsFor.get(planes);
    if (!groups) {
      groups = sliceGroups(machine, planes);
      groupsFor.set(planes, groups);
    }
    const out: BlockPlacement[] = [];
    const war: string[] = [];
    // Freed blocks of one dead tensor share its users list: take each list once.
    const warLists = new Set<readonly string[]>();
    for (let j = 0; j < t.tiles; j++) {
      const tileKey = `${t.id}/${j}`;
      if (!usedTiles.has(tileKey)) continue;
      // Placing this tile's own blocks adds no partner of it, so the slices to avoid stay fixed over its blocks.
      const avoid = clashSlices(t.chip, together.get(tileKey));
      for (let row0 = 0; row0 < t.rows; row0 += t.blockRows) {
        const rows = Math.min(t.blockRows, t.rows - row0);
        let placed: Omit<BlockPlacement, "tile" | "row0" | "rows"> | undefined;
        const start = cursor.get(planes) ?? 0;
        if (wide.has(t.id)) placed = placeWide(t, avoid, rows, groups);
        // Reuse costs time when it orders work the program does not: the new tenant's writers wait for the old
        // tenant's readers and writers. Reusing first tied unrelated work together (llama2-7b: a head's query
        // mask, last on one pipeline chip, waited for the end of that chip's other heads, so the next chip's heads
        // ran only after them). So: first a freed block whose users already precede the writers (free of cost,
        // and near the data of the chain that freed it), then fresh space, round-robin over the groups so tiles
        // stream from different slices; only when a chip's fresh space runs out any freed block. The partitioner
        // sizes stages by every op's output without reuse, so fresh space is what it counted on.
        // A freed block from the cursor on (with `costFree`, only one whose users precede this tensor's writers).
        const reuse = (costFree: boolean) => {
          for (let k = 0; k < groups.length && !placed; k++) {
            const slices = groups[(start + k) % groups.length]!;
            if (clashes(avoid, slices)) continue;
            const blocks = freeOf(t.chip, slices);
            if (blocks === undefined) continue;
            // The first block that fits; cost-free, among the first REUSE_CANDIDATES that fit only (the scan stops
            // there rather than walking the rest of a long free list).
            let fit = -1;
            for (let i = 0, tried = 0; i < blocks.length && fit < 0; i++) {
              const b = blocks[i]!;
              if (b.words < rows) continue;
              if (!costFree || precede(b.users, t.id)) fit = i;
              else if (++tried >= REUSE_CANDIDATES) break;
            }
            if (fit < 0) continue;
            const b = blocks[fit]!;
            placed = { slices, addr: b.addr, reuses: b.tenants };
            if (!warLists.has(b.users)) {
              warLists.add(b.users);
              war.push(...b.users);
            }
            if (b.words === rows) blocks.splice(fit, 1);
            else blocks[fit] = { ...b, addr: b.addr + rows, words: b.words - rows };
          }
        };
        reuse(!reuseFirst);
        for (let k = 0; k < groups.length && !placed; k++) {
          const gi = (start + k) % groups.length;
          const slices = groups[gi]!;
          if (clashes(avoid, slices)) continue;
          let addr = 0;
          for (const s of slices) addr = Math.max(addr, topAt(t.chip, s));
          if (addr + rows <= machine.mem.wordsPerSlice) {
            for (const s of slices) top[t.chip * sliceCount + s] = addr + rows;
            placed = { slices, addr };
            cursor.set(planes, gi + 1);
          }
        }
        reuse(false);
        if (!placed) {
          // One message per chip: after the first, every later tensor of a full chip fails the same way.
          if (!fullChips.has(t.chip))
            diagnostics.push(diag(M.sliceFull, file, undefined, [t.chip, t.id, rows, planes]));
          fullChips.add(t.chip);
          return undefined;
        }
        out.push({ tile: j, row0, rows, ...placed });
        const on = placedOn.get(tileKey) ?? placedOn.set(tileKey, []).get(tileKey)!;
        for (const sl of placed.slices) on.push(t.chip * sliceCount + sl);
      }
    }
    return { blocks: out, war };
  };

  // Wide weight blocks: `lw` takes up to maxLoadWidth rows a cycle, one per stream group, so a block only `lw`
  // reads is spread over that many slice groups (row r in group r mod width) and its 320 rows load in 40 cycles
  // instead of 320. Only for tensors no task writes (params, constants, inputs and their copies: their images come
  // from the emitter) whose every read is a whole block straight into an `lw`.
  const wide = new Set<string>();
  // An 8-bit weight is converted on the VXM on its way to the MXM, one ALU per stream group, so a load of width w
  // holds w ALUs for 320 / w cycles: 320 ALU-cycles a tile whatever w. A width that lets every plane load at once
  // and leaves each plane an ALU for its results (acc -> convert -> write): floor(alus / planes) - 1, 3 on tsp-v1.
  // Measured on llama2-70b-fp8 (one layer, 9 chips, before the embedding gathers): one row a cycle 735,705
  // cycles; width 8 (two loads fill the 16 ALUs and the results wait for one) 713,586; 4: 444,472; 3: 424,560;
  // 2: 469,125.
  const converted = new Set<string>();
  const convertWidth = Math.max(1, Math.floor(machine.vxm.alus / machine.mxm.planes) - 1);
  {
    const written = new Set<string>();
    const notWide = new Set<string>();
    const blockRowsOf = new Map(g.tensors.map((t) => [t.id, t.blockRows]));
    for (const task of g.tasks)
      task.steps.forEach((st, si) => {
        if (st.kind === "write") written.add(st.ref.tensor);
        if (st.kind !== "read") return;
        const ok =
          wideLoadAt(task.steps, si) &&
          st.ref.stride === 1 &&
          st.ref.row % blockRowsOf.get(st.ref.tensor)! === 0;
        if (ok) wide.add(st.ref.tensor);
        else notWide.add(st.ref.tensor);
        if (ok && task.steps[si + 1]!.kind === "convert") converted.add(st.ref.tensor);
      });
    for (const t of g.tensors)
      if (
        t.role === "temp" ||
        written.has(t.id) ||
        notWide.has(t.id) ||
        g.outputs.some((o) => o.tensor === t.id) ||
        narrow.has(t.id) ||
        machine.mxm.maxLoadWidth <= 1
      )
        wide.delete(t.id);
  }
  /** What the narrowing loop of `allocate` needs: the chips that overflowed and the wide tensors. */
  const fullList = () => [...fullChips].sort((a, b) => a - b);
  const wideList = () =>
    g.tensors
      .filter((t) => wide.has(t.id))
      .map((t) => ({ id: t.id, chip: t.chip, bytes: t.rows * t.tiles * ELEM_BYTES[t.type] }));
  /** Fresh space for one wide block: `width` slice groups from the cursor (round-robin, no clash), one address. */
  const vxmPos = machine.sliceOrder.indexOf("vxm");
  const placeWide = (
    t: TiledTensor,
    avoid: ReadonlySet<number>,
    rows: number,
    groups: number[][],
  ): Omit<BlockPlacement, "tile" | "row0" | "rows"> | undefined => {
    const planes = ELEM_BYTES[t.type];
    const full = Math.min(
      machine.mxm.maxLoadWidth,
      Math.floor(machine.streamsPerDirection / planes),
      converted.has(t.id) ? convertWidth : Number.POSITIVE_INFINITY,
    );
    if (full <= 1 || rows <= 1) return undefined;
    const start = cursor.get(planes) ?? 0;
    // All groups on the side of the VXM where the cursor points, so the rows reach the plane with little skew
    // (groups on both sides would make the load wait for the far side's ~45 extra hops).
    const side = (gi: number) => slicePosition(machine, "mem", groups[gi]![0]!)! < vxmPos;
    // The side's groups in fixed chunks of `width` (the last one narrower): a block takes a whole chunk, so the
    // groups of a chunk keep one top and the blocks stack without gaps. Choosing any `width` lowest groups left
    // gaps below the highest each time (22 groups a side do not divide by 8): on llama2-7b's embedding chip 40% of
    // the SRAM, which overflowed and fell back to one-row loads.
    const cursorSide = side(start % groups.length);
    const own = groups.map((_, gi) => gi).filter((gi) => side(gi) === cursorSide);
    const topOf = (gi: number) => Math.max(...groups[gi]!.map((sl) => topAt(t.chip, sl)));
    let best: { chunk: number[]; addr: number; order: number } | undefined;
    for (let c = 0; c < own.length; c += full) {
      const chunk = own.slice(c, c + full).slice(0, rows);
      if (chunk.length < 2 || chunk.some((gi) => clashes(avoid, groups[gi]!))) continue;
      const addr = Math.max(...chunk.map(topOf));
      const order = (chunk[0]! - start + groups.length) % groups.length;
      if (!best || addr < best.addr || (addr === best.addr && order < best.order))
        best = { chunk, addr, order };
    }
    if (!best) return undefined;
    const width = best.chunk.length;
    const slices = best.chunk.flatMap((gi) => groups[gi]!);
    const words = Math.ceil(rows / width);
    const addr = best.addr;
    if (addr + words > machine.mem.wordsPerSlice) return undefined;
    for (const s of slices) top[t.chip * sliceCount + s] = addr + words;
    cursor.set(planes, best.chunk[best.chunk.length - 1]! + 1);
    return { slices, addr, width };
  };

  // Only tiles some task reads or writes get space (a weight copy on another chip holds only that chip's tiles).
  const usedTiles = new Set<string>();
  for (const task of g.tasks)
    for (const st of task.steps)
      if (st.kind === "read" || st.kind === "write" || st.kind === "gather")
        usedTiles.add(`${st.ref.tensor}/${st.ref.tile}`);
  const outputs = new Set(g.outputs.map((o) => o.tensor));
  const byId = new Map(g.tensors.map((t) => [t.id, t]));
  // Gathered tables last: a table's tiles, all its id ranges' on a chip, can cover every slice group, and the ids
  // every gather reads must avoid all of them (a task's MEM steps may not share a slice), so the ids go first
  // and the tables take the slices left.
  const gathered = new Set(
    g.tasks.flatMap((task) => task.steps.flatMap((st) => (st.kind === "gather" ? [st.ref.tensor] : []))),
  );
  const pinnedOrder = [
    ...g.tensors.filter((t) => !gathered.has(t.id)),
    ...g.tensors.filter((t) => gathered.has(t.id)),
  ];
  for (const t of pinnedOrder)
    if (t.role !== "temp") {
      const r = place(t);
      if (gaveUp()) return { graph: g, diagnostics, fullChips: fullList(), wide: wideList() };
      if (r)
        placements.set(t.id, {
          tensor: t.id,
          chip: t.chip,
          rows: t.rows,
          blockRows: t.blockRows,
          blocks: r.blocks,
        });
    }

  // Ancestors of a task through `after` edges, searched breadth first up to ANCESTOR_LIMIT tasks (a bounded
  // search keeps the cost linear; a user it misses only makes reuse less eager, never wrong). By task index, with a
  // stamp per task for "seen in this search" (no set of names per search).
  const { index: taskIndex, afterStart, afterOf } = deps;
  const ancestorsOf = new Map<string, Set<number>>();
  const seenStamp = new Int32Array(g.tasks.length);
  let search = 0;
  const queue: number[] = [];
  const ancestors = (id: string): Set<number> => {
    const known = ancestorsOf.get(id);
    if (known) return known;
    const seen = new Set<number>();
    search++;
    queue.length = 0;
    const i0 = taskIndex.get(id);
    if (i0 !== undefined) for (let k = afterStart[i0]!; k < afterStart[i0 + 1]!; k++) queue.push(afterOf[k]!);
    for (let q = 0; q < queue.length && seen.size < ANCESTOR_LIMIT; q++) {
      const a = queue[q]!;
      if (seenStamp[a] === search) continue;
      seenStamp[a] = search;
      seen.add(a);
      for (let k = afterStart[a]!; k < afterStart[a + 1]!; k++) queue.push(afterOf[k]!);
    }
    ancestorsOf.set(id, seen);
    return seen;
  };
  /** A freed block's users by task index (the lists are shared between blocks, so each is converted once). */
  const userIndices = new WeakMap<readonly string[], number[]>();
  const indicesOf = (users: readonly string[]): number[] => {
    let out = userIndices.get(users);
    if (!out) {
      out = users.map((u) => taskIndex.get(u) ?? -1);
      userIndices.set(users, out);
    }
    return out;
  };
  /** Whether every user of a freed block already precedes every writer of `tensor`: then reusing it costs nothing. */
  const precede = (users: readonly string[], tensor: string): boolean => {
    const us = indicesOf(users);
    return (writersOf.get(tensor) ?? []).every((w) => {
      const anc = ancestors(w);
      return us.every((u) => anc.has(u));
    });
  };

  // Lifetimes: a temp lives from its first writer task to its last task that reads or writes it.
  const writersOf = new Map<string, string[]>();
  for (const task of g.tasks)
    for (const s of task.steps)
      if (s.kind === "write") {
        const ws = writersOf.get(s.ref.tensor) ?? writersOf.set(s.ref.tensor, []).get(s.ref.tensor)!;
        if (ws[ws.length - 1] !== task.id) ws.push(task.id);
      }
  // A tensor read by a task of an MXM group is freed only when the group's last task in list order comes. The
  // group holds its plane from its first task to its last: were the space reused by a tensor that the group itself
  // reads later (e.g. a weight read by `lw` whose space goes to the activation `abc` takes), the group's input
  // would wait on its own weight load, and groups that hold planes while waiting can leave none for the tasks
  // they wait on (the scheduler's "every ready task waits for an MXM plane"). Freed then, a new tenant's writers
  // are the group's last task itself (its result may take the space, as before) or come after it, so none of
  // them is an input of the group.
  const groupLast = new Map<string, number>();
  g.tasks.forEach((task, i) => {
    if (task.mxmGroup) groupLast.set(task.mxmGroup, i);
  });
  // A lifetime ends at the last task that *uses* the tensor, writers included, and a new tenant's writers follow
  // every reader and writer of the old one: a tile that is written but never read (a split drops it, a head's
  // scores skip it) still has a writer, and the scheduler may place that writer late (nothing waits for it). Ended
  // at the last reader, its space went to a later tensor, and the late write landed on that tensor's value between
  // its write and its reads: wrong values, no hazard, exact cycles (test/compiler/passes/sram-reuse.test.ts).
  const lastUse = new Map<string, number>();
  const usersOf = new Map<string, string[]>();
  const usesAt = new Set<string>(); // `${task index}/${tensor}`
  g.tasks.forEach((task, i) => {
    const freeAt = task.mxmGroup ? groupLast.get(task.mxmGroup)! : i;
    for (const s of task.steps)
      if (s.kind === "read" || s.kind === "write" || s.kind === "gather") {
        usesAt.add(`${i}/${s.ref.tensor}`);
        lastUse.set(s.ref.tensor, Math.max(lastUse.get(s.ref.tensor) ?? 0, freeAt));
        const users = usersOf.get(s.ref.tensor) ?? usersOf.set(s.ref.tensor, []).get(s.ref.tensor)!;
        if (users[users.length - 1] !== task.id) users.push(task.id);
      }
  });
  // Space freed at a task is free after its writes are placed, or before them when the task does not use the
  // tensor itself (the last task of a group that read it earlier).
  const freeAfter = new Map<number, string[]>();
  const freeBefore = new Map<number, string[]>();
  for (const [tensor, i] of lastUse)
    if (byId.get(tensor)?.role === "temp" && !outputs.has(tensor)) {
      const m = usesAt.has(`${i}/${tensor}`) ? freeAfter : freeBefore;
      m.set(i, [...(m.get(i) ?? []), tensor]);
    }
  const release = (dead: string) => {
    const p = placements.get(dead);
    if (!p) return; // never placed: LPU5005 already says the SRAM is full
    p.blocks.forEach((tp) => {
      let onChip = free[p.chip];
      if (!onChip) {
        onChip = new Map();
        free[p.chip] = onChip;
      }
      const fkey = sliceKey(tp.slices);
      const blocks = onChip.get(fkey) ?? [];
      const tenants = [...(tp.reuses ?? []), `${dead}/${tp.tile}`];
      // Kept sorted by address: insert after any block at the same address (as a stable sort would).
      const block = { addr: tp.addr, words: tp.rows, users: usersOf.get(dead) ?? [], tenants };
      let lo = 0;
      for (let hi = blocks.length; lo < hi; ) {
        const mid = (lo + hi) >> 1;
        if (blocks[mid]!.addr <= block.addr) lo = mid + 1;
        else hi = mid;
      }
      blocks.splice(lo, 0, block);
      onChip.set(fkey, blocks);
    });
  };

  for (let i = 0; i < g.tasks.length; i++) {
    const task = g.tasks[i]!;
    for (const dead of (freeBefore.get(i) ?? []).sort()) release(dead);
    for (const s of task.steps)
      if (s.kind === "write" && !placements.has(s.ref.tensor)) {
        const t = byId.get(s.ref.tensor)!;
        const r = place(t);
        if (gaveUp()) return { graph: g, diagnostics, fullChips: fullList(), wide: wideList() };
        if (!r) continue;
        placements.set(t.id, {
          tensor: t.id,
          chip: t.chip,
          rows: t.rows,
          blockRows: t.blockRows,
          blocks: r.blocks,
        });
        // Every writer of this tensor follows the readers and writers of the space it reuses.
        if (r.war.length > 0)
          for (const w of writersOf.get(t.id) ?? []) {
            const set = extraAfter.get(w) ?? extraAfter.set(w, new Set()).get(w)!;
            for (const x of r.war) set.add(x);
          }
      }
    for (const dead of (freeAfter.get(i) ?? []).sort()) release(dead);
  }

  const tasks: Task[] = g.tasks.map((t0) => {
    const t = withLoadWidth(t0, placements);
    const extra = extraAfter.get(t.id);
    if (!extra) return t;
    return { ...t, after: [...new Set([...t.after, ...[...extra].filter((a) => a !== t.id)])] };
  });
  const sorted = [...placements.values()].sort((a, b) =>
    a.tensor < b.tensor ? -1 : a.tensor > b.tensor ? 1 : 0,
  );
  return {
    graph: { ...g, tasks, placements: sorted },
    diagnostics,
    fullChips: fullList(),
    wide: wideList(),
  };
}

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

/** SRAM bytes each chip uses: the highest word touched in each slice, summed (reused space counts once). One pass
 * over the placements for all chips. */
export function sramBytesPerChip(g: TaskGraph, machine: Machine): number[] {
  const high = Array.from({ length: g.chips }, () => new Map<number, number>());
  for (const p of g.placements ?? []) {
    const h = high[p.chip];
    if (!h) continue;
    for (const b of p.blocks)
      for (const s of b.slices)
        h.set(s, Math.max(h.get(s) ?? 0, b.addr + Math.ceil(b.rows / (b.width ?? 1))));
  }
  return high.map((h) => {
    let words = 0;
    for (const w of h.values()) words += w;
    return words * machine.lanes;
  });
}
