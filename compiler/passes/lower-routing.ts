// topk over the last axis and moe (mixture of experts) as kernel ops, with no lane max, compare or gather: ranks
// are counted from exact pairwise differences on the MXM, and moe computes every expert and weights it by a dense
// [tokens, experts] routing matrix (zero for experts a token did not pick). Every step of topk is exact, so values
// and indices (and the tie-break: the lower index first) equal the interpreter's.
import type { DType } from "../graph/ir.ts";
import { type KernelBuilder, padded } from "./kernel-builder.ts";
import { activation32 } from "./lower-pointwise.ts";

/** 2^100: any nonzero fp32 |d| (at least 2^-149) times it twice is at least 2^51, so min(., 1) is exactly 1. */
const HUGE = 2 ** 100;

/** [x > 0] for fp32 x, exactly 0 or 1 (relu, then scaled past 1 and clamped; 0 stays 0). */
function step(k: KernelBuilder, at: string, x: string): string {
  const big = k.imm(
    k.fresh(at),
    "mul",
    k.imm(k.fresh(at), "mul", k.unary(k.fresh(at), "relu", x), HUGE),
    HUGE,
  );
  return k.imm(k.fresh(at), "min", big, 1);
}

/** [x == c] lane-wise for fp32 x holding integers and a constant row c: relu(1 - |x - c|), exact. */
function equals(k: KernelBuilder, at: string, x: string, c: string): string {
  const diff = k.unary(k.fresh(at), "abs", k.binary(k.fresh(at), "sub", x, c));
  return k.unary(k.fresh(at), "relu", k.imm(k.fresh(at), "add", k.unary(k.fresh(at), "neg", diff), 1));
}

/**
 * topk(x, k) over the last axis of x [R, E] (fp16 or bf16). Returns [R, k] values (x's dtype) and [R, k] indices
 * (fp32, exact integers). Element i's rank is the number of j that beat it, j beating i when x_j > x_i, or when
 * x_j = x_i and j < i (the interpreter's tie-break); the r-th result is the element of rank r.
 *
 * 1. d = x @ Wd: one fp32 lane per pair (j, i), j != i, holding x_j - x_i (j > i) or x_i - x_j (j < i): two exact
 *    products summed, so its sign is exact; s = [d > 0] (step).
 * 2. rank_i = i + sum over j > i of s_ji - sum over j < i of s_ji (one signed 0/1 product), computed k times over
 *    (lane r*E + i) and compared with r: oh[r*E + i] = [rank_i == r].
 * 3. values: (x repeated k times) * oh, summed per group of E lanes (one product by 1); indices: oh . i.
 * Cost: four small MXM products over E^2 and k*E lanes and about 20 VXM ops on a few vectors per row chunk.
 */
export function lowerTopk(
  kb: KernelBuilder,
  at: string,
  x: string,
  k: number,
  valueType: DType,
): { values: string; indices: string } {
  const { cols: E, dtype } = kb.get(x);
  const pairs = E * E;
  const wd = kb.constant(`topk-diff.${dtype}.${E}`, dtype, padded(pairs), E, (row, c) => {
    if (row >= pairs) return 0;
    const j = Math.floor(row / E);
    const i = row % E;
    if (j === i) return 0;
    const [plus, minus] = j > i ? [j, i] : [i, j];
    return c === plus ? 1 : c === minus ? -1 : 0;
  });
  const s = kb.convert(kb.fresh(at), step(kb, at, kb.matmul(kb.fresh(at), x, wd, "fp32", pairs)), dtype);
  const width = k * E;
  const wr = kb.constant(`topk-rank.${dtype}.${E}x${k}`, dtype, padded(width), pairs, (row, c) => {
    if (row >= width) return 0;
    const i = row % E;
    const j = Math.floor(c / E);
    if (c % E !== i || j === i) return 0;
    return j > i ? 1 : -1;
  });
  // The product holds rank_i - i, so rank_i == r is the product == r - i.
  const target = kb.constant(
    `topk-target.fp32.${E}x${k}`,
    "fp32",
    1,
    width,
    (_, c) => Math.floor(c / E) - (c % E),
  );
  const oh = equals(kb, at, kb.matmul(kb.fresh(at), s, wr, "fp32", width), target);
  const rep = kb.constant(`topk-repeat.${dtype}.${E}x${k}`, dtype, padded(width), E, (row, c) =>
    row < width && row % E === c ? 1 : 0,
  );
  const picked = kb.binary(
    kb.fresh(at),
    "mul",
    kb.matmul(kb.fresh(at), x, rep, dtype, width),
    kb.convert(kb.fresh(at), oh, dtype),
  );
  const groupSum = kb.constant(`topk-sum.${dtype}.${E}x${k}`, dtype, padded(k), width, (row, c) =>
    row < k && Math.floor(c / E) === row ? 1 : 0,
  );
  const values = kb.matmul(kb.fresh(at), picked, groupSum, valueType, k);
  // fp16 holds the integers up to 2048 exactly, so the indices are exact for E <= 2048.
  const laneIndex = kb.constant(`topk-index.fp16.${E}x${k}`, "fp16", padded(k), width, (row, c) =>
    row < k && Math.floor(c / E) === row ? c % E : 0,
  );
  const indices = kb.matmul(kb.fresh(at), kb.convert(kb.fresh(at), oh, "fp16"), laneIndex, "fp32", k);
  return { values, indices };
}

export interface MoeOperands {
  /** [T, D], fp16 or bf16. */
  readonly x: string;
  /** [T, k] routing weights. */
  readonly w: string;
  /** [T, k] expert ids as fp32 integers. */
  readonly idx: string;
  /** [E*F, D]: expert e's gate (up) weight [D, F] transposed, experts one after another. */
  readonly gateT: string;
  readonly upT: string;
  /** [E*D, F]: expert e's down weight [F, D] transposed, experts one after another. */
  readonly downT: string;
}

