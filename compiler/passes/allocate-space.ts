// Fresh SRAM space for one placement round (allocate-round.ts): per (chip, slice) the bump pointer, per plane count
// the round-robin cursor over slice groups, the slices the tile being placed must avoid, and the three ways a block
// takes fresh space: in the first fitting group of a list, round-robin from the cursor, or wide over a chunk of groups.
// Guarantees: a bump pointer only rises, and no block lands on a slice in `avoid`. Reusing freed space stays in the round.
import type { Machine } from "../../arch/machine.ts";
import type { AllocationFacts } from "./allocate-facts.ts";
import type { GroupTable, SliceTables } from "./allocate-groups.ts";
import {
  type Chunk,
  type ChunkSpace,
  ChunkTables,
  chipsKeepingActivations,
  chipsMixingWidths,
  chooseChunk,
  convertWidthOf,
} from "./allocate-wide.ts";
import type { BlockPlacement, TiledTensor } from "./task-ir.ts";

/** Where one block goes: its slices and address, with its `lw` width or the tenants whose space it reuses. */
export type Spot = Omit<BlockPlacement, "tile" | "row0" | "rows">;

/** What the space reads: the same for the whole round. */
export interface SpaceInput {
  readonly machine: Machine;
  readonly facts: AllocationFacts;
  readonly tables: SliceTables;
  readonly chips: number;
  /** One round-robin cursor per chip, else one shared by every chip (`RoundInput.cursorPerChip`). */
  readonly cursorPerChip: boolean;
  /** Per load group, its turn, or -1 (`RoundInput.turns`). */
  readonly turns: Int32Array;
  /** Per chip: a group's wide blocks in its turn's chunk (`RoundPolicy.byTurn`). */
  readonly byTurn: (chip: number) => boolean;
}

/** The fresh space of every chip in one round. */
export class FreshSpace {
  /** Per (chip, slice), by index chip * slices + slice: the first free word above the bump pointer. */
  readonly top: Int32Array;
  /** The slices (bit mask) the tile being placed avoids: its partners' on the same chip. The round fills it per tile. */
  readonly avoid: Uint32Array;
  /** Per plane count the next slice group, round-robin: with `cursorPerChip` per (chip, plane count), by index
   * chip * CURSOR_PLANES + planes, else one shared by every chip (then narrowing one chip's tensors moves every
   * later chip's placements). */
  private readonly cursor: Int32Array;
  private readonly keeps: Uint8Array;
  private readonly mixed: Uint8Array;
  private readonly chunkTables: ChunkTables;
  private readonly convertWidth: number;
  private readonly wordsPerSlice: number;
  private readonly sliceCount: number;
  private readonly maskWords: number;

  constructor(private readonly input: SpaceInput) {
    const { machine, facts, tables, chips } = input;
    this.sliceCount = tables.sliceCount;
    this.maskWords = tables.maskWords;
    this.top = new Int32Array(chips * this.sliceCount);
    this.avoid = new Uint32Array(this.maskWords);
    this.cursor = new Int32Array(chips * CURSOR_PLANES);
    this.keeps = chipsKeepingActivations(machine, facts.tensors, facts.abcReads, chips);
    this.mixed = chipsMixingWidths(facts.tensors, facts.wideCandidate, facts.converted, chips);
    this.chunkTables = new ChunkTables(machine);
    this.convertWidth = convertWidthOf(machine);
    this.wordsPerSlice = machine.mem.wordsPerSlice;
  }

  /** Whether `chip` keeps its activation groups out of the wide chunks (allocate-wide.ts). */
  keepsActivation(chip: number): boolean {
    return this.keeps[chip] === 1;
  }

  /** The group the round-robin of `planes`-plane groups on `chip` tries next. */
  cursorAt(chip: number, planes: number): number {
    return this.cursor[this.slot(chip, planes)]!;
  }

  /** Whether group gi of `table` holds a slice in `avoid`. */
  clashes(table: GroupTable, gi: number): boolean {
    const { avoid, maskWords } = this;
    for (let w = 0; w < maskWords; w++) if ((avoid[w]! & table.mask[gi * maskWords + w]!) !== 0) return true;
    return false;
  }

  /** Fresh space for one block in the first of `among` (slice groups of `table`) where it fits without a clash. */
  fresh(chip: number, table: GroupTable, rows: number, among: readonly number[]): Spot | undefined {
    for (const gi of among) {
      if (this.clashes(table, gi)) continue;
      const group = table.groups[gi]!;
      const addr = this.topOf(chip, group);
      if (addr + rows > this.wordsPerSlice) continue;
      this.raise(chip, group, addr + rows);
      return { slices: group, addr };
    }
    return undefined;
  }

