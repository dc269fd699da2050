// The graph builder: AST (compiler/syntax/ast.ts) -> ModelGraph. Evaluates constants with --set overrides, resolves
// names, expands every block use and `repeat` with its own params and state, infers each node's types with the op
// registry. Mistakes in the model are diagnostics (LPU2xxx); a graph is returned only when there are none.
import { type Diagnostic, diag, hasErrors, type Span } from "../../util/diagnostics.ts";
import { didYouMean } from "../../util/suggest.ts";
import type {
  Assign,
  BlockDecl,
  Call,
  Expr,
  Model,
  OutputDecl,
  Repeat,
  TensorDecl,
  TypeExpr,
} from "../syntax/ast.ts";
import { declaredNames, dedupe, problemSpan, type Signature } from "./build-support.ts";
import { type EvalContext, evalAttr, evalConstants, evalInt } from "./consts.ts";
import { formatType, type GraphNode, type ModelGraph, type TensorType } from "./ir.ts";
import {
  BAD_DIMENSION,
  BLOCK_ARG_COUNT,
  BLOCK_SHADOWS_OP,
  DUPLICATE_NAME,
  EXPECTED_TENSOR,
  MULTI_RESULT_VALUE,
  NO_OUTPUTS,
  NOT_A_BLOCK,
  NOT_A_TENSOR,
  OUTPUT_TYPE,
  PORT_TYPE,
  RECURSIVE_BLOCK,
  REPEAT_COUNT,
  REPEAT_NO_PORTS,
  REPEAT_TYPE,
  RESULT_COUNT,
  RETURN_TYPE,
  ROLE_IN_BLOCK,
  UNKNOWN_ATTRIBUTE,
  UNKNOWN_BLOCK,
  UNKNOWN_OP,
  UNKNOWN_TENSOR,
} from "./messages.ts";
import { addNode, newNodeGraph } from "./model-graph.ts";
import {
  type AttrValue,
  buildOp,
  type ComputeKind,
  isOpName,
  OP_NAMES,
  type OpProblem,
} from "./ops/index.ts";
import { sameType } from "./ops/shapes.ts";
import { Scope, type Value } from "./scope.ts";

export interface BuildResult {
  readonly graph?: ModelGraph;
  readonly diagnostics: readonly Diagnostic[];
}

/** Builds the graph of a parsed model. `sets` are the `--set NAME=VALUE` overrides (values unparsed). */
export function buildGraph(
  model: Model,
  file: string,
  sets: Readonly<Record<string, string>> = {},
): BuildResult {
  return new Builder(model, file, sets).build();
}

class Builder {
  private readonly diagnostics: Diagnostic[] = [];
  private readonly ctx: EvalContext;
  private readonly blocks = new Map<string, BlockDecl>();
  private readonly signatures = new Map<string, Signature>();
  private readonly graph = newNodeGraph();
  private readonly inputs: string[] = [];
  private readonly outputs: string[] = [];
  private readonly top: Scope;
  private readonly consts: Map<string, number | undefined>;
  /** Every tensor name declared anywhere, for "'x' is a tensor, not a constant". */
  private readonly tensorNames: Set<string>;

  constructor(
    private readonly model: Model,
    private readonly file: string,
    sets: Readonly<Record<string, string>>,
  ) {
    const constDecls = model.statements.flatMap((s) => (s.kind === "ConstDecl" ? [s] : []));
    this.consts = evalConstants(constDecls, sets, file, this.diagnostics);
    this.ctx = {
      file,
      consts: this.consts,
      diagnostics: this.diagnostics,
      kindOf: (name) => this.kindOf(name),
    };
    const topNames = declaredNames(model.statements);
    this.top = new Scope("", topNames, []);
    this.tensorNames = new Set(topNames);
    for (const s of model.statements) {
      if (s.kind !== "BlockDecl") continue;
      for (const n of declaredNames(s.body)) this.tensorNames.add(n);
      for (const p of s.ports) this.tensorNames.add(p.name.name);
      if (isOpName(s.name.name)) this.error(BLOCK_SHADOWS_OP, s.name.span, [s.name.name]);
      else if (this.blocks.has(s.name.name)) this.error(DUPLICATE_NAME, s.name.span, [s.name.name]);
      else this.blocks.set(s.name.name, s);
    }
  }

