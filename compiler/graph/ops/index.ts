// The op registry: one definition per callable op kind, and the generic entry points the builder, the verifier
// and the statistics use (build an op from a call, re-infer a node's types, cost formulas).
// Guarantee: buildOp and inferOutputs never throw on user input; problems come back as data.
import { assertNever } from "../../../util/assert.ts";
import { didYouMean } from "../../../util/suggest.ts";
import { type Op, type TensorType, tensorBytes } from "../ir.ts";
import { OPERAND_COUNT, UNKNOWN_ATTRIBUTE } from "../messages.ts";
import { attention } from "./attention.ts";
import { add, cast, gelu, layernorm, mul, relu, rmsnorm, rope, scale, silu, softmax } from "./elementwise.ts";
import { concat, reshape, split, transpose } from "./layout.ts";
import { embedding, matmul, moe, topk } from "./linear.ts";
import {
  AttrReader,
  type AttrValue,
  type ComputeKind,
  type Inferred,
  type OpDef,
  type OpProblem,
} from "./types.ts";

export type { AttrValue, ComputeKind, Inferred, OpProblem } from "./types.ts";

const OPS: { readonly [K in ComputeKind]: OpDef<K> } = {
  matmul,
  add,
  mul,
  scale,
  gelu,
  silu,
  relu,
  softmax,
  layernorm,
  rmsnorm,
  rope,
  embedding,
  reshape,
  transpose,
  concat,
  split,
  cast,
  attention,
  topk,
  moe,
};

/** The names a model can call, sorted. */
export const OP_NAMES: readonly ComputeKind[] = (Object.keys(OPS) as ComputeKind[]).sort();

export function isOpName(name: string): name is ComputeKind {
  return Object.hasOwn(OPS, name);
}

// One cast for the whole file: OPS[op.kind] is the definition of exactly op's kind, which TypeScript cannot
// correlate through the mapped type.
function defOf(kind: ComputeKind): OpDef<ComputeKind> {
  return OPS[kind] as unknown as OpDef<ComputeKind>;
}

function operandCountText(min: number, max: number): string {
  if (min === max) return String(min);
  return max === Number.POSITIVE_INFINITY ? `${min} or more` : `${min} to ${max}`;
}

export type BuiltOp =
  | { readonly op: Op; readonly outputs: readonly TensorType[] }
  | { readonly problems: readonly OpProblem[] };

/** An op call: checks the operand count and attribute names, reads the attributes, and infers the result types. */
export function buildOp(
  kind: ComputeKind,
  attrs: ReadonlyMap<string, AttrValue>,
  inputs: readonly TensorType[],
): BuiltOp {
  const def = defOf(kind);
  const { min, max } = def.operands;
  if (inputs.length < min || inputs.length > max) {
    return { problems: [{ def: OPERAND_COUNT, args: [kind, operandCountText(min, max), inputs.length] }] };
  }
  const problems: OpProblem[] = [];
  for (const name of [...attrs.keys()].sort()) {
    if (!def.attributes.includes(name)) {
      problems.push({
        def: UNKNOWN_ATTRIBUTE,
        args: [kind, name],
        hint: didYouMean(name, def.attributes),
        at: { attr: name },
      });
    }
  }
  const reader = new AttrReader(kind, attrs);
  const op = def.parse(reader, inputs);
  problems.push(...reader.problems);
  if (problems.length > 0) return { problems };
  const inferred = def.infer(op, inputs);
  return "problem" in inferred ? { problems: [inferred.problem] } : { op, outputs: inferred.outputs };
}

/**
 * The result types of `op` applied to operands of these types. Declarations (input, param, state) have no
 * operands and declare their type, so they return undefined; an output passes its operand through.
 */
export function inferOutputs(op: Op, inputs: readonly TensorType[]): Inferred | undefined {
  switch (op.kind) {
    case "input":
    case "param":
    case "state":
      return undefined;
    case "output":
      return inputs.length === 1
        ? { outputs: [inputs[0]!] }
        : { problem: { def: OPERAND_COUNT, args: ["output", 1, inputs.length] } };
    default: {
      const { min, max } = defOf(op.kind).operands;
      if (inputs.length < min || inputs.length > max) {
        return {
          problem: { def: OPERAND_COUNT, args: [op.kind, operandCountText(min, max), inputs.length] },
        };
      }
      return defOf(op.kind).infer(op, inputs);
    }
  }
}

function isDeclaration(op: Op): op is Extract<Op, { kind: "input" | "param" | "state" | "output" }> {
  switch (op.kind) {
    case "input":
    case "param":
    case "state":
    case "output":
      return true;
    case "matmul":
    case "add":
    case "mul":
    case "scale":
    case "gelu":
    case "silu":
    case "relu":
    case "softmax":
    case "layernorm":
    case "rmsnorm":
    case "rope":
    case "embedding":
    case "reshape":
    case "transpose":
    case "concat":
    case "split":
    case "cast":
    case "attention":
    case "topk":
    case "moe":
      return false;
    default:
      return assertNever(op, "op");
  }
}

/** FLOPs of one execution of a node (0 for declarations and outputs). */
export function opFlops(op: Op, inputs: readonly TensorType[], outputs: readonly TensorType[]): number {
  return isDeclaration(op) ? 0 : defOf(op.kind).flops(op, inputs, outputs);
}

/** Bytes an op reads from operand `index` when that operand is a weight (all of it unless the op says less). */
export function opWeightBytes(op: Op, inputs: readonly TensorType[], index: number): number {
  const weightBytes = isDeclaration(op) ? undefined : defOf(op.kind).weightBytes;
  return weightBytes && !isDeclaration(op) ? weightBytes(op, inputs, index) : tensorBytes(inputs[index]!);
}

/** Bytes an op writes into persistent state beyond its results (attention's KV-cache append). */
export function opStateBytesWritten(op: Op, inputs: readonly TensorType[]): number {
  if (isDeclaration(op)) return 0;
  return defOf(op.kind).stateBytesWritten?.(op, inputs) ?? 0;
}

/** True when the op's result is a view of its operand (reshape): the same bytes, reinterpreted. */
export function isView(op: Op): boolean {
  return !isDeclaration(op) && defOf(op.kind).view === true;
}

/** True for declarations, outputs and views: nodes that move no activation data. */
export function movesNoData(op: Op): boolean {
  return isDeclaration(op) || isView(op);
}