  /** Fresh space round-robin from group `start` on, moving the cursor past the group taken; with `sparing`, a first
   * pass over the groups that hold no activation slices, then the activation groups (the others failed already and
   * nothing changed since). */
  roundRobin(
    chip: number,
    table: GroupTable,
    rows: number,
    start: number,
    sparing: boolean,
  ): Spot | undefined {
    const groups = table.groups;
    for (let k = sparing ? 0 : groups.length; k < 2 * groups.length; k++) {
      const gi = (start + k) % groups.length;
      if (this.clashes(table, gi)) continue;
      if (sparing && k < groups.length === table.isActivation[gi]) continue;
      const addr = this.topOf(chip, groups[gi]!);
      if (addr + rows <= this.wordsPerSlice) {
        this.raise(chip, groups[gi]!, addr + rows);
        this.cursor[this.slot(chip, table.planes)] = (gi + 1) % groups.length;
        return { slices: groups[gi]!, addr };
      }
    }
    return undefined;
  }

  /** Fresh space for one wide block of tensor `ti` (load group `group`): a whole chunk of slice groups on the
   * cursor's side (no clash), one address. */
  wide(t: TiledTensor, ti: number, rows: number, table: GroupTable, group: number): Spot | undefined {
    const { machine, facts, tables, turns, byTurn } = this.input;
    const planes = table.planes;
    const groups = table.groups;
    const full = Math.min(
      machine.mxm.maxLoadWidth,
      Math.floor(machine.streamsPerDirection / planes),
      facts.converted[ti] === 1 ? this.convertWidth : Number.POSITIVE_INFINITY,
    );
    if (full <= 1 || rows <= 1) return undefined;
    const start = this.cursor[this.slot(t.chip, planes)]!;
    const west = table.west[start % groups.length]!;
    const keep = this.keepsActivation(t.chip);
    const chunks = this.chunkTables.of(table, keep, full);
    const sideOf = (chunk: Chunk) => (chunk.west ? table.westGroups : table.eastGroups);
    const space: ChunkSpace = {
      addrOf: (chunk, width) => {
        let addr = 0;
        for (let k = chunk.c; k < chunk.c + width; k++) {
          if (this.clashes(table, sideOf(chunk)[k]!)) return -1;
          addr = Math.max(addr, this.topOf(t.chip, groups[sideOf(chunk)[k]!]!));
        }
        return addr;
      },
      orderOf: (chunk) => (sideOf(chunk)[chunk.c]! - start + groups.length) % groups.length,
    };
    const turn = group >= 0 && byTurn(t.chip) && !this.mixed[t.chip] ? turns[group]! : -1;
    const few = chunks.cycle.length <= FEW_CHUNKS_PER_PLANE * machine.mxm.planes;
    const own = turn >= 0 && few ? chunks.cycle[turn % chunks.cycle.length] : undefined;
    const words = (width: number) => Math.ceil(rows / width);
    // The other side when the cursor's is full: chunks taken by turn can fill one side first.
    const got =
      chooseChunk(west ? chunks.west : chunks.east, rows, words, this.wordsPerSlice, space, own) ??
      chooseChunk(west ? chunks.east : chunks.west, rows, words, this.wordsPerSlice, space, undefined);
    if (!got) return undefined;
    const { chunk, width, addr } = got;
    const slices = tables.runSlices(table, chunk.west, chunk.c, width);
    this.raise(t.chip, slices, addr + words(width));
    this.cursor[this.slot(t.chip, planes)] = (sideOf(chunk)[chunk.c + width - 1]! + 1) % groups.length;
    return { slices, addr, width };
  }

  private slot(chip: number, planes: number): number {
    return (this.input.cursorPerChip ? chip * CURSOR_PLANES : 0) + planes;
  }

  private topOf(chip: number, group: readonly number[]): number {
    let addr = 0;
    for (const s of group) addr = Math.max(addr, this.top[chip * this.sliceCount + s]!);
    return addr;
  }

  private raise(chip: number, group: readonly number[], to: number): void {
    for (const s of group) this.top[chip * this.sliceCount + s] = to;
  }
}

/** Chunks per MXM plane up to which groups take chunks by turn (allocate-wide.ts): 6 fp16 chunks for 4 planes do;
 * with 8-bit weights' 28 the lowest chunk seldom puts two planes' loads together, and turns there cost the stamped
 * llama2-70b-fp8's unit a deskew period (2,734,543 -> 2,778,598 cycles). */
const FEW_CHUNKS_PER_PLANE = 2;
/** Cursor slots per chip: one per byte-plane count (at most 4). */
const CURSOR_PLANES = 8;
