import { describe, expect, it } from "vitest";
import { evalCost, overLimits } from "../../../compiler/reference/budget.ts";
import { checksum, formatFixed, formatValue } from "../../../compiler/reference/checksum.ts";
import { dependencyOrder, interpret } from "../../../compiler/reference/interpret.ts";
import { GraphBuilder, ty } from "./graphs.ts";

/** One attention layer on seeded numbers: enough ops that determinism is not trivially true. */
function layer() {
  const b = new GraphBuilder("one_layer");
  b.source("input", "tokens", ty("int32", [1, 2]));
  b.source("param", "wte", ty("fp16", [32, 8]));
  b.source("param", "g", ty("fp16", [8]));
  b.source("param", "wqkv", ty("fp16", [8, 24]));
  b.source("state", "kc", ty("fp16", [1, 3, 2, 4]));
  b.source("state", "vc", ty("fp16", [1, 3, 2, 4]));
  b.op("x", { kind: "embedding" }, ["tokens", "wte"], ty("fp16", [1, 2, 8]));
  b.op("h", { kind: "rmsnorm", eps: 1e-6 }, ["x", "g"], ty("fp16", [1, 2, 8]));
  b.op("qkv", { kind: "matmul", transposeB: false }, ["h", "wqkv"], ty("fp16", [1, 2, 24]));
  const [q, k, v] = b.node(
    "s",
    { kind: "split", axis: -1, sizes: [8, 8, 8] },
    ["qkv"],
    [ty("fp16", [1, 2, 8]), ty("fp16", [1, 2, 8]), ty("fp16", [1, 2, 8])],
  );
  b.op("q4", { kind: "reshape", shape: [1, 2, 2, 4] }, [q!], ty("fp16", [1, 2, 2, 4]));
  b.op("k4", { kind: "reshape", shape: [1, 2, 2, 4] }, [k!], ty("fp16", [1, 2, 2, 4]));
  b.op("v4", { kind: "reshape", shape: [1, 2, 2, 4] }, [v!], ty("fp16", [1, 2, 2, 4]));
  b.op("qr", { kind: "rope", start: 3, base: 10000 }, ["q4"], ty("fp16", [1, 2, 2, 4]));
  b.op(
    "a",
    { kind: "attention", causal: true, scale: 0.5 },
    ["qr", "k4", "v4", "kc", "vc"],
    ty("fp16", [1, 2, 2, 4]),
  );
  b.op("a3", { kind: "reshape", shape: [1, 2, 8] }, ["a"], ty("fp16", [1, 2, 8]));
  b.op("y", { kind: "add" }, ["x", "a3"], ty("fp16", [1, 2, 8]));
  b.op("logits", { kind: "matmul", transposeB: true }, ["y", "wte"], ty("fp32", [1, 2, 32]));
  b.op("p", { kind: "softmax", axis: -1 }, ["logits"], ty("fp32", [1, 2, 32]));
  b.output("probs", "p", ty("fp32", [1, 2, 32]));
  b.output("hidden", "y", ty("fp16", [1, 2, 8]));
  return b.build();
}

const bytes = (d: ArrayLike<number> & { buffer: ArrayBufferLike }) => Buffer.from(d.buffer).toString("hex");