/**
 * moe: y = sum_e G[e] * ((act(x @ gate_e) * (x @ up_e)) @ down_e) with the dense routing matrix
 * G[t, e] = sum_j w[t, j] [idx[t, j] == e]. Every expert is computed for every token (exact routing, at E/k times
 * the FLOPs of the routed computation, every expert's weights streamed each pass: real sparse routing would pick
 * the k experts' weight tiles by a data-dependent address, which the static scheduler has no step for), each
 * expert its own gate, up and down products (rows of the stacked transposed weights, `sourceRows`), and G applied
 * to each expert's output [T, D] after its down product: G broadcast over D lanes (a product by a 0/1 constant)
 * times it, the experts' scaled outputs summed. So the experts need no routing until their sums: their products
 * run while topk and the softmax do, and each expert's hidden layer [T, F] goes from its gate and up to its down
 * and no further. One product over all experts instead (gate and up [T, E*F], G repeated over F lanes scaling the
 * hidden layer, down over K = E*F, as before this): mixtral-8x7b's layer sent its 358 tiles of hidden layer to the
 * 13 chips of the down product's column split (10,800 cycles of its 38,758) and waited for the routing first;
 * apart, 25,149 cycles on 41 chips (`lpu run --chips 576 --set layers=1`). Tried (with even embedding runs, where
 * this measured 25,353): each expert in 2, 4 or 7 shards of its F lanes, each shard its own gate, up and down
 * (26,263, 28,880, 35,543), and every expert's gate and up before any hidden layer (27,373).
 * Rounding: the hidden layer is rounded to the weights' 16-bit type for the MXM (the interpreter keeps it fp32);
 * the experts' outputs are scaled and summed in fp32.
 */
export function lowerMoe(
  kb: KernelBuilder,
  at: string,
  outDtype: DType,
  ops: MoeOperands,
  experts: number,
  ff: number,
  activation: "gelu" | "silu",
): string {
  const E = experts;
  const { cols: kk, dtype: wType } = kb.get(ops.w);
  const d = kb.get(ops.x).cols;
  const width = kk * E;
  // Lane j*E + e of the result holds lane j of the input (every e).
  const spread = (dtype: DType) =>
    kb.constant(`moe-spread.${dtype}.${kk}x${E}`, dtype, padded(width), kk, (row, c) =>
      row < width && Math.floor(row / E) === c ? 1 : 0,
    );
  const expert = kb.constant(`moe-expert.fp32.${kk}x${E}`, "fp32", 1, width, (_, c) => c % E);
  const dType = kb.get(ops.downT).dtype;
  const outs: string[] = [];
  for (let e = 0; e < E; e++) {
    const gateE = kb.sourceRows(`${ops.gateT}.e${e}`, ops.gateT, e * ff, ff);
    const upE = kb.sourceRows(`${ops.upT}.e${e}`, ops.upT, e * ff, ff);
    const downE = kb.sourceRows(`${ops.downT}.e${e}`, ops.downT, e * d, d);
    const gate = kb.matmul(kb.fresh(at), ops.x, gateE, "fp32");
    const up = kb.matmul(kb.fresh(at), ops.x, upE, "fp32");
    const hidden = kb.binary(kb.fresh(at), "mul", activation32(kb, at, activation, gate), up);
    outs.push(kb.matmul(kb.fresh(at), kb.convert(kb.fresh(at), hidden, dType), downE, "fp32"));
  }
  // fp16 carries the ids exactly (integers up to 2048).
  const ids = kb.matmul(
    kb.fresh(at),
    kb.convert(kb.fresh(at), ops.idx, "fp16"),
    spread("fp16"),
    "fp32",
    width,
  );
  const picks = equals(kb, at, ids, expert);
  const weights = kb.matmul(kb.fresh(at), ops.w, spread(wType), "fp32", width);
  const routed = kb.convert(kb.fresh(at), kb.binary(kb.fresh(at), "mul", weights, picks), wType);
  // The scaled outputs summed in a chain from the first expert to the last, each add on the expert's own product
  // (its first operand: fuse.ts folds it into that product's epilogue), so every expert's product adds the sum of
  // those before it and sends one sum on: the spread puts the experts on nodes in order (spread-experts.ts), so each
  // wire between nodes carries one sum. Summed on expert 0's product instead, all seven other outputs (fp32, 52 words
  // each) crossed the wires into node 0 one after another (mixtral, experts a node each: 22,350 -> 21,063 cycles).
  // From the first to the last: the sum ends on the last expert's node, the one nearest what the layer feeds when
  // layers follow one another over the nodes (the whole mixtral's stamped units, two nodes each: the next unit's
  // are after the last). Chained from the last expert to the first, the unit's sum crossed back to its first node
  // and `y` crossed again to its second (unit span 23,284 -> 22,420 cycles; docs/compiler.md).
  let sum: string | undefined;
  for (let e = 0; e < E; e++) {
    // G[t, e] over D lanes: each output lane (row < d) sums input lanes c = j*E + e over j.
    const pick = kb.constant(`moe-pick.${wType}.${kk}x${E}.${e}x${d}`, wType, padded(d), width, (row, c) =>
      row < d && c % E === e ? 1 : 0,
    );
    const scaled = kb.binary(kb.fresh(at), "mul", outs[e]!, kb.matmul(kb.fresh(at), routed, pick, "fp32", d));
    sum = sum === undefined ? scaled : kb.binary(kb.fresh(at), "add", scaled, sum);
  }
  return kb.convert(kb.fresh(at), sum!, outDtype);
}
