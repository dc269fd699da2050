// The graph builder: constants and --set, name resolution with hints, block and repeat expansion with a fresh set
// of params and state per use, deterministic ids, multi-result ops, outputs.
import { describe, expect, it } from "vitest";
import { formatType } from "../../../compiler/graph/ir.ts";
import { nodeOf } from "../../../compiler/graph/model-graph.ts";
import { printGraph } from "../../../compiler/graph/print.ts";
import { graphOf, load } from "./helpers.ts";

const MLP = `model m
const d = 8
input x: fp16[1, d]
param w: fp16[d, d]
output y = matmul(x, w)
`;

describe("constants", () => {
  it("evaluate integer arithmetic with precedence, parentheses, % and unary minus", () => {
    const g = graphOf(`model m
const a = 2 + 3 * 4
const b = (2 + 3) * 4
const c = a % 5 - -1
const e = b / 4
input x: fp16[1, c]
output y = relu(x)
`);
    expect(g.constants).toEqual({ a: 14, b: 20, c: 5, e: 5 });
    expect(formatType(nodeOf(g, "x").outputs[0]!)).toBe("fp16[1, 5]");
  });
  it("'/' must divide exactly", () => {
    expect(load("model m\nconst d = 64\nconst h = d / 3\n").errors).toContain(
      "m.model:3:11: error LPU2002: '/' does not divide exactly: 64 / 3",
    );
  });
  it("division by zero and non-integers are errors", () => {
    expect(load("model m\nconst z = 0\nconst h = 4 % z\n").errors).toContain(
      "LPU2003: division by zero: 4 % 0",
    );
    expect(load("model m\nconst h = 1.5\n").errors).toContain(
      "LPU2004: a constant must be an integer, got 1.5",
    );
  });
  it("an unknown constant gets a near-miss hint, and a dimension must be at least 1", () => {
    const r = load(
      "model m\nconst d_model = 8\ninput x: fp16[1, dmodel]\ninput z: fp16[0]\noutput y = relu(x)\n",
    );
    expect(r.errors).toContain("error LPU2001: unknown constant 'dmodel'");
    expect(r.errors).toContain("= did you mean 'd_model'?");
    expect(r.errors).toContain("error LPU2009: a dimension must be at least 1, got 0");
  });
  it("a failed constant is reported once, not at every use", () => {
    const r = load("model m\nconst h = 7 / 2\ninput x: fp16[h]\ninput z: fp16[h, h]\noutput y = relu(x)\n");
    expect(r.errors.match(/error/g)).toHaveLength(1);
  });
});

describe("--set overrides", () => {
  const text = `model m
const d = 64
const heads = 4
const head_dim = d / heads
input x: fp16[1, head_dim]
output y = relu(x)
`;
  it("replace a constant, and later constants use the new value", () => {
    const g = graphOf(text, { d: "128" });
    expect(g.constants.head_dim).toBe(32);
    expect(formatType(nodeOf(g, "x").outputs[0]!)).toBe("fp16[1, 32]");
  });
  it("replace an expression without evaluating it", () => {
    expect(graphOf(text, { d: "6", head_dim: "3" }).constants.head_dim).toBe(3);
  });
  it("reject unknown names with a hint and non-integer values", () => {
    const r = load(text, { head: "2", d: "1e3" });
    expect(r.errors).toContain(
      "m.model: error LPU2006: --set head: the model has no constant 'head'\n  did you mean 'heads'?",
    );
    expect(r.errors).toContain("m.model: error LPU2007: --set d=1e3: the value must be an integer");
  });
  it("a value that breaks an exact division reports at the division", () => {
    expect(load(text, { d: "66" }).errors).toContain(
      "m.model:4:18: error LPU2002: '/' does not divide exactly: 66 / 4",
    );
  });
});

describe("names", () => {
  it("an unknown op gets a near-miss hint", () => {
    const r = load(MLP.replace("matmul(", "matmull("));
    expect(r.errors).toContain("m.model:5:12: error LPU2011: unknown op 'matmull'");
    expect(r.errors).toContain("= did you mean 'matmul'?");
  });
  it("an unknown tensor gets a hint; one used before its definition says so", () => {
    expect(load(MLP.replace("matmul(x,", "matmul(xx,")).errors).toMatch(
      /unknown tensor 'xx'\n[\s\S]*did you mean 'x'\?/,
    );
    const r = load("model m\ninput x: fp16[2]\nz = relu(later)\nlater = relu(x)\noutput y = relu(z)\n");
    expect(r.errors).toContain("'later' is defined later; define a tensor before using it");
  });
  it("constants and tensors are different kinds of name", () => {
    expect(load(MLP.replace("matmul(x,", "matmul(d,")).errors).toContain(
      "LPU2013: 'd' is a constant, not a tensor",
    );
    expect(load(MLP.replace("[1, d]", "[1, w]")).errors).toContain(
      "LPU2008: 'w' is a tensor, not a constant",
    );
    // A constant and a tensor may share a name: an operand is always a tensor, a dimension always a constant.
    graphOf("model m\nconst x = 3\ninput x: fp16[x]\noutput y = relu(x)\n");
  });
  it("a name is defined once per scope", () => {
    expect(load(`${MLP}x = relu(x)\n`).errors).toContain(
      "m.model:6:1: error LPU2010: 'x' is already defined",
    );
  });
  it("a model needs an output", () => {
    expect(load("model m\ninput x: fp16[2]\n").errors).toContain("LPU2017: model 'm' has no outputs");
  });
});