describe("interpret", () => {
  it("evaluates every node and returns outputs in declaration order with their types", () => {
    const g = layer();
    const ev = interpret(g, { seed: 1 });
    expect(ev.outputs.map((o) => o.name)).toEqual(["probs", "hidden"]);
    expect(ev.outputs[1]!.type).toEqual(ty("fp16", [1, 2, 8]));
    expect(ev.values.size).toBe(g.graph.nodeCount());
    // Softmax rows of the seeded model sum to 1: a whole-pipeline sanity check, not a hand value.
    const p = ev.outputs[0]!.data;
    let row = 0;
    for (let i = 0; i < 32; i++) row += p[i]!;
    expect(row).toBeCloseTo(1, 5);
  });

  it("same seed -> byte-identical outputs; another seed -> different outputs", () => {
    const g = layer();
    const a = interpret(g, { seed: 1 }).outputs.map((o) => bytes(o.data));
    const b = interpret(g, { seed: 1 }).outputs.map((o) => bytes(o.data));
    const c = interpret(g, { seed: 2 }).outputs.map((o) => bytes(o.data));
    expect(b).toEqual(a);
    expect(c[0]).not.toEqual(a[0]);
    expect(c[1]).not.toEqual(a[1]);
  });

  it("mutates nothing: the state tensors read by attention are the seeded ones afterwards", () => {
    const g = layer();
    const ev = interpret(g, { seed: 4 });
    const again = interpret(g, { seed: 4 });
    expect(bytes(ev.values.get("kc")![0]!.data)).toEqual(bytes(again.values.get("kc")![0]!.data));
    expect(g.graph.node("kc").outputs[0]).toEqual(ty("fp16", [1, 3, 2, 4]));
  });

  it("retain = outputs frees intermediates and gives the same output bytes", () => {
    const g = layer();
    const all = interpret(g, { seed: 3 });
    const lean = interpret(g, { seed: 3, retain: "outputs" });
    expect(lean.outputs.map((o) => bytes(o.data))).toEqual(all.outputs.map((o) => bytes(o.data)));
    expect(lean.values.has("qkv")).toBe(false);
    expect(lean.values.has("probs")).toBe(true);
  });

  it("caller-given source values replace the seeded ones and are rounded to the dtype", () => {
    const g = layer();
    const ev = interpret(g, { seed: 0, sources: new Map([["tokens", [5, 31]]]) });
    expect(Array.from(ev.values.get("tokens")![0]!.data)).toEqual([5, 31]);
  });

  it("dependency order puts every producer before its consumers", () => {
    const g = layer();
    const order = dependencyOrder(g);
    const at = new Map(order.map((id, i) => [id, i]));
    expect(order.length).toBe(g.graph.nodeCount());
    for (const id of order) {
      for (const ref of g.graph.node(id).inputs) expect(at.get(ref.node)!).toBeLessThan(at.get(id)!);
    }
  });
});

describe("checksums", () => {
  it("sum, sum of squares, extremes and count of [1, 2, -3]", () => {
    const c = checksum({ type: ty("fp32", [3]), data: new Float32Array([1, 2, -3]) });
    expect({ ...c, hash: undefined }).toEqual({
      count: 3,
      sum: 0,
      sumSquares: 14,
      min: -3,
      max: 2,
      nonFinite: 0,
      hash: undefined,
    });
  });

  it("the hash is FNV-1a: an empty tensor hashes to the offset basis 811c9dc5", () => {
    expect(checksum({ type: ty("fp32", [0]), data: new Float32Array(0) }).hash).toBe("811c9dc5");
  });

  it("the hash sees bit patterns: +0 and -0 differ though their sums agree", () => {
    const pos = checksum({ type: ty("fp32", [1]), data: new Float32Array([0]) });
    const neg = checksum({ type: ty("fp32", [1]), data: new Float32Array([-0]) });
    expect(pos.sum).toBe(neg.sum);
    expect(pos.hash).not.toBe(neg.hash);
  });

  it("counts NaN and infinities", () => {
    const c = checksum({
      type: ty("fp32", [3]),
      data: new Float32Array([Number.NaN, Number.POSITIVE_INFINITY, 1]),
    });
    expect(c.nonFinite).toBe(2);
  });

  it("formats sums with 10 significant digits and values as the shortest round trip in their dtype", () => {
    expect(formatFixed(1234.5)).toBe("1.234500000e+3");
    expect(formatFixed(Number.NaN)).toBe("NaN");
    expect(formatValue(Math.fround(0.1), "fp32")).toBe("0.1");
    // fp16 0.1 is 0.0999755859375, and "0.1" reads back to it in fp16 (as numpy prints it), but not in fp32.
    expect(formatValue(0.0999755859375, "fp16")).toBe("0.1");
    expect(formatValue(0.10009765625, "fp16")).toBe("0.1001");
    expect(formatValue(0.0999755859375, "fp32")).toBe("0.099975586");
    expect(formatValue(-2, "bf16")).toBe("-2");
    expect(formatValue(42, "int32")).toBe("42");
  });
});

describe("evaluation budget", () => {
  it("counts matmul, attention and moe multiply-accumulates and the source elements", () => {
    const c = evalCost(layer());
    // matmuls: qkv 2x8x24 = 384, logits 2x32x8 = 512; attention: 2 * B1 * S2 * H2 * (C3 + S2) * Dh4 = 160.
    expect(c.macs).toBe(384 + 512 + 160);
    // tokens 2 + wte 256 + g 8 + wqkv 192 + caches 2 * 24.
    expect(c.sourceElements).toBe(2 + 256 + 8 + 192 + 48);
  });

  it("names every limit crossed", () => {
    const over = overLimits(
      { sourceElements: 7e9, valueBytes: 1, macs: 1e12 },
      { sourceElements: 2e8, valueBytes: 2 ** 32, macs: 2e10 },
    );
    expect(over).toEqual([
      "7.00e+9 input/param/state elements (limit 2.00e+8)",
      "1.00e+12 multiply-accumulates (limit 2.00e+10)",
    ]);
  });
});
