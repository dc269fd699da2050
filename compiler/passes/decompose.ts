// Pass `decompose`: model graph -> kernel IR. High-level ops become the operations the units provide (matrix
// products for the MXM, pointwise ops for the VXM); free views (reshape keeping the last axis, outputs) become
// aliases. Pure: reads the graph, never mutates it. Ops not lowered yet are LPU5002 diagnostics, not crashes.
import type { Diagnostic } from "../../util/diagnostics.ts";
import { diag } from "../../util/diagnostics.ts";
import type { DType, GraphNode, ModelGraph, TensorType } from "../graph/ir.ts";
import { numElements } from "../graph/ir.ts";
import { fuseEpilogues } from "./fuse.ts";
import {
  type BinaryFn,
  type KernelGraph,
  type KOp,
  type KTensor,
  opInputs,
  type TensorRole,
  type UnaryFn,
} from "./kernel-ir.ts";
import { M } from "./messages.ts";

/** Dtypes the units lower today: the MXM and VXM both take fp16 and bf16, the VXM also fp32 (int8 needs
 * requantisation, int32 ids need gather: not built). */
const LOWERED_DTYPES: ReadonlySet<DType> = new Set(["fp16", "bf16", "fp32"]);

/** sqrt(2 / pi), the tanh-approximation constant of gelu (docs/language.md). */
const GELU_C = Math.sqrt(2 / Math.PI);

export interface DecomposeResult {
  readonly kernel: KernelGraph;
  readonly diagnostics: readonly Diagnostic[];
}

export function decompose(model: ModelGraph, file: string): DecomposeResult {
  const g = model.graph;
  const diagnostics: Diagnostic[] = [];
  const tensors = new Map<string, KTensor>();
  const alias = new Map<string, string>();
  const ops: KOp[] = [];
  const outputs: { name: string; tensor: string }[] = [];

  const valueId = (n: GraphNode, k: number) => (n.outputs.length === 1 ? n.id : `${n.id}#${k}`);
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
  /** A source matrix [K, N] kept transposed as [N, K] (a second copy when it is also used as it is). */
  const transposedCopy = (t: KTensor): string => {
    const id = `${t.id}^T`;
    if (!tensors.has(id)) {
      const [k, n] = t.shape as [number, number];
      tensors.set(id, {
        id,
        dtype: t.dtype,
        rows: n,
        cols: k,
        role: t.role,
        shape: [n, k],
        source: { node: t.source!.node, transposed: true },
      });
    }
    return id;
  };
  const fail = (n: GraphNode, def: typeof M.unsupportedShape, why: string) =>
    diagnostics.push(diag(def, file, n.span, [n.id, why]));

  for (const id of topologicalOrder(model)) {
    const n = g.node(id);
    const ins = n.inputs.map((r) => resolve(r.node, r.output));
    const inT = ins.map((i) => tensors.get(i));
    const out = n.outputs[0];
    if (out && !LOWERED_DTYPES.has(out.dtype) && n.op.kind !== "input") {
      diagnostics.push(diag(M.unsupportedType, file, n.span, [n.id, out.dtype]));
      continue;
    }
    if (inT.some((t) => t === undefined)) continue; // an input was already reported
    const op = n.op;
    switch (op.kind) {
      case "input":
      case "param":
      case "state":
        if (!LOWERED_DTYPES.has(out!.dtype))
          diagnostics.push(diag(M.unsupportedType, file, n.span, [n.id, out!.dtype]));
        else define(n.id, out!, op.kind);
        break;
      case "output":
        outputs.push({ name: n.id, tensor: ins[0]! });
        break;
      case "reshape": {
        const from = inT[0]!;
        if (from.cols !== out!.shape[out!.shape.length - 1])
          fail(
            n,
            M.unsupportedShape,
            "a reshape that changes the last axis moves data between lanes (not built)",
          );
        else alias.set(n.id, ins[0]!);
        break;
      }
      case "matmul": {
        const [a, b] = inT as KTensor[];
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
          bt = transposedCopy(b);
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
      case "silu": {
        // The VXM has no gelu or silu: a chain of fp32 ops (one SRAM round trip each), rounded once at the end as
        // the interpreter does. silu(x) = x * 1 / (1 + exp(-x)); gelu(x) = 0.5 x (1 + tanh(c (x + 0.044715 x^3))).
        const x = inT[0]!;
        let k = 0;
        const tmp = () => {
          const id = `${n.id}.${k++}`;
          define(id, { dtype: "fp32", shape: x.shape }, "temp");
          return id;
        };
        const un = (fn: UnaryFn, a: string) => {
          const o = tmp();
          ops.push({ kind: "unary", id: o, fn, x: a, out: o });
          return o;
        };
        const imm = (fn: BinaryFn, a: string, v: number) => {
          const o = tmp();
          ops.push({ kind: "binaryImm", id: o, fn, x: a, imm: v, out: o });
          return o;
        };
        const bin = (fn: BinaryFn, a: string, b: string) => {
          const o = tmp();
          ops.push({ kind: "binary", id: o, fn, a, b, out: o });
          return o;
        };
        const x32 = tmp();
        ops.push({ kind: "convert", id: x32, x: x.id, out: x32 });
        let y: string;
        if (op.kind === "silu") y = bin("mul", x32, un("recip", imm("add", un("exp", un("neg", x32)), 1)));
        else {
          const cube = bin("mul", bin("mul", x32, x32), x32);
          const inner = imm("mul", bin("add", x32, imm("mul", cube, 0.044715)), GELU_C);
          y = imm("mul", bin("mul", x32, imm("add", un("tanh", inner), 1)), 0.5);
        }
        define(n.id, out!, "temp");
        ops.push({ kind: "convert", id: n.id, x: y, out: n.id });
        break;
      }
      case "softmax":
      case "layernorm":
      case "rmsnorm":
      case "rope":
      case "embedding":
      case "transpose":
      case "concat":
      case "split":
      case "attention":
      case "topk":
      case "moe":
        diagnostics.push(diag(M.unsupportedOp, file, n.span, [op.kind, n.id]));
        break;
      default: {
        const never: never = op;
        throw new Error(`internal error: unexpected op ${JSON.stringify(never)}`);
      }
    }
  }
  // Only tensors some op or output uses (a weight used only transposed keeps only its transposed copy).
  const used = new Set<string>(outputs.map((o) => o.tensor));
  for (const op of ops) for (const t of [...opInputs(op), op.out]) used.add(t);
  const sorted = [...tensors.values()]
    .filter((t) => used.has(t.id))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const kernel = { name: model.name, tensors: sorted, ops, outputs, batch: model.constants.batch ?? 1 };
  return { kernel: fuseEpilogues(kernel), diagnostics };
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
