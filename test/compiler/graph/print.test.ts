// The printers are deterministic: the listing, JSON and dot of a small model match their golden files, and the
// listing is in topological order with ties broken by id.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { nodeOf } from "../../../compiler/graph/model-graph.ts";
import { compareIds, topoOrder } from "../../../compiler/graph/order.ts";
import { graphToDot, graphToJson, printGraph } from "../../../compiler/graph/print.ts";
import { graphStats } from "../../../compiler/graph/stats.ts";
import { formatStats } from "../../../compiler/graph/stats-text.ts";
import { graphOf } from "./helpers.ts";

const text = readFileSync(new URL("./fixtures/small.model", import.meta.url), "utf8");

describe("printers", () => {
  const g = graphOf(text);
  it("list one node per line as `id = op(inputs) attrs : type`", async () => {
    await expect(printGraph(g)).toMatchFileSnapshot("./golden/small.graph.txt");
  });
  it("write JSON with nodes in the listing's order", async () => {
    await expect(`${JSON.stringify(graphToJson(g), null, 2)}\n`).toMatchFileSnapshot(
      "./golden/small.graph.json",
    );
  });
  it("write Graphviz dot with a cluster per block use", async () => {
    await expect(graphToDot(g)).toMatchFileSnapshot("./golden/small.dot");
  });
  it("summarise the statistics in human units", async () => {
    await expect(formatStats(g, graphStats(g))).toMatchFileSnapshot("./golden/small.stats.txt");
  });
  it("print byte-identical output for a graph built again", () => {
    const again = graphOf(text);
    expect(printGraph(again)).toBe(printGraph(g));
    expect(graphToDot(again)).toBe(graphToDot(g));
  });
});

describe("node order", () => {
  it("is topological, and among ready nodes takes the smallest id", () => {
    const g = graphOf(text);
    const order = topoOrder(g);
    const position = new Map(order.map((id, i) => [id, i]));
    for (const id of order) {
      for (const ref of nodeOf(g, id).inputs) expect(position.get(ref.node)!).toBeLessThan(position.get(id)!);
    }
    expect(order.slice(0, 3)).toEqual(["layer.0.g", "layer.0.k_cache", "layer.0.v_cache"]);
  });
  it("compares digit runs by value", () => {
    const ids = ["layer.10.w", "layer.2.w", "matmul_10", "matmul_9", "layer.2.a"];
    expect(ids.sort(compareIds)).toEqual(["layer.2.a", "layer.2.w", "layer.10.w", "matmul_9", "matmul_10"]);
  });
});
