// Pass `decompose`: model graph -> kernel IR. High-level ops become the operations the units provide (matrix
// products for the MXM, pointwise ops for the VXM); free views (reshape keeping the last axis, outputs) become
// aliases. Pure: reads the graph, never mutates it. Ops not lowered yet are LPU5002 diagnostics, not crashes.
// This file: the loop over nodes, sources, views and the pointwise and reduction ops; the structured ops (attention,
// split, embedding, rope, transpose, concat, topk, moe) in decompose-ops.ts.
import type { Diagnostic } from "../../util/diagnostics.ts";
import { diag } from "../../util/diagnostics.ts";
import type { DType, GraphNode, ModelGraph, TensorType } from "../graph/ir.ts";
import { numElements } from "../graph/ir.ts";
import {
  type DecomposeContext,
  inputShape,
  lowerStructured,
  normalize,
  transposedCopy,
  valueId,
} from "./decompose-ops.ts";
import { fuseEpilogues, fusePointwise } from "./fuse.ts";
import { KernelBuilder } from "./kernel-builder.ts";
import { type KernelGraph, type KTensor, opInputs, type TensorRole } from "./kernel-ir.ts";
import type { EmbeddingChips } from "./lower-embedding.ts";
import { isMxmType, softmaxRowAxis } from "./lower-layout.ts";
import { lowerActivation } from "./lower-pointwise.ts";
import { lowerNorm, lowerRmsnormDeferred, lowerSoftmax, scaledProduct } from "./lower-reduce.ts";
import { M } from "./messages.ts";

/** Dtypes the units lower today: the MXM and VXM both take fp16 and bf16, the VXM also fp32 (int8 activations
 * need requantisation; int32 ids are lowered where embedding reads them, as gather indices). */
const LOWERED_DTYPES: ReadonlySet<DType> = new Set(["fp16", "bf16", "fp32"]);

/** A matmul's activations (left operand) as the MXM takes them: fp32 is a VXM type only (docs/isa.md, `abc`). */
const MXM_ACTIVATION_DTYPES: ReadonlySet<DType> = new Set(["fp16", "bf16"]);

/** 8-bit weight types: a param of one of these is lowered when only matmuls read it, as their weight (right
 * operand). It stays 1 byte in SRAM and is converted to the activation's type on the VXM on its way to the MXM
 * (tile.ts), which is exact: every fp8 e4m3 and int8 value is an fp16 (and bf16) value. */
const WEIGHT_ONLY_DTYPES: ReadonlySet<DType> = new Set(["fp8", "int8"]);

/** Params read only as a matmul's right operand (the weight). */
function weightOnlyParams(model: ModelGraph): Set<string> {
  const g = model.graph;
  const weight = new Set<string>();
  const other = new Set<string>();
  for (const id of g.nodes()) {
    const n = g.node(id);
    n.inputs.forEach((r, i) => {
      (n.op.kind === "matmul" && i === 1 ? weight : other).add(r.node);
    });
  }
  return new Set([...weight].filter((id) => !other.has(id)));
}

export interface DecomposeResult {
  readonly kernel: KernelGraph;
  readonly diagnostics: readonly Diagnostic[];
}

/** Rows of one id range of an embedding table (lower-embedding.ts) for callers without a machine: tsp-v1's
 * (compile.ts `gatherRows`, which `compile` passes for its machine). */
const DEFAULT_GATHER_ROWS = 512;

export interface DecomposeOptions {
  /** Most rows of an embedding table stored as one gather block (one id range): at most a slice's words. */
  readonly gatherRows?: number;
  /** One node's directly linked chips, each one's usable SRAM and a link's timing, for an embedding's sum
   * (lower-embedding.ts `groupedSumPlan`); absent: the sum as without a machine. */
  readonly embeddingChips?: EmbeddingChips;
}

