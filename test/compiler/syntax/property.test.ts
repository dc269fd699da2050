// Property tests: the front end returns diagnostics for any input and never throws; spans stay inside the text; an
// AST comes back exactly when there is no error, and then prints to text that parses to the same printed AST.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseModel } from "../../../compiler/syntax/index.ts";
import { printModel } from "../../../compiler/syntax/print.ts";
import { formatDiagnostics, hasErrors } from "../../../util/diagnostics.ts";

const valid = readFileSync(new URL("./constructs.model", import.meta.url), "utf8");
const SEED = 20240611; // fixed: a failure reproduces on every machine

/** How many inputs came back with an AST and how many with errors, so a run cannot pass by testing one side only. */
const seen = { ast: 0, errors: 0 };

function checkInvariants(text: string): void {
  const r = parseModel(text, "p.model");
  seen[r.ast ? "ast" : "errors"]++;
  for (const d of r.diagnostics) {
    expect(d.code).toMatch(/^LPU1\d{3}$/);
    expect(d.message.length).toBeGreaterThan(0);
    if (d.span) {
      expect(d.span.start, d.message).toBeGreaterThanOrEqual(0);
      expect(d.span.start, d.message).toBeLessThanOrEqual(d.span.end);
      expect(d.span.end, d.message).toBeLessThanOrEqual(text.length);
    }
  }
  expect(r.ast === undefined).toBe(hasErrors(r.diagnostics));
  if (r.ast) {
    const printed = printModel(r.ast);
    const again = parseModel(printed, "printed.model");
    expect(again.diagnostics).toEqual([]);
    expect(printModel(again.ast!)).toBe(printed);
  } else {
    expect(formatDiagnostics(r.diagnostics, text)).toMatch(/error LPU1\d{3}/);
  }
}

/** Words and punctuation of the language, plus near-misses and junk, so random sequences reach deep into the grammar. */
const TOKENS = [
  "model",
  "const",
  "input",
  "param",
  "state",
  "output",
  "block",
  "return",
  "repeat",
  "true",
  "false",
  "fp16",
  "bf16",
  "int32",
  "fp61",
  "x",
  "y",
  "matmul",
  "layer",
  "axis",
  "0",
  "64",
  "1e-5",
  ".5",
  "2.",
  "+",
  "-",
  "*",
  "/",
  "%",
  "=",
  ",",
  ":",
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
  "->",
  "\n",
  "# note\n",
  "$",
  "é",
  "\t",
];

describe("the parser on arbitrary input", () => {
  it("random token sequences: diagnostics, never an exception, spans inside the text", () => {
    const text = fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((ts) => ts.join(" "));
    fc.assert(fc.property(text, checkInvariants), { seed: SEED, numRuns: 1500 });
  });

  it("random token sequences behind a valid header reach statement-level recovery", () => {
    const text = fc
      .array(fc.constantFrom(...TOKENS), { maxLength: 40 })
      .map((ts) => `model m\nconst a = 1\n${ts.join(" ")}\noutput o = f(a)\n`);
    fc.assert(fc.property(text, checkInvariants), { seed: SEED, numRuns: 1000 });
  });

  it("arbitrary strings of any code points", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 200 }), checkInvariants), {
      seed: SEED,
      numRuns: 1000,
    });
  });

  it("byte mutations of a valid model: deletions, insertions, replacements, duplicated slices", () => {
    const at = fc.nat({ max: valid.length });
    const edit = fc.oneof(
      fc.tuple(fc.constant("delete"), at, fc.nat({ max: 20 })),
      fc.tuple(fc.constant("insert"), at, fc.constantFrom(...TOKENS, "(", ")", "]", "}", "=", "\n")),
      fc.tuple(fc.constant("replace"), at, fc.string({ minLength: 1, maxLength: 3 })),
      fc.tuple(fc.constant("duplicate"), at, fc.nat({ max: 40 })),
    );
    const mutated = fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
      let s = valid;
      for (const [kind, pos, arg] of edits) {
        const p = Math.min(pos, s.length);
        if (kind === "delete") s = s.slice(0, p) + s.slice(p + (arg as number));
        else if (kind === "insert") s = s.slice(0, p) + (arg as string) + s.slice(p);
        else if (kind === "replace")
          s = s.slice(0, p) + (arg as string) + s.slice(p + (arg as string).length);
        else s = s.slice(0, p) + s.slice(p, p + (arg as number)) + s.slice(p);
      }
      return s;
    });
    const before = { ...seen };
    fc.assert(fc.property(mutated, checkInvariants), { seed: SEED, numRuns: 2000 });
    // Both outcomes occur: some edits are harmless (inside comments, names), most break the model.
    expect(seen.ast - before.ast).toBeGreaterThan(50);
    expect(seen.errors - before.errors).toBeGreaterThan(1000);
  });

  it("the unmutated model itself has no diagnostics (so the mutations above start from valid text)", () => {
    expect(parseModel(valid, "v.model").diagnostics).toEqual([]);
  });
});
