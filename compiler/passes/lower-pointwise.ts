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
  const inner = imm("mul", bin("add", x32, imm("mul", cube, GELU_A)), GELU_C);
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
  const x32 = k.convert(k.fresh(id), x, "fp32");
  if (fn === "gelu" && k.get(x).dtype !== "fp32") finish(k, id, gelu16(k, id, x, x32), dtype);
  else finish(k, id, activation32(k, id, fn, x32), dtype);
}

/**
 * gelu of a 16-bit x, in fp32, as few fused tasks: a fused task reads each tensor once and uses each value once
 * (fuse.ts), and x is needed four times. The 16-bit x converted in the task (exact) is a second copy of x32 besides
 * x32 itself, so `x (x^2 + 1 / 0.044715)` is one task over both (x^2 is one step over one value), the tanh and
 * its scale another, and the last product reads x again: x32, u, t and the result, where `activation32`'s form
 * took x32, x^2, the cube, the tanh and the result (one task and one fp32 temporary more on every row's path).
 * The same function: 0.5 x (1 + tanh(c (x + 0.044715 x^3))) = x (0.5 + 0.5 tanh(0.044715 c x (x^2 + 1 /
 * 0.044715))), rounded differently in fp32 (within a few fp32 ulps before the one rounding to 16 bits).
 */
function gelu16(k: KernelBuilder, at: string, x: string, x32: string): string {
  const imm = (f: BinaryFn, a: string, v: number) => k.imm(k.fresh(at), f, a, v);
  const bin = (f: BinaryFn, a: string, b: string) => k.binary(k.fresh(at), f, a, b);
  const again = () => k.convert(k.fresh(at), x, "fp32");
  const u = bin("mul", imm("add", bin("mul", x32, x32), 1 / GELU_A), again());
  const t = imm("add", imm("mul", k.unary(k.fresh(at), "tanh", imm("mul", u, GELU_A * GELU_C)), 0.5), 0.5);
  return bin("mul", again(), t);
}

/** The cube's coefficient in gelu's tanh approximation. */
const GELU_A = 0.044715;