const LAYER = `model m
const d = 4
const layers = 3
input x: fp16[1, d]

block layer(h: fp16[1, d]) -> fp16[1, d] {
  param w: fp16[d, d]
  state s: fp16[1, d]
  y = add(relu(matmul(h, w)), s)
  return y
}
`;

describe("blocks and repeat", () => {
  it("every repetition has its own params and state, with dotted ids, chained through the first port", () => {
    const g = graphOf(`${LAYER}output out = repeat layers layer(x)\n`);
    const params = g.graph.nodes().filter((id) => nodeOf(g, id).op.kind === "param");
    expect(params.sort()).toEqual(["layer.0.w", "layer.1.w", "layer.2.w"]);
    expect(g.graph.nodes().filter((id) => nodeOf(g, id).op.kind === "state")).toHaveLength(3);
    expect(nodeOf(g, "layer.1.matmul_0").inputs).toEqual([
      { node: "layer.0.y", output: 0 },
      { node: "layer.1.w", output: 0 },
    ]);
    expect(nodeOf(g, "layer.2.y").scope).toBe("layer.2");
    expect(nodeOf(g, "out").inputs).toEqual([{ node: "layer.2.y", output: 0 }]);
  });
  it("uses of a block are numbered in order across plain calls and repeats", () => {
    const g = graphOf(`${LAYER}a = layer(x)\nb = repeat 2 layer(a)\noutput out = layer(b)\n`);
    const ws = g.graph.nodes().filter((id) => id.endsWith(".w"));
    expect(ws.sort()).toEqual(["layer.0.w", "layer.1.w", "layer.2.w", "layer.3.w"]);
  });
  it("unnamed calls get <op>_<n> ids, skipping names the user declared", () => {
    const g = graphOf(`model m
input x: fp16[2, 2]
matmul_0 = relu(x)
y = add(matmul(x, x), matmul(matmul_0, x))
output out = y
`);
    expect(g.graph.nodes().sort()).toEqual(["matmul_0", "matmul_1", "matmul_2", "out", "x", "y"]);
    expect(nodeOf(g, "y").inputs.map((r) => r.node)).toEqual(["matmul_1", "matmul_2"]);
  });
  it("builds byte-identical graphs from the same text", () => {
    const text = `${LAYER}output out = repeat layers layer(x)\n`;
    expect(printGraph(graphOf(text))).toBe(printGraph(graphOf(text)));
  });
  it("nests block uses in dotted scopes", () => {
    const g = graphOf(`model m
input x: fp16[2]
block inner(a: fp16[2]) -> fp16[2] {
  param g: fp16[2]
  b = mul(a, g)
  return b
}
block outer(a: fp16[2]) -> fp16[2] {
  b = inner(inner(a))
  return b
}
output y = repeat 2 outer(x)
`);
    expect(
      g.graph
        .nodes()
        .filter((id) => id.endsWith(".g"))
        .sort(),
    ).toEqual(["outer.0.inner.0.g", "outer.0.inner.1.g", "outer.1.inner.0.g", "outer.1.inner.1.g"]);
    expect(nodeOf(g, "outer.1.inner.0.b").scope).toBe("outer.1.inner.0");
  });
  it("extra repeat arguments go to every use unchanged", () => {
    const g = graphOf(`model m
input x: fp16[2]
input bias: fp16[2]
block step(h: fp16[2], c: fp16[2]) -> fp16[2] {
  y = add(h, c)
  return y
}
output out = repeat 3 step(x, bias)
`);
    for (const i of [0, 1, 2])
      expect(nodeOf(g, `step.${i}.y`).inputs[1]).toEqual({ node: "bias", output: 0 });
  });
  it("argument types must equal port types, and the returned tensor the declared result", () => {
    const port = load(`${LAYER}z = cast(x, to=fp32)\noutput out = layer(z)\n`);
    expect(port.errors).toContain("error LPU2041: block 'layer': port 'h' takes fp16[1, 4], got fp32[1, 4]");
    const ret = load(`${LAYER.replace("-> fp16[1, d]", "-> fp16[d]")}output out = layer(x)\n`);
    expect(ret.errors).toContain(
      "error LPU2042: block 'layer' declares result fp16[4], but 'y' is fp16[1, 4]",
    );
  });
  it("repeat needs a block whose result type is its first port's type", () => {
    const r = load(`model m
input x: fp16[1, 4]
block up(h: fp16[1, 4]) -> fp16[1, 8] {
  param w: fp16[4, 8]
  y = matmul(h, w)
  return y
}
output out = repeat 2 up(x)
`);
    expect(r.errors).toContain(
      "m.model:8:14: error LPU2043: repeat: block 'up' returns fp16[1, 8], but its first port 'h' takes fp16[1, 4], so uses cannot be chained",
    );
  });
  it("rejects a repeat count below 1, an op in repeat, and a block that uses itself", () => {
    expect(load(`${LAYER}output out = repeat 0 layer(x)\n`).errors).toContain(
      "LPU2044: repeat count must be at least 1, got 0",
    );
    expect(load(`${LAYER}output out = repeat 2 relu(x)\n`).errors).toContain(
      "LPU2016: repeat needs a block, but 'relu' is an op",
    );
    const rec = load(`model m
input x: fp16[2]
block a(h: fp16[2]) -> fp16[2] {
  y = b(h)
  return y
}
block b(h: fp16[2]) -> fp16[2] {
  y = a(h)
  return y
}
output out = a(x)
`);
    expect(rec.errors).toContain("LPU2045: block 'a' uses itself (a -> b -> a)");
  });
  it("a block sees only its ports, its own tensors and constants", () => {
    const r = load(
      `${LAYER.replace("add(relu(matmul(h, w)), s)", "add(relu(matmul(x, w)), s)")}output out = layer(x)\n`,
    );
    expect(r.errors).toContain("unknown tensor 'x'");
    expect(r.errors).toContain("pass 'x' as a port");
  });
});

