// The CST visitor: concrete syntax trees (cst.ts) -> the AST (ast.ts), plus the checks that need words rather than
// grammar: dtypes, reserved names, statement placement, attribute order. Works on trees that error recovery left
// incomplete: a statement with a missing piece is dropped (the parser has already reported why), never guessed.
import type { IToken } from "chevrotain";
import { type Diagnostic, diag, type Span } from "../../util/diagnostics.ts";
import type { DType } from "../graph/ir.ts";
import type * as A from "./ast.ts";
import type * as C from "./cst.ts";
import { dtypeHint, isDType } from "./dtypes.ts";
import { isReal, tokenSpan } from "./errors.ts";
import { DTYPES_HINT, M } from "./messages.ts";

/** Thrown when recovery left a hole in a statement; caught per statement. Not for user-facing errors. */
class Incomplete {}
const INCOMPLETE = new Incomplete();

function first<T>(xs: readonly T[] | undefined): T {
  const x = xs?.[0];
  if (x === undefined) throw INCOMPLETE;
  return x;
}

function real(t: IToken | undefined): IToken {
  if (!isReal(t)) throw INCOMPLETE;
  return t;
}

function join(a: Span, b: Span): Span {
  return { start: a.start, end: b.end };
}

export interface AstResult {
  readonly statements: readonly A.Statement[];
  readonly diagnostics: readonly Diagnostic[];
}

/** Builds the AST of each statement; statements with holes are dropped. */
export function buildStatements(cst: readonly C.StatementCstNode[], file: string): AstResult {
  const v = new AstBuilder(file);
  const statements: A.Statement[] = [];
  for (const s of cst) {
    const st = v.statementOrHole(s, false);
    if (st) statements.push(st);
  }
  return { statements, diagnostics: v.diagnostics };
}

class AstBuilder {
  readonly diagnostics: Diagnostic[] = [];
  constructor(private readonly file: string) {}

  private report(d: Diagnostic): void {
    this.diagnostics.push(d);
  }

  statementOrHole(s: C.StatementCstNode, inBlock: boolean): A.Statement | undefined {
    try {
      return this.statement(s, inBlock);
    } catch (e) {
      if (e instanceof Incomplete) return undefined;
      throw e;
    }
  }

  private statement(s: C.StatementCstNode, inBlock: boolean): A.Statement {
    const c = s.children;
    if (c.modelDecl) return this.placed(this.modelDecl(first(c.modelDecl)), inBlock, "model");
    if (c.constDecl) return this.placed(this.constDecl(first(c.constDecl)), inBlock, "const");
    if (c.tensorDecl) {
      const t = this.tensorDecl(first(c.tensorDecl));
      return this.placed(
        t,
        inBlock && t.role === "input",
        "input",
        "'input' (a block's inputs are its ports)",
      );
    }
    if (c.outputDecl) return this.placed(this.outputDecl(first(c.outputDecl)), inBlock, "output");
    if (c.blockDecl)
      return this.placed(this.blockDecl(first(c.blockDecl)), inBlock, "block", "a nested 'block'");
    if (c.assign) return this.assign(first(c.assign));
    throw INCOMPLETE;
  }

  /** Reports a statement that does not belong where it is, at its keyword; the statement is still returned. */
  private placed<S extends A.Statement>(
    st: S,
    misplaced: boolean,
    keyword: string,
    what = `'${keyword}'`,
  ): S {
    if (misplaced) {
      const span = { start: st.span.start, end: st.span.start + keyword.length };
      this.report(diag(M.notInBlock, this.file, span, [what]));
    }
    return st;
  }

  private modelDecl(n: C.ModelDeclCstNode): A.ModelDecl {
    const kw = real(first(n.children.Model));
    const name = this.name(first(n.children.Ident));
    return { kind: "ModelDecl", name, span: join(tokenSpan(kw), name.span) };
  }

  private constDecl(n: C.ConstDeclCstNode): A.ConstDecl {
    const c = n.children;
    const name = this.name(first(c.Ident));
    real(first(c.Equals));
    const expr = this.expression(first(c.expression));
    return { kind: "ConstDecl", name, expr, span: join(tokenSpan(real(first(c.Const))), expr.span) };
  }

