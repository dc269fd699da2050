// The data times placement reads and moves forward (placement.ts): in, the task graph's tensors; out, per column
// tile the cycle its last write is readable and the cycle after its last read, per row piece its readable cycle,
// per send its issue and per link end the cycle it frees. Guarantees: every time only moves forward.

import { ELEM_BYTES } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { invariant } from "../../util/assert.ts";
import type { Task, TiledTensor, VecRef } from "../passes/task-ir.ts";
import { RowPieces } from "./row-pieces.ts";
import { linkLeaves } from "./timing.ts";

export class DataTimes {
  // Per column tile of a tensor (dense id: the tensor's first tile plus the tile): the cycle from which its last
  // write is readable, and the cycle after its last read. Plain arrays of small integers, not Float64Array: cycles
  // read from a float array are doubles, and every cycle computed from them would be a boxed number in the
  // instructions.
  private readonly tileBase = new Map<string, number>();
  private readonly tileReady: number[];
  private readonly tileReadEnd: number[];
  /** Per row piece of a tile (row-pieces.ts): the cycle from which its last write is readable; a read waits for
   * its own rows' pieces, a reuse (tileReady) for the whole tile. */
  private readonly pieces: RowPieces;
  private readonly pieceReady: number[];
  /** The dense id of a `tensor/tile` name (allocate.ts `reuses`). */
  private readonly reuseIds = new Map<string, number>();
  /** Issue cycle of each placed send step, by task id: its receiver's earliest start follows from it. */
  private readonly sendAt = new Map<string, number>();
  /** Per link end (`chip/s<link>` sender, `chip/r<link>` receiver): the cycle the previous transfer frees it. */
  private readonly linkFree = new Map<string, number>();

  constructor(
    private readonly m: Machine,
    tensors: readonly TiledTensor[],
    /** The cycle an unwritten tile (a source) is readable from. */
    unwritten: number,
  ) {
    let tileCount = 0;
    for (const t of tensors) {
      this.tileBase.set(t.id, tileCount);
      tileCount += t.tiles;
    }
    this.tileReady = new Array<number>(tileCount).fill(unwritten);
    this.tileReadEnd = new Array<number>(tileCount).fill(0);
    this.pieces = new RowPieces(tensors);
    this.pieceReady = new Array<number>(this.pieces.count).fill(unwritten);
  }

  /** The cycle from which every row `ref` reads is readable (a gather's: every row of its tile). */
  readableFrom(ref: VecRef, whole: boolean): number {
    const [p0, p1] = this.pieces.range(ref, whole);
    let ready = this.pieceReady[p0]!;
    for (let p = p0 + 1; p < p1; p++) ready = Math.max(ready, this.pieceReady[p]!);
    return ready;
  }

  /** The cycle a write into reused SRAM space waits for: the old tenants' last reads and their own writes (a
   * write nobody reads is still a write), from `from`. */
  reuseFree(reuses: readonly string[], from: number): number {
    let data = from;
    for (const r of reuses) {
      const k = this.reuseId(r);
      data = Math.max(data, this.tileReadEnd[k]!, this.tileReady[k]!);
    }
    return data;
  }

  /** A read of tile `tile` (tileId) whose last event ends at `done`. */
  noteRead(tile: number, done: number): void {
    this.tileReadEnd[tile] = Math.max(this.tileReadEnd[tile]!, done);
  }

  /** A write of `ref` into tile `tile` (tileId), readable from `readable`. */
  noteWrite(tile: number, ref: VecRef, readable: number): void {
    this.tileReady[tile] = Math.max(this.tileReady[tile]!, readable);
    const [p0, p1] = this.pieces.range(ref);
    for (let p = p0; p < p1; p++) this.pieceReady[p] = Math.max(this.pieceReady[p]!, readable);
  }

  /** The cycle link end `key` (`chip/s<link>`, `chip/r<link>`) is free, or `none` when it never carried data. */
  linkFreeAt(key: string, none: number): number {
    return this.linkFree.get(key) ?? none;
  }

  setLinkFree(key: string, cycle: number): void {
    this.linkFree.set(key, cycle);
  }

  noteSend(task: string, issue: number): void {
    this.sendAt.set(task, issue);
  }

  /** The cycle the data of a recv has arrived: vector i's last word leaves the sender linkLeaves(...) after the
   * send issues and arrives L_link later. */
  arrival(task: Task, s: Extract<Task["steps"][number], { kind: "recv" }>): number {
    const ts = this.sendAt.get(s.from);
    if (ts === undefined) invariant(false, `${task.id} receives from ${s.from}, which is not placed`);
    const b = ELEM_BYTES[s.type];
    let need0 = 0;
    for (let i = 0; i < s.n; i++) need0 = Math.max(need0, linkLeaves(this.m, (i + 1) * b - 1) - i);
    return ts + need0 + this.m.c2c.latency;
  }

  tileId(tensor: string, tile: number): number {
    return this.tileBase.get(tensor)! + tile;
  }

  private reuseId(name: string): number {
    let id = this.reuseIds.get(name);
    if (id === undefined) {
      const slash = name.lastIndexOf("/");
      id = this.tileId(name.slice(0, slash), Number(name.slice(slash + 1)));
      this.reuseIds.set(name, id);
    }
    return id;
  }
}
