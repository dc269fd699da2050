// What the `tile` pass's lowerings share: the tiled tensors, the task list under construction with each task's SRAM
// deps (a reader after every writer of its column tile), and the step helpers of a matmul (K chain, epilogue, the
// trip of finished rows to chip 0). Tasks come out in the order they are pushed, which is a valid order.
import { ELEM_BYTES, type ElemType } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { repeatedTile, repeatsTiles } from "./kernel-builder.ts";
import type { EpilogueOp } from "./kernel-ir.ts";
import type { PartitionedGraph } from "./partition.ts";
import type { Step, Task, TiledTensor, VecRef } from "./task-ir.ts";
import { type TileRank, tileRanks } from "./tile-arrival.ts";
import { unreadZeroTiles, zeroTiles } from "./zero-tiles.ts";

/** The MXM accumulates fp32 for float inputs, int32 for integer ones. */
export function accumulatorType(t: ElemType): ElemType {
  return t === "int8" || t === "uint8" ? "int32" : "fp32";
}

/** The link of chip `from` wired to chip `to` inside a fully connected node: links 0..6 in peer order. */
export function linkTo(from: number, to: number): number {
  return to < from ? to : to - 1;
}

/** Vectors of `type` one link buffer holds (at least one). */
export function bufferRows(machine: Machine, type: ElemType): number {
  return Math.max(1, Math.floor(machine.c2c.bufferWords / ELEM_BYTES[type]));
}

/** Read weight rows and load them into the MXM as the activation's type: the MXM multiplies one type, so an 8-bit
 * weight (fp8, int8) is converted on the VXM on its way (exact: each of its values is an fp16 and a bf16). */
function weightLoad(ref: VecRef, weight: ElemType, activation: ElemType, row0: number): Step[] {
  const read: Step = { kind: "read", ref, type: weight };
  if (weight === activation) return [read, { kind: "lw", type: weight, src: 0, n: ref.n, row0 }];
  return [
    read,
    { kind: "convert", from: weight, to: activation, src: 0, n: ref.n },
    { kind: "lw", type: activation, src: 1, n: ref.n, row0 },
  ];
}

export interface TileContext {
  readonly p: PartitionedGraph;
  readonly machine: Machine;
  readonly lanes: number;
  /** Every tiled tensor so far (the kernel's, then copies and temporaries as lowerings add them). */
  readonly tensors: TiledTensor[];
  readonly byId: Map<string, TiledTensor>;
  readonly tasks: Task[];
  /** Per tensor, its zero tiles that no task reads (zero-tiles.ts): a product need not write them. */
  readonly unreadZeros: ReadonlyMap<string, ReadonlySet<number>>;
  /** Per kernel tensor, its tiles known to be zero (zero-tiles.ts): adds of them are left out. */
  readonly zeros: ReadonlyMap<string, ReadonlySet<number>>;
  /** Each tensor tile's expected arrival rank (tile-arrival.ts), made on first use from `zeros`. */
  arrival(): TileRank;
  /** Appends a task on `chip`, after the writers of what it reads and `extraAfter`; returns its id. */
  push(task: Omit<Task, "after" | "chip">, extraAfter?: readonly string[], chip?: number): string;
  rowsOf(tensor: string, tileIndex: number, row: number, n: number, stride?: 0 | 1): VecRef;
  /** A copy of source tensor t on another chip (the emitter loads the same seeded values there). */
  onChip(t: TiledTensor, chip: number): TiledTensor;
  temp(like: TiledTensor, id: string, type: ElemType, chip: number): TiledTensor;
  /** Appends convert (from the accumulator type), the epilogue ops and the write of rows m0.. of out tile j. */
  finish(
    steps: Step[],
    src: number,
    acc: ElemType,
    out: TiledTensor,
    j: number,
    m0: number,
    mn: number,
    epilogue: readonly EpilogueOp[],
  ): void;
  /** One MXM group's chain over K tiles k0 .. k1 - 1 (or the listed tiles, in that order) on `chip`: per tile a
   * weight load (`weights(i)`), an install, and rows m0 .. m0 + mn - 1 of `a`'s tile i streamed through,
   * accumulating after the first. Returns the last task (the group's `acc` follows it), undefined for an empty
   * range. */
  kChain(
    op: string,
    group: string,
    a: TiledTensor,
    weightType: ElemType,
    k: readonly [number, number] | { readonly tiles: readonly number[] },
    weights: (i: number) => VecRef,
    m: readonly [number, number],
    chip: number,
    /** The plane's row the weights' first row loads into (a window's lanes: matmul's `bLayout`); 0 if absent. */
    weightRow0?: number,
  ): string | undefined;
  /** Rows m0 .. m0 + mn - 1 of column tile j of `from` (on chip c, a local link away from chip 0) sent to the same
   * rows of `to` on chip 0, in pieces of at most `pieceRows` vectors (the link's buffer): a send on c and a recv
   * on 0 per piece. Returns the recv tasks. */
  toChip0(
    op: string,
    from: TiledTensor,
    to: TiledTensor,
    type: ElemType,
    at: readonly [number, number, number],
    c: number,
    pieceRows: number,
  ): string[];
}