  build(): BuildResult {
    for (const s of this.model.statements) {
      switch (s.kind) {
        case "ModelDecl":
        case "ConstDecl":
        case "BlockDecl":
          break;
        case "TensorDecl":
          this.declare(this.top, s);
          break;
        case "Assign":
          this.assign(this.top, s);
          break;
        case "OutputDecl":
          this.output(s);
          break;
      }
    }
    if (this.outputs.length === 0 && !hasErrors(this.diagnostics)) {
      this.error(NO_OUTPUTS, this.model.name.span, [this.model.name.name]);
    }
    const diagnostics = dedupe(this.diagnostics);
    if (hasErrors(diagnostics)) return { diagnostics };
    const constants: Record<string, number> = {};
    for (const name of [...this.consts.keys()].sort()) constants[name] = this.consts.get(name)!;
    const graph: ModelGraph = {
      name: this.model.name.name,
      constants,
      graph: this.graph,
      inputs: this.inputs,
      outputs: this.outputs,
    };
    return { graph, diagnostics };
  }

  private error(
    def: Parameters<typeof diag>[0],
    span: Span | undefined,
    args: (string | number)[],
    hint?: string,
  ) {
    this.diagnostics.push(diag(def, this.file, span, args, hint));
  }

  /** What a name is, when it is not a constant: for "'x' is a tensor, not a constant" messages. */
  private kindOf(name: string): string | undefined {
    if (this.tensorNames.has(name)) return "tensor";
    if (this.blocks.has(name)) return "block";
    if (isOpName(name)) return "op";
    return undefined;
  }

  private evalType(t: TypeExpr): TensorType | undefined {
    const shape: number[] = [];
    let ok = true;
    for (const e of t.shape) {
      const d = evalInt(this.ctx, e);
      if (d === undefined) ok = false;
      else if (d < 1) {
        this.error(BAD_DIMENSION, e.span, [d]);
        ok = false;
      } else shape.push(d);
    }
    return ok ? { dtype: t.dtype, shape } : undefined;
  }

  private signature(b: BlockDecl): Signature {
    let sig = this.signatures.get(b.name.name);
    if (!sig) {
      sig = { ports: b.ports.map((p) => this.evalType(p.type)), result: this.evalType(b.result) };
      this.signatures.set(b.name.name, sig);
    }
    return sig;
  }

  /**
   * Binds a name in a scope; a second definition is an error and keeps the first. Tensors and constants are
   * separate namespaces (an operand is always a tensor, a dimension always a constant), so `const positions` and
   * `input positions` may coexist.
   */
  private bind(scope: Scope, name: { name: string; span: Span }, value: Value | undefined): void {
    if (scope.values.has(name.name)) {
      this.error(DUPLICATE_NAME, name.span, [name.name]);
      return;
    }
    scope.values.set(name.name, value);
  }

  private addNode(node: GraphNode): void {
    addNode(this.graph, node);
  }

  private declare(scope: Scope, s: TensorDecl): void {
    if (scope.prefix !== "" && s.role === "input") {
      this.error(ROLE_IN_BLOCK, s.span, [`input ${s.name.name}`]);
      return;
    }
    const type = this.evalType(s.type);
    if (!type || scope.values.has(s.name.name)) {
      this.bind(scope, s.name, undefined);
      return;
    }
    const id = scope.id(s.name.name);
    this.addNode({
      id,
      op: { kind: s.role },
      inputs: [],
      outputs: [type],
      scope: scope.prefix,
      span: s.span,
    });
    if (s.role === "input") this.inputs.push(id);
    this.bind(scope, s.name, { ref: { node: id, output: 0 }, type });
  }

  private assign(scope: Scope, s: Assign): void {
    // A redefined first name must not become a node id twice: the call gets a synthesized id and bind() reports.
    const first = s.targets[0]!.name;
    const values = this.evalExpr(scope, s.value, scope.values.has(first) ? undefined : first);
    if (values && values.length !== s.targets.length) {
      const what = s.value.kind === "Call" ? s.value.callee.name : "this expression";
      this.error(RESULT_COUNT, s.span, [what, values.length, s.targets.length]);
    }
    const ok = values?.length === s.targets.length;
    s.targets.forEach((t, i) => {
      this.bind(scope, t, ok ? values[i] : undefined);
    });
  }

