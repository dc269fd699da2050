// Pass `tile`: partitioned kernel IR -> task IR. Tensors become 320-lane vectors (one per row per column tile);
// a matmul becomes, per output column tile and accumulator-sized row chunk, a chain of MXM tasks (LW a 320-row
// weight tile, IW, ABC the activations, accumulating over K tiles) ending in ACC -> convert -> write; pointwise ops
// become read -> VXM -> write tasks per column tile. Pure; tasks come out in a valid order with their SRAM deps.
import { ELEM_BYTES, type ElemType } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { assertNever } from "../../util/assert.ts";
import type { DType } from "../graph/ir.ts";
import type { EpilogueOp, KOp } from "./kernel-ir.ts";
import type { PartitionedGraph } from "./partition.ts";
import type { Step, Task, TaskGraph, TiledTensor, VecRef } from "./task-ir.ts";

export function elemType(d: DType): ElemType {
  return d;
}

/** The MXM accumulates fp32 for float inputs, int32 for integer ones. */
function accumulatorType(t: ElemType): ElemType {
  return t === "int8" || t === "uint8" ? "int32" : "fp32";
}

/** Read weight rows and load them into the MXM as the activation's type: the MXM multiplies one type, so an 8-bit
 * weight (fp8, int8) is converted on the VXM on its way (exact: each of its values is an fp16 and a bf16). */
function weightLoad(ref: VecRef, weight: ElemType, activation: ElemType): Step[] {
  const read: Step = { kind: "read", ref, type: weight };
  if (weight === activation) return [read, { kind: "lw", type: weight, src: 0, n: ref.n, row0: 0 }];
  return [
    read,
    { kind: "convert", from: weight, to: activation, src: 0, n: ref.n },
    { kind: "lw", type: activation, src: 1, n: ref.n, row0: 0 },
  ];
}

