// Part of `decompose`: kernel IR -> kernel IR with pointwise ops folded into the matmul that feeds them, so a
// bias add and an activation run on the VXM between the accumulator and SRAM instead of round-tripping through
// SRAM (only when the matmul's result has exactly one reader and is not a model output), then chains of pointwise
// ops folded into one fused op each (`fusePointwise`). Pure.
import { assertNever } from "../../util/assert.ts";
import type { DType } from "../graph/ir.ts";
import { LANES, padded, repeatsTiles } from "./kernel-builder.ts";
import type { EpilogueOp, KernelGraph, KOp, KTensor } from "./kernel-ir.ts";
import { opInputs, REPEAT_INSTANCE } from "./kernel-ir.ts";
import type { PointwiseOp, PointwiseStep } from "./pointwise-ir.ts";

export function fuseEpilogues(k: KernelGraph): KernelGraph {
  const readers = new Map<string, number>();
  for (const op of k.ops) for (const i of opInputs(op)) readers.set(i, (readers.get(i) ?? 0) + 1);
  const outputs = new Set(k.outputs.map((o) => o.tensor));
  const rows = new Map(k.tensors.map((t) => [t.id, t.rows]));
  const cols = new Map(k.tensors.map((t) => [t.id, t.cols]));
  const dtypes = new Map(k.tensors.map((t) => [t.id, t.dtype]));
  const ops: (KOp | undefined)[] = [...k.ops];
  const producer = new Map<string, number>();
  ops.forEach((op, i) => {
    producer.set(op!.out, i);
  });
  const dropped = new Set<string>();
  ops.forEach((op, i) => {
    if (!op) return;
    const x =
      op.kind === "binary"
        ? op.a
        : op.kind === "unary" || op.kind === "binaryImm" || op.kind === "convert"
          ? op.x
          : undefined;
    if (x === undefined || readers.get(x) !== 1 || outputs.has(x)) return;
    const pi = producer.get(x);
    const p = pi === undefined ? undefined : ops[pi];
    if (p?.kind !== "matmul") return;
    // A convert ends an epilogue: row adds after it chained llama2-7b's decode heads' sum tree into one head's
    // product (+5%).
    if (p.epilogue?.some((e) => e.kind === "convert")) return;
    let e: EpilogueOp | undefined;
    if (op.kind === "convert") {
      // fp32 rounded to 16 bits after the epilogue's steps, on the way out (a head's bf16 exps, its masked p . V):
      // no VXM task of its own on the chain. Only after other steps: a bare convert moved mixtral's spread
      // placement (its top-k index product: +3%), and such a product could be built in the narrow type.
      const narrow = dtypes.get(op.out) === "bf16" || dtypes.get(op.out) === "fp16";
      if (dtypes.get(x) === "fp32" && narrow && (p.epilogue?.length ?? 0) > 0 && rows.get(x) === 1)
        e = { kind: "convert" };
    } else if (op.kind === "unary") e = { kind: "unary", fn: op.fn };
    else if (op.kind === "binaryImm") e = { kind: "imm", fn: op.fn, imm: op.imm };
    else if (
      op.kind === "binary" &&
      // A repeated row as wide as a's padded width meets each tile as its own (the epilogue reads b's tile j).
      // A one-tile row (a deferred rmsnorm's 1 / rms, lower-reduce.ts) is read as tile 0 by every output tile; a
      // multiply only: zero-tiles.ts drops an add's or sub's known-zero row tiles by the output's tile index.
      (!op.bTile ||
        cols.get(op.b) === padded(cols.get(op.a)!) ||
        (cols.get(op.b) === LANES && op.fn === "mul")) &&
      rows.get(op.b) === 1 &&
      op.b !== x &&
      !readsRow(p, op.b) &&
      (p.epilogue ?? []).filter((r) => r.kind === "row").length < MAX_EPILOGUE_ROWS
    )
      e = { kind: "row", fn: op.fn, b: op.b };
    if (!e) return;
    // The fused matmul takes the reader's place in the order (its extra operand may be defined in between).
    ops[pi!] = undefined;
    ops[i] = { ...p, out: op.out, epilogue: [...(p.epilogue ?? []), e] };
    producer.set(op.out, i);
    dropped.add(x);
  });
  return {
    ...k,
    ops: ops.filter((o): o is KOp => o !== undefined),
    tensors: k.tensors.filter((t) => !dropped.has(t.id)),
  };
}

/** Row operands one epilogue may read. allocate.ts keeps the tensors one task reads in different slice groups (44
 * for fp16, 22 for fp32); llama2-70b's 64 attention heads at decode (one-row outputs) once fused into a single
 * epilogue whose task could not be placed (LPU5005 with the SRAM far from full). */
