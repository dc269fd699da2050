import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type {
  Assign,
  BlockDecl,
  Call,
  ConstDecl,
  Expr,
  OutputDecl,
  TensorDecl,
} from "../../../compiler/syntax/ast.ts";
import { parseModel } from "../../../compiler/syntax/index.ts";
import { printExpr, printModel } from "../../../compiler/syntax/print.ts";
import { fencedBlocks, parseOk } from "./helpers.ts";

const docs = readFileSync(new URL("../../../docs/language.md", import.meta.url), "utf8");
const constructs = readFileSync(new URL("./constructs.model", import.meta.url), "utf8");

function expr(text: string): Expr {
  const m = parseOk(`model m\nconst c = ${text}\n`);
  return (m.statements[1] as ConstDecl).expr;
}

describe("parsing valid models", () => {
  it("every ```model example in docs/language.md parses without diagnostics", () => {
    const examples = fencedBlocks(docs, "model");
    expect(examples.length).toBeGreaterThan(0);
    for (const e of examples) parseOk(e);
  });

  it("the docs example prints as its AST golden", async () => {
    const ast = parseOk(fencedBlocks(docs, "model")[0]!);
    await expect(printModel(ast)).toMatchFileSnapshot("./golden/docs-example.ast.txt");
  });

  it("every construct of the language parses, and prints as its AST golden", async () => {
    await expect(printModel(parseOk(constructs))).toMatchFileSnapshot("./golden/constructs.ast.txt");
  });

  it("printing is a fixed point: the printed AST parses to an AST that prints the same", () => {
    for (const text of [constructs, ...fencedBlocks(docs, "model")]) {
      const once = printModel(parseOk(text));
      expect(printModel(parseOk(once))).toBe(once);
    }
  });

  it("* / % bind tighter than + -, and both associate to the left", () => {
    expect(printExpr(expr("a + b * c - d / e % f"))).toBe("((a + (b * c)) - ((d / e) % f))");
    expect(printExpr(expr("a - b - c"))).toBe("((a - b) - c)");
  });

  it("parentheses group without leaving a node, and unary minus binds tighter than *", () => {
    expect(printExpr(expr("(a + b) * c"))).toBe("((a + b) * c)");
    expect(printExpr(expr("-a * b"))).toBe("(-a * b)");
    expect(printExpr(expr("-(a * b)"))).toBe("-(a * b)");
    expect(expr("((7))").kind).toBe("Number");
  });

  it("numbers keep their spelling; integers are told from floats by spelling", () => {
    const n = expr("1e-5");
    expect(n).toMatchObject({ kind: "Number", text: "1e-5", value: 1e-5, isInteger: false });
    expect(expr("64")).toMatchObject({ kind: "Number", text: "64", value: 64, isInteger: true });
    expect(expr("2.0")).toMatchObject({ kind: "Number", value: 2, isInteger: false });
  });

  it("a dtype word used as a value is a DType node, true/false are Bool nodes", () => {
    const m = parseOk("model m\ny = cast(x, to=bf16, keep=true, drop=false)\n");
    const call = (m.statements[1] as Assign).value as Call;
    expect(call.attrs.map((a) => a.value)).toMatchObject([
      { kind: "DType", dtype: "bf16" },
      { kind: "Bool", value: true },
      { kind: "Bool", value: false },
    ]);
  });

  it("calls keep positional arguments and attributes apart, in source order", () => {
    const m = parseOk("model m\ny = f(a, g(b), k=1, s=[1, -1])\n");
    const call = (m.statements[1] as Assign).value as Call;
    expect(call.callee.name).toBe("f");
    expect(call.args.map(printExpr)).toEqual(["a", "g(b)"]);
    expect(call.attrs.map((a) => `${a.name.name}=${printExpr(a.value)}`)).toEqual(["k=1", "s=[1, -1]"]);
  });

  it("tensor declarations carry role, dtype with its own span, and unevaluated shape expressions", () => {
    const text = "model m\nstate kv: fp16[b, ctx * 2]\n";
    const t = parseOk(text).statements[1] as TensorDecl;
    expect(t.role).toBe("state");
    expect(t.type.dtype).toBe("fp16");
    expect(text.slice(t.type.dtypeSpan.start, t.type.dtypeSpan.end)).toBe("fp16");
    expect(t.type.shape.map(printExpr)).toEqual(["b", "(ctx * 2)"]);
    expect(text.slice(t.span.start, t.span.end)).toBe("state kv: fp16[b, ctx * 2]");
  });

  it("an empty shape is a scalar type", () => {
    const t = parseOk("model m\nparam s: fp32[]\n").statements[1] as TensorDecl;
    expect(t.type.shape).toEqual([]);
  });

  it("spans cover exactly the source of each node", () => {
    const text = "model m\nq, k = split(matmul(h, w), axis=-1)\noutput o: fp16[2] = add(q, k)\n";
    const m = parseOk(text);
    const src = (s: { span: { start: number; end: number } }) => text.slice(s.span.start, s.span.end);
    const a = m.statements[1] as Assign;
    expect(a.targets.map(src)).toEqual(["q", "k"]);
    expect(src(a)).toBe("q, k = split(matmul(h, w), axis=-1)");
    const call = a.value as Call;
    expect(src(call.args[0]!)).toBe("matmul(h, w)");
    expect(src(call.attrs[0]!)).toBe("axis=-1");
    expect(src(call.attrs[0]!.value)).toBe("-1");
    const o = m.statements[2] as OutputDecl;
    expect(src(o.type!)).toBe("fp16[2]");
    expect(src(o)).toBe("output o: fp16[2] = add(q, k)");
  });

  it("a block keeps ports, result type, body and returned name; repeat keeps count and call", () => {
    const text =
      "model m\nblock b(x: fp16[4], y: fp16[4]) -> fp16[4] {\n  param w: fp16[4]\n  z = add(x, y)\n  return z\n}\nh = repeat n * 2 b(i, j)\n";
    const m = parseOk(text);
    const b = m.statements[1] as BlockDecl;
    expect(b.name.name).toBe("b");
    expect(b.ports.map((p) => p.name.name)).toEqual(["x", "y"]);
    expect(b.body.map((s) => s.kind)).toEqual(["TensorDecl", "Assign"]);
    expect(b.returns.name).toBe("z");
    expect(text.slice(b.span.start, b.span.end)).toMatch(/^block b\(.*\}$/s);
    const r = (m.statements[2] as Assign).value;
    expect(r.kind).toBe("Repeat");
    if (r.kind === "Repeat") {
      expect(printExpr(r.count)).toBe("(n * 2)");
      expect(r.call.callee.name).toBe("b");
    }
  });

  it("Model.name is the `model NAME` statement and comments are ignored", () => {
    const m = parseOk("# header\nmodel  gpt # trailing\n# only a comment\n");
    expect(m.name.name).toBe("gpt");
    expect(m.statements).toHaveLength(1);
  });

  it("keywords are whole words: names that start with a keyword are names", () => {
    const m = parseOk("model m\nconst model_dim = 4\nparams = f(returned, blocky)\n");
    expect(m.statements.map((s) => s.kind)).toEqual(["ModelDecl", "ConstDecl", "Assign"]);
  });

  it("the same text always gives the same AST (the shared parser keeps no state between runs)", () => {
    const bad = parseModel("model m\nh = f(\n", "a.model");
    expect(bad.ast).toBeUndefined();
    expect(JSON.stringify(parseOk(constructs))).toBe(JSON.stringify(parseOk(constructs)));
  });
});