export function decompose(model: ModelGraph, file: string, opts: DecomposeOptions = {}): DecomposeResult {
  const g = model.graph;
  const diagnostics: Diagnostic[] = [];
  const k = new KernelBuilder();
  const tensors = k.tensors;
  const ops = k.ops;
  const alias = new Map<string, string>();
  /** Values viewed as [..., H, Dh] while their kernel tensor keeps the rows [..., H * Dh] (heads as lane ranges). */
  const headView = new Set<string>();
  const outputs: { name: string; tensor: string }[] = [];
  /** A deferred rmsnorm's tensor (x * g) -> its 1 / rms tile, applied in its reading products' epilogues. */
  const deferred = new Map<string, string>();

  const resolve = (node: string, output: number): string => {
    const id = valueId(g.node(node), output);
    return alias.get(id) ?? id;
  };
  const define = (id: string, t: TensorType, role: TensorRole): void => {
    const shape = t.shape.length === 0 ? [1] : t.shape;
    const cols = shape[shape.length - 1]!;
    const source = role === "temp" ? undefined : { node: id, transposed: false };
    tensors.set(id, { id, dtype: t.dtype, rows: numElements(shape) / cols, cols, role, shape, source });
  };
  const weightsOnly = weightOnlyParams(model);
  const fail = (n: GraphNode, def: typeof M.unsupportedShape, why: string) =>
    diagnostics.push(diag(def, file, n.span, [n.id, why]));
  const cx: DecomposeContext = {
    g,
    k,
    alias,
    headView,
    routeIds: new Map(),
    ropedQ: new Map(),
    readers: readersOf(model),
    gatherRows: opts.gatherRows ?? DEFAULT_GATHER_ROWS,
    embeddingChips: opts.embeddingChips,
    fail,
  };

  for (const id of topologicalOrder(model)) {
    const n = g.node(id);
    const ins = n.inputs.map((r) => resolve(r.node, r.output));
    const inT = ins.map((i) => tensors.get(i));
    const out = n.outputs[0];
    // Sources are checked below (int32 ids, 8-bit weights are lowered); an output takes whatever its value is.
    const source = n.op.kind === "input" || n.op.kind === "param" || n.op.kind === "state";
    if (out && !LOWERED_DTYPES.has(out.dtype) && !source && n.op.kind !== "output") {
      diagnostics.push(diag(M.unsupportedType, file, n.span, [n.id, out.dtype]));
      continue;
    }
    if (inT.some((t) => t === undefined)) continue; // an input was already reported
    if (
      n.inputs.some((r) => headView.has(valueId(g.node(r.node), r.output))) &&
      !HEAD_VIEW_READERS.has(n.op.kind)
    ) {
      fail(
        n,
        M.unsupportedShape,
        "a tensor split into heads by reshape is read by an op other than attention or rope",
      );
      continue;
    }
    const op = n.op;
    switch (op.kind) {
      case "input":
      case "param":
      case "state":
        if (
          !LOWERED_DTYPES.has(out!.dtype) &&
          !(op.kind === "input" && out!.dtype === "int32") &&
          !(op.kind === "param" && WEIGHT_ONLY_DTYPES.has(out!.dtype) && weightsOnly.has(n.id))
        )
          diagnostics.push(diag(M.unsupportedType, file, n.span, [n.id, out!.dtype]));
        else define(n.id, out!, op.kind);
        break;
      case "output":
        outputs.push({ name: n.id, tensor: ins[0]! });
        break;
      case "reshape": {
        const from = inT[0]!;
        const to = out!.shape;
        const inShape = g.node(n.inputs[0]!.node).outputs[n.inputs[0]!.output]!.shape;
        if (from.cols === to[to.length - 1]) alias.set(n.id, ins[0]!);
        else if (splitsLastAxis(inShape, to) || splitsLastAxis(to, inShape)) {
          // [.., H * Dh] <-> [.., H, Dh]: the rows stay as they are; heads are lane ranges of a row.
          alias.set(n.id, ins[0]!);
          if (to.length > inShape.length) headView.add(n.id);
        } else
          fail(
            n,
            M.unsupportedShape,
            "a reshape that changes the last axis moves data between lanes (only splitting it into heads and merging them back is built)",
          );
        break;
      }
      case "matmul": {
        const [a, b] = inT as KTensor[];
        if (!MXM_ACTIVATION_DTYPES.has(a.dtype)) {
          diagnostics.push(diag(M.mxmType, file, n.span, [n.id, a.dtype]));
          break;
        }
        if (b.shape.length !== 2) {
          fail(n, M.unsupportedShape, "only a 2-D right operand is lowered so far (no batched matmul)");
          break;
        }
        // The MXM takes one weight row per output column, so b is needed as [N, K].
        let bt = b.id;
        if (!op.transposeB) {
          if (b.role === "temp") {
            fail(
              n,
              M.unsupportedShape,
              "a computed right operand must be transposed on the SXM (not built yet)",
            );
            break;
          }
          bt = transposedCopy(tensors, b);
        }
        const inv = deferred.get(a.id);
        if (inv !== undefined) {
          scaledProduct(k, n.id, out!.dtype, a.id, bt, inv);
          define(n.id, out!, "temp");
          break;
        }
        define(n.id, out!, "temp");
        ops.push({ kind: "matmul", id: n.id, a: a.id, b: bt, out: n.id });
        break;
      }
      case "add":
      case "mul": {
        const [a, b] = inT as KTensor[];
        // Commutative: put the full-size operand first so the other is the broadcast one.
        const [x, y] = b.rows > a.rows ? [b, a] : [a, b];
        if (x.cols !== y.cols || (y.rows !== x.rows && y.rows !== 1)) {
          fail(n, M.unsupportedShape, "broadcasting other than a row over all rows is not lowered yet");
          break;
        }
        define(n.id, out!, "temp");
        ops.push({ kind: "binary", id: n.id, fn: op.kind, a: x.id, b: y.id, out: n.id });
        break;
      }
      case "scale":
        define(n.id, out!, "temp");
        ops.push({ kind: "binaryImm", id: n.id, fn: "mul", x: ins[0]!, imm: op.factor, out: n.id });
        break;
      case "relu":
        define(n.id, out!, "temp");
        ops.push({ kind: "unary", id: n.id, fn: "relu", x: ins[0]!, out: n.id });
        break;
      case "cast":
        define(n.id, out!, "temp");
        ops.push({ kind: "convert", id: n.id, x: ins[0]!, out: n.id });
        break;
      case "gelu":
      case "silu":
        lowerActivation(k, n.id, op.kind, ins[0]!, out!.dtype);
        break;
      case "layernorm":
        lowerNorm(k, n.id, out!.dtype, ins[0]!, ins[1]!, ins[2]!, op.eps, true);
        break;
      case "rmsnorm":
        // One row read only by products: x * g, its 1 / rms in the products' epilogues (docs/compiler.md "A
        // deferred rmsnorm"; lower-reduce.ts lowerRmsnormDeferred).
        if (inT[0]!.rows === 1 && readByProductsOnly(cx.readers, n))
          deferred.set(n.id, lowerRmsnormDeferred(k, n.id, out!.dtype, ins[0]!, ins[1]!, op.eps));
        else lowerNorm(k, n.id, out!.dtype, ins[0]!, ins[1]!, undefined, op.eps, false);
        break;
      case "softmax": {
        const rank = out!.shape.length;
        const axis = normalize(op.axis, rank);
        if (axis === rank - 1) lowerSoftmax(k, n.id, out!.dtype, ins[0]!);
        else if (!isMxmType(inT[0]!.dtype))
          fail(
            n,
            M.unsupportedShape,
            "softmax over a row axis moves it to the lanes on the MXM (fp16 or bf16)",
          );
        else alias.set(n.id, softmaxRowAxis(k, n.id, out!.dtype, ins[0]!, inputShape(g, n, 0), axis));
        break;
      }
      case "attention":
      case "split":
      case "embedding":
      case "rope":
      case "transpose":
      case "concat":
      case "topk":
      case "moe":
        lowerStructured(cx, n, op, ins, inT);
        break;
      default: {
        const never: never = op;
        throw new Error(`internal error: unexpected op ${JSON.stringify(never)}`);
      }
    }
    // A lowering defines the node's tensor with a 2-D shape; keep the model's shape for reports.
    const t = tensors.get(n.id);
    if (t && out && t.role === "temp" && out.shape.length > 0) tensors.set(n.id, { ...t, shape: out.shape });
  }
  // Only ops whose result reaches an output (`rest` of a split nobody reads is not computed), and only tensors
  // those ops or outputs use (a weight used only transposed keeps only its transposed copy).
  const used = new Set<string>(outputs.map((o) => o.tensor));
  const live = [...ops].reverse().filter((op) => {
    if (!used.has(op.out)) return false;
    for (const t of opInputs(op)) used.add(t);
    return true;
  });
  live.reverse();
  const sorted = [...tensors.values()]
    .filter((t) => used.has(t.id))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // Only the ids: the values are computed when something reads them (kernel-builder.ts, LazyConstants).
  const constants = k.constants.subset(used);
  const kernel = {
    name: model.name,
    tensors: sorted,
    ops: live,
    outputs,
    batch: model.constants.batch ?? 1,
    tokensPerPass: (model.constants.batch ?? 1) * (model.constants.seq ?? 1),
    ...(constants.size > 0 ? { constants } : {}),
  };
  return { kernel: fusePointwise(fuseEpilogues(kernel)), diagnostics };
}

