// AST -> model text, one statement per line, for `--print-after parse` and golden tests. Deterministic; every
// arithmetic node is parenthesized so the printed text shows the tree, and printing it again parses to the same AST.
import { assertNever } from "../../util/assert.ts";
import type * as A from "./ast.ts";

export function printModel(m: A.Model): string {
  return `${m.statements.map((s) => printStatement(s, "")).join("\n")}\n`;
}

export function printStatement(s: A.Statement, indent: string): string {
  switch (s.kind) {
    case "ModelDecl":
      return `${indent}model ${s.name.name}`;
    case "ConstDecl":
      return `${indent}const ${s.name.name} = ${printExpr(s.expr)}`;
    case "TensorDecl":
      return `${indent}${s.role} ${s.name.name}: ${printType(s.type)}`;
    case "Assign":
      return `${indent}${s.targets.map((t) => t.name).join(", ")} = ${printExpr(s.value)}`;
    case "OutputDecl":
      return `${indent}output ${s.name.name}${s.type ? `: ${printType(s.type)}` : ""} = ${printExpr(s.value)}`;
    case "BlockDecl": {
      const ports = s.ports.map((p) => `${p.name.name}: ${printType(p.type)}`).join(", ");
      const inner = `${indent}  `;
      return [
        `${indent}block ${s.name.name}(${ports}) -> ${printType(s.result)} {`,
        ...s.body.map((b) => printStatement(b, inner)),
        `${inner}return ${s.returns.name}`,
        `${indent}}`,
      ].join("\n");
    }
    default:
      return assertNever(s, "statement");
  }
}

export function printType(t: A.TypeExpr): string {
  return `${t.dtype}[${t.shape.map(printExpr).join(", ")}]`;
}

export function printExpr(e: A.Expr): string {
  switch (e.kind) {
    case "Number":
      return e.text;
    case "Bool":
      return e.value ? "true" : "false";
    case "Ident":
      return e.name;
    case "DType":
      return e.dtype;
    case "List":
      return `[${e.items.map(printExpr).join(", ")}]`;
    case "Binary":
      return `(${printExpr(e.left)} ${e.op} ${printExpr(e.right)})`;
    case "Unary":
      return `-${printExpr(e.operand)}`;
    case "Call": {
      const args = [...e.args.map(printExpr), ...e.attrs.map((a) => `${a.name.name}=${printExpr(a.value)}`)];
      return `${e.callee.name}(${args.join(", ")})`;
    }
    case "Repeat":
      return `repeat ${printExpr(e.count)} ${printExpr(e.call)}`;
    default:
      return assertNever(e, "expression");
  }
}
