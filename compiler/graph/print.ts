// Deterministic printers of a ModelGraph: a text listing (one node per line, `id = op(inputs) attrs : types`), a
// JSON document, and Graphviz dot. All walk the graph in topoOrder (ties broken by id) and print attributes in a
// fixed order, so the same graph always prints byte for byte the same.
import { assertNever } from "../../util/assert.ts";
import { formatType, type GraphNode, type ModelGraph, type Op, type ValueRef } from "./ir.ts";
import { nodeOf } from "./model-graph.ts";
import { compareIds, topoOrder } from "./order.ts";

/** An op's attributes as the language spells them (`transpose_b`, `act`), in the documented order. */
export function opAttributes(op: Op): [string, string][] {
  const list = (xs: readonly number[]) => `[${xs.join(", ")}]`;
  switch (op.kind) {
    case "input":
    case "param":
    case "state":
    case "output":
    case "add":
    case "mul":
    case "gelu":
    case "silu":
    case "relu":
    case "embedding":
      return [];
    case "matmul":
      return op.transposeB ? [["transpose_b", "true"]] : [];
    case "scale":
      return [["factor", String(op.factor)]];
    case "softmax":
      return [["axis", String(op.axis)]];
    case "layernorm":
    case "rmsnorm":
      return [["eps", String(op.eps)]];
    case "rope":
      return [
        ["start", String(op.start)],
        ["base", String(op.base)],
      ];
    case "reshape":
      return [["shape", list(op.shape)]];
    case "transpose":
      return [["perm", list(op.perm)]];
    case "concat":
      return [["axis", String(op.axis)]];
    case "split":
      return [
        ["axis", String(op.axis)],
        ["sizes", list(op.sizes)],
      ];
    case "cast":
      return [["to", op.to]];
    case "attention":
      return [
        ["causal", String(op.causal)],
        ["scale", String(op.scale)],
      ];
    case "topk":
      return [["k", String(op.k)]];
    case "moe":
      return [["act", op.activation]];
    default:
      return assertNever(op, "op");
  }
}

/** A value as the listing names it: the node id, with `#i` for a result after the first. */
export function refText(ref: ValueRef): string {
  return ref.output === 0 ? ref.node : `${ref.node}#${ref.output}`;
}

/** One listing line: `id = op(inputs) attrs : types`; declarations print without parentheses. */
export function nodeLine(node: GraphNode): string {
  const attrs = opAttributes(node.op)
    .map(([k, v]) => ` ${k}=${v}`)
    .join("");
  const kind = node.op.kind;
  const call = node.inputs.length === 0 ? kind : `${kind}(${node.inputs.map(refText).join(", ")})`;
  return `${node.id} = ${call}${attrs} : ${node.outputs.map(formatType).join(", ")}`;
}

/** The text listing: the model line, its constants, then every node in topological order. */
export function printGraph(g: ModelGraph): string {
  const lines = [`model ${g.name}`];
  for (const k of Object.keys(g.constants).sort()) lines.push(`const ${k} = ${g.constants[k]}`);
  lines.push("");
  for (const id of topoOrder(g)) lines.push(nodeLine(nodeOf(g, id)));
  return `${lines.join("\n")}\n`;
}

export interface GraphJson {
  readonly model: string;
  readonly constants: Readonly<Record<string, number>>;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly nodes: readonly {
    readonly id: string;
    readonly op: Op;
    readonly inputs: readonly ValueRef[];
    readonly outputs: readonly { readonly dtype: string; readonly shape: readonly number[] }[];
    readonly scope: string;
  }[];
}

/** The graph as plain data (nodes in topological order, no source spans), for `JSON.stringify`. */
export function graphToJson(g: ModelGraph): GraphJson {
  const constants: Record<string, number> = {};
  for (const k of Object.keys(g.constants).sort()) constants[k] = g.constants[k]!;
  return {
    model: g.name,
    constants,
    inputs: g.inputs,
    outputs: g.outputs,
    nodes: topoOrder(g).map((id) => {
      const n = nodeOf(g, id);
      return { id: n.id, op: n.op, inputs: n.inputs, outputs: n.outputs, scope: n.scope };
    }),
  };
}

function dotEscape(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
}

function quote(s: string): string {
  return `"${dotEscape(s)}"`;
}

function dotShape(op: Op): string {
  switch (op.kind) {
    case "param":
      return "box3d";
    case "state":
      return "cylinder";
    case "input":
    case "output":
      return "ellipse";
    default:
      return "box";
  }
}

/** The scope that contains a block-use scope: "a.0.b.1" is inside "a.0"; "a.0" is inside "". */
function parentScope(scope: string): string {
  return scope.split(".").slice(0, -2).join(".");
}

/** Graphviz dot: one box per node (id, op, types), one cluster per block use (nested), edges labelled `#i` for
 *  results after the first. */
export function graphToDot(g: ModelGraph): string {
  const order = topoOrder(g);
  const byScope = new Map<string, string[]>();
  for (const id of order) {
    let scope = nodeOf(g, id).scope;
    const ids = byScope.get(scope) ?? [];
    ids.push(id);
    byScope.set(scope, ids);
    // Make sure every enclosing scope exists, so nested clusters have a parent to sit in.
    while (scope !== "") {
      scope = parentScope(scope);
      if (!byScope.has(scope)) byScope.set(scope, []);
    }
  }
  const children = new Map<string, string[]>();
  for (const scope of byScope.keys()) {
    if (scope === "") continue;
    const parent = parentScope(scope);
    children.set(parent, [...(children.get(parent) ?? []), scope]);
  }
  const lines = [`digraph ${quote(g.name)} {`, '  node [shape=box, fontname="Helvetica", fontsize=10];'];
  const emit = (scope: string, indent: string): void => {
    for (const id of byScope.get(scope) ?? []) {
      const n = nodeOf(g, id);
      const attrs = opAttributes(n.op).map(([k, v]) => `${k}=${v}`);
      const label = [n.id, [n.op.kind, ...attrs].join(" "), ...n.outputs.map(formatType)]
        .map(dotEscape)
        .join("\\n");
      lines.push(`${indent}${quote(id)} [label="${label}", shape=${dotShape(n.op)}];`);
    }
    for (const child of (children.get(scope) ?? []).sort(compareIds)) {
      lines.push(`${indent}subgraph ${quote(`cluster_${child}`)} {`, `${indent}  label=${quote(child)};`);
      emit(child, `${indent}  `);
      lines.push(`${indent}}`);
    }
  };
  emit("", "  ");
  for (const id of order) {
    for (const ref of nodeOf(g, id).inputs) {
      const label = ref.output === 0 ? "" : ` [label=${quote(`#${ref.output}`)}]`;
      lines.push(`  ${quote(ref.node)} -> ${quote(id)}${label};`);
    }
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}