  private output(s: OutputDecl): void {
    const value = this.evalOperand(this.top, s.value);
    const declared = s.type ? this.evalType(s.type) : undefined;
    if (value && declared && !sameType(value.type, declared)) {
      this.error(OUTPUT_TYPE, s.type!.span, [s.name.name, formatType(value.type), formatType(declared)]);
    }
    if (this.top.values.has(s.name.name)) {
      this.error(DUPLICATE_NAME, s.name.span, [s.name.name]);
      return;
    }
    this.top.values.set(s.name.name, value);
    if (!value) return;
    const id = s.name.name;
    this.addNode({
      id,
      op: { kind: "output" },
      inputs: [value.ref],
      outputs: [value.type],
      scope: "",
      span: s.span,
    });
    this.outputs.push(id);
  }

  /** An expression's values; `name` is the local id for a top-level op call (`x = matmul(...)` makes node x). */
  private evalExpr(scope: Scope, e: Expr, name?: string): Value[] | undefined {
    switch (e.kind) {
      case "Ident":
        return this.lookup(scope, e.name, e.span);
      case "Call": {
        const callee = e.callee.name;
        if (isOpName(callee)) return this.opCall(scope, e, callee, name);
        const block = this.blocks.get(callee);
        if (block) {
          const args = this.evalOperands(scope, e.args);
          if (!args || !this.noAttributes(e)) return undefined;
          const v = this.expand(scope, block, args, e);
          return v && [v];
        }
        const hint = didYouMean(callee, [...OP_NAMES, ...this.blocks.keys()]);
        this.error(UNKNOWN_OP, e.callee.span, [callee], hint);
        return undefined;
      }
      case "Repeat": {
        const v = this.repeat(scope, e);
        return v && [v];
      }
      default:
        this.error(EXPECTED_TENSOR, e.span, []);
        return undefined;
    }
  }

  private lookup(scope: Scope, name: string, span: Span): Value[] | undefined {
    if (scope.values.has(name)) {
      const v = scope.values.get(name);
      return v && [v];
    }
    if (this.consts.has(name)) this.error(NOT_A_TENSOR, span, [name, "constant"]);
    else if (this.blocks.has(name)) this.error(NOT_A_TENSOR, span, [name, "block"]);
    else if (isOpName(name)) this.error(NOT_A_TENSOR, span, [name, "op"]);
    else {
      let hint: string | undefined;
      if (scope.reserved.has(name)) hint = `'${name}' is defined later; define a tensor before using it`;
      else if (scope !== this.top && this.top.values.has(name)) {
        hint = `a block sees only its ports, its own tensors and constants; pass '${name}' as a port`;
      } else hint = didYouMean(name, scope.values.keys());
      this.error(UNKNOWN_TENSOR, span, [name], hint);
    }
    return undefined;
  }

  /** A single-valued operand (a multi-result op must be assigned to names first). */
  private evalOperand(scope: Scope, e: Expr): Value | undefined {
    const values = this.evalExpr(scope, e);
    if (!values) return undefined;
    if (values.length !== 1) {
      const what = e.kind === "Call" ? e.callee.name : "this expression";
      this.error(MULTI_RESULT_VALUE, e.span, [what, values.length]);
      return undefined;
    }
    return values[0];
  }

  /** All operands, each evaluated (so every mistake is reported), or undefined if any failed. */
  private evalOperands(scope: Scope, es: readonly Expr[]): Value[] | undefined {
    const values = es.map((e) => this.evalOperand(scope, e));
    return values.every((v) => v !== undefined) ? values : undefined;
  }

