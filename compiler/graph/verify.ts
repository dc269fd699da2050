// The graph verifier: checks the ModelGraph contract of ir.ts. A violation is a bug in whatever built or rewrote
// the graph (user mistakes are caught by the builder as diagnostics), so `assertVerified` throws; `verifyGraph`
// returns the list of problems for tests and for passes that want to report them their own way.
import { formatType, type ModelGraph } from "./ir.ts";
import { edgeName } from "./model-graph.ts";
import { inferOutputs } from "./ops/index.ts";
import { sameType } from "./ops/shapes.ts";
import { topoOrderPartial } from "./order.ts";

/** Every broken invariant, sorted; empty for a valid graph. */
export function verifyGraph(g: ModelGraph): string[] {
  const problems: string[] = [];
  const graph = g.graph;
  for (const id of graph.nodes()) {
    const node = graph.node(id);
    if (!node) {
      problems.push(`node '${id}' has no label`);
      continue;
    }
    if (node.id !== id) problems.push(`node '${id}' is labelled '${node.id}'`);
    if (node.outputs.length === 0) problems.push(`node '${id}' produces no value`);
    const inputTypes = [];
    for (const [i, ref] of node.inputs.entries()) {
      const producer = graph.node(ref.node);
      const type = producer?.outputs[ref.output];
      if (!type) {
        problems.push(`node '${id}' input ${i} reads ${ref.node}#${ref.output}, which does not exist`);
        continue;
      }
      inputTypes.push(type);
      if (!graph.hasEdge(ref.node, id, edgeName({ output: ref.output, input: i }))) {
        problems.push(`node '${id}' input ${i} has no edge from '${ref.node}'`);
      }
    }
    for (const e of graph.inEdges(id) ?? []) {
      const label = graph.edge(e);
      const ref = label ? node.inputs[label.input] : undefined;
      if (!label || !ref || ref.node !== e.v || ref.output !== label.output || e.name !== edgeName(label)) {
        problems.push(`edge '${e.v}' -> '${id}' (${e.name}) matches no input`);
      }
    }
    if (node.op.kind === "output" && (graph.outEdges(id)?.length ?? 0) > 0) {
      problems.push(`output '${id}' has consumers`);
    }
    if (inputTypes.length !== node.inputs.length) continue;
    const inferred = inferOutputs(node.op, inputTypes);
    if (inferred === undefined) {
      if (node.inputs.length > 0) problems.push(`declaration '${id}' has inputs`);
      if (node.outputs.length !== 1) problems.push(`declaration '${id}' must have one output`);
    } else if ("problem" in inferred) {
      problems.push(
        `node '${id}' fails re-inference: ${inferred.problem.def.code} ${inferred.problem.args.join(" ")}`,
      );
    } else {
      const want = inferred.outputs.map(formatType).join(", ");
      const have = node.outputs.map(formatType).join(", ");
      const same =
        inferred.outputs.length === node.outputs.length &&
        inferred.outputs.every((t, i) => sameType(t, node.outputs[i]!));
      if (!same) problems.push(`node '${id}' records ${have} but infers ${want}`);
    }
  }
  const order = topoOrderPartial(g);
  if (order.length < graph.nodeCount()) {
    const placed = new Set(order);
    const stuck = graph.nodes().filter((id) => !placed.has(id));
    problems.push(`cycle through ${stuck.sort().join(", ")}`);
  }
  const listed = (ids: readonly string[], kind: "input" | "output") => {
    for (const id of ids) {
      if (graph.node(id)?.op.kind !== kind) problems.push(`listed ${kind} '${id}' is not an ${kind} node`);
    }
    const all = graph.nodes().filter((id) => graph.node(id)?.op.kind === kind);
    for (const id of all) if (!ids.includes(id)) problems.push(`${kind} node '${id}' is not listed`);
    if (new Set(ids).size !== ids.length) problems.push(`${kind}s are listed twice`);
  };
  listed(g.inputs, "input");
  listed(g.outputs, "output");
  return problems.sort();
}

/** Throws an internal error listing every broken invariant. */
export function assertVerified(g: ModelGraph): void {
  const problems = verifyGraph(g);
  if (problems.length > 0)
    throw new Error(`internal error: invalid graph '${g.name}':\n  ${problems.join("\n  ")}`);
}
