// Deterministic seeded values for a graph's inputs, params and state. In: a node id, its type, a seed and a rule
// (how to draw); out: data already rounded to the dtype. The compiler loads these same values into simulated SRAM,
// so `initialValues` and `initRules` are a stable contract: same (id, type, seed, rule) -> the same bytes, always.

import { invariant } from "../../util/assert.ts";
import { hashString, Rng } from "../../util/random.ts";
import type { GraphNode, ModelGraph, TensorType } from "../graph/ir.ts";
import { allocate, rounder, type TensorData } from "./tensor.ts";

/** How one source tensor is drawn. */
export type InitRule =
  /** Integers uniform in [lo, hi): token ids (embedding), expert ids (moe), other integer tensors. */
  | { readonly kind: "ints"; readonly lo: number; readonly hi: number }
  /** Reals uniform on [mean - std*sqrt(3), mean + std*sqrt(3)]: bounded, with exactly this mean and std. */
  | { readonly kind: "uniform"; readonly mean: number; readonly std: number };

/** Activations, caches: unit scale. */
export const UNIT: InitRule = { kind: "uniform", mean: 0, std: 1 };
/** Norm gains: near 1 (an assumption: trained gains sit near their init of 1). */
export const GAIN: InitRule = { kind: "uniform", mean: 1, std: 0.05 };
/** Biases and other vectors: near 0. */
export const BIAS: InitRule = { kind: "uniform", mean: 0, std: 0.05 };
/** Integer tensors with no known meaning (not ids): small non-negative values. An assumption, not a spec. */
export const SMALL_INTS: InitRule = { kind: "ints", lo: 0, hi: 16 };
/** int8 tensors (quantized weights or activations): the symmetric int8 range. */
export const INT8_RANGE: InitRule = { kind: "ints", lo: -127, hi: 128 };

/** A weight read by a product with `fanIn` terms: std 1/sqrt(fanIn) keeps activations near unit scale (LeCun). */
export function weightRule(fanIn: number): InitRule {
  return { kind: "uniform", mean: 0, std: 1 / Math.sqrt(Math.max(1, fanIn)) };
}

/**
 * The values of source node `nodeId` of type `t` for `seed` (an integer in [0, 2^32)): element i is the i-th draw
 * of an Rng seeded from hashString(nodeId) and the seed, mapped by `rule`, rounded to t.dtype. Integer dtypes give
 * an Int32Array, the others a Float32Array. Without a rule: UNIT for floats, INT8_RANGE / SMALL_INTS for ints.
 * Prefix-stable: a longer tensor with the same id, seed and rule starts with the same values (so `--set seq=3`
 * shares its first token with `--set seq=1`).
 */
export function initialValues(nodeId: string, t: TensorType, seed: number, rule?: InitRule): TensorData {
  invariant(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32, `seed must be a 32-bit unsigned integer`);
  const r = rule ?? defaultRule(t);
  const rng = new Rng((hashString(nodeId) + Math.imul(seed, 0x9e3779b1)) >>> 0);
  const data = allocate(t);
  const round = rounder(t.dtype);
  const n = data.length;
  switch (r.kind) {
    case "ints":
      invariant(r.hi > r.lo, `empty integer range [${r.lo}, ${r.hi})`);
      for (let i = 0; i < n; i++) data[i] = round(rng.int(r.lo, r.hi));
      break;
    case "uniform": {
      const half = r.std * Math.sqrt(3);
      for (let i = 0; i < n; i++) data[i] = round(r.mean + (2 * rng.next() - 1) * half);
      break;
    }
  }
  return data;
}

export function defaultRule(t: TensorType): InitRule {
  if (t.dtype === "int8") return INT8_RANGE;
  if (t.dtype === "int32") return SMALL_INTS;
  return UNIT;
}

const SOURCE_KINDS = new Set(["input", "param", "state"]);
/** Ops that only move or re-type data: a rule found through them applies to their source. */
const VIEW_KINDS = new Set(["reshape", "transpose", "cast", "split", "concat"]);

/**
 * A rule for every input, param and state node of `g`, from how the graph uses it (looking through reshape,
 * transpose, cast, split and concat): ids into embedding(ids, table[V, D]) get [0, V); expert ids into moe get
 * [0, E); the right operand of a matmul gets std 1/sqrt(K) for its contraction length K; moe expert weights get
 * 1/sqrt(D) (gate, up) and 1/sqrt(F) (down); an embedding table 1/sqrt(D); layernorm/rmsnorm gains GAIN and
 * biases BIAS; other params of rank >= 2 1/sqrt(shape[-2]), rank < 2 BIAS; inputs and state UNIT. Values computed
 * by the graph (topk indices, ...) are never initialised. When uses disagree, id ranges intersect and otherwise
 * the first use in sorted consumer order wins.
 */