  private tensorDecl(n: C.TensorDeclCstNode): A.TensorDecl {
    const c = n.children;
    const [role, kw]: [A.TensorRole, IToken] = c.Input
      ? ["input", first(c.Input)]
      : c.Param
        ? ["param", first(c.Param)]
        : ["state", first(c.State)];
    const name = this.name(first(c.Ident));
    real(first(c.Colon));
    const type = this.typeExpr(first(c.typeExpr));
    return { kind: "TensorDecl", role, name, type, span: join(tokenSpan(real(kw)), type.span) };
  }

  private outputDecl(n: C.OutputDeclCstNode): A.OutputDecl {
    const c = n.children;
    const name = this.name(first(c.Ident));
    const type = c.typeExpr ? this.typeExpr(first(c.typeExpr)) : undefined;
    real(first(c.Equals));
    const value = this.value(first(c.value));
    const span = join(tokenSpan(real(first(c.Output))), value.span);
    return type ? { kind: "OutputDecl", name, type, value, span } : { kind: "OutputDecl", name, value, span };
  }

  private assign(n: C.AssignCstNode): A.Assign {
    const c = n.children;
    if (!c.Ident || c.Ident.length === 0) throw INCOMPLETE;
    const targets = c.Ident.map((t) => this.name(t));
    real(first(c.Equals));
    const value = this.value(first(c.value));
    return { kind: "Assign", targets, value, span: join(targets[0]!.span, value.span) };
  }

  private blockDecl(n: C.BlockDeclCstNode): A.BlockDecl {
    const c = n.children;
    if (!c.Ident || c.Ident.length < 2) throw INCOMPLETE;
    const name = this.name(c.Ident[0]);
    const ports = (c.port ?? []).map((p) => this.port(p));
    real(first(c.RParen));
    real(first(c.Arrow));
    const result = this.typeExpr(first(c.typeExpr));
    real(first(c.LBrace));
    const body: A.BlockStatement[] = [];
    for (const s of c.statement ?? []) {
      const st = this.statementOrHole(s, true);
      // Misplaced statements were reported by `placed`; only the block kinds enter the body.
      if (st && (st.kind === "Assign" || (st.kind === "TensorDecl" && st.role !== "input"))) body.push(st);
    }
    real(first(c.Return));
    const returns = this.name(c.Ident[1]);
    const close = real(first(c.RBrace));
    return {
      kind: "BlockDecl",
      name,
      ports,
      result,
      body,
      returns,
      span: join(tokenSpan(real(first(c.Block))), tokenSpan(close)),
    };
  }

  private port(n: C.PortCstNode): A.Port {
    const name = this.name(first(n.children.Ident));
    real(first(n.children.Colon));
    const type = this.typeExpr(first(n.children.typeExpr));
    return { kind: "Port", name, type, span: join(name.span, type.span) };
  }

  private typeExpr(n: C.TypeExprCstNode): A.TypeExpr {
    const c = n.children;
    const d = real(first(c.Ident));
    const dtypeSpan = tokenSpan(d);
    let dtype: DType = "fp32"; // stands in after an unknown dtype is reported; the AST is then not returned
    if (isDType(d.image)) dtype = d.image;
    else
      this.report(diag(M.unknownDType, this.file, dtypeSpan, [d.image], dtypeHint(d.image) ?? DTYPES_HINT));
    real(first(c.LBracket));
    const shape = (c.expression ?? []).map((e) => this.expression(e));
    const close = real(first(c.RBracket));
    return { kind: "TypeExpr", dtype, dtypeSpan, shape, span: join(dtypeSpan, tokenSpan(close)) };
  }

  private value(n: C.ValueCstNode): A.Expr {
    const c = n.children;
    if (c.repeatExpr) {
      const r = first(c.repeatExpr).children;
      const kw = real(first(r.Repeat));
      const count = this.expression(first(r.expression));
      const call = this.call(first(r.call));
      return { kind: "Repeat", count, call, span: join(tokenSpan(kw), call.span) };
    }
    return this.expression(first(c.expression));
  }

  /** Left-associative chains: operands and operator tokens are stored apart in the CST, so order by offset. */
  private chain<N>(operands: readonly N[] | undefined, ops: IToken[], sub: (n: N) => A.Expr): A.Expr {
    if (!operands || operands.length !== ops.length + 1) throw INCOMPLETE;
    ops.sort((a, b) => a.startOffset - b.startOffset);
    let left = sub(operands[0]!);
    ops.forEach((op, i) => {
      const right = sub(operands[i + 1]!);
      left = { kind: "Binary", op: op.image as A.BinaryOp, left, right, span: join(left.span, right.span) };
    });
    return left;
  }

