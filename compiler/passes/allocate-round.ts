// One placement round of `allocate`: in, the graph's allocation facts and which weights to load narrow; out, every
// used tile's SRAM blocks, the tasks with their reuse (`after`) edges and `lw` widths, or the chips that overflowed.
// Guarantees: a temporary's space is reused only after its last use, tensors one task accesses never share a slice.
// Split off: fresh space (allocate-space.ts), why a block found no place (allocate-full.ts), the graph built from the
// placements (allocate-placed.ts).
import { ELEM_BYTES } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { invariant } from "../../util/assert.ts";
import type { Diagnostic } from "../../util/diagnostics.ts";
import { offHeapUint32 } from "../../util/off-heap.ts";
import type { AllocationFacts } from "./allocate-facts.ts";
import { type FreeBlock, FreeLists } from "./allocate-free.ts";
import { fullChipDiagnostic } from "./allocate-full.ts";
import type { GroupTable, SliceTables } from "./allocate-groups.ts";
import { placedGraph, type Reuse } from "./allocate-placed.ts";
import type { Precedence } from "./allocate-precede.ts";
import { FreshSpace, type Spot } from "./allocate-space.ts";
import { shortInputOf } from "./allocate-wide.ts";
import type { BlockPlacement, Placement, TaskGraph } from "./task-ir.ts";

/** Freed blocks per slice group checked for cost-free reuse: a bound that keeps allocation linear. */
const REUSE_CANDIDATES = 4;

/** What a round reads: the same for every round of one `allocate` call. */
export interface RoundInput {
  readonly g: TaskGraph;
  readonly machine: Machine;
  readonly file: string;
  readonly facts: AllocationFacts;
  readonly slices: SliceTables;
  readonly precedence: Precedence;
  /** Per load group (`facts.loadGroup`), its turn, or -1 (allocate-wide.ts `loadTurns`). */
  readonly turns: Int32Array;
  /** One round-robin cursor per chip (a chip's placements then depend only on its own tensors) instead of one
   * shared by every chip. */
  readonly cursorPerChip: boolean;
  /** Per tile, slices its partners avoid before it is placed (allocate-hubs.ts), word w of tile k at
   * `k * maskWords + w`; absent in a plain round. */
  readonly reserved?: Uint32Array;
}

export interface RoundResult {
  readonly graph: TaskGraph;
  readonly diagnostics: Diagnostic[];
  /** Chips whose SRAM overflowed, ascending. */
  readonly fullChips: number[];
  /** The tensors this round loaded wide, by index. */
  readonly wide: Uint8Array;
  /** Whether some chip's first block without a place failed only for the slices its task's other tiles hold. */
  readonly clashed: boolean;
}

export { convertWidthOf } from "./allocate-wide.ts";

/** What one round may do, per chip or tensor. */
export interface RoundPolicy {
  /** Per tensor index: load it one row a cycle. */
  readonly narrow: (ti: number) => boolean;
  /** A chip stops at its first tensor that does not fit, and a round with a full chip returns no graph. */
  readonly stopWhenFull: boolean;
  /** Per chip: reuse any freed block before fresh space (packs tighter): one free of cost first, then the oldest. */
  readonly reuseFirst: (chip: number) => boolean;
  /** On a chip that reuses first, the oldest freed block even before one free of cost (`AllocateOptions`). */
  readonly oldestFirst?: boolean;
  /** Per chip: a group's wide blocks in its turn's chunk (allocate-wide.ts); else in the lowest (packs tighter). */
  readonly byTurn: (chip: number) => boolean;
  /** Per chip that reuses first, slice-words of fresh space its temporaries may take before a freed block that costs
   * something (allocate.ts: the room a reuse-first round left), in task order; absent, none. */
  readonly freshBudget?: (chip: number) => number;
}

