// Construction and access helpers for ModelGraph (ir.ts): a node goes in together with one edge per input, so the
// graphlib edges always mirror `GraphNode.inputs`. Edge name "OUTPUT:INPUT" keeps parallel edges apart (mul(x, x)).
import { Graph } from "@dagrejs/graphlib";
import { invariant } from "../../util/assert.ts";
import type { EdgeLabel, GraphNode, ModelGraph, TensorType, ValueRef } from "./ir.ts";

export type NodeGraph = ModelGraph["graph"];

export function newNodeGraph(): NodeGraph {
  return new Graph<unknown, GraphNode, EdgeLabel>({ directed: true, multigraph: true });
}

export function edgeName(label: EdgeLabel): string {
  return `${label.output}:${label.input}`;
}

/** Adds a node and its input edges. Its producers must already be in the graph. */
export function addNode(g: NodeGraph, node: GraphNode): void {
  invariant(!g.hasNode(node.id), `duplicate node id '${node.id}'`);
  g.setNode(node.id, node);
  node.inputs.forEach((ref, input) => {
    invariant(g.hasNode(ref.node), `node '${node.id}' reads missing node '${ref.node}'`);
    const label: EdgeLabel = { output: ref.output, input };
    g.setEdge(ref.node, node.id, label, edgeName(label));
  });
}

/** The node with this id; a missing id is an internal error. */
export function nodeOf(g: ModelGraph, id: string): GraphNode {
  const node = g.graph.node(id);
  invariant(node !== undefined, `no node '${id}'`);
  return node;
}

/** The type of one value. */
export function typeOf(g: ModelGraph, ref: ValueRef): TensorType {
  const t = nodeOf(g, ref.node).outputs[ref.output];
  invariant(t !== undefined, `node '${ref.node}' has no output ${ref.output}`);
  return t;
}

export function inputTypes(g: ModelGraph, node: GraphNode): TensorType[] {
  return node.inputs.map((ref) => typeOf(g, ref));
}
