import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { resolveMachine } from "../../../arch/derive.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { spreadTiming } from "../../../compiler/passes/partition.ts";
import { routeHops } from "../../../compiler/passes/spread-timeline.ts";
import { linkBetween, route } from "../../../compiler/passes/stages.ts";
import { initialSources } from "../../../compiler/reference/init.ts";
import { expectExact } from "../../support/exact.ts";

describe("a wire per position between nodes", () => {
  const m = resolveMachine("tsp-v1", { chips_per_node: "4" });
  const node = (c: number) => Math.floor(c / 4);

  it("a transfer to another node crosses at the destination's position going east and at the source's going west", () => {
    expect(route(m, 1, 6)).toEqual([1, 2, 6]); // east: to position 2 in node 0, then its wire
    expect(route(m, 2, 6)).toEqual([2, 6]); // the same position: the wire alone
    expect(route(m, 1, 10)).toEqual([1, 2, 6, 10]); // along position 2 through node 1
    expect(route(m, 6, 1)).toEqual([6, 2, 1]); // west: along position 2, then to position 1
    expect(route(m, 9, 3)).toEqual([9, 5, 1, 3]);
    expect(route(m, 5, 6)).toEqual([5, 6]); // inside a node: one local link
  });

  it("every hop of a route is a wired pair, and its chips lie in the nodes from its source's to its destination's", () => {
    for (let from = 0; from < 12; from++)
      for (let to = 0; to < 12; to++) {
        if (from === to) continue;
        const path = route(m, from, to);
        for (let j = 1; j < path.length; j++)
          expect(() => linkBetween(m, path[j - 1]!, path[j]!)).not.toThrow();
        const [lo, hi] = [Math.min(node(from), node(to)), Math.max(node(from), node(to))];
        for (const c of path) expect(node(c) >= lo && node(c) <= hi, `${from} -> ${to} via ${c}`).toBe(true);
      }
  });

  it("a route into a partly empty last node passes no chip beyond its destination's node's first chips", () => {
    // 10 chips on nodes of 4: the last node holds chips 8 and 9 only.
    for (let from = 0; from < 10; from++)
      for (const to of [8, 9])
        for (const c of route(m, from, to)) expect(c < 10, `${from} -> ${to} via ${c}`).toBe(true);
    for (const from of [8, 9])
      for (let to = 0; to < 8; to++) for (const c of route(m, from, to)) expect(c < 10).toBe(true);
  });

  it("the estimate's hops (routeHops) are the route's links for every pair of chips on three nodes", () => {
    const { gateways } = spreadTiming(m);
    for (let from = 0; from < 12; from++)
      for (let to = 0; to < 12; to++)
        expect(routeHops(from, to, 4, gateways), `${from} -> ${to}`).toBe(route(m, from, to).length - 1);
    // Chip 0 to node 1: chip 4 over chip 0's own wire, the others over their position's (a local hop first).
    expect([4, 5, 6, 7].map((c) => routeHops(0, c, 4, gateways))).toEqual([1, 2, 2, 2]);
  });

  it("wires between nodes are at every position: chip c's first global link to chip c + 4, its second to c - 4; a node's last chip and the next one's first by their third and fourth", () => {
    const local = m.system.localLinksPerChip;
    for (let c = 0; c < 8; c++) {
      expect(linkBetween(m, c, c + 4)).toBe(local);
      expect(linkBetween(m, c + 4, c)).toBe(local + 1);
    }
    expect(route(m, 3, 4)).toEqual([3, 4]);
    expect([linkBetween(m, 3, 4), linkBetween(m, 4, 3)]).toEqual([local + 2, local + 3]);
    expect(() => linkBetween(m, 2, 5)).toThrow();
  });
});

describe("transfers between nodes over several positions' wires", () => {
  it("a K split running into the next node sends over the gateway pair and a position's wire, exact with the interpreter's values", () => {
    // Nodes of 4 chips: layer 1's product is K split over chips 3 | 4, 5 (pack.test.ts), its input made before it.
    const tiny = resolveMachine("tsp-v1", { mem_words: "360", chips_per_node: "4" });
    const text = readFileSync("bench/models/deep-mlp.model", "utf8");
    const graph = loadModel(text, "test.model", { d: "960", layers: "3" }).graph!;
    const r = compile(graph, tiny, {
      chips: 16,
      file: "test.model",
      sources: initialSources(graph, 0),
      partition: "pack",
    });
    const local = tiny.system.localLinksPerChip;
    // Wires between nodes (a global link at one end), by the chip at their lower end.
    const between = r.program!.wires.filter((w) => w.link >= local);
    expect(between.length).toBeGreaterThan(0);
    for (const w of between) {
      const [a, b] = [w.a, w.b];
      const sameSpot = a % 4 === b % 4 && Math.abs(Math.floor(a / 4) - Math.floor(b / 4)) === 1;
      expect(sameSpot || Math.abs(a - b) === 1, `${a} - ${b}`).toBe(true);
    }
    expect(between.some((w) => w.a % 4 === w.b % 4)).toBe(true);
    expectExact(graph, r, tiny);
  });
});