export function initRules(g: ModelGraph): Map<string, InitRule> {
  const found = usageRules(g);
  const rules = new Map<string, InitRule>();
  for (const id of [...g.graph.nodes()].sort()) {
    const n: GraphNode = g.graph.node(id);
    if (!SOURCE_KINDS.has(n.op.kind)) continue;
    const t = n.outputs[0]!;
    const rule = found.get(id);
    // A rule of the wrong sort (an id range for a float tensor, a weight scale for an input) is ignored:
    // per-pass inputs and state are activations whatever consumes them.
    if (isInteger(t)) rules.set(id, rule?.kind === "ints" ? rule : defaultRule(t));
    else if (n.op.kind !== "param") rules.set(id, UNIT);
    else if (rule?.kind === "uniform") rules.set(id, rule);
    else if (t.shape.length >= 2) rules.set(id, weightRule(t.shape[t.shape.length - 2]!));
    else rules.set(id, BIAS);
  }
  return rules;
}

/** The id ranges alone: integer sources consumed as embedding ids or moe expert ids, with their [lo, hi). */
export function idRanges(g: ModelGraph): Map<string, { lo: number; hi: number }> {
  const out = new Map<string, { lo: number; hi: number }>();
  for (const [id, r] of usageRules(g)) {
    const n: GraphNode = g.graph.node(id);
    if (r.kind === "ints" && isInteger(n.outputs[0]!)) out.set(id, { lo: r.lo, hi: r.hi });
  }
  return out;
}

function isInteger(t: TensorType): boolean {
  return t.dtype === "int8" || t.dtype === "int32";
}

/** What each source's consumers ask of it, before defaults. */
function usageRules(g: ModelGraph): Map<string, InitRule> {
  const found = new Map<string, InitRule>();
  const offer = (source: string, rule: InitRule) => {
    const prev = found.get(source);
    if (prev === undefined) found.set(source, rule);
    else if (prev.kind === "ints" && rule.kind === "ints")
      found.set(source, { kind: "ints", lo: Math.max(prev.lo, rule.lo), hi: Math.min(prev.hi, rule.hi) });
  };
  const nodeOf = (id: string): GraphNode => g.graph.node(id);
  // Ids and weights reach their consumer only through views, so walking back through views finds their sources.
  const sourcesOf = (id: string, out: string[] = []): string[] => {
    const n = nodeOf(id);
    if (SOURCE_KINDS.has(n.op.kind)) out.push(id);
    else if (VIEW_KINDS.has(n.op.kind)) for (const i of n.inputs) sourcesOf(i.node, out);
    return out;
  };
  for (const id of [...g.graph.nodes()].sort()) {
    const n = nodeOf(id);
    const shapeOf = (input: number) => {
      const ref = n.inputs[input]!;
      return nodeOf(ref.node).outputs[ref.output]!.shape;
    };
    const use = (input: number, rule: InitRule) => {
      for (const s of sourcesOf(n.inputs[input]!.node)) offer(s, rule);
    };
    switch (n.op.kind) {
      case "embedding": {
        const [v, d] = shapeOf(1);
        use(0, { kind: "ints", lo: 0, hi: v! });
        use(1, weightRule(d!));
        break;
      }
      case "moe": {
        const [e, d, f] = shapeOf(3);
        use(2, { kind: "ints", lo: 0, hi: e! });
        use(3, weightRule(d!));
        use(4, weightRule(d!));
        use(5, weightRule(f!));
        break;
      }
      case "matmul": {
        const a = shapeOf(0);
        use(1, weightRule(a[a.length - 1]!));
        break;
      }
      case "layernorm":
        use(1, GAIN);
        use(2, BIAS);
        break;
      case "rmsnorm":
        use(1, GAIN);
        break;
      default:
        break;
    }
  }
  return found;
}

/** Every source's values for `seed`, by node id: what the interpreter (and the compiler's SRAM image) start from. */
export function initialSources(g: ModelGraph, seed: number): Map<string, TensorData> {
  const out = new Map<string, TensorData>();
  for (const [id, rule] of initRules(g)) {
    const t = g.graph.node(id).outputs[0]!;
    out.set(id, initialValues(id, t, seed, rule));
  }
  return out;
}
