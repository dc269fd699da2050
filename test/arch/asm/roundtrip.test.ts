// The three spellings of a program agree: parse(print(p)) is p, print(parse(text)) is stable, and the JSON form
// loads back to the same program.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAsm, printAsm, programFromJson, programToJson } from "../../../arch/asm/index.ts";
import { formatDiagnostics } from "../../../util/diagnostics.ts";
import { program, withoutSpans } from "./arbitrary.ts";

function parseOk(text: string) {
  const r = parseAsm(text, "t.lasm");
  if (!r.program) throw new Error(`did not parse:\n${formatDiagnostics(r.diagnostics, text)}\n${text}`);
  return r.program;
}

describe("assembly round trip", () => {
  it("parse(print(p)) equals p for random programs", () => {
    fc.assert(
      fc.property(program, (p) => {
        expect(withoutSpans(parseOk(printAsm(p)))).toEqual(p);
      }),
      { numRuns: 300 },
    );
  });

  it("print(parse(text)) is a fixed point", () => {
    fc.assert(
      fc.property(program, (p) => {
        const once = printAsm(p);
        expect(printAsm(parseOk(once))).toBe(once);
      }),
      { numRuns: 100 },
    );
  });

  it("programFromJson(programToJson(p)) equals p, spans included", () => {
    fc.assert(
      fc.property(program, (p) => {
        const parsed = parseOk(printAsm(p));
        const back = programFromJson(programToJson(parsed), "t.json");
        expect(back.diagnostics).toEqual([]);
        expect(back.program).toEqual(parsed);
      }),
      { numRuns: 200 },
    );
  });

  it("keeps each instruction's source span and its trailing comment as a note", () => {
    const text = ".arch tsp-v1\n.queue mem3\n  @7 read 0, s3e, n=4 ; plane 0 of x\n";
    const q = parseOk(text).chips[0]!.queues[0]!;
    const pl = q.instructions[0]!;
    expect(text.slice(pl.span!.start, pl.span!.end)).toBe("@7 read 0, s3e, n=4");
    expect(pl.note).toBe("plane 0 of x");
    expect(pl.cycle).toBe(7);
    expect(pl.inst).toEqual({ op: "read", addr: 0, stream: { id: 3, dir: "e" }, n: 4, stride: 1 });
  });
});
