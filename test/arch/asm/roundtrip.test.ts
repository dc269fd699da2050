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

  it("a trailing comment is the note of its own line's instruction only (comment lines and bare lines between)", () => {
    const text = [
      ".arch tsp-v1",
      ".queue mem3",
      "; a comment line",
      "  read 0, s3e ; first",
      "  read 1, s3e",
      "; another comment line",
      "  read 2, s3e",
      "  read 3, s3e ; fourth",
      "",
    ].join("\n");
    const notes = parseOk(text).chips[0]!.queues[0]!.instructions.map((p) => p.note);
    expect(notes).toEqual(["first", undefined, undefined, "fourth"]);
  });
});

describe("deskew's repeat", () => {
  const deskew = (text: string) => parseOk(`.arch tsp-v1\n.queue c2c15\n  ${text}\n`).chips[0]!.queues[0]!;

  it("`deskew N, P` and `deskew n=N, period=P` are the same instruction, printed with its options", () => {
    const q = deskew("@2304 deskew 36, 2304");
    expect(q.instructions[0]!.inst).toEqual({ op: "deskew", n: 36, period: 2304 });
    expect(deskew("@2304 deskew n=36, period=2304").instructions[0]!.inst).toEqual(q.instructions[0]!.inst);
    expect(printAsm(parseOk(".arch tsp-v1\n.queue c2c15\n  @2304 deskew 36, 2304\n"))).toContain(
      "  @2304 deskew n=36, period=2304\n",
    );
  });

  it("a plain `deskew` (or n=1) is one deskew: n is left out of the instruction", () => {
    expect(deskew("deskew").instructions[0]!.inst).toEqual({ op: "deskew" });
    expect(deskew("deskew n=1").instructions[0]!.inst).toEqual({ op: "deskew" });
  });

  it("the JSON form refuses a repeated deskew without a period", () => {
    const p = parseOk(".arch tsp-v1\n.queue c2c15\n  deskew 3, 10\n");
    const text = programToJson(p).replace(',"period":10', "");
    expect(text).not.toContain("period");
    const r = programFromJson(text, "t.json");
    expect(r.program).toBeUndefined();
    expect(formatDiagnostics(r.diagnostics)).toContain("a deskew that repeats (n > 1) needs a period");
  });
});

describe("assembler robustness", () => {
  const pieces = fc.constantFrom(
    ".arch tsp-v1\n",
    ".queue mem3\n",
    ".chip 1\n",
    "read 0, s3e, n=4\n",
    "@5 ",
    "add.fp16 s4e, s0e, 0.5\n",
    ".data x fp16 mem3,mem4 0 [1, 2,\n 3]\n",
    '"a\\u0041" ',
    "[",
    "]",
    ",",
    "=",
    ":",
    "\n",
    ";c\n",
    "#",
    "inf ",
    "-",
    ".map m rotate 3\n",
    "permute.int8 s1e, s0e, m\n",
    ".queue sxm0\n",
    ".wire 0:c2c1 1:c2c2\n",
    "lw.fp16 s0e, acc\n",
  );

  it("never throws on arbitrary input, and returns a program only without errors", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(pieces, fc.string({ maxLength: 6 })), { maxLength: 30 }), (parts) => {
        const r = parseAsm(parts.join(""), "fuzz.lasm");
        const errors = r.diagnostics.filter((d) => d.severity === "error").length;
        expect(r.program === undefined).toBe(errors > 0);
      }),
      { numRuns: 500 },
    );
  });

  it("accepts a derived machine's name in .arch and checks against that machine", () => {
    // A derived name is not a plain identifier, so it is written as a string (as the printer does).
    const text = '.arch "tsp-v1+streams=40"\n.queue vxm0\n  add.fp32 s36e, s0e, s4e\n';
    expect(parseAsm(text, "t.lasm").diagnostics).toEqual([]);
    expect(parseAsm(text.replace("streams=40", "streams=32"), "t.lasm").diagnostics[0]?.code).toBe("LPU3010");
  });
});
