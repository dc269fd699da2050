// The work every schedule of a model must do on a machine, counted from the model graph before `decompose`: what
// the compute, SRAM-bandwidth and weight-load bounds (bounds.ts) divide by the machine's rates. In: a ModelGraph and
// a Machine; out: MACs per input type (K padded to whole MXM rows), bytes to read, weight rows. No choice of this
// compiler enters (its ones-matrix reductions, 0/1 lane-movement products, padded score columns, constants or tile
// layouts): only the model's products and data, and padding the hardware forces on every schedule.
//
// The granularity rule (docs/compiler.md "Lower bounds and efficiency"): an MXM plane takes a vector of `rows`
// lanes against `rows x cols` installed weights and gives `cols` sums, each the sum of at most `rows` products,
// added into one accumulator value: one output element's partial sum. An output element whose dot product has K
// terms therefore takes at least ceil(K / rows) such column sums, whatever the layout, so K rounded up to whole
// `rows` is padding every schedule pays and is counted. Nothing else is: rows of M and columns of N may share a
// pass with other rows or columns (another head, another product), so their padding to 320 is a layout choice.
import type { Machine } from "../../arch/machine.ts";
import type { ModelGraph, TensorType } from "../graph/ir.ts";
import { numElements } from "../graph/ir.ts";
import { inputTypes } from "../graph/model-graph.ts";
import { graphStats, throughViews } from "../graph/stats.ts";

export interface ModelWork {
  /** Per MXM input type: output elements x K rounded up to whole MXM rows (`rows` MACs per column sum). */
  readonly macs: ReadonlyMap<string, number>;
  /** 2 per multiply-accumulate of the model's products, no padding, masked keys not counted. */
  readonly flops: number;
  /** Bytes every schedule reads from SRAM once: the weights (only the looked-up embedding rows, only the experts
   * the tokens can pick), the state (the KV cache) and the inputs (graph/stats.ts). */
  readonly sramBytes: number;
  /** Weight rows of `rows` elements that must enter an MXM plane, by loading or as streamed vectors: every weight
   * element a product reads (a weight used by two products counted once), per MXM input type. */
  readonly weightRows: ReadonlyMap<string, number>;
}

/** Products of one kind: `outputs` elements, each a dot product of `k` terms, in `type`. */
interface Product {
  readonly type: string;
  readonly outputs: number;
  readonly k: number;
}

export function modelWork(g: ModelGraph, m: Machine): ModelWork {
  const macs = new Map<string, number>();
  const weightRows = new Map<string, number>();
  let trueMacs = 0;
  const add = (p: Product) => {
    macs.set(p.type, (macs.get(p.type) ?? 0) + p.outputs * Math.ceil(p.k / m.mxm.rows) * m.mxm.rows);
    trueMacs += p.outputs * p.k;
  };
  // A weight's elements per MXM type, once per weight (the largest read when two products use it).
  const weights = new Map<string, { type: string; elements: number }>();
  const weightRead = (id: string, type: string, elements: number) => {
    const w = weights.get(id);
    if (!w || w.elements < elements) weights.set(id, { type, elements });
  };
  for (const id of [...g.graph.nodes()].sort()) {
    const node = g.graph.node(id);
    const inputs = inputTypes(g, node);
    const paramOf = (i: number) => {
      const source = throughViews(g, node.inputs[i]!.node);
      return g.graph.node(source).op.kind === "param" ? source : undefined;
    };
    switch (node.op.kind) {
      case "matmul": {
        const [a, b] = inputs as [TensorType, TensorType];
        const k = a.shape[a.shape.length - 1]!;
        add({ type: a.dtype, outputs: numElements(node.outputs[0]!.shape), k });
        const w = paramOf(1);
        if (w) weightRead(w, a.dtype, numElements(b.shape));
        break;
      }
      case "attention":
        for (const p of attentionProducts(node.op.causal, inputs)) add(p);
        break;
      case "moe": {
        const [x, , , gate] = inputs as [TensorType, TensorType, TensorType, TensorType];
        const [e, d, f] = gate.shape as [number, number, number];
        const topK = inputs[1]!.shape[inputs[1]!.shape.length - 1]!;
        const tokens = numElements(x.shape) / d;
        // Per token and chosen expert: gate and up (F sums of D terms each), down (D sums of F terms).
        add({ type: x.dtype, outputs: 2 * tokens * topK * f, k: d });
        add({ type: x.dtype, outputs: tokens * topK * d, k: f });
        // The experts some token can pick (min(E, tokens topK) of E), each of its three matrices.
        const picked = Math.min(e, tokens * topK);
        for (const i of [3, 4, 5]) {
          const w = paramOf(i);
          if (w) weightRead(w, x.dtype, picked * d * f);
        }
        break;
      }
      default:
    }
  }
  for (const w of weights.values())
    weightRows.set(w.type, (weightRows.get(w.type) ?? 0) + Math.ceil(w.elements / m.mxm.rows));
  const s = graphStats(g);
  return {
    macs,
    flops: 2 * trueMacs,
    sramBytes: s.bytesMoved.weights + s.bytesMoved.stateRead + s.inputs.bytes,
    weightRows,
  };
}

/** Scores (one per visible key of every query: Dh terms) and the weighted sum of values (Dh per query: one term per
 * visible key). Query i of S sits after C cached keys and sees C + i + 1 keys when causal, all C + S otherwise. */
function attentionProducts(causal: boolean, inputs: readonly TensorType[]): Product[] {
  const [b, s, h, dh] = inputs[0]!.shape as [number, number, number, number];
  const cached = inputs.length === 5 ? inputs[3]!.shape[1]! : 0;
  const type = inputs[0]!.dtype;
  const out: Product[] = [];
  for (let i = 0; i < s; i++) {
    const visible = causal ? cached + i + 1 : cached + s;
    out.push({ type, outputs: b * h * visible, k: dh }, { type, outputs: b * h * dh, k: visible });
  }
  return out;
}