/** Ops that may read a value viewed as heads ([.., H, Dh] over rows of H * Dh lanes). */
const HEAD_VIEW_READERS: ReadonlySet<string> = new Set(["attention", "rope", "reshape"]);

/** True when `to` is `from` with its last axis split in two: [..., A * B] -> [..., A, B]. */
function splitsLastAxis(from: readonly number[], to: readonly number[]): boolean {
  if (to.length !== from.length + 1 || from.length === 0) return false;
  for (let i = 0; i < from.length - 1; i++) if (from[i] !== to[i]) return false;
  return from[from.length - 1] === to[to.length - 2]! * to[to.length - 1]!;
}

/** Per value id (`valueId`), the nodes that read it and at which input. */
function readersOf(model: ModelGraph): Map<string, { node: GraphNode; input: number }[]> {
  const g = model.graph;
  const readers = new Map<string, { node: GraphNode; input: number }[]>();
  for (const id of g.nodes()) {
    const n = g.node(id);
    n.inputs.forEach((r, input) => {
      const v = valueId(g.node(r.node), r.output);
      const list = readers.get(v) ?? [];
      list.push({ node: n, input });
      readers.set(v, list);
    });
  }
  return readers;
}

/** Depth-first topological order that follows the graph's own node order, so it is deterministic. */
function topologicalOrder(model: ModelGraph): string[] {
  const g = model.graph;
  const seen = new Set<string>();
  const order: string[] = [];
  const visit = (id: string): void => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const r of g.node(id).inputs) visit(r.node);
    order.push(id);
  };
  for (const id of g.nodes()) visit(id);
  return order;
}

/** Every reader of n's value is a matmul reading it as its left operand (not through a reshape, not an output). */
function readByProductsOnly(
  readers: ReadonlyMap<string, readonly { readonly node: GraphNode; readonly input: number }[]>,
  n: GraphNode,
): boolean {
  const list = readers.get(valueId(n, 0)) ?? [];
  return list.length > 0 && list.every((r) => r.node.op.kind === "matmul" && r.input === 0);
}