const MAX_EPILOGUE_ROWS = 8;

/** A fused task that read one row twice (softmax's padding mask before and after exp) would stream the same SRAM
 * words twice from the same slices, overlapping in time once a chunk is longer than the gap between the reads: the
 * task would conflict with itself. Such a second use stays a separate VXM op. */
function readsRow(op: Extract<KOp, { kind: "matmul" }>, row: string): boolean {
  return op.a === row || op.b === row || (op.epilogue ?? []).some((e) => e.kind === "row" && e.b === row);
}

/** Inputs one fused pointwise task may read: each takes a slice group of its own (allocate.ts) and a stream group. */
const MAX_POINTWISE_INPUTS = 4;
/** VXM steps one fused task may chain: the task holds that many of the 16 ALUs (tsp-v1) for its whole run, and an
 * op's column tiles run side by side. Measured (`lpu compile --chips 576`): llama3-8b with one layer 58,823 cycles
 * with a cap of 4, 82,511 with 5 or 6 (rmsnorm's 5-step `lo` over 4096 lanes, 13 tiles); tiny-gpt 9,952 with 4,
 * 8,412 with 6; bert-base 809,175 with 4, 800,019 with 6 (all measured before softmax's mask after exp came back).
 * So 6 for ops of at most 4 tiles, 4 for wider ones. */
const maxPointwiseSteps = (cols: number): number => (Math.ceil(cols / LANES) <= 4 ? 6 : 4);

/**
 * Pointwise chains as trees (pointwise-ir.ts): a pointwise op (binary, binaryImm, unary, convert, or one already
 * fused) whose result is read by one pointwise op only, shaped like that reader's result and not a model output,
 * is folded into its reader, which then reads the producer's inputs itself; the value in between never touches
 * SRAM. Each op of a chain was a task of its own, waiting for the previous one's last row to be written: ~180
 * cycles for 128 rows, where the fused step adds a few cycles of VXM latency. Not folded when the two would read
 * one tensor twice (a task cannot stream the same SRAM words twice) or past the caps above. Pure; ops left alone
 * keep their kind.
 */
export function fusePointwise(k: KernelGraph): KernelGraph {
  const byId = new Map(k.tensors.map((t) => [t.id, t]));
  const readers = new Map<string, number>();
  for (const op of k.ops) for (const i of new Set(opInputs(op))) readers.set(i, (readers.get(i) ?? 0) + 1);
  const outputs = new Set(k.outputs.map((o) => o.tensor));
  const ops: (KOp | undefined)[] = [...k.ops];
  const producer = new Map<string, number>();
  const dropped = new Set<string>();
  ops.forEach((op, i) => {
    let tree = asTree(op!, byId.get(op!.out)!.dtype);
    if (tree) {
      for (const x of [...tree.inputs]) {
        const pi = producer.get(x);
        const p = pi === undefined ? undefined : asTree(ops[pi]!, byId.get(x)!.dtype);
        if (!p || readers.get(x) !== 1 || outputs.has(x) || instance(ops[pi!]!.id) !== instance(op!.id))
          continue;
        const xt = byId.get(x)!;
        const out = byId.get(op!.out)!;
        if (xt.rows !== out.rows || xt.cols !== out.cols) continue;
        const merged = graft(tree, x, p, maxPointwiseSteps(out.cols));
        if (!merged) continue;
        ops[pi!] = undefined;
        dropped.add(x);
        tree = merged;
      }
      const out = byId.get(op!.out)!;
      const repeated = (x: string) => repeatsTiles(byId.get(x)!, out);
      if (tree.steps.length > 1) ops[i] = fromTree(op!.id, withoutCopies(tree, repeated), op!.out, byId);
    }
    producer.set(op!.out, i);
  });
  return {
    ...k,
    ops: ops.filter((o): o is KOp => o !== undefined),
    tensors: k.tensors.filter((t) => !dropped.has(t.id)),
  };
}

type Tree = Pick<PointwiseOp, "inputs" | "steps">;

/** The `repeat` instance an op belongs to (`layer.3.`), "" outside one: a fused op stays inside its instance, so
 * the instances keep equal op lists that read only their own and the previous instance's tensors (layers.ts
 * `findRepeat`, which the `layers` partition and stamping need). */
function instance(id: string): string {
  return REPEAT_INSTANCE.exec(id)?.[0] ?? "";
}

