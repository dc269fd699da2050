// Decode models of one attention layer with a KV cache: `heads` query heads of `dh` lanes over `kvHeads` kv heads
// (grouped-query when fewer), `ctx` cached keys, an output projection reading the heads' output.
export interface DecodeAttention {
  readonly name: string;
  readonly d: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly dh: number;
  readonly ctx: number;
}

export function decodeAttentionModel(o: DecodeAttention): string {
  const q = o.heads * o.dh;
  const kv = o.kvHeads * o.dh;
  return `model ${o.name}
input x: fp16[1, 1, ${o.d}]
param wq: fp16[${o.d}, ${q}]
param wk: fp16[${o.d}, ${kv}]
param wv: fp16[${o.d}, ${kv}]
param wo: fp16[${q}, ${o.d}]
state k_cache: fp16[1, ${o.ctx}, ${o.kvHeads}, ${o.dh}]
state v_cache: fp16[1, ${o.ctx}, ${o.kvHeads}, ${o.dh}]
q = reshape(matmul(x, wq), shape=[1, 1, ${o.heads}, ${o.dh}])
k = reshape(matmul(x, wk), shape=[1, 1, ${o.kvHeads}, ${o.dh}])
v = reshape(matmul(x, wv), shape=[1, 1, ${o.kvHeads}, ${o.dh}])
a = attention(q, k, v, k_cache, v_cache, causal=true)
output y = matmul(reshape(a, shape=[1, 1, ${q}]), wo)
`;
}

/** 8 query heads of 80 lanes fill two tiles over 2 kv heads: kv head 0's query heads (0-3) land in a's tile 0, kv
 * head 1's (4-7) in tile 1. */
export const GQA = decodeAttentionModel({ name: "gqa", d: 640, heads: 8, kvHeads: 2, dh: 80, ctx: 64 });

/** Multi-head attention (a kv head per head, as llama2-7b), heads 0-3 in tile 0, heads 4-7 in tile 1. */
export const MHA = decodeAttentionModel({ name: "mha", d: 640, heads: 8, kvHeads: 8, dh: 80, ctx: 64 });