/** A task writing rows `row .. end - 1` of a column tile. */
interface Writer {
  readonly id: string;
  readonly row: number;
  readonly end: number;
}

/** Rows per task of a row-wise op (VXM ops, a matmul's row chunk): at most PIPELINE_ROWS, so a chain of row-wise
 * ops (a projection, a layernorm's sums and steps, the next projection) pipelines over a prefill's rows, each chunk
 * going on when its own rows are written, and never across an SRAM block of `blocks` rows. */
export function taskRows(...blocks: readonly number[]): number {
  return Math.min(PIPELINE_ROWS, ...blocks);
}

/** ASSUMPTION (measured, docs/compiler.md "bert-base's prefill"): 64 rows, a quarter of an fp16 pass's array time
 * (256 cycles) against one more weight load and an 8-cycle install per chunk. */
export const PIPELINE_ROWS = 64;

export function tileContext(p: PartitionedGraph, machine: Machine): TileContext {
  const lanes = machine.lanes;
  // Matmul weights are read a weight tile (mxm.rows rows) at a time; activations a few tiles at a time.
  const weights = new Set(p.kernel.ops.flatMap((op) => (op.kind === "matmul" ? [op.b] : [])));
  const weightBlock = machine.mxm.rows;
  // A gathered table's tile is one block: every row in one slice per byte plane, so an id is a word offset.
  const gathered = new Set(p.kernel.ops.flatMap((op) => (op.kind === "gather" ? [op.table] : [])));
  const activationBlock = Math.max(
    weightBlock,
    Math.floor(machine.mxm.accumulatorRows / weightBlock) * weightBlock,
  );
  const tensors: TiledTensor[] = p.kernel.tensors.map((t) => ({
    blockRows: gathered.has(t.id) ? t.rows : weights.has(t.id) ? weightBlock : activationBlock,
    id: t.id,
    type: t.dtype, // every graph dtype is a machine element type
    rows: t.rows,
    cols: t.cols,
    tiles: Math.ceil(t.cols / lanes),
    role: t.role,
    chip: p.chipOf.get(t.id) ?? 0,
    shape: t.shape,
    source: t.source,
    ...(t.oneValue ? { oneValue: t.oneValue } : {}),
  }));
  const byId = new Map(tensors.map((t) => [t.id, t]));
  const tasks: Task[] = [];
  /** Which tasks write each (tensor, column tile), and their rows: a reader is placed after those whose rows it
   * reads (a gather, whose rows are data, after all of them), so a row-wise op's chunk of rows goes on as soon as
   * its own rows exist, not the whole tile (docs/compiler.md "bert-base's prefill"). */
  const writers = new Map<string, Writer[]>();
  const key = (tensor: string, tileIndex: number) => `${tensor}/${tileIndex}`;
  const depsOf = (steps: readonly Step[]): string[] => {
    const deps = new Set<string>();
    for (const s of steps) {
      if (s.kind !== "read" && s.kind !== "gather") continue;
      const first = s.ref.row;
      const end = s.kind === "gather" ? Number.POSITIVE_INFINITY : first + (s.ref.stride === 0 ? 1 : s.ref.n);
      for (const w of writers.get(key(s.ref.tensor, s.ref.tile)) ?? [])
        if (s.kind === "gather" || (w.row < end && first < w.end)) deps.add(w.id);
    }
    return [...deps];
  };
  const push: TileContext["push"] = (task, extraAfter = [], chip = 0) => {
    const after = [...new Set([...depsOf(task.steps), ...extraAfter])];
    // Spelt out rather than spread: two fixed shapes (MXM group or not) keep hundreds of thousands of tasks cheap.
    const { id, op, steps, mxmGroup, mxmGroupEnd } = task;
    tasks.push(
      mxmGroup === undefined
        ? { id, op, steps, chip, after }
        : mxmGroupEnd === undefined
          ? { id, op, mxmGroup, steps, chip, after }
          : { id, op, mxmGroup, mxmGroupEnd, steps, chip, after },
    );
    for (const s of task.steps)
      if (s.kind === "write") {
        const k = key(s.ref.tensor, s.ref.tile);
        const w: Writer = {
          id: task.id,
          row: s.ref.row,
          end: s.ref.row + (s.ref.stride === 0 ? 1 : s.ref.n),
        };
        const ws = writers.get(k);
        if (ws) ws.push(w);
        else writers.set(k, [w]);
      }
    return task.id;
  };
  const rowsOf: TileContext["rowsOf"] = (tensor, tileIndex, row, n, stride = 1) => ({
    tensor,
    tile: tileIndex,
    row,
    n,
    stride,
  });

  const toChip0: TileContext["toChip0"] = (op, from, to, type, [j, m0, mn], c, pieceRows) => {
    const recvs: string[] = [];
    for (let r0 = m0; r0 < m0 + mn; r0 += pieceRows) {
      const rn = Math.min(pieceRows, m0 + mn - r0);
      const sendId = push(
        {
          id: `${op}.n${j}.r${r0}.c${c}.send`,
          op,
          steps: [
            { kind: "read", ref: rowsOf(from.id, j, r0, rn), type },
            { kind: "send", type, src: 0, n: rn, link: linkTo(c, 0) },
          ],
        },
        [],
        c,
      );
      const recv = push(
        {
          id: `${op}.n${j}.r${r0}.c${c}.recv`,
          op,
          steps: [
            { kind: "recv", type, n: rn, link: linkTo(0, c), from: sendId },
            { kind: "write", ref: rowsOf(to.id, j, r0, rn), type, src: 0 },
          ],
        },
        [sendId],
        0,
      );
      recvs.push(recv);
    }
    return recvs;
  };

  const kChain: TileContext["kChain"] = (op, group, a, weightType, k, weights, [m0, mn], chip, row0 = 0) => {
    let prev: string | undefined;
    let prevIw: string | undefined;
    let installed: VecRef | undefined;
    const tiles =
      "tiles" in k ? k.tiles : Array.from({ length: Math.max(0, k[1] - k[0]) }, (_, n) => k[0] + n);
    for (const i of tiles) {
      const w = weights(i);
      // The staging buffer keeps its rows until the next load (docs/isa.md `iw`): a tile holding the values last
      // loaded is installed again from it, with no load. (The install is kept: it orders the product after the
      // last one on the array, which the scheduler times by the plane's installs.)
      const same = installed !== undefined && sameValues(byId.get(w.tensor)!, installed, w, lanes);
      installed = w;
      const iwAfter = prev ? [prev] : [];
      // The next weight tile loads while the array multiplies with the last (the staging buffer is free from the
      // install on: docs/isa.md `iw`); only its install waits for the last product.
      if (!same)
        iwAfter.unshift(
          push(
            { id: `${group}.k${i}.lw`, op, mxmGroup: group, steps: weightLoad(w, weightType, a.type, row0) },
            prevIw ? [prevIw] : [],
            chip,
          ),
        );
      prevIw = push({ id: `${group}.k${i}.iw`, op, mxmGroup: group, steps: [{ kind: "iw" }] }, iwAfter, chip);
      prev = push(
        {
          id: `${group}.k${i}.abc`,
          op,
          mxmGroup: group,
          steps: [
            { kind: "read", ref: rowsOf(a.id, i, m0, mn), type: a.type },
            { kind: "abc", type: a.type, src: 0, n: mn, row0: 0, accumulate: i !== tiles[0] },
          ],
        },
        [prevIw],
        chip,
      );
    }
    return prev;
  };

  // An epilogue add of a tile known to be zero is left out, and with it the tile's trip to this chip (stages.ts
  // moves only the tiles tasks read): the heads' sum tree then carries each head's own tiles only.
  const zeros = zeroTiles(p.kernel);
  const finish: TileContext["finish"] = (steps, src, acc, out, j, m0, mn, epilogue) => {
    let cur = src;
    // Without an epilogue convert the value is rounded to out's type first; with one, where it stands.
    let type = epilogue.some((e) => e.kind === "convert") ? acc : out.type;
    if (type !== acc) {
      steps.push({ kind: "convert", from: acc, to: out.type, src, n: mn });
      cur = steps.length - 1;
    }
    for (const e of epilogue) {
      if (e.kind === "convert") {
        if (type !== out.type) steps.push({ kind: "convert", from: type, to: out.type, src: cur, n: mn });
        else continue;
        type = out.type;
      } else if (e.kind === "unary") steps.push({ kind: "vunary", fn: e.fn, type, src: cur, n: mn });
      else if (e.kind === "imm")
        steps.push({ kind: "vbinary", fn: e.fn, type, a: cur, b: { imm: e.imm }, n: mn });
      else if ((e.fn === "add" || e.fn === "sub") && zeros.get(e.b)?.has(j)) continue;
      else {
        // A row of whole tiles narrower than out is one tile (or a few copies) repeated over out's tiles (fuse.ts).
        const b = byId.get(e.b)!;
        const bj = repeatsTiles(b, out) ? repeatedTile(j, b, out) : j;
        steps.push({ kind: "read", ref: rowsOf(e.b, bj, 0, mn, 0), type: b.type });
        steps.push({ kind: "vbinary", fn: e.fn, type, a: cur, b: steps.length - 1, n: mn });
      }
      cur = steps.length - 1;
    }
    steps.push({ kind: "write", ref: rowsOf(out.id, j, m0, mn), type: out.type, src: cur });
  };

  const onChip: TileContext["onChip"] = (t, chip) => {
    if (chip === 0) return t;
    const id = chipCopyId(t.id, chip);
    let c = byId.get(id);
    if (!c) {
      c = { ...t, id, chip };
      tensors.push(c);
      byId.set(id, c);
    }
    return c;
  };
  const temp: TileContext["temp"] = (like, id, type, chip) => {
    const t: TiledTensor = { ...like, id, type, role: "temp", source: undefined, chip };
    tensors.push(t);
    byId.set(id, t);
    return t;
  };
  const unreadZeros = unreadZeroTiles(p.kernel, zeros);
  let arrival: TileRank | undefined;
  return {
    p,
    machine,
    lanes,
    tensors,
    byId,
    tasks,
    unreadZeros,
    zeros,
    arrival: () => {
      arrival ??= tileRanks(p, zeros);
      return arrival;
    },
    push,
    rowsOf,
    onChip,
    temp,
    finish,
    kChain,
    toChip0,
  };
}

/** Whether weight rows `w` of tensor t hold the values of the rows `installed` (of any tensor) loaded: the same
 * rows of the same tensor, or of a `oneValue` tensor, the same row count of two of its tiles wholly inside `cols`
 * (a ones matrix's full tiles; its last, partial one has zero padding lanes). */
function sameValues(t: TiledTensor, installed: VecRef, w: VecRef, lanes: number): boolean {
  if (installed.tensor !== w.tensor || installed.n !== w.n) return false;
  if (installed.tile === w.tile && installed.row === w.row) return true;
  const whole = (tile: number) => (tile + 1) * lanes <= t.cols;
  return t.oneValue === true && whole(installed.tile) && whole(w.tile);
}

/** The id of chip c's own copy of tensor x in a split (onChip; c > 0): the partitioner's SRAM estimate (pack.ts)
 * counts it apart from the chip's other copy of x. */
export function chipCopyId(x: string, chip: number): string {
  return `${x}@c${chip}`;
}
