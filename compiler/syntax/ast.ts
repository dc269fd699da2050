// The abstract syntax tree of a `*.model` file: what the parser produces and the graph builder consumes.
// Contract: every node is readonly data tagged by `kind` and carries the `span` (offsets) of its source text; names
// are `Ident` nodes so later stages can point at them. Changes to this file are additive only.
import type { Span } from "../../util/diagnostics.ts";
import type { DType } from "../graph/ir.ts";

export type { DType, Span };

/** A whole file. `name` repeats the `model NAME` statement, which the parser guarantees comes first, once. */
export interface Model {
  readonly kind: "Model";
  readonly name: Ident;
  readonly statements: readonly Statement[];
  readonly span: Span;
}

/** A top-level statement. */
export type Statement = ModelDecl | ConstDecl | TensorDecl | Assign | OutputDecl | BlockDecl;

/** A statement inside a block body: the parser reports `model`, `const`, `input`, `output` and `block` there. */
export type BlockStatement = TensorDecl | Assign;

/** `model NAME` */
export interface ModelDecl {
  readonly kind: "ModelDecl";
  readonly name: Ident;
  readonly span: Span;
}

/** `const NAME = EXPR`: an integer constant, overridable with `--set NAME=VALUE`. */
export interface ConstDecl {
  readonly kind: "ConstDecl";
  readonly name: Ident;
  readonly expr: Expr;
  readonly span: Span;
}

export type TensorRole = "input" | "param" | "state";

/** `input|param|state NAME: DTYPE[SHAPE]`. Inside a block only `param` and `state` occur. */
export interface TensorDecl {
  readonly kind: "TensorDecl";
  readonly role: TensorRole;
  readonly name: Ident;
  readonly type: TypeExpr;
  readonly span: Span;
}

/** `NAME = EXPR` or `A, B, C = EXPR` (several results: split, topk). `targets` has at least one name. */
export interface Assign {
  readonly kind: "Assign";
  readonly targets: readonly Ident[];
  readonly value: Expr;
  readonly span: Span;
}

/** `output NAME = EXPR` or `output NAME: DTYPE[SHAPE] = EXPR` (the type is then checked). */
export interface OutputDecl {
  readonly kind: "OutputDecl";
  readonly name: Ident;
  readonly type?: TypeExpr;
  readonly value: Expr;
  readonly span: Span;
}

/** `block NAME(PORT: TYPE, ...) -> TYPE { BODY return NAME }`. `ports` may be empty. */
export interface BlockDecl {
  readonly kind: "BlockDecl";
  readonly name: Ident;
  readonly ports: readonly Port[];
  readonly result: TypeExpr;
  readonly body: readonly BlockStatement[];
  readonly returns: Ident;
  readonly span: Span;
}

export interface Port {
  readonly kind: "Port";
  readonly name: Ident;
  readonly type: TypeExpr;
  readonly span: Span;
}

/** `DTYPE[SHAPE]`. The dtype is checked by the parser; `shape` holds unevaluated constant expressions. */
export interface TypeExpr {
  readonly kind: "TypeExpr";
  readonly dtype: DType;
  readonly dtypeSpan: Span;
  readonly shape: readonly Expr[];
  readonly span: Span;
}

export type Expr = NumberLit | BoolLit | Ident | DTypeLit | ListExpr | Binary | Unary | Call | Repeat;

/** An integer (`64`) or float (`1e-5`, `0.5`) literal. `text` is the source spelling; `value` its number. */
export interface NumberLit {
  readonly kind: "Number";
  readonly text: string;
  readonly value: number;
  /** True when spelt as an integer (digits only), whatever its value. */
  readonly isInteger: boolean;
  readonly span: Span;
}

export interface BoolLit {
  readonly kind: "Bool";
  readonly value: boolean;
  readonly span: Span;
}

/** A name: a constant, a tensor, a block, an op, or an attribute word such as `silu` in `act=silu`. */
export interface Ident {
  readonly kind: "Ident";
  readonly name: string;
  readonly span: Span;
}

/** A dtype used as a value, e.g. `to=fp32`. Dtype words are reserved: they never appear as an `Ident`. */
export interface DTypeLit {
  readonly kind: "DType";
  readonly dtype: DType;
  readonly span: Span;
}

/** `[a, b, c]` (attribute values such as `sizes=[d, d, d]`). */
export interface ListExpr {
  readonly kind: "List";
  readonly items: readonly Expr[];
  readonly span: Span;
}

export type BinaryOp = "+" | "-" | "*" | "/" | "%";

/** Arithmetic on constants. Parentheses leave no node: `(a + b) * c` is Binary(*, Binary(+, a, b), c). */
export interface Binary {
  readonly kind: "Binary";
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
  readonly span: Span;
}

/** Unary minus: `-1` is Unary(-, Number 1). */
export interface Unary {
  readonly kind: "Unary";
  readonly op: "-";
  readonly operand: Expr;
  readonly span: Span;
}

/** `callee(args..., key=value...)`: an op or block call. Positional arguments always precede attributes. */
export interface Call {
  readonly kind: "Call";
  readonly callee: Ident;
  readonly args: readonly Expr[];
  readonly attrs: readonly Attr[];
  readonly span: Span;
}

/** `name=value` inside a call. Attribute names are unique within one call (the parser checks). */
export interface Attr {
  readonly kind: "Attr";
  readonly name: Ident;
  readonly value: Expr;
  readonly span: Span;
}

/** `repeat COUNT BLOCK(args)`: only as the whole right-hand side of an assignment or output. */
export interface Repeat {
  readonly kind: "Repeat";
  readonly count: Expr;
  readonly call: Call;
  readonly span: Span;
}

/** Every node kind, for generic walkers and printers. */
export type Node = Model | Statement | Port | TypeExpr | Expr | Attr;
