// Pass `allocate`: task IR -> task IR with a static SRAM placement for every tensor tile. Weights, inputs and
// state are pinned; a temporary's space is freed after its last use (read or write) and reused by a later temporary
// (the reuse adds `after` edges so its writers are placed after every task that read or wrote the old tenant). Byte
// planes of multi-byte types go to consecutive slices of one hemisphere (so one stream group reaches them all in one
// direction); successive tiles go round-robin over slice groups so that reads of different tiles stream in parallel.
// This file: the narrowing loop over placement rounds (allocate-round.ts), on facts gathered once (allocate-facts.ts).
import type { Machine } from "../../arch/machine.ts";
import type { Diagnostic } from "../../util/diagnostics.ts";
import { type Dependencies, uncachedDependencies } from "../schedule/dependencies.ts";
import { taskEstimates } from "./allocate-estimate.ts";
import { allocationFacts, tensorBytes } from "./allocate-facts.ts";
import { SliceTables } from "./allocate-groups.ts";
import { hubReservations } from "./allocate-hubs.ts";
import { Precedence } from "./allocate-precede.ts";
import { allocateRound, type RoundInput, type RoundPolicy } from "./allocate-round.ts";
import { loadTurns } from "./allocate-wide.ts";
import type { TaskGraph } from "./task-ir.ts";

export { sliceGroups } from "./allocate-groups.ts";

export interface AllocateOptions {
  /** Reuse a freed block before taking fresh space on every chip, the one freed earliest whatever order that adds
   * (the most reuse; the old policy). Tests use it to exercise reuse on programs far smaller than a chip. */
  readonly reuseFirst?: boolean;
  /** The tasks' estimated lengths (allocate-estimate.ts taskLengths), when the caller computed them. */
  readonly lengths?: Float64Array;
  /** The tasks' dependencies, when the caller has them (else computed here, not cached). */
  readonly deps?: Dependencies;
}

export function allocate(
  g: TaskGraph,
  machine: Machine,
  file: string,
  opts: AllocateOptions = {},
): Allocated {
  // Wide weight blocks start all their slice groups at one address, which can strand space below it; when that
  // makes a chip's SRAM overflow (the partitioner's estimate counts bytes, not this layout), the program is
  // allocated again with that chip's largest wide tensor loaded one row a cycle, and so on until it fits. The
  // chip's other weights keep their wide loads. A wide attempt gives up on a chip at its first tensor that does not
  // fit (that result is thrown away). The round-robin cursor over slice groups is first shared by all chips (the
  // placements every program had before, which schedule best on llama2-7b: a cursor per chip doubled its cycles);
  // if that would end with every tensor of every chip loaded one row a cycle (narrowing one chip moves every later
  // chip's placements, so a full chip may stay full: the 70b-fp8 layer's chip 2), the loop runs again with a
  // cursor per chip, where each chip's placements depend only on its own tensors, and its last resort loads one
  // row a cycle only on the chips still full. Every round reads the same facts, slice tables and ancestor
  // searches: they are built once here.
  const reuseFirst = opts.reuseFirst ?? false;
  const shared = roundInput(g, machine, file, false, opts);
  const r = allocateWith(shared, reuseFirst);
  // A block that found no place only because its task's other tiles hold every group with room (a tile many tasks
  // read, placed after their tiles): again with its group reserved before anything is placed (allocate-hubs.ts).
  // Only then: every program that allocates without it keeps its placements.
  if (r.fullChips.length === 0 || !r.clashed) return r;
  const reserved = hubReservations(shared.facts, shared.slices);
  if (!reserved) return r;
  const hubs = allocateWith({ ...shared, reserved }, reuseFirst);
  return hubs.fullChips.length === 0 ? hubs : r;
}

/** The narrowing loop with a shared cursor, then a cursor per chip, then reuse first on the chips still full. */
function allocateWith(shared: RoundInput, reuseFirst: boolean): Allocated {
  const perChip: RoundInput = { ...shared, cursorPerChip: true };
  const narrowing = (policy: (chip: number) => boolean, fresh?: (chip: number) => number) =>
    allocateNarrowing(shared, policy, reuseFirst, fresh) ??
    allocateNarrowing(perChip, policy, reuseFirst, fresh)!;
  const r = narrowing(() => reuseFirst);
  // Fresh space first can strand a full chip's freed space in pieces too small for a later large tensor (bert-base
  // packed on 2 chips: the embedding's [128, 30522] temporaries); the reuse-first policy packs tighter. Only the
  // chips that overflowed take it: on the others fresh space keeps unrelated work apart (bert-base's chip 1, with
  // 140 MB free, ran its layers' heads one after another when the whole program reused first).
  if (reuseFirst || r.fullChips.length === 0) return r;
  const full = new Set(r.fullChips);
  const tight = narrowing((chip) => full.has(chip));
  if (tight.fullChips.length === 0) return spareRoom(shared, tight, full, narrowing) ?? tight;
  return narrowing(() => true);
}

/**
 * Reuse first leaves room on a chip that overflowed fresh first (bert-base's first chip: 16 MB). Spent on its
 * earliest temporaries, in task order, that room keeps them off blocks whose old users must then run first: again
 * with that many slice-words of fresh space before any reuse that costs something, kept only if every chip fits.
 */