  private opCall(scope: Scope, call: Call, kind: ComputeKind, name?: string): Value[] | undefined {
    const args = this.evalOperands(scope, call.args);
    const attrs = new Map<string, AttrValue>();
    let attrsOk = true;
    for (const a of call.attrs) {
      const v = evalAttr(this.ctx, kind, a.name.name, a.value);
      if (v) attrs.set(a.name.name, v);
      else attrsOk = false;
    }
    if (!args || !attrsOk) return undefined;
    const built = buildOp(
      kind,
      attrs,
      args.map((a) => a.type),
    );
    if ("problems" in built) {
      for (const p of built.problems) this.report(p, call);
      return undefined;
    }
    const id = scope.id(name ?? scope.fresh(kind));
    this.addNode({
      id,
      op: built.op,
      inputs: args.map((a) => a.ref),
      outputs: built.outputs,
      scope: scope.prefix,
      span: call.span,
    });
    return built.outputs.map((type, output) => ({ ref: { node: id, output }, type }));
  }

  private report(p: OpProblem, call: Call): void {
    this.error(p.def, problemSpan(p, call), [...p.args], p.hint);
  }

  private noAttributes(call: Call): boolean {
    for (const a of call.attrs)
      this.error(UNKNOWN_ATTRIBUTE, a.span, [`block '${call.callee.name}'`, a.name.name]);
    return call.attrs.length === 0;
  }

  /** One use of a block: checks the arguments against the ports, builds the body in a fresh scope. */
  private expand(scope: Scope, block: BlockDecl, args: readonly Value[], call: Call): Value | undefined {
    const name = block.name.name;
    if (scope.blocks.includes(name)) {
      this.error(RECURSIVE_BLOCK, call.callee.span, [name, [...scope.blocks, name].join(" -> ")]);
      return undefined;
    }
    if (args.length !== block.ports.length) {
      this.error(BLOCK_ARG_COUNT, call.span, [name, block.ports.length, args.length]);
      return undefined;
    }
    const sig = this.signature(block);
    let ok = sig.result !== undefined;
    block.ports.forEach((port, i) => {
      const want = sig.ports[i];
      if (!want) ok = false;
      else if (!sameType(args[i]!.type, want)) {
        const span = call.args[i]?.span ?? call.span;
        this.error(PORT_TYPE, span, [name, port.name.name, formatType(want), formatType(args[i]!.type)]);
        ok = false;
      }
    });
    if (!ok) return undefined;
    const reserved = declaredNames(block.body);
    for (const port of block.ports) reserved.add(port.name.name);
    const inner = new Scope(scope.nextUse(name), reserved, [...scope.blocks, name]);
    block.ports.forEach((port, i) => {
      this.bind(inner, port.name, args[i]);
    });
    for (const s of block.body) {
      if (s.kind === "TensorDecl") this.declare(inner, s);
      else this.assign(inner, s);
    }
    const result = this.lookup(inner, block.returns.name, block.returns.span)?.[0];
    if (result && !sameType(result.type, sig.result!)) {
      const args = [name, formatType(sig.result!), block.returns.name, formatType(result.type)];
      this.error(RETURN_TYPE, block.returns.span, args);
      return undefined;
    }
    return result;
  }

  /** `repeat N block(x, extra...)`: N chained uses; each use's result is the next one's first argument. */
  private repeat(scope: Scope, r: Repeat): Value | undefined {
    const count = evalInt(this.ctx, r.count);
    const callee = r.call.callee;
    const block = this.blocks.get(callee.name);
    if (!block) {
      if (isOpName(callee.name)) this.error(NOT_A_BLOCK, callee.span, [callee.name]);
      else this.error(UNKNOWN_BLOCK, callee.span, [callee.name], didYouMean(callee.name, this.blocks.keys()));
      return undefined;
    }
    if (count !== undefined && count < 1) this.error(REPEAT_COUNT, r.count.span, [count]);
    if (block.ports.length === 0) {
      this.error(REPEAT_NO_PORTS, callee.span, [callee.name]);
      return undefined;
    }
    const sig = this.signature(block);
    const first = sig.ports[0];
    if (first && sig.result && !sameType(first, sig.result)) {
      const args = [callee.name, formatType(sig.result), block.ports[0]!.name.name, formatType(first)];
      this.error(REPEAT_TYPE, r.span, args);
      return undefined;
    }
    const args = this.evalOperands(scope, r.call.args);
    if (!args || !this.noAttributes(r.call) || count === undefined || count < 1) return undefined;
    let value: Value | undefined = args[0];
    for (let i = 0; i < count && value; i++)
      value = this.expand(scope, block, [value, ...args.slice(1)], r.call);
    return value;
  }
}