describe("several results and outputs", () => {
  const SPLIT = `model m
input x: fp16[1, 6]
`;
  it("names each result of a multi-result op; the node takes the first name", () => {
    const g = graphOf(`${SPLIT}a, b, c = split(x, axis=-1, sizes=[1, 2, 3])\noutput y = relu(c)\n`);
    expect(nodeOf(g, "a").outputs.map(formatType)).toEqual(["fp16[1, 1]", "fp16[1, 2]", "fp16[1, 3]"]);
    expect(nodeOf(g, "relu_0").inputs).toEqual([{ node: "a", output: 2 }]);
  });
  it("the number of names must match the number of results", () => {
    expect(load(`${SPLIT}a, b = split(x, axis=-1, sizes=[1, 2, 3])\noutput y = relu(a)\n`).errors).toContain(
      "LPU2025: split gives 3 results, but 2 names are assigned",
    );
    expect(load(`${SPLIT}output y = relu(split(x, axis=1, sizes=[3, 3]))\n`).errors).toContain(
      "LPU2026: split gives 2 results; assign them by name (`a, b = split(...)`)",
    );
  });
  it("checks an output's declared type", () => {
    graphOf(`${SPLIT}output y: fp16[1, 6] = relu(x)\n`);
    expect(load(`${SPLIT}output y: fp16[6] = relu(x)\n`).errors).toContain(
      "LPU2047: output 'y' is fp16[1, 6], but declared fp16[6]",
    );
  });
});

describe("the example of docs/language.md", () => {
  it("builds, with one attention per layer reading that layer's cache", () => {
    const g = graphOf(`model tiny_gpt
const vocab = 256
const d = 64
const heads = 4
const head_dim = d / heads
const ff = 4 * d
const layers = 2
const batch = 1
const seq = 1
const ctx = 32
input tokens: int32[batch, seq]
param wte: fp16[vocab, d]
block layer(x: fp16[batch, seq, d]) -> fp16[batch, seq, d] {
  param ln1_g: fp16[d]
  param ln1_b: fp16[d]
  param wqkv: fp16[d, 3 * d]
  param wo: fp16[d, d]
  state k_cache: fp16[batch, ctx, heads, head_dim]
  state v_cache: fp16[batch, ctx, heads, head_dim]
  h = layernorm(x, ln1_g, ln1_b, eps=1e-5)
  qkv = matmul(h, wqkv)
  q, k, v = split(qkv, axis=-1, sizes=[d, d, d])
  q4 = reshape(q, shape=[batch, seq, heads, head_dim])
  k4 = reshape(k, shape=[batch, seq, heads, head_dim])
  v4 = reshape(v, shape=[batch, seq, heads, head_dim])
  a = attention(q4, k4, v4, k_cache, v_cache, causal=true)
  y = add(x, matmul(reshape(a, shape=[batch, seq, d]), wo))
  return y
}
h = repeat layers layer(embedding(tokens, wte))
output logits = matmul(h, wte, transpose_b=true)
`);
    expect(
      nodeOf(g, "layer.1.a")
        .inputs.slice(3)
        .map((r) => r.node),
    ).toEqual(["layer.1.k_cache", "layer.1.v_cache"]);
    expect(formatType(nodeOf(g, "logits").outputs[0]!)).toBe("fp16[1, 1, 256]");
    expect(g.inputs).toEqual(["tokens"]);
    expect(g.outputs).toEqual(["logits"]);
  });
});
