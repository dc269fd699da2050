// Constant expressions: `const` declarations with `--set` overrides, shape dimensions, and attribute values.
// In: AST expressions and the constants so far. Out: numbers, or diagnostics pushed to the context (never throws).
// Integer arithmetic is exact: `/` must divide, results stay within 2^53.
import { type Diagnostic, diag } from "../../util/diagnostics.ts";
import { didYouMean } from "../../util/suggest.ts";
import type { ConstDecl, Expr } from "../syntax/ast.ts";
import {
  ATTRIBUTE_TYPE,
  CONSTANT_NOT_INTEGER,
  CONSTANT_TOO_LARGE,
  DIVISION_BY_ZERO,
  DUPLICATE_NAME,
  INEXACT_DIVISION,
  NOT_A_CONSTANT,
  SET_NOT_INTEGER,
  UNKNOWN_CONSTANT,
  UNKNOWN_SET,
} from "./messages.ts";
import type { AttrValue } from "./ops/index.ts";

/** A constant's value, or undefined when its definition failed (already reported: uses stay silent). */
export type ConstTable = ReadonlyMap<string, number | undefined>;

export interface EvalContext {
  readonly file: string;
  readonly consts: ConstTable;
  readonly diagnostics: Diagnostic[];
  /** What else a name may be ("tensor", "block", "op"), to say so when it is used as a constant. */
  readonly kindOf?: (name: string) => string | undefined;
}

function describeExpr(e: Expr): string {
  switch (e.kind) {
    case "Number":
      return e.text;
    case "Bool":
      return String(e.value);
    case "DType":
      return e.dtype;
    case "List":
      return "a list";
    case "Call":
      return `a call to '${e.callee.name}'`;
    case "Repeat":
      return "a repeat";
    default:
      return "an expression";
  }
}

/** Exact integer arithmetic on two evaluated operands; undefined (reported) on division problems or overflow. */
function arithmetic(
  ctx: EvalContext,
  e: Expr & { kind: "Binary" },
  a: number,
  b: number,
): number | undefined {
  let v: number;
  switch (e.op) {
    case "+":
      v = a + b;
      break;
    case "-":
      v = a - b;
      break;
    case "*":
      v = a * b;
      break;
    case "/":
    case "%":
      if (b === 0) {
        ctx.diagnostics.push(diag(DIVISION_BY_ZERO, ctx.file, e.span, [a, e.op]));
        return undefined;
      }
      if (e.op === "%") {
        v = a % b;
        break;
      }
      if (a % b !== 0) {
        ctx.diagnostics.push(diag(INEXACT_DIVISION, ctx.file, e.span, [a, b]));
        return undefined;
      }
      v = a / b;
      break;
  }
  if (!Number.isSafeInteger(v)) {
    ctx.diagnostics.push(diag(CONSTANT_TOO_LARGE, ctx.file, e.span, [`${a} ${e.op} ${b}`]));
    return undefined;
  }
  return v;
}

function lookup(ctx: EvalContext, name: string, span: Expr["span"]): { found: boolean; value?: number } {
  if (ctx.consts.has(name)) return { found: true, value: ctx.consts.get(name) };
  const kind = ctx.kindOf?.(name);
  if (kind) ctx.diagnostics.push(diag(NOT_A_CONSTANT, ctx.file, span, [name, kind]));
  return { found: false };
}

/** An integer constant expression. */
export function evalInt(ctx: EvalContext, e: Expr): number | undefined {
  switch (e.kind) {
    case "Number":
      if (e.isInteger && Number.isSafeInteger(e.value)) return e.value;
      ctx.diagnostics.push(diag(CONSTANT_NOT_INTEGER, ctx.file, e.span, [e.text]));
      return undefined;
    case "Ident": {
      const { found, value } = lookup(ctx, e.name, e.span);
      if (!found && !ctx.kindOf?.(e.name)) {
        ctx.diagnostics.push(
          diag(UNKNOWN_CONSTANT, ctx.file, e.span, [e.name], didYouMean(e.name, ctx.consts.keys())),
        );
      }
      return value;
    }
    case "Unary": {
      const v = evalInt(ctx, e.operand);
      return v === undefined ? undefined : -v;
    }
    case "Binary": {
      const a = evalInt(ctx, e.left);
      const b = evalInt(ctx, e.right);
      return a === undefined || b === undefined ? undefined : arithmetic(ctx, e, a, b);
    }
    default:
      ctx.diagnostics.push(diag(CONSTANT_NOT_INTEGER, ctx.file, e.span, [describeExpr(e)]));
      return undefined;
  }
}

