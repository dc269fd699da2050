// The front end never throws on user input: mutated models (numbers, names and dtypes swapped at random) and random
// --set values give either a verified graph or error diagnostics, never both and never an exception; whatever
// graph comes back can be printed and counted.

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadModel } from "../../../compiler/frontend.ts";
import { OP_NAMES } from "../../../compiler/graph/ops/index.ts";
import { graphToDot, printGraph } from "../../../compiler/graph/print.ts";
import { graphStats } from "../../../compiler/graph/stats.ts";
import { hasErrors } from "../../../util/diagnostics.ts";

const base = readFileSync(new URL("./fixtures/small.model", import.meta.url), "utf8");
const WORD = /[A-Za-z_]\w*|\d+(?:\.\d+)?/g;
const words = [...new Set(base.match(WORD) ?? [])];
const POOL = [
  ...words,
  ...OP_NAMES,
  "0",
  "1",
  "-1",
  "2",
  "3",
  "5",
  "7",
  "64",
  "1.5",
  "fp32",
  "int8",
  "int32",
  "zz",
];
const CONSTANTS = ["vocab", "d", "heads", "kv_heads", "head_dim", "ctx", "nope"];

/** Replaces the chosen word occurrences (by index, modulo their count) with replacements from the pool. */
function mutate(text: string, edits: readonly [number, number][]): string {
  const spans = [...text.matchAll(WORD)].map((m) => [m.index, m.index + m[0].length] as const);
  const chosen = new Map<number, string>();
  for (const [at, with_] of edits) chosen.set(at % spans.length, POOL[with_ % POOL.length]!);
  let out = "";
  let last = 0;
  spans.forEach(([start, end], i) => {
    const r = chosen.get(i);
    if (r === undefined) return;
    out += text.slice(last, start) + r;
    last = end;
  });
  return out + text.slice(last);
}

/** Outcomes seen, so a generator that only ever breaks (or never breaks) the model fails the test. */
const seen = { graphs: 0, errors: 0 };

function checkLoad(text: string, sets: Record<string, string>): void {
  const r = loadModel(text, "m.model", sets);
  expect(r.graph === undefined).toBe(hasErrors(r.diagnostics));
  seen[r.graph ? "graphs" : "errors"]++;
  if (r.graph) {
    printGraph(r.graph);
    graphToDot(r.graph);
    expect(graphStats(r.graph).flops).toBeGreaterThanOrEqual(0);
  }
}

describe("loadModel on mutated input", () => {
  it("returns a graph or errors, and never throws, for word mutations", () => {
    seen.graphs = seen.errors = 0;
    const edit = fc.tuple(fc.nat(), fc.nat());
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        checkLoad(mutate(base, edits), {});
      }),
      { numRuns: 250, seed: 20261126 },
    );
    expect(seen.graphs).toBeGreaterThan(0);
    expect(seen.errors).toBeGreaterThan(0);
  });
  it("returns a graph or errors, and never throws, for random --set values", () => {
    seen.graphs = seen.errors = 0;
    const sets = fc.dictionary(
      fc.constantFrom(...CONSTANTS),
      fc.oneof(fc.integer({ min: -2, max: 40 }).map(String), fc.constantFrom("x", "1.5", "")),
    );
    fc.assert(
      fc.property(sets, (s) => {
        checkLoad(base, s);
      }),
      { numRuns: 100, seed: 7 },
    );
    expect(seen.graphs).toBeGreaterThan(0);
    expect(seen.errors).toBeGreaterThan(0);
  });
});