/** A pointwise op as a tree over its inputs; undefined for the other kinds. */
function asTree(op: KOp, outDtype: DType): Tree | undefined {
  switch (op.kind) {
    case "pointwise":
      // A fold of column tiles reads its inputs at fixed tiles: neither grafted nor grafted into.
      return op.inputTiles ? undefined : op;
    case "unary":
      return { inputs: [op.x], steps: [{ kind: "unary", fn: op.fn, x: 0 }] };
    case "binaryImm":
      return { inputs: [op.x], steps: [{ kind: "imm", fn: op.fn, x: 0, imm: op.imm }] };
    case "binary":
      return op.a === op.b
        ? { inputs: [op.a], steps: [{ kind: "binary", fn: op.fn, a: 0, b: 0 }] }
        : { inputs: [op.a, op.b], steps: [{ kind: "binary", fn: op.fn, a: 0, b: 1 }] };
    case "convert":
      return { inputs: [op.x], steps: [{ kind: "convert", x: 0, to: outDtype }] };
    case "matmul":
    case "gather":
    case "copyRows":
      return undefined;
    default:
      return assertNever(op, "kernel op");
  }
}

/** Reader `c` with its input `x` replaced by producer `p`'s tree: p's inputs first, then c's others; p's steps,
 * then c's. Undefined when the two read a tensor in common or the result passes the caps. */
function graft(c: Tree, x: string, p: Tree, maxSteps: number): Tree | undefined {
  const xi = c.inputs.indexOf(x);
  const others = c.inputs.filter((_, i) => i !== xi);
  if (others.some((o) => p.inputs.includes(o))) return undefined;
  const inputs = [...p.inputs, ...others];
  if (inputs.length > MAX_POINTWISE_INPUTS || p.steps.length + c.steps.length > maxSteps) return undefined;
  const pIn = p.inputs.length;
  const pSteps = p.steps.length;
  const fromP = (v: number) => (v < pIn ? v : inputs.length + v - pIn);
  const fromC = (v: number) =>
    v === xi
      ? inputs.length + pSteps - 1
      : v < c.inputs.length
        ? pIn + others.indexOf(c.inputs[v]!)
        : inputs.length + pSteps + v - c.inputs.length;
  return { inputs, steps: [...p.steps.map((s) => remap(s, fromP)), ...c.steps.map((s) => remap(s, fromC))] };
}

function remap(s: PointwiseStep, f: (v: number) => number): PointwiseStep {
  switch (s.kind) {
    case "binary":
      return { ...s, a: f(s.a), b: f(s.b) };
    case "unary":
    case "imm":
    case "convert":
      return { ...s, x: f(s.x) };
    default:
      return assertNever(s, "pointwise step");
  }
}

/** The tree without `copy` steps of computed values (a lowering's `finish` copies a result into the node's id;
 * fused, the copy would only hold an ALU), nor of inputs `repeated` over out's tiles while more than one step is
 * left (a wide lane sum's copies folded into their reader, lower-reduce.ts `laneSum`: a one-step tree becomes a
 * plain op, which would not read a narrower input repeated). */
function withoutCopies(t: Tree, repeated: (input: string) => boolean): Tree {
  const lean = dropCopies(t, repeated);
  return lean.steps.length > 1 ? lean : dropCopies(t, () => false);
}

function dropCopies(t: Tree, repeated: (input: string) => boolean): Tree {
  const n = t.inputs.length;
  const to: number[] = t.inputs.map((_, i) => i);
  const steps: PointwiseStep[] = [];
  for (const [i, s] of t.steps.entries()) {
    const copy = s.kind === "unary" && s.fn === "copy";
    if (copy && (s.x >= n || (i < t.steps.length - 1 && repeated(t.inputs[s.x]!)))) {
      to.push(to[s.x]!);
      continue;
    }
    to.push(n + steps.length);
    steps.push(remap(s, (v) => to[v]!));
  }
  return { inputs: t.inputs, steps };
}

/** A tree as a kernel op: one step as the plain op it is, more as a fused pointwise op. */
function fromTree(id: string, t: Tree, out: string, byId: ReadonlyMap<string, KTensor>): KOp {
  const s = t.steps[0]!;
  if (t.steps.length > 1) return { kind: "pointwise", id, ...t, out };
  switch (s.kind) {
    case "unary":
      return { kind: "unary", id, fn: s.fn, x: t.inputs[s.x]!, out };
    case "imm":
      return { kind: "binaryImm", id, fn: s.fn, x: t.inputs[s.x]!, imm: s.imm, out };
    case "convert":
      return { kind: "convert", id, x: t.inputs[s.x]!, out };
    case "binary": {
      const a = t.inputs[s.a]!;
      const b = t.inputs[s.b]!;
      const bTile = repeatsTiles(byId.get(b)!, byId.get(a)!);
      return { kind: "binary", id, fn: s.fn, a, b, out, ...(bTile ? { bTile } : {}) };
    }
    default:
      return assertNever(s, "pointwise step");
  }
}
