import { describe, expect, it } from "vitest";
import {
  BIAS,
  GAIN,
  idRanges,
  initialSources,
  initialValues,
  initRules,
  UNIT,
  weightRule,
} from "../../../compiler/reference/init.ts";
import { roundBf16, roundF16 } from "../../../util/numeric.ts";
import { GraphBuilder, ty } from "./graphs.ts";

/** A small decoder-like graph: ids -> reshape -> embedding, layernorm, matmul, moe with input expert ids. */
function sample() {
  const b = new GraphBuilder();
  b.source("input", "tokens", ty("int32", [1, 4]));
  b.source("input", "experts", ty("int32", [1, 4, 2]));
  b.source("input", "route", ty("fp32", [1, 4, 2]));
  b.source("input", "other_ints", ty("int32", [4]));
  b.source("param", "wte", ty("fp16", [50, 16]));
  b.source("param", "ln_g", ty("fp16", [16]));
  b.source("param", "ln_b", ty("fp16", [16]));
  b.source("param", "w", ty("fp16", [16, 32]));
  b.source("param", "loose", ty("fp16", [8, 3]));
  b.source("param", "vec", ty("fp16", [3]));
  b.source("param", "wg", ty("fp16", [3, 16, 64]));
  b.source("param", "wu", ty("fp16", [3, 16, 64]));
  b.source("param", "wd", ty("fp16", [3, 64, 16]));
  b.source("state", "cache", ty("fp16", [1, 8, 16]));
  // The ids reach embedding through a reshape: the range must still be found.
  b.op("ids", { kind: "reshape", shape: [1, 4] }, ["tokens"], ty("int32", [1, 4]));
  b.op("e", { kind: "embedding" }, ["ids", "wte"], ty("fp16", [1, 4, 16]));
  b.op("h", { kind: "layernorm", eps: 1e-5 }, ["e", "ln_g", "ln_b"], ty("fp16", [1, 4, 16]));
  b.op(
    "m",
    { kind: "moe", activation: "silu" },
    ["h", "route", "experts", "wg", "wu", "wd"],
    ty("fp16", [1, 4, 16]),
  );
  b.op("p", { kind: "matmul", transposeB: false }, ["m", "w"], ty("fp16", [1, 4, 32]));
  b.output("out", "p", ty("fp16", [1, 4, 32]));
  return b.build();
}

function stats(d: ArrayLike<number>) {
  let s = 0;
  let s2 = 0;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < d.length; i++) {
    s += d[i]!;
    s2 += d[i]! * d[i]!;
    lo = Math.min(lo, d[i]!);
    hi = Math.max(hi, d[i]!);
  }
  const mean = s / d.length;
  return { mean, std: Math.sqrt(s2 / d.length - mean * mean), lo, hi };
}

describe("initRules and idRanges read how the graph uses each source", () => {
  const g = sample();
  it("ids consumed by embedding(ids, table[V, D]) get [0, V), even through a reshape", () => {
    expect(initRules(g).get("tokens")).toEqual({ kind: "ints", lo: 0, hi: 50 });
  });
  it("expert ids consumed by moe get [0, E)", () => {
    expect(initRules(g).get("experts")).toEqual({ kind: "ints", lo: 0, hi: 3 });
  });
  it("idRanges lists exactly the id inputs, not other integer inputs", () => {
    expect([...idRanges(g)].sort()).toEqual([
      ["experts", { lo: 0, hi: 3 }],
      ["tokens", { lo: 0, hi: 50 }],
    ]);
  });
  it("weights get std 1/sqrt(fan-in): matmul K, moe D for gate/up and F for down, embedding D", () => {
    const r = initRules(g);
    expect(r.get("w")).toEqual(weightRule(16));
    expect(r.get("wg")).toEqual(weightRule(16));
    expect(r.get("wu")).toEqual(weightRule(16));
    expect(r.get("wd")).toEqual(weightRule(64));
    expect(r.get("wte")).toEqual(weightRule(16));
  });
  it("norm gains sit near 1 and biases near 0; unused params fall back by rank; inputs and state are unit", () => {
    const r = initRules(g);
    expect(r.get("ln_g")).toBe(GAIN);
    expect(r.get("ln_b")).toBe(BIAS);
    expect(r.get("loose")).toEqual(weightRule(8));
    expect(r.get("vec")).toBe(BIAS);
    expect(r.get("route")).toBe(UNIT);
    expect(r.get("cache")).toBe(UNIT);
  });
  it("computed values (topk indices, intermediates) get no rule", () => {
    const r = initRules(g);
    for (const id of ["ids", "e", "h", "m", "p", "out"]) expect(r.has(id)).toBe(false);
  });
});

