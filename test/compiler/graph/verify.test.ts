// The verifier finds every broken invariant of the ModelGraph contract (ir.ts) and assertVerified throws on them;
// every graph the builder produces verifies clean.
import { describe, expect, it } from "vitest";
import type { GraphNode, ModelGraph } from "../../../compiler/graph/ir.ts";
import { addNode, newNodeGraph, nodeOf } from "../../../compiler/graph/model-graph.ts";
import { assertVerified, verifyGraph } from "../../../compiler/graph/verify.ts";
import { graphOf } from "./helpers.ts";

const TEXT = `model m
input x: fp16[2, 4]
param w: fp16[4, 3]
h = matmul(x, w)
output y = relu(h)
`;

const leaf = (id: string, kind: "input" | "param", shape: number[]): GraphNode => ({
  id,
  op: { kind },
  inputs: [],
  outputs: [{ dtype: "fp16", shape }],
  scope: "",
});

function model(graph: ModelGraph["graph"], inputs: string[] = [], outputs: string[] = []): ModelGraph {
  return { name: "t", constants: {}, graph, inputs, outputs };
}

describe("verifyGraph", () => {
  it("accepts what the builder builds", () => {
    expect(verifyGraph(graphOf(TEXT))).toEqual([]);
  });
  it("re-infers every node: a recorded type that disagrees with its op is caught", () => {
    const g = graphOf(TEXT);
    g.graph.setNode("h", { ...nodeOf(g, "h"), outputs: [{ dtype: "fp16", shape: [2, 4] }] });
    expect(verifyGraph(g)).toContain("node 'h' records fp16[2, 4] but infers fp16[2, 3]");
  });
  it("catches an op whose operands no longer fit it", () => {
    const g = graphOf(TEXT);
    g.graph.setNode("w", { ...nodeOf(g, "w"), outputs: [{ dtype: "fp16", shape: [5, 3] }] });
    expect(verifyGraph(g).join("\n")).toContain("node 'h' fails re-inference: LPU2030");
  });
  it("catches a cycle", () => {
    const graph = newNodeGraph();
    addNode(graph, leaf("x", "input", [2]));
    const a: GraphNode = {
      id: "a",
      op: { kind: "relu" },
      inputs: [{ node: "b", output: 0 }],
      outputs: [{ dtype: "fp16", shape: [2] }],
      scope: "",
    };
    const b: GraphNode = { ...a, id: "b", inputs: [{ node: "a", output: 0 }] };
    graph.setNode("a", a).setNode("b", b);
    graph.setEdge("b", "a", { output: 0, input: 0 }, "0:0");
    graph.setEdge("a", "b", { output: 0, input: 0 }, "0:0");
    expect(verifyGraph(model(graph, ["x"]))).toContain("cycle through a, b");
  });
  it("catches a read of a value nobody produces and an edge that matches no input", () => {
    const graph = newNodeGraph();
    addNode(graph, leaf("x", "input", [2]));
    graph.setNode("r", {
      id: "r",
      op: { kind: "relu" },
      inputs: [{ node: "x", output: 1 }],
      outputs: [{ dtype: "fp16", shape: [2] }],
      scope: "",
    });
    graph.setEdge("x", "r", { output: 0, input: 3 }, "0:3");
    const problems = verifyGraph(model(graph, ["x"]));
    expect(problems).toContain("node 'r' input 0 reads x#1, which does not exist");
    expect(problems).toContain("edge 'x' -> 'r' (0:3) matches no input");
  });
  it("catches inputs and outputs missing from the model's lists, and an output with consumers", () => {
    const g = graphOf(TEXT);
    const broken = model(g.graph, [], ["x"]);
    const problems = verifyGraph(broken);
    expect(problems).toContain("input node 'x' is not listed");
    expect(problems).toContain("listed output 'x' is not an output node");
    expect(problems).toContain("output node 'y' is not listed");
    addNode(g.graph, {
      id: "z",
      op: { kind: "relu" },
      inputs: [{ node: "y", output: 0 }],
      outputs: [{ dtype: "fp16", shape: [2, 3] }],
      scope: "",
    });
    expect(verifyGraph(g)).toContain("output 'y' has consumers");
  });
  it("assertVerified throws an internal error listing the problems", () => {
    const g = graphOf(TEXT);
    g.graph.setNode("h", { ...nodeOf(g, "h"), outputs: [{ dtype: "fp32", shape: [2, 3] }] });
    expect(() => assertVerified(g)).toThrow(
      /internal error: invalid graph 'm':\n {2}node 'h' records fp32\[2, 3\]/,
    );
  });
});
