// The structured ops of pass `decompose` (decompose.ts): one model-graph node of attention, split, embedding, rope,
// transpose, concat, topk or moe -> its kernel ops (lower-*.ts), or LPU5003 when its shapes or dtypes are not lowered.
// Also the transposed copies of sources that matmul and these ops read.
import { assertNever } from "../../util/assert.ts";
import type { GraphNode, ModelGraph, Op } from "../graph/ir.ts";
import { numElements } from "../graph/ir.ts";
import type { KernelBuilder } from "./kernel-builder.ts";
import type { KTensor } from "./kernel-ir.ts";
import { lowerAttention } from "./lower-attention.ts";
import { type EmbeddingChips, lowerEmbedding } from "./lower-embedding.ts";
import { moveLanes } from "./lower-lanes.ts";
import { concatLanes, concatRows, isMxmType, lowerTranspose, splitRows } from "./lower-layout.ts";
import { lowerRope, type RopeAt } from "./lower-rope.ts";
import { lowerMoe, lowerTopk } from "./lower-routing.ts";
import { M } from "./messages.ts";

/** The ops lowered here. */
export type StructuredOp = Extract<
  Op,
  { kind: "attention" | "split" | "embedding" | "rope" | "transpose" | "concat" | "topk" | "moe" }
>;

/** What decompose's loop shares with the lowering of one node. */
export interface DecomposeContext {
  readonly g: ModelGraph["graph"];
  readonly k: KernelBuilder;
  /** Graph value ids that name another kernel tensor (views, the ids a lowering returns). */
  readonly alias: Map<string, string>;
  /** Values viewed as [..., H, Dh] while their kernel tensor keeps the rows [..., H * Dh] (heads as lane ranges). */
  readonly headView: Set<string>;
  /** topk indices as fp32 integers, by the value id of the int32 indices (what moe reads). */
  readonly routeIds: Map<string, string>;
  /** Ropes left to the attention that reads them as q (`deferRope`): the rope's value id -> where its rows sit. */
  readonly ropedQ: Map<string, RopeAt>;
  /** Per value id, the nodes that read it and at which input. */
  readonly readers: ReadonlyMap<string, readonly { readonly node: GraphNode; readonly input: number }[]>;
  /** Most rows of an embedding table stored as one gather block. */
  readonly gatherRows: number;
  /** The chips an embedding's ranges may spread over (lower-embedding.ts); absent without a machine. */
  readonly embeddingChips?: EmbeddingChips;
  readonly fail: (n: GraphNode, def: typeof M.unsupportedShape, why: string) => void;
}

/**
 * Whether rope node n is left to the attention that reads it: every reader is an attention reading it as q, and
 * the rope keeps x's dtype. Then each kv head's stacked query heads are roped where the attention uses them
 * (lower-attention.ts, lower-rope.ts `ropeHeads`), not the whole row on one chip before the heads' copies: on
 * llama2-70b the row's rope ran on the chip that gathers q's column split, about 800 cycles after q's last tile,
 * behind that chip's other products.
 */
function deferRope(cx: DecomposeContext, n: GraphNode, x: KTensor): boolean {
  const readers = cx.readers.get(n.id) ?? [];
  return (
    n.outputs[0]!.dtype === x.dtype &&
    readers.length > 0 &&
    readers.every((r) => r.node.op.kind === "attention" && r.input === 0)
  );
}

/** The id of output i of node n: the node's own for a single output, `id#i` otherwise. */
export const valueId = (n: GraphNode, i: number) => (n.outputs.length === 1 ? n.id : `${n.id}#${i}`);

/** An axis counted from the end (-1 is the last) as its index from the front. */
export const normalize = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

/** The model's shape of node input i (the kernel tensor may fold it differently: heads, caches). */
export function inputShape(g: ModelGraph["graph"], n: GraphNode, i: number): readonly number[] {
  const r = n.inputs[i]!;
  return g.node(r.node).outputs[r.output]!.shape;
}

/** A source matrix [K, N] kept transposed as [N, K] (a second copy when it is also used as it is); with `batches`,
 * that many [K, N] matrices one after another, each transposed ([E, D, F] -> [E*F, D]). */