describe("initialValues", () => {
  it("draws embedding ids inside [0, V) and uses the whole range", () => {
    const d = initialValues("tokens", ty("int32", [4000]), 7, { kind: "ints", lo: 0, hi: 50 });
    expect(d).toBeInstanceOf(Int32Array);
    const s = stats(d);
    expect(s.lo).toBe(0);
    expect(s.hi).toBe(49);
  });

  it("weights have the std 1/sqrt(fan-in) and stay within its uniform bound sqrt(3)/sqrt(fan-in)", () => {
    const d = initialValues("w", ty("fp32", [256, 64]), 1, weightRule(256));
    const s = stats(d);
    expect(Math.abs(s.std - 1 / 16)).toBeLessThan(0.002);
    expect(Math.abs(s.mean)).toBeLessThan(0.002);
    expect(Math.max(-s.lo, s.hi)).toBeLessThanOrEqual(Math.sqrt(3) / 16);
  });

  it("gains stay within 1 +- 0.05 sqrt(3)", () => {
    const s = stats(initialValues("g", ty("fp32", [1000]), 1, GAIN));
    expect(s.lo).toBeGreaterThanOrEqual(1 - 0.05 * Math.sqrt(3));
    expect(s.hi).toBeLessThanOrEqual(1 + 0.05 * Math.sqrt(3));
    expect(Math.abs(s.mean - 1)).toBeLessThan(0.01);
  });

  it("values are already rounded to the dtype (fp16, bf16)", () => {
    const h = initialValues("x", ty("fp16", [100]), 3);
    for (const v of h) expect(roundF16(v)).toBe(v);
    const b = initialValues("x", ty("bf16", [100]), 3);
    for (const v of b) expect(roundBf16(v)).toBe(v);
    // bf16 keeps fewer bits than fp16, so at least some values differ between the two.
    expect(Array.from(h)).not.toEqual(Array.from(b));
  });

  it("is deterministic in (id, seed) and changes with either", () => {
    const t = ty("fp32", [64]);
    const a = initialValues("layer.0.wq", t, 5);
    expect(Array.from(initialValues("layer.0.wq", t, 5))).toEqual(Array.from(a));
    expect(Array.from(initialValues("layer.1.wq", t, 5))).not.toEqual(Array.from(a));
    expect(Array.from(initialValues("layer.0.wq", t, 6))).not.toEqual(Array.from(a));
  });

  it("pins the stream: the compiler's SRAM image depends on these exact values", () => {
    // If this changes, every stored comparison between compiled programs and the reference changes with it.
    const d = initialValues("tokens", ty("int32", [6]), 0, { kind: "ints", lo: 0, hi: 256 });
    expect(Array.from(d)).toMatchInlineSnapshot(`
      [
        230,
        37,
        66,
        8,
        219,
        231,
      ]
    `);
  });

  it("int8 sources draw the symmetric int8 range by default; a seed outside 32 bits is refused", () => {
    const s = stats(initialValues("q", ty("int8", [5000]), 0));
    expect(s.lo).toBe(-127);
    expect(s.hi).toBe(127);
    expect(() => initialValues("q", ty("int8", [1]), -1)).toThrow("seed");
  });
});

describe("initialSources", () => {
  it("gives every input, param and state node its values under its rule", () => {
    const g = sample();
    const src = initialSources(g, 0);
    expect([...src.keys()].sort()).toEqual([...initRules(g).keys()].sort());
    const ids = src.get("tokens")!;
    expect(Math.max(...ids)).toBeLessThan(50);
    expect(Math.min(...ids)).toBeGreaterThanOrEqual(0);
  });
});
