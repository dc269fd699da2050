// Data-layout ops: reshape, transpose, concat, split. No arithmetic (0 FLOPs); reshape is a view and moves no data.
// The reshape op record keeps the shape as written (one -1 allowed); the resolved shape is the node's output type.
import { formatType, numElements } from "../ir.ts";
import { ATTRIBUTE_VALUE, AXIS_RANGE, DTYPE_MISMATCH, RESHAPE_COUNT, TYPES_DISAGREE } from "../messages.ts";
import { normalizeAxis } from "./shapes.ts";
import { type OpDef, ok, problem } from "./types.ts";

export const reshape: OpDef<"reshape"> = {
  kind: "reshape",
  operands: { min: 1, max: 1 },
  attributes: ["shape"],
  parse: (a) => ({ kind: "reshape", shape: a.ints("shape") }),
  infer: (op, [x]) => {
    const wild = op.shape.filter((d) => d === -1).length;
    if (wild > 1 || op.shape.some((d) => d === 0 || d < -1)) {
      return problem(
        ATTRIBUTE_VALUE,
        ["reshape", "shape", `allows positive sizes and one -1, got [${op.shape.join(", ")}]`],
        {
          attr: "shape",
        },
      );
    }
    const n = numElements(x!.shape);
    const known = numElements(op.shape.filter((d) => d !== -1));
    const shape = op.shape.map((d) => (d === -1 ? n / known : d));
    const m = numElements(shape);
    if (m !== n || !shape.every(Number.isInteger)) {
      const target = wild ? `a multiple of ${known}` : String(m);
      return problem(RESHAPE_COUNT, [formatType(x!), op.shape.join(", "), n, target]);
    }
    return ok({ dtype: x!.dtype, shape });
  },
  flops: () => 0,
  view: true,
};

export const transpose: OpDef<"transpose"> = {
  kind: "transpose",
  operands: { min: 1, max: 1 },
  attributes: ["perm"],
  parse: (a) => ({ kind: "transpose", perm: a.ints("perm") }),
  infer: (op, [x]) => {
    const rank = x!.shape.length;
    const sorted = [...op.perm].sort((p, q) => p - q);
    if (sorted.length !== rank || sorted.some((p, i) => p !== i)) {
      return problem(
        ATTRIBUTE_VALUE,
        [
          "transpose",
          "perm",
          `must order the axes 0..${rank - 1} of ${formatType(x!)}, got [${op.perm.join(", ")}]`,
        ],
        { attr: "perm" },
      );
    }
    return ok({ dtype: x!.dtype, shape: op.perm.map((p) => x!.shape[p]!) });
  },
  flops: () => 0,
};

export const concat: OpDef<"concat"> = {
  kind: "concat",
  operands: { min: 1, max: Number.POSITIVE_INFINITY },
  attributes: ["axis"],
  parse: (a) => ({ kind: "concat", axis: a.int("axis") }),
  infer: (op, inputs) => {
    const first = inputs[0]!;
    const axis = normalizeAxis(op.axis, first.shape.length);
    if (axis === undefined)
      return problem(AXIS_RANGE, ["concat", op.axis, formatType(first)], { attr: "axis" });
    let total = 0;
    for (const [i, t] of inputs.entries()) {
      if (t.dtype !== first.dtype) {
        return problem(DTYPE_MISMATCH, ["concat", formatType(first), formatType(t)], { operand: i });
      }
      const fits =
        t.shape.length === first.shape.length && t.shape.every((d, j) => j === axis || d === first.shape[j]);
      if (!fits) {
        return problem(
          TYPES_DISAGREE,
          ["concat", `shapes differ outside axis ${op.axis}`, formatType(first), formatType(t)],
          { operand: i },
        );
      }
      total += t.shape[axis]!;
    }
    return ok({ dtype: first.dtype, shape: first.shape.map((d, j) => (j === axis ? total : d)) });
  },
  flops: () => 0,
};

export const split: OpDef<"split"> = {
  kind: "split",
  operands: { min: 1, max: 1 },
  attributes: ["axis", "sizes"],
  parse: (a) => ({ kind: "split", axis: a.int("axis"), sizes: a.ints("sizes") }),
  infer: (op, [x]) => {
    const axis = normalizeAxis(op.axis, x!.shape.length);
    if (axis === undefined) return problem(AXIS_RANGE, ["split", op.axis, formatType(x!)], { attr: "axis" });
    const sum = op.sizes.reduce((s, d) => s + d, 0);
    if (op.sizes.length === 0 || op.sizes.some((d) => d < 1) || sum !== x!.shape[axis]) {
      const why = `[${op.sizes.join(", ")}] must be positive and sum to axis ${op.axis} of ${formatType(x!)} (${sum} vs ${x!.shape[axis]})`;
      return problem(ATTRIBUTE_VALUE, ["split", "sizes", why], { attr: "sizes" });
    }
    return ok(
      ...op.sizes.map((size) => ({
        dtype: x!.dtype,
        shape: x!.shape.map((d, j) => (j === axis ? size : d)),
      })),
    );
  },
  flops: () => 0,
};
