// The VXM's lane-wise arithmetic on decoded values (docs/isa.md, VXM): each result is computed in float64 from
// the operand values and rounded once to the result type (int32 mul wraps as the hardware multiplier does).
import type { ElemType, VxmBinaryOp, VxmUnaryOp } from "../../arch/isa.ts";
import { assertNever } from "../../util/assert.ts";
import { roundResult } from "./values.ts";

/** Unary ops that need a float type (no integer tanh or exp). */
export const FLOAT_ONLY_UNARY: ReadonlySet<VxmUnaryOp> = new Set(["tanh", "exp", "rsqrt", "recip"]);

export function unaryLatencyClass(fn: VxmUnaryOp): "simple" | "transcendental" {
  return FLOAT_ONLY_UNARY.has(fn) ? "transcendental" : "simple";
}

function unary(fn: VxmUnaryOp, x: number): number {
  switch (fn) {
    case "copy":
      return x;
    case "neg":
      return -x;
    case "abs":
      return Math.abs(x);
    case "relu":
      return Math.max(x, 0);
    case "tanh":
      return Math.tanh(x);
    case "exp":
      return Math.exp(x);
    case "rsqrt":
      return 1 / Math.sqrt(x);
    case "recip":
      return 1 / x;
    default:
      return assertNever(fn, "VXM unary op");
  }
}

function binary(fn: VxmBinaryOp, t: ElemType, a: number, b: number): number {
  switch (fn) {
    case "add":
      return a + b;
    case "sub":
      return a - b;
    case "mul":
      return t === "int32" ? Math.imul(a, b) : a * b;
    case "max":
      return Math.max(a, b);
    case "min":
      return Math.min(a, b);
    default:
      return assertNever(fn, "VXM binary op");
  }
}

export function applyUnary(fn: VxmUnaryOp, t: ElemType, x: Float64Array): Float64Array {
  return applyUnaryInto(fn, t, x, new Float64Array(x.length), x.length);
}

/** applyUnary into `out` over the first `lanes` lanes (out may be x). */
export function applyUnaryInto(
  fn: VxmUnaryOp,
  t: ElemType,
  x: Float64Array,
  out: Float64Array,
  lanes: number,
): Float64Array {
  for (let l = 0; l < lanes; l++) out[l] = roundResult(t, unary(fn, x[l]!));
  return out;
}

export function applyBinary(
  fn: VxmBinaryOp,
  t: ElemType,
  a: Float64Array,
  b: Float64Array | number,
): Float64Array {
  return applyBinaryInto(fn, t, a, b, new Float64Array(a.length), a.length);
}

/** applyBinary into `out` over the first `lanes` lanes (out may be a or b). */
export function applyBinaryInto(
  fn: VxmBinaryOp,
  t: ElemType,
  a: Float64Array,
  b: Float64Array | number,
  out: Float64Array,
  lanes: number,
): Float64Array {
  for (let l = 0; l < lanes; l++) {
    const bv = typeof b === "number" ? b : b[l]!;
    out[l] = roundResult(t, binary(fn, t, a[l]!, bv));
  }
  return out;
}