/**
 * An attribute value. Integers stay exact; a float literal anywhere in an arithmetic expression makes it float
 * arithmetic (`factor=1.0/8`). A name that is not a constant is a `word` (`act=silu`), judged by the op.
 */
export function evalAttr(ctx: EvalContext, op: string, attr: string, e: Expr): AttrValue | undefined {
  switch (e.kind) {
    case "Number":
      return e.isInteger && Number.isSafeInteger(e.value)
        ? { kind: "int", value: e.value }
        : { kind: "float", value: e.value };
    case "Bool":
      return { kind: "bool", value: e.value };
    case "DType":
      return { kind: "dtype", value: e.dtype };
    case "Ident": {
      if (!ctx.consts.has(e.name)) {
        return { kind: "word", name: e.name, hint: didYouMean(e.name, ctx.consts.keys()) };
      }
      const v = ctx.consts.get(e.name);
      return v === undefined ? undefined : { kind: "int", value: v };
    }
    case "List": {
      const items = e.items.map((item) => evalAttr(ctx, op, attr, item));
      return items.every((i) => i !== undefined) ? { kind: "list", items } : undefined;
    }
    case "Unary": {
      const v = evalAttr(ctx, op, attr, e.operand);
      if (v?.kind === "int" || v?.kind === "float") return { kind: v.kind, value: -v.value };
      if (v) ctx.diagnostics.push(diag(ATTRIBUTE_TYPE, ctx.file, e.span, [op, attr, "a number to negate"]));
      return undefined;
    }
    case "Binary": {
      const a = evalAttr(ctx, op, attr, e.left);
      const b = evalAttr(ctx, op, attr, e.right);
      if (!a || !b) return undefined;
      if (a.kind === "int" && b.kind === "int") {
        const v = arithmetic(ctx, e, a.value, b.value);
        return v === undefined ? undefined : { kind: "int", value: v };
      }
      if ((a.kind === "int" || a.kind === "float") && (b.kind === "int" || b.kind === "float")) {
        return { kind: "float", value: floatArithmetic(e.op, a.value, b.value) };
      }
      if (a.kind === "word" || b.kind === "word") {
        const w = (a.kind === "word" ? a : b) as { name: string; hint?: string };
        const span = (a.kind === "word" ? e.left : e.right).span;
        ctx.diagnostics.push(diag(UNKNOWN_CONSTANT, ctx.file, span, [w.name], w.hint));
        return undefined;
      }
      ctx.diagnostics.push(diag(ATTRIBUTE_TYPE, ctx.file, e.span, [op, attr, "numbers to do arithmetic on"]));
      return undefined;
    }
    case "Call":
    case "Repeat":
      ctx.diagnostics.push(
        diag(ATTRIBUTE_TYPE, ctx.file, e.span, [op, attr, `a constant, got ${describeExpr(e)}`]),
      );
      return undefined;
  }
}

function floatArithmetic(op: "+" | "-" | "*" | "/" | "%", a: number, b: number): number {
  switch (op) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      return a / b;
    case "%":
      return a % b;
  }
}

/**
 * Evaluates the `const` declarations in order, each seeing the earlier ones; a `--set NAME=VALUE` replaces a
 * declaration's expression (which is then not evaluated), and later constants use the new value.
 */
export function evalConstants(
  decls: readonly ConstDecl[],
  sets: Readonly<Record<string, string>>,
  file: string,
  diagnostics: Diagnostic[],
): Map<string, number | undefined> {
  const declared = new Set(decls.map((d) => d.name.name));
  const overrides = new Map<string, number>();
  for (const key of Object.keys(sets).sort()) {
    const text = sets[key]!;
    if (!declared.has(key)) {
      diagnostics.push(diag(UNKNOWN_SET, file, undefined, [key], didYouMean(key, declared)));
    } else if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
      diagnostics.push(diag(SET_NOT_INTEGER, file, undefined, [key, text]));
    } else {
      overrides.set(key, Number(text));
    }
  }
  const consts = new Map<string, number | undefined>();
  const ctx: EvalContext = { file, consts, diagnostics };
  for (const d of decls) {
    const name = d.name.name;
    if (consts.has(name)) {
      diagnostics.push(diag(DUPLICATE_NAME, file, d.name.span, [name]));
      continue;
    }
    consts.set(name, overrides.has(name) ? overrides.get(name) : evalInt(ctx, d.expr));
  }
  return consts;
}
