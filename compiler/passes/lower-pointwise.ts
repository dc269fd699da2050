// Activations the VXM has no instruction for (gelu, silu) as chains of fp32 VXM ops, rounded once at the end as the
// interpreter does: silu(x) = x * 1 / (1 + exp(-x)); gelu(x) = 0.5 x (1 + tanh(c (x + 0.044715 x^3))).
// Each op of a chain is its own kernel op (one SRAM round trip each): they are not fused into a matmul's epilogue.
import type { DType } from "../graph/ir.ts";
import type { KernelBuilder } from "./kernel-builder.ts";
import type { BinaryFn, UnaryFn } from "./kernel-ir.ts";
import { finish } from "./lower-reduce.ts";

/** sqrt(2 / pi), the tanh-approximation constant of gelu (docs/language.md). */
const GELU_C = Math.sqrt(2 / Math.PI);

/** act(x) for an fp32 tensor x, in fp32. */
export function activation32(k: KernelBuilder, at: string, fn: "gelu" | "silu", x32: string): string {
  const un = (f: UnaryFn, a: string) => k.unary(k.fresh(at), f, a);
  const imm = (f: BinaryFn, a: string, v: number) => k.imm(k.fresh(at), f, a, v);
  const bin = (f: BinaryFn, a: string, b: string) => k.binary(k.fresh(at), f, a, b);
  if (fn === "silu") return bin("mul", x32, un("recip", imm("add", un("exp", un("neg", x32)), 1)));
  const cube = bin("mul", bin("mul", x32, x32), x32);
  const inner = imm("mul", bin("add", x32, imm("mul", cube, 0.044715)), GELU_C);
  return imm("mul", bin("mul", x32, imm("add", un("tanh", inner), 1)), 0.5);
}

/** The gelu or silu op: fp32 inside, rounded once to `dtype` at `id`. */
export function lowerActivation(
  k: KernelBuilder,
  id: string,
  fn: "gelu" | "silu",
  x: string,
  dtype: DType,
): void {
  finish(k, id, activation32(k, id, fn, k.convert(k.fresh(id), x, "fp32")), dtype);
}