export function tile(p: PartitionedGraph, machine: Machine): TaskGraph {
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
    type: elemType(t.dtype),
    rows: t.rows,
    cols: t.cols,
    tiles: Math.ceil(t.cols / lanes),
    role: t.role,
    chip: p.chipOf.get(t.id) ?? 0,
    shape: t.shape,
    source: t.source,
  }));
  const byId = new Map(tensors.map((t) => [t.id, t]));
  const tasks: Task[] = [];
  /** Which tasks write each (tensor, column tile): a reader must be placed after all of them. */
  const writers = new Map<string, string[]>();
  const key = (tensor: string, tileIndex: number) => `${tensor}/${tileIndex}`;
  const depsOf = (steps: readonly Step[]): string[] => {
    const deps = new Set<string>();
    for (const s of steps)
      if (s.kind === "read" || s.kind === "gather")
        for (const w of writers.get(key(s.ref.tensor, s.ref.tile)) ?? []) deps.add(w);
    return [...deps];
  };
  const push = (task: Omit<Task, "after" | "chip">, extraAfter: readonly string[] = [], chip = 0): string => {
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
        const ws = writers.get(k);
        if (ws) ws.push(task.id);
        else writers.set(k, [task.id]);
      }
    return task.id;
  };
  const rowsOf = (tensor: string, tileIndex: number, row: number, n: number, stride: 0 | 1 = 1): VecRef => ({
    tensor,
    tile: tileIndex,
    row,
    n,
    stride,
  });

  /** Rows m0 .. m0 + mn - 1 of column tile j of `from` (on chip c, a local link away from chip 0) sent to the same
   * rows of `to` on chip 0, in pieces of at most `pieceRows` vectors (the link's buffer): a send on c and a recv
   * on 0 per piece. Returns the recv tasks. */
  const toChip0 = (
    op: string,
    from: TiledTensor,
    to: TiledTensor,
    type: ElemType,
    [j, m0, mn]: readonly [number, number, number],
    c: number,
    pieceRows: number,
  ): string[] => {
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

  /** One MXM group's chain over K tiles k0 .. k1 - 1 on `chip`: per tile a weight load (`weights(i)`), an install,
   * and rows m0 .. m0 + mn - 1 of `a`'s tile i streamed through, accumulating after the first. Returns the last
   * task (the group's `acc` follows it), undefined for an empty range. */
  const kChain = (
    op: string,
    group: string,
    a: TiledTensor,
    weightType: ElemType,
    [k0, k1]: readonly [number, number],
    weights: (i: number) => VecRef,
    [m0, mn]: readonly [number, number],
    chip: number,
  ): string | undefined => {
    let prev: string | undefined;
    for (let i = k0; i < k1; i++) {
      const lw = push(
        { id: `${group}.k${i}.lw`, op, mxmGroup: group, steps: weightLoad(weights(i), weightType, a.type) },
        prev ? [prev] : [],
        chip,
      );
      const iw = push({ id: `${group}.k${i}.iw`, op, mxmGroup: group, steps: [{ kind: "iw" }] }, [lw], chip);
      prev = push(
        {
          id: `${group}.k${i}.abc`,
          op,
          mxmGroup: group,
          steps: [
            { kind: "read", ref: rowsOf(a.id, i, m0, mn), type: a.type },
            { kind: "abc", type: a.type, src: 0, n: mn, row0: 0, accumulate: i > k0 },
          ],
        },
        [iw],
        chip,
      );
    }
    return prev;
  };

  /** Appends convert (from the accumulator type), the epilogue ops and the write of rows m0.. of out tile j. */
  const finish = (
    steps: Step[],
    src: number,
    acc: ElemType,
    out: TiledTensor,
    j: number,
    m0: number,
    mn: number,
    epilogue: readonly EpilogueOp[],
  ): void => {
    let cur = src;
    if (out.type !== acc) {
      steps.push({ kind: "convert", from: acc, to: out.type, src, n: mn });
      cur = steps.length - 1;
    }
    for (const e of epilogue) {
      if (e.kind === "unary") steps.push({ kind: "vunary", fn: e.fn, type: out.type, src: cur, n: mn });
      else if (e.kind === "imm")
        steps.push({ kind: "vbinary", fn: e.fn, type: out.type, a: cur, b: { imm: e.imm }, n: mn });
      else {
        steps.push({ kind: "read", ref: rowsOf(e.b, j, 0, mn, 0), type: byId.get(e.b)!.type });
        steps.push({ kind: "vbinary", fn: e.fn, type: out.type, a: cur, b: steps.length - 1, n: mn });
      }
      cur = steps.length - 1;
    }
    steps.push({ kind: "write", ref: rowsOf(out.id, j, m0, mn), type: out.type, src: cur });
  };

  /** A copy of source tensor t on another chip (the emitter loads the same seeded values there). */
  const onChip = (t: TiledTensor, chip: number): TiledTensor => {
    if (chip === 0) return t;
    const id = `${t.id}@c${chip}`;
    let c = byId.get(id);
    if (!c) {
      c = { ...t, id, chip };
      tensors.push(c);
      byId.set(id, c);
    }
    return c;
  };
  const temp = (like: TiledTensor, id: string, type: ElemType, chip: number): TiledTensor => {
    const t: TiledTensor = { ...like, id, type, role: "temp", source: undefined, chip };
    tensors.push(t);
    byId.set(id, t);
    return t;
  };

  /**
   * out[m, n] = sum_k a[m, k] * b[n, k]. Per output column tile j and row chunk: for each K tile i, LW the rows n
   * of b's column tile i (one weight row per output lane), IW, ABC a's column tile i; then ACC, convert, the fused
   * epilogue, write. The K tiles are split over the chips partition chose (each chip a contiguous range), and on
   * each chip over its idle MXM planes; each split drains an fp32 partial sum; remote chips send theirs to chip 0
   * over a link (add their local partials first), and chip 0 adds them all up.
   */
  const lowerMatmul = (op: Extract<KOp, { kind: "matmul" }>): void => {
    const columns = p.nSplits?.get(op.id);
    if (columns) {
      lowerColumns(op, columns);
      return;
    }
    const a0 = byId.get(op.a)!;
    const b0 = byId.get(op.b)!;
    const out = byId.get(op.out)!;
    const [kFirst, kEnd] = op.kTiles ?? [0, Math.ceil(a0.cols / lanes)];
    const kTiles = kEnd - kFirst;
    const chips = p.matmulChips.get(op.id) ?? 1;
    const chunk = Math.min(a0.blockRows, out.blockRows, machine.mxm.accumulatorRows);
    const acc = accumulatorType(a0.type);
    const groups = out.tiles * Math.ceil(a0.rows / chunk);
    const sendRows = Math.max(1, Math.floor(machine.c2c.bufferWords / ELEM_BYTES[acc]));
    const bounds = p.kSplits?.get(op.id);
    // Whether chip c of the split is in the node of its chip 0 (a split may run past a node's end).
    const base = p.stageOf.get(op.id)?.base ?? 0;
    const node = Math.min(machine.system.chipsPerNode, machine.system.localLinksPerChip + 1);
    const sameNode = (c: number) => Math.floor((base + c) / node) === Math.floor(base / node);
    const range = (c: number) =>
      bounds
        ? ([bounds[c]!, bounds[c + 1]!] as const)
        : ([
            kFirst + Math.floor((c * kTiles) / chips),
            kFirst + Math.floor(((c + 1) * kTiles) / chips),
          ] as const);
    const lay = op.bLayout;
    const diagonal = lay?.kind === "diagonal" ? lay : undefined;
    const splitsOn = (c: number) => {
      if (diagonal) return 1; // its K tiles differ per output tile: partition never splits it either
      const [k0, k1] = range(c);
      return groups < machine.mxm.planes
        ? Math.max(1, Math.min(k1 - k0, Math.floor(machine.mxm.planes / groups)))
        : 1;
    };
    const single = chips === 1 && splitsOn(0) === 1;
    // Partial sums per chip and split; what chip 0 adds up.
    const partial = new Map<string, TiledTensor>();
    for (let c = 0; c < chips && !single; c++)
      for (let s = 0; s < splitsOn(c); s++)
        partial.set(`${c}/${s}`, temp(out, `${out.id}.c${c}.part${s}`, acc, c));
    const [n0, n1] = lay?.kind === "band" || lay?.kind === "window" ? lay.nTiles : [0, out.tiles];
    // b's first row for output tile j (a window's b is stored whole), and its column tile for a's column tile i.
    const bRow0 = (j: number) =>
      lay?.kind === "periodic" ? 0 : lay?.kind === "band" ? (j - n0) * lanes : j * lanes;
    const bTile = (i: number, j: number) =>
      lay?.kind === "band" ? i - kFirst : diagonal ? i - j + diagonal.below : i;
    for (let j = 0; j < out.tiles; j++) {
      if (j < n0 || j >= n1) {
        zeroTile(op, a0, out, j, chunk, acc);
        continue;
      }
      const nRows = Math.min(lanes, b0.rows - bRow0(j));
      for (let m0 = 0; m0 < a0.rows; m0 += chunk) {
        const mn = Math.min(chunk, a0.rows - m0);
        const toSum: TiledTensor[] = [];
        const sumAfter: string[] = [];
        for (let c = 0; c < chips; c++) {
          const a = onChip(a0, c);
          const b = onChip(b0, c);
          const [ck0, ck1] = range(c);
          const splits = splitsOn(c);
          const local: TiledTensor[] = [];
          for (let s = 0; s < splits; s++) {
            let k0 = ck0 + Math.floor((s * (ck1 - ck0)) / splits);
            let k1 = ck0 + Math.floor(((s + 1) * (ck1 - ck0)) / splits);
            if (diagonal) {
              k0 = Math.max(k0, j - diagonal.below);
              k1 = Math.min(k1, j + diagonal.above + 1);
            }
            const group = `${op.id}.n${j}.m${m0}${chips > 1 ? `.c${c}` : ""}${splits > 1 ? `.s${s}` : ""}`;
            const weights = (i: number) => rowsOf(b.id, bTile(i, j), bRow0(j), nRows);
            const prev = kChain(op.id, group, a, b.type, [k0, k1], weights, [m0, mn], c);
            const steps: Step[] = [{ kind: "acc", type: acc, n: mn, row0: 0 }];
            if (single) finish(steps, 0, acc, out, j, m0, mn, op.epilogue ?? []);
            else {
              const part = partial.get(`${c}/${s}`)!;
              steps.push({ kind: "write", ref: rowsOf(part.id, j, m0, mn), type: acc, src: 0 });
              local.push(part);
            }
            push({ id: `${group}.acc`, op: op.id, mxmGroup: group, mxmGroupEnd: true, steps }, [prev!], c);
          }
          if (single) continue;
          if (c === 0) {
            toSum.push(...local);
            continue;
          }
          // A remote chip: add its partials, then send the sum to chip 0 in buffer-sized pieces (over a local
          // link; from another node, chip 0's sum reads it and stages.ts moves it over the gateway chips).
          let send = local[0]!;
          if (local.length > 1) {
            send = temp(out, `${out.id}.c${c}.sum.n${j}.m${m0}`, acc, c);
            push(
              {
                id: `${op.id}.n${j}.m${m0}.c${c}.sum`,
                op: op.id,
                steps: sumSteps(local, j, m0, mn, acc, send),
              },
              [],
              c,
            );
          }
          if (!sameNode(c)) {
            toSum.push(send);
            continue;
          }
          const got = temp(out, `${out.id}.from${c}.n${j}.m${m0}`, acc, 0);
          sumAfter.push(...toChip0(op.id, send, got, acc, [j, m0, mn], c, sendRows));
          toSum.push(got);
        }
        if (single) continue;
        const steps: Step[] = toSum.map((pt) => ({ kind: "read", ref: rowsOf(pt.id, j, m0, mn), type: acc }));
        let sum = 0;
        for (let s = 1; s < toSum.length; s++) {
          steps.push({ kind: "vbinary", fn: "add", type: acc, a: sum, b: s, n: mn });
          sum = steps.length - 1;
        }
        finish(steps, sum, acc, out, j, m0, mn, op.epilogue ?? []);
        push({ id: `${op.id}.n${j}.m${m0}.sum`, op: op.id, steps }, sumAfter, 0);
      }
    }
  };

  /**
   * A column split: chip c of the stage computes output column tiles `n[c] .. n[c + 1] - 1` whole (every K tile,
   * from its own copy of `a` and its own rows of `b`, a weight copy holding only those rows) and sends the finished
   * tiles (the output type, not fp32 partial sums) to chip 0, which adds nothing: the receive writes the output.
   * partition.ts splits only plain products this way (no band, window, diagonal or K-tile mask; one batch).
   */
  const lowerColumns = (op: Extract<KOp, { kind: "matmul" }>, n: readonly number[]): void => {
    const a0 = byId.get(op.a)!;
    const b0 = byId.get(op.b)!;
    const out = byId.get(op.out)!;
    const chunk = Math.min(a0.blockRows, out.blockRows, machine.mxm.accumulatorRows);
    const acc = accumulatorType(a0.type);
    const sendRows = Math.max(1, Math.floor(machine.c2c.bufferWords / ELEM_BYTES[out.type]));
    for (let c = 0; c + 1 < n.length; c++) {
      const [n0, n1] = [n[c]!, n[c + 1]!];
      const a = onChip(a0, c);
      const first = n0 * lanes;
      const count = Math.min(n1 * lanes, b0.rows) - first;
      const b = columnRows(b0, first, count, c);
      const dst = c === 0 ? out : temp(out, `${out.id}.c${c}`, out.type, c);
      for (let j = n0; j < n1; j++) {
        const nRows = Math.min(lanes, b0.rows - j * lanes);
        for (let m0 = 0; m0 < a0.rows; m0 += chunk) {
          const mn = Math.min(chunk, a0.rows - m0);
          const group = `${op.id}.n${j}.m${m0}.c${c}`;
          const weights = (i: number) => rowsOf(b.id, i, (j - n0) * lanes, nRows);
          const prev = kChain(op.id, group, a, b.type, [0, a0.tiles], weights, [m0, mn], c);
          const steps: Step[] = [{ kind: "acc", type: acc, n: mn, row0: 0 }];
          finish(steps, 0, acc, dst, j, m0, mn, op.epilogue ?? []);
          push({ id: `${group}.acc`, op: op.id, mxmGroup: group, mxmGroupEnd: true, steps }, [prev!], c);
          if (c === 0) continue;
          // The finished rows to chip 0 in buffer-sized pieces (partition.ts keeps a column split in one node).
          toChip0(op.id, dst, out, out.type, [j, m0, mn], c, sendRows);
        }
      }
    }
  };

  /** Rows `first .. first + count - 1` of weight t as a tensor of their own on chip `chip` of the stage (the emitter
   * loads just those rows: TensorSource.rows). */
  const columnRows = (t: TiledTensor, first: number, count: number, chip: number): TiledTensor => {
    const id = `${t.id}.rows${first}+${count}`;
    let c = byId.get(id);
    if (!c) {
      const source = t.source ? { ...t.source, rows: { first, count, at: 0 } } : undefined;
      c = { ...t, id, rows: count, chip, source };
      tensors.push(c);
      byId.set(id, c);
    }
    return c;
  };

  /** Output tile j of a band matmul, outside its band: exactly 0 (x - x of a's finite values) through the
   * epilogue, so the tile holds what the full product would. */
  const zeroTile = (
    op: Extract<KOp, { kind: "matmul" }>,
    a: TiledTensor,
    out: TiledTensor,
    j: number,
    chunk: number,
    acc: ElemType,
  ): void => {
    for (let m0 = 0; m0 < a.rows; m0 += chunk) {
      const mn = Math.min(chunk, a.rows - m0);
      const steps: Step[] = [
        { kind: "read", ref: rowsOf(a.id, 0, m0, mn), type: a.type },
        { kind: "convert", from: a.type, to: acc, src: 0, n: mn },
        { kind: "vbinary", fn: "sub", type: acc, a: 1, b: 1, n: mn },
      ];
      finish(steps, 2, acc, out, j, m0, mn, op.epilogue ?? []);
      push({ id: `${op.id}.n${j}.m${m0}.zero`, op: op.id, steps });
    }
  };

  /** Reads partial sums of rows m0.. of tile j, adds them, writes `into`. */
  const sumSteps = (
    parts: readonly TiledTensor[],
    j: number,
    m0: number,
    mn: number,
    acc: ElemType,
    into: TiledTensor,
  ): Step[] => {
    const steps: Step[] = parts.map((pt) => ({ kind: "read", ref: rowsOf(pt.id, j, m0, mn), type: acc }));
    let sum = 0;
    for (let s = 1; s < parts.length; s++) {
      steps.push({ kind: "vbinary", fn: "add", type: acc, a: sum, b: s, n: mn });
      sum = steps.length - 1;
    }
    steps.push({ kind: "write", ref: rowsOf(into.id, j, m0, mn), type: acc, src: sum });
    return steps;
  };

  const lowerOp = (op: KOp): void => {
    switch (op.kind) {
      case "matmul": {
        lowerMatmul(op);
        return;
      }
      case "binary": {
        const a = byId.get(op.a)!;
        const b = byId.get(op.b)!;
        const out = byId.get(op.out)!;
        const chunk = Math.min(a.blockRows, b.blockRows, out.blockRows);
        for (let j = 0; j < out.tiles; j++)
          for (let r0 = 0; r0 < a.rows; r0 += chunk) {
            const n = Math.min(chunk, a.rows - r0);
            if (a.id === b.id) {
              // x op x: one read feeds both operands.
              push({
                id: `${op.id}.t${j}.r${r0}`,
                op: op.id,
                steps: [
                  { kind: "read", ref: rowsOf(a.id, j, r0, n), type: a.type },
                  { kind: "vbinary", fn: op.fn, type: out.type, a: 0, b: 0, n },
                  { kind: "write", ref: rowsOf(out.id, j, r0, n), type: out.type, src: 1 },
                ],
              });
              continue;
            }
            push({
              id: `${op.id}.t${j}.r${r0}`,
              op: op.id,
              steps: [
                { kind: "read", ref: rowsOf(a.id, j, r0, n), type: a.type },
                b.rows === 1
                  ? { kind: "read", ref: rowsOf(b.id, op.bTile ? 0 : j, 0, n, 0), type: b.type }
                  : { kind: "read", ref: rowsOf(b.id, op.bTile ? 0 : j, r0, n), type: b.type },
                { kind: "vbinary", fn: op.fn, type: out.type, a: 0, b: 1, n },
                { kind: "write", ref: rowsOf(out.id, j, r0, n), type: out.type, src: 2 },
              ],
            });
          }
        return;
      }
      case "binaryImm":
      case "unary":
      case "convert": {
        const x = byId.get(op.x)!;
        const out = byId.get(op.out)!;
        const chunk = Math.min(x.blockRows, out.blockRows);
        for (let j = 0; j < out.tiles; j++)
          for (let r0 = 0; r0 < x.rows; r0 += chunk) {
            const n = Math.min(chunk, x.rows - r0);
            const compute: Step =
              op.kind === "unary"
                ? { kind: "vunary", fn: op.fn, type: out.type, src: 0, n }
                : op.kind === "convert"
                  ? { kind: "convert", from: x.type, to: out.type, src: 0, n }
                  : { kind: "vbinary", fn: op.fn, type: out.type, a: 0, b: { imm: op.imm }, n };
            push({
              id: `${op.id}.t${j}.r${r0}`,
              op: op.id,
              steps: [
                { kind: "read", ref: rowsOf(x.id, j, r0, n), type: x.type },
                compute,
                { kind: "write", ref: rowsOf(out.id, j, r0, n), type: out.type, src: 1 },
              ],
            });
          }
        return;
      }
      case "gather": {
        // Per column tile and row chunk: read the ids, move them into the table's rows on the VXM (a copy when
        // they are already), gather each token's row of the tile (one instruction per byte plane), write it.
        const ids = byId.get(op.ids)!;
        const table = byId.get(op.table)!;
        const out = byId.get(op.out)!;
        const chunk = Math.min(ids.blockRows, out.blockRows);
        const lastRow = table.rows - 1;
        for (let j = 0; j < out.tiles; j++)
          for (let r0 = 0; r0 < ids.rows; r0 += chunk) {
            const n = Math.min(chunk, ids.rows - r0);
            const steps: Step[] = [{ kind: "read", ref: rowsOf(ids.id, 0, r0, n), type: "int32" }];
            const index = (fn: "add" | "max" | "min", imm: number) =>
              steps.push({ kind: "vbinary", fn, type: "int32", a: steps.length - 1, b: { imm }, n });
            if (op.offset !== 0) index("add", op.offset);
            if (op.offset < 0) index("max", 0);
            if (op.idEnd - 1 + op.offset > lastRow) index("min", lastRow);
            if (steps.length === 1) steps.push({ kind: "vunary", fn: "copy", type: "int32", src: 0, n });
            steps.push({
              kind: "gather",
              ref: rowsOf(table.id, j, 0, n, 0),
              type: table.type,
              map: steps.length - 1,
            });
            steps.push({
              kind: "write",
              ref: rowsOf(out.id, j, r0, n),
              type: out.type,
              src: steps.length - 1,
            });
            push({ id: `${op.id}.t${j}.r${r0}`, op: op.id, steps });
          }
        return;
      }
      case "copyRows": {
        // Each range in pieces that stay inside one SRAM block of the source and of the destination.
        const out = byId.get(op.out)!;
        let at = 0;
        for (const part of op.parts) {
          const x = byId.get(part.x)!;
          for (let j = 0; j < out.tiles; j++)
            for (let k = 0; k < part.n; ) {
              const src = part.row0 + k;
              const dst = at + k;
              const n = Math.min(
                part.n - k,
                x.blockRows - (src % x.blockRows),
                out.blockRows - (dst % out.blockRows),
              );
              push({
                id: `${op.id}.t${j}.r${dst}`,
                op: op.id,
                steps: [
                  { kind: "read", ref: rowsOf(x.id, j, src, n), type: x.type },
                  { kind: "vunary", fn: "copy", type: x.type, src: 0, n },
                  { kind: "write", ref: rowsOf(out.id, j, dst, n), type: out.type, src: 1 },
                ],
              });
              k += n;
            }
          at += part.n;
        }
        return;
      }
      default:
        assertNever(op, "kernel op");
    }
  };
  for (const op of p.kernel.ops) lowerOp(op);
  return {
    name: p.kernel.name,
    chips: p.chips,
    batch: p.kernel.batch,
    tokensPerPass: p.kernel.tokensPerPass,
    tasks,
    tensors: tensors.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0)),
    outputs: p.kernel.outputs,
    constants: p.kernel.constants,
  };
}

/** The link of chip `from` wired to chip `to` inside a fully connected node: links 0..6 in peer order. */
export function linkTo(from: number, to: number): number {
  return to < from ? to : to - 1;
}