  private expression(n: C.ExpressionCstNode): A.Expr {
    const c = n.children;
    return this.chain(c.multiplicative, [...(c.Plus ?? []), ...(c.Minus ?? [])], (m) =>
      this.multiplicative(m),
    );
  }

  private multiplicative(n: C.MultiplicativeCstNode): A.Expr {
    const c = n.children;
    const ops = [...(c.Star ?? []), ...(c.Slash ?? []), ...(c.Percent ?? [])];
    return this.chain(c.unary, ops, (u) => this.unary(u));
  }

  private unary(n: C.UnaryCstNode): A.Expr {
    const c = n.children;
    if (c.Minus) {
      const minus = real(first(c.Minus));
      const operand = this.unary(first(c.unary));
      return { kind: "Unary", op: "-", operand, span: join(tokenSpan(minus), operand.span) };
    }
    return this.primary(first(c.primary));
  }

  private primary(n: C.PrimaryCstNode): A.Expr {
    const c = n.children;
    if (c.NumberLit) return this.number(real(first(c.NumberLit)));
    if (c.True) return { kind: "Bool", value: true, span: tokenSpan(real(first(c.True))) };
    if (c.False) return { kind: "Bool", value: false, span: tokenSpan(real(first(c.False))) };
    if (c.parenExpr) {
      const p = first(c.parenExpr).children;
      real(first(p.RParen));
      return this.expression(first(p.expression));
    }
    if (c.list) {
      const l = first(c.list).children;
      const open = real(first(l.LBracket));
      const items = (l.expression ?? []).map((e) => this.expression(e));
      const close = real(first(l.RBracket));
      return { kind: "List", items, span: join(tokenSpan(open), tokenSpan(close)) };
    }
    if (c.call) return this.call(first(c.call));
    const t = real(first(c.Ident));
    if (isDType(t.image)) return { kind: "DType", dtype: t.image, span: tokenSpan(t) };
    return { kind: "Ident", name: t.image, span: tokenSpan(t) };
  }

  private number(t: IToken): A.NumberLit {
    const span = tokenSpan(t);
    const isInteger = /^\d+$/.test(t.image);
    const value = Number(t.image);
    if (!Number.isFinite(value) || (isInteger && !Number.isSafeInteger(value))) {
      this.report(diag(M.numberOutOfRange, this.file, span, [t.image]));
    }
    return { kind: "Number", text: t.image, value, isInteger, span };
  }

  private call(n: C.CallCstNode): A.Call {
    const c = n.children;
    const callee = this.name(first(c.Ident));
    real(first(c.LParen));
    const args: A.Expr[] = [];
    const attrs: A.Attr[] = [];
    let misordered = false;
    for (const a of c.argument ?? []) {
      if (a.children.attribute) {
        const at = first(a.children.attribute).children;
        const name = this.name(first(at.Ident));
        real(first(at.Equals));
        const value = this.expression(first(at.expression));
        if (attrs.some((x) => x.name.name === name.name)) {
          this.report(diag(M.duplicateAttribute, this.file, name.span, [name.name, callee.name]));
        }
        attrs.push({ kind: "Attr", name, value, span: join(name.span, value.span) });
      } else {
        const e = this.expression(first(a.children.expression));
        // Once per call: every later positional argument is the same mistake.
        if (attrs.length > 0 && !misordered) {
          this.report(diag(M.positionalAfterAttribute, this.file, e.span, [callee.name]));
          misordered = true;
        }
        args.push(e);
      }
    }
    const close = real(first(c.RParen));
    return { kind: "Call", callee, args, attrs, span: join(callee.span, tokenSpan(close)) };
  }

  /** A name being declared, assigned, called or referred to by keyword: dtype words are reserved. */
  private name(t: IToken | undefined): A.Ident {
    const tok = real(t);
    const span = tokenSpan(tok);
    if (isDType(tok.image)) this.report(diag(M.reservedName, this.file, span, [tok.image]));
    return { kind: "Ident", name: tok.image, span };
  }
}