/** Places every tensor as `policy` says. */
export function allocateRound(input: RoundInput, policy: RoundPolicy): RoundResult {
  const { narrow, stopWhenFull, reuseFirst, oldestFirst, byTurn, freshBudget } = policy;
  const { g, machine, file, facts, slices: tables, precedence } = input;
  const { tensors, tileBase, tileTensor, partnerStart, partnerOf } = facts;
  const diagnostics: Diagnostic[] = [];
  const sliceCount = tables.sliceCount;
  const maskWords = tables.maskWords;
  const chips = tensors.reduce((n, t) => Math.max(n, t.chip + 1), g.chips);
  const space = new FreshSpace({
    machine,
    facts,
    tables,
    chips,
    cursorPerChip: input.cursorPerChip,
    turns: input.turns,
    byTurn,
  });
  const { top, avoid } = space;
  const free = new FreeLists();
  const placements: (Placement | undefined)[] = new Array(tensors.length);
  /** Temporaries placed in reused space, in placement order, with the tasks their writers must follow. */
  const reused: Reuse[] = [];
  const fullChips = new Set<number>();
  /** Per tile, the slices (bit mask) its blocks were placed on: a partner on the same chip must avoid them. A hub
   * tile's reserved group stands there until the tile is placed. */
  const placedOn = offHeapUint32(tileTensor.length * maskWords);
  /** Per chip, slice-words of fresh space left to temporaries before a costly reuse (`freshBudget`). */
  const budget = Float64Array.from({ length: chips }, (_, c) => freshBudget?.(c) ?? 0);
  if (input.reserved) placedOn.set(input.reserved);
  let clashed = false;
  const wide = new Uint8Array(tensors.length);
  for (let ti = 0; ti < tensors.length; ti++) wide[ti] = facts.wideCandidate[ti] === 1 && !narrow(ti) ? 1 : 0;
  const clashes = (table: GroupTable, gi: number): boolean => space.clashes(table, gi);
  const shortInput = shortInputOf(machine);
  const keepsActivation = (chip: number) => space.keepsActivation(chip);

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

  /** Per dead tensor, the `place` call that last took its users into `war`. */
  const warStamp = new Int32Array(tensors.length);
  let placeCount = 0;
  const place = (ti: number): { blocks: BlockPlacement[]; war: number[] } | undefined => {
    const t = tensors[ti]!;
    const planes = ELEM_BYTES[t.type];
    const table = tables.of(planes);
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
      // A reservation only steers the partners placed before the tile; from here on its own blocks stand there.
      if (input.reserved) placedOn.fill(0, tile * maskWords, (tile + 1) * maskWords);
      for (let q = partnerStart[tile]!; q < partnerStart[tile + 1]!; q++) {
        const p = partnerOf[q]!;
        if (tensors[tileTensor[p]!]!.chip === t.chip)
          for (let w = 0; w < maskWords; w++) avoid[w]! |= placedOn[p * maskWords + w]!;
      }
      for (let row0 = 0; row0 < t.rows; row0 += t.blockRows) {
        const rows = Math.min(t.blockRows, t.rows - row0);
        let placed: Spot | undefined;
        const start = space.cursorAt(t.chip, planes);
        const group = facts.loadGroup[facts.blockBase[tile]! + row0 / t.blockRows]!;
        if (wide[ti] === 1) placed = space.wide(t, ti, rows, table, group);
        // Reuse costs time when it orders work the program does not: the new tenant's writers wait for the old
        // tenant's readers and writers. Reusing first tied unrelated work together (llama2-7b: a head's query
        // mask, last on one pipeline chip, waited for the end of that chip's other heads, so the next chip's heads
        // ran only after them). So: first a freed block whose users already precede the writers (free of cost,
        // and near the data of the chain that freed it), then fresh space, round-robin over the groups so tiles
        // stream from different slices; only when a chip's fresh space runs out any freed block. The partitioner
        // sizes stages by every op's output without reuse, so fresh space is what it counted on. A chip that reuses
        // first (it overflowed) also takes a block free of cost before any other: the oldest freed block alone
        // chained bert-base's heads to their siblings' readers on its first chip (463,377 -> 458,654 cycles).
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
          if (!placed) placed = space.fresh(t.chip, table, rows, table.activation);
        }
        if (!placed && !tight && facts.relayAt[ti]! >= 0) {
          const near = tables.nearest(table, facts.relayAt[ti]!);
          placed = reuse(true, table, listBase, start, rows, freeForThis, war, near);
          if (!placed) placed = space.fresh(t.chip, table, rows, near);
        }
        if (!placed && !(tight && oldestFirst))
          placed = reuse(true, table, listBase, start, rows, freeForThis, war);
        // A chip that reuses first still has the room its reuse-first round left: its earliest temporaries take
        // fresh space while that lasts, rather than blocks whose old users then run before their writers (bert-base's
        // first chip: the embedding's id ranges, each reusing a block the range before had just freed, ran one after
        // another).
        const spare = tight && !placed && t.role === "temp" && budget[t.chip]! >= rows * table.planes;
        if (!placed && tight && !spare) placed = reuse(false, table, listBase, start, rows, freeForThis, war);
        // Fresh space round-robin. On a chip that keeps activation groups, a tensor that is no short matrix input
        // tries the other groups first: the allocator bumps a group's slices to its highest top, so one fp32
        // temporary on the 4-slice group over a side's activation slices and two weight slices raised the
        // activation slices to the weights' height (llama2-70b-fp8's chip 14: from word 0 to 7,854), and the later
        // layers' inputs of the MXM then spilled onto weight chunks, where every product's read of them collided
        // with a weight load (docs/compiler.md, "Activation groups kept for activations"). It moves the cursor, so it
        // re-draws every later placement: the one-layer programs' loss with it is mostly that draw (same section).
        const sparing = !tight && keepsActivation(t.chip) && !(facts.mxmInput[ti] === 1 && shortInput(t));
        if (!placed) placed = space.roundRobin(t.chip, table, rows, start, sparing);
        if (spare && placed) budget[t.chip]! -= rows * table.planes;
        // Reuse-first already tried every freed block, and fresh space failing changed none.
        if (!placed && (!tight || spare))
          placed = reuse(false, table, listBase, start, rows, freeForThis, war);
        if (!placed) {
          // One message per chip: after the first, every later tensor of a full chip fails the same way.
          if (!fullChips.has(t.chip)) {
            const verdict = fullChipDiagnostic({
              machine,
              file,
              chip: t.chip,
              tensor: t.id,
              rows,
              table,
              tables,
              top: (s) => top[t.chip * sliceCount + s]!,
              free,
              clashes: (gi) => clashes(table, gi),
            });
            diagnostics.push(verdict.diagnostic);
            clashed ||= verdict.sliceClash;
          }
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

  const stopped = () => ({ graph: g, diagnostics, fullChips: sortedChips(fullChips), wide, clashed });
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

  // A round that gave up returned above, before the reuse edges are built.
  const graph = placedGraph(g, facts, placements, reused);
  return { graph, diagnostics, fullChips: sortedChips(fullChips), wide, clashed };
}

const NONE: readonly number[] = [];
const sortedChips = (chips: ReadonlySet<number>) => [...chips].sort((a, b) => a - b);