export function transposedCopy(tensors: Map<string, KTensor>, t: KTensor, batches = 1): string {
  const id = `${t.id}^T`;
  if (!tensors.has(id)) {
    const n = t.shape[t.shape.length - 1]!;
    const kk = numElements(t.shape) / n / batches;
    tensors.set(id, {
      id,
      dtype: t.dtype,
      rows: batches * n,
      cols: kk,
      role: t.role,
      shape: [batches * n, kk],
      source: { node: t.source!.node, transposed: true, ...(batches > 1 ? { batches } : {}) },
    });
  }
  return id;
}

/** The value cache [B*C, W] stored transposed per batch as [B*W, C] (the emitter transposes the seeded values):
 * p @ V then needs no transposition on the MXM for the cached keys. */
function transposedCache(tensors: Map<string, KTensor>, c: string, batches: number): string {
  const t = tensors.get(c)!;
  const id = `${c}^T`;
  const ctx = t.rows / batches;
  tensors.set(id, {
    ...t,
    id,
    rows: batches * t.cols,
    cols: ctx,
    shape: [batches * t.cols, ctx],
    source: { node: t.source!.node, transposed: true, ...(batches > 1 ? { batches } : {}) },
  });
  return id;
}

/** Lowers node `n` (op `op`, inputs `ins` resolved to kernel tensors `inT`) into `cx.k`, or reports LPU5003. */
export function lowerStructured(
  cx: DecomposeContext,
  n: GraphNode,
  op: StructuredOp,
  ins: readonly string[],
  inT: readonly (KTensor | undefined)[],
): void {
  const { g, k, alias, headView, routeIds, fail } = cx;
  const tensors = k.tensors;
  const out = n.outputs[0];
  const shapeOf = (i: number) => inputShape(g, n, i);
  switch (op.kind) {
    case "attention": {
      const typeOf = (i: number) => g.node(n.inputs[i]!.node).outputs[n.inputs[i]!.output]!.shape;
      const [B, S, H, Dh] = typeOf(0) as [number, number, number, number];
      const KVH = typeOf(1)[2]!;
      const C = ins.length > 3 ? typeOf(3)[1]! : 0;
      const [q, kk, v] = inT as KTensor[];
      if (q.cols !== H * Dh || kk.cols !== KVH * Dh || v.cols !== KVH * Dh) {
        fail(
          n,
          M.unsupportedShape,
          "attention needs q, k, v as rows of heads x head_dim lanes (reshape [.., D] -> [.., H, Dh])",
        );
        break;
      }
      // A cache [B, C, KVH, Dh] is stored as rows of KVH * Dh lanes: the same row-major values, so the seeded
      // image is unchanged; only the kernel's view of it is.
      const caches = ins.slice(3).map((c) => {
        const t = tensors.get(c)!;
        if (t.cols !== KVH * Dh)
          tensors.set(c, { ...t, rows: (t.rows * t.cols) / (KVH * Dh), cols: KVH * Dh });
        return c;
      });
      const qRope = cx.ropedQ.get(valueId(g.node(n.inputs[0]!.node), n.inputs[0]!.output));
      lowerAttention(
        k,
        n.id,
        out!.dtype,
        {
          ...(qRope ? { qRope } : {}),
          q: q.id,
          k: kk.id,
          v: v.id,
          kCache: caches[0],
          vCacheT: caches[1] && transposedCache(tensors, caches[1], B),
        },
        { batch: B, seq: S, heads: H, kvHeads: KVH, headDim: Dh, ctx: C },
        op.causal,
        op.scale,
      );
      break;
    }
    case "split": {
      const x = inT[0]!;
      const rank = out!.shape.length;
      const d = x.dtype;
      const axis = normalize(op.axis, rank);
      if (axis !== rank - 1) {
        const ids = op.sizes.map((_, i) => valueId(n, i));
        splitRows(k, ids, x.id, shapeOf(0), axis, op.sizes).forEach((r, i) => {
          alias.set(ids[i]!, r);
        });
        break;
      }
      if (!isMxmType(d)) {
        fail(n, M.unsupportedShape, "split moves lanes on the MXM, which takes fp16 or bf16");
        break;
      }
      let off = 0;
      op.sizes.forEach((size, i) => {
        const id = valueId(n, i);
        moveLanes(k, id, x.id, off, size);
        tensors.set(id, { ...k.get(id), shape: n.outputs[i]!.shape });
        off += size;
      });
      break;
    }
    case "embedding": {
      const [ids, table] = inT as KTensor[];
      if (table.role === "temp" || table.shape.length !== 2) {
        fail(n, M.unsupportedShape, "the embedding table must be a parameter [V, D]");
        break;
      }
      if (ids.role === "temp" ? ids.cols !== 1 || ids.dtype !== "int32" : !ids.source) {
        // A computed [rows, k > 1] would need its ids moved one per row (a transpose): not built.
        fail(n, M.unsupportedShape, "computed embedding ids must be one per row ([rows, 1])");
        break;
      }
      lowerEmbedding(k, n.id, out!.dtype, ids, table, cx.gatherRows, cx.embeddingChips);
      break;
    }
    case "rope": {
      const [B, S, H, Dh] = out!.shape as [number, number, number, number];
      const x = inT[0]!;
      if (x.cols !== H * Dh || x.rows !== B * S || Dh % 2 !== 0) {
        fail(n, M.unsupportedShape, "rope needs x as rows of heads x head_dim lanes, with an even head_dim");
        break;
      }
      // The result is still heads as lane ranges of a row.
      headView.add(n.id);
      if (deferRope(cx, n, x)) {
        alias.set(n.id, x.id);
        cx.ropedQ.set(n.id, { seq: S, headDim: Dh, start: op.start, base: op.base });
        break;
      }
      lowerRope(k, n.id, out!.dtype, x.id, { batch: B, seq: S, heads: H, headDim: Dh }, op.start, op.base);
      break;
    }
    case "transpose": {
      const shape = shapeOf(0);
      const perm = op.perm.map((p) => normalize(p, shape.length));
      if (perm[perm.length - 1] !== shape.length - 1 && !isMxmType(inT[0]!.dtype))
        fail(n, M.unsupportedShape, "a transpose that moves the last axis runs on the MXM (fp16 or bf16)");
      else alias.set(n.id, lowerTranspose(k, n.id, ins[0]!, shape, perm));
      break;
    }
    case "concat": {
      const rank = out!.shape.length;
      const axis = normalize(op.axis, rank);
      if (axis < rank - 1)
        alias.set(
          n.id,
          concatRows(
            k,
            n.id,
            ins.map((x, i) => ({ x, shape: shapeOf(i) })),
            axis,
          ),
        );
      else if (!inT.every((t) => isMxmType(t!.dtype)))
        fail(n, M.unsupportedShape, "concat along the last axis moves lanes on the MXM (fp16 or bf16)");
      else alias.set(n.id, concatLanes(k, n.id, ins));
      break;
    }
    case "topk": {
      if (!isMxmType(inT[0]!.dtype)) {
        fail(n, M.unsupportedShape, "topk compares on the MXM, which takes fp16 or bf16");
        break;
      }
      const { values, indices } = lowerTopk(k, n.id, ins[0]!, op.k, out!.dtype);
      alias.set(valueId(n, 0), values);
      routeIds.set(valueId(n, 1), indices);
      // The int32 indices for any other reader (an output); dropped when moe is the only one.
      k.convert(valueId(n, 1), indices, "int32");
      break;
    }
    case "moe": {
      const [x, w, idx, gate, up, down] = inT as KTensor[];
      if (!isMxmType(x.dtype) || [gate, up, down].some((t) => t.role === "temp")) {
        fail(n, M.unsupportedShape, "moe needs fp16 or bf16 activations and expert weights as parameters");
        break;
      }
      const [E, , F] = shapeOf(3) as [number, number, number];
      const ids = routeIds.get(idx.id) ?? k.convert(k.fresh(n.id), idx.id, "fp32");
      const operands = {
        x: x.id,
        w: w.id,
        idx: ids,
        gateT: transposedCopy(tensors, gate, E),
        upT: transposedCopy(tensors, up, E),
        downT: transposedCopy(tensors, down, E),
      };
      alias.set(n.id, lowerMoe(k, n.id, out!.dtype, operands, E, F, op.activation));
      break;
    }
    default:
      assertNever(op, "op");
  }
}
