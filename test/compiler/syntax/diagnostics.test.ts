import { describe, expect, it } from "vitest";
import { parseModel } from "../../../compiler/syntax/index.ts";
import { sortDiagnostics } from "../../../util/diagnostics.ts";
import { errorsOf } from "./helpers.ts";

function codes(text: string): string[] {
  return sortDiagnostics(parseModel(text, "t.model").diagnostics).map((d) => d.code);
}

describe("syntax diagnostics", () => {
  it("two separate mistakes give two diagnostics (error recovery goes on after the first)", () => {
    const text = "model m\nh = matmul(x, w\nparam w: fp16[4\ny = relu(h)\n";
    expect(errorsOf(text)).toBe(
      [
        "t.model:2:16: error LPU1002: expected ')' after the arguments of 'matmul'",
        "2 | h = matmul(x, w",
        "  |                ^",
        "t.model:3:16: error LPU1002: expected ']' after the shape",
        "3 | param w: fp16[4",
        "  |                ^",
      ].join("\n"),
    );
  });

  it("mistakes far apart in a long file are all reported, syntax and dtype alike", () => {
    const lines = ["model m"];
    for (let i = 0; i < 30; i++) lines.push(`x${i} = relu(y${i})`);
    lines[5] = "x4 = relu(y4";
    lines[15] = "param p: fp61[2]";
    lines[25] = "x24 relu(y24)";
    expect(codes(lines.join("\n"))).toEqual(["LPU1002", "LPU1003", "LPU1002"]);
  });

  it("a missing token at the end of the file points just after the last real token, not at EOF", () => {
    expect(errorsOf("model m\nconst a = (1 + 2")).toBe(
      "t.model:2:17: error LPU1002: expected ')' to close '('\n2 | const a = (1 + 2\n  |                 ^",
    );
  });

  it("a mistake before a line break points after the previous token, one on the same line at the culprit", () => {
    expect(errorsOf("model m\nh layernorm(x)\n")).toBe(
      "t.model:2:3: error LPU1002: expected '=' after 'h', found 'layernorm'\n2 | h layernorm(x)\n  |   ^~~~~~~~~",
    );
    expect(errorsOf("model m\nconst a =\nconst b = 2\n")).toMatch(
      /^t\.model:2:10: error LPU1002: expected an expression after '='/,
    );
  });

  it("an unclosed block names the block", () => {
    const text = "model m\nblock layer(x: fp16[2]) -> fp16[2] {\n  y = relu(x)\n  return y\n\nh = layer(z)\n";
    expect(errorsOf(text)).toMatch(/4:11: error LPU1002: expected '}' to close block 'layer'/);
    expect(errorsOf("model m\nblock b() -> fp16[2] {\n  y = relu(x)\n")).toMatch(
      /expected 'return NAME' at the end of block 'b'/,
    );
  });

  it("an unknown dtype gets a near-miss hint, or the list of dtypes when nothing is near", () => {
    expect(errorsOf("model m\nparam w: fp61[2]\n")).toMatch(
      /unknown dtype 'fp61'\n.*\n.*\n {2}= did you mean 'fp16'\?$/,
    );
    expect(errorsOf("model m\nparam w: double[2]\n")).toMatch(
      /= the dtypes are int8, fp8, fp16, bf16, fp32, int32$/,
    );
  });

  it("unexpected characters are reported once per run of them and skipped", () => {
    expect(errorsOf("model m\nconst a = 1 @@ \n")).toMatch(
      /LPU1001: unexpected characters '@@'\n2 \| const a = 1 @@ \n {2}\| {13}\^~$/,
    );
    expect(codes("model m\nconst a = 1\u0007\n")).toEqual(["LPU1001"]);
    expect(errorsOf("model m\nconst a = 1\u0007\n")).toContain("unexpected character U+0007");
  });

  it("at most one syntax error per line: recovery's guesses after the first are not reported", () => {
    expect(codes("model m\ny = f(a,, b c) ) )\n")).toHaveLength(1);
  });

  it("statement placement: model first and once, no output/const/input/block inside a block", () => {
    expect(codes("const a = 1\n")).toEqual(["LPU1007"]);
    expect(codes("")).toEqual(["LPU1007"]);
    expect(codes("const a = 1\nmodel m\nmodel n\n")).toEqual(["LPU1008", "LPU1009"]);
    const inBlock =
      "model m\nblock b(x: fp16[2]) -> fp16[2] {\n  const c = 1\n  input i: fp16[2]\n  output o = x\n  block c() -> fp16[1] {\n    return x\n  }\n  return x\n}\n";
    expect(codes(inBlock)).toEqual(["LPU1010", "LPU1010", "LPU1010", "LPU1010"]);
  });

  it("dtype words are reserved as names, whatever the statement", () => {
    expect(codes("model m\nconst fp16 = 1\nparam bf16: fp32[1]\nint8 = f(x)\ny = fp32(x)\n")).toEqual([
      "LPU1011",
      "LPU1011",
      "LPU1011",
      "LPU1011",
    ]);
  });

  it("call arguments: attributes once each, and after the positional arguments", () => {
    expect(codes("model m\ny = softmax(x, axis=1, axis=2)\n")).toEqual(["LPU1012"]);
    expect(codes("model m\ny = layernorm(x, eps=1e-5, g, b)\n")).toEqual(["LPU1013"]);
  });

  it("numbers beyond exact integers or doubles are rejected", () => {
    expect(
      codes("model m\nconst a = 9007199254740993\nconst b = 1e400\nconst c = 9007199254740991\n"),
    ).toEqual(["LPU1014", "LPU1014"]);
  });

  it("repeat without a block call points at 'repeat'; stray tokens at statement level are named", () => {
    expect(errorsOf("model m\nh = repeat layer(x)\n")).toMatch(/2:5: error LPU1015/);
    expect(codes("model m\nreturn\ny = 1\n}\nz = 2\n)\nw = 3\n")).toEqual(["LPU1005", "LPU1006", "LPU1004"]);
  });

  it("an error means no AST; the diagnostics are data with file and code, never an exception", () => {
    const r = parseModel("model m\nh = (\n", "dir/x.model");
    expect(r.ast).toBeUndefined();
    expect(r.diagnostics[0]).toMatchObject({ severity: "error", file: "dir/x.model", code: "LPU1002" });
  });
});