function spareRoom(
  shared: RoundInput,
  tight: Allocated,
  full: ReadonlySet<number>,
  narrowing: (policy: (chip: number) => boolean, fresh?: (chip: number) => number) => Allocated,
): Allocated | undefined {
  const { machine } = shared;
  const capacity = shared.slices.sliceCount * machine.mem.wordsPerSlice;
  const budget = new Map<number, number>();
  let best: Allocated | undefined;
  let last = tight;
  for (let pass = 0; pass < SPARE_PASSES; pass++) {
    const used = sramBytesPerChip(last.graph, machine);
    let more = false;
    for (const chip of full) {
      const room = capacity - (used[chip] ?? 0) / machine.lanes;
      if (room > 0) more = true;
      budget.set(chip, (budget.get(chip) ?? 0) + Math.max(0, room));
    }
    if (!more) break;
    const r = narrowing(
      (chip) => full.has(chip),
      (chip) => budget.get(chip) ?? 0,
    );
    if (r.fullChips.length > 0) break;
    best = r;
    last = r;
  }
  return best;
}

/** What every round of one `allocate` call reads, built once. */
export function roundInput(
  g: TaskGraph,
  machine: Machine,
  file: string,
  cursorPerChip: boolean,
  known: Pick<AllocateOptions, "lengths" | "deps"> = {},
): RoundInput {
  const facts = allocationFacts(g, machine);
  const deps = known.deps ?? uncachedDependencies(g.tasks);
  const est = taskEstimates(g.tasks, machine, deps, known.lengths);
  return {
    g,
    machine,
    file,
    facts,
    slices: new SliceTables(machine),
    precedence: new Precedence(deps, facts.users, facts.writers),
    turns: loadTurns(g.tasks, est, facts.loadGroupTask, facts.loadGroupBlocks),
    cursorPerChip,
  };
}

/** allocateRound, narrowing the largest wide tensor of each full chip until the program fits. With a shared cursor,
 * undefined where that fails (a cursor per chip does better); with a cursor per chip, a chip still full after
 * MAX_NARROWING_ROUNDS has every tensor narrowed. */
function allocateNarrowing(
  input: RoundInput,
  reuseFirst: (chip: number) => boolean,
  oldestFirst: boolean,
  freshBudget?: (chip: number) => number,
): Allocated | undefined {
  const tensors = input.g.tensors;
  const canWiden = input.machine.mxm.maxLoadWidth > 1;
  const narrow = new Uint8Array(tensors.length);
  // A chip that overflows first gives up its wide blocks' turns (allocate-wide.ts), then narrows: chunks filled by
  // turn can strand a full chip's space (an fp16 group's two slices in two 8-bit chunks of unequal tops: the
  // llama2-70b-fp8 layer's embedding chip).
  const plain = new Set<number>();
  const policy = (stopWhenFull: boolean, full?: ReadonlySet<number>): RoundPolicy => ({
    narrow: (ti) => !canWiden || narrow[ti] === 1 || (full?.has(tensors[ti]!.chip) ?? false),
    stopWhenFull,
    reuseFirst,
    oldestFirst,
    byTurn: (chip) => !plain.has(chip),
    freshBudget,
  });
  let stillFull: readonly number[] = [];
  for (let round = 0; canWiden && round < MAX_NARROWING_ROUNDS; round++) {
    const r = allocateRound(input, policy(true));
    if (r.fullChips.length === 0)
      return { graph: r.graph, diagnostics: r.diagnostics, fullChips: [], clashed: false };
    stillFull = r.fullChips;
    let more = false;
    for (const chip of r.fullChips) {
      if (!plain.has(chip)) {
        plain.add(chip);
        more = true;
        continue;
      }
      const left: number[] = [];
      for (let ti = 0; ti < tensors.length; ti++)
        if (r.wide[ti] === 1 && tensors[ti]!.chip === chip) left.push(ti);
      if (left.length === 0) continue;
      // The largest first (ties by name); after four rounds, every wide tensor of the chip at once (bounds the
      // number of passes).
      const largest = left.reduce((x, y) => (largerFirst(tensors[y]!, tensors[x]!) < 0 ? y : x));
      for (const ti of round >= 4 ? left : [largest]) narrow[ti] = 1;
      more = true;
    }
    if (!more) break;
  }
  if (canWiden && !input.cursorPerChip) return undefined;
  // Without wide loads (canWiden false) every tensor is narrow anyway.
  const r = allocateRound(input, policy(false, new Set(stillFull)));
  return { graph: r.graph, diagnostics: r.diagnostics, fullChips: r.fullChips, clashed: r.clashed };
}

/** A round's result: `fullChips` (ascending) overflowed, and `diagnostics` say so. */
interface Allocated {
  readonly graph: TaskGraph;
  readonly diagnostics: Diagnostic[];
  readonly fullChips: readonly number[];
  /** Whether some full chip's first block failed only for the slices its task's other tiles hold. */
  readonly clashed: boolean;
}

/** Passes of the narrowing loop before every tensor is loaded one row a cycle. */
const MAX_NARROWING_ROUNDS = 8;

const largerFirst = (x: { id: string } & Parameters<typeof tensorBytes>[0], y: typeof x) =>
  tensorBytes(y) - tensorBytes(x) || (x.id < y.id ? -1 : 1);

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

/** Rounds that spend a reuse-first chip's room (`spareRoom`): the first leaves some, as its early fresh blocks are
 * reused later where the reuse-first round took fresh space (bert-base's first chip: 16 MB of room, +9.2 MB high
 * water); a second spends most of the rest, a third found none (bert-base 379,423 -> 369,511 -> 367,717 cycles). */
const SPARE_PASSES = 2;
