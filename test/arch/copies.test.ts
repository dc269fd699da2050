// Chips that copy another chip's queues (ChipProgram.copyOf, arch/copies.ts; written `.copy C shift=S`): the
// assembly and JSON forms carry it both ways, a copy of a missing chip or of a copy is an error, and the simulator
// runs every copied instruction, each `shift` cycles after its original, with the copy's own data.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseAsm, printAsm, programFromJson, programToJson } from "../../arch/asm/index.ts";
import { copyProblems, expandCopies, instructionCount } from "../../arch/copies.ts";
import { TSP_V1 } from "../../arch/presets.ts";
import { Simulator } from "../../simulator/lpu/simulator.ts";
import { withoutSpans } from "./asm/arbitrary.ts";

const ADD = readFileSync("programs/asm/vector-add.lasm", "utf8");
/** vector-add on chip 0, and chip 1 with the same data running chip 0's queues 7 cycles later. */
const COPIED = `${ADD}
.chip 1
.copy 0 shift=7
.data x fp16 mem40,mem41 0 words=2 iota
.data y fp16 mem42,mem43 0 words=2 fill 0.5
.output z fp16 mem44,mem45 0 words=2
`;

function parsed(text: string) {
  const r = parseAsm(text, "copy.lasm");
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return r.program!;
}

describe("copied chips", () => {
  it("a copy runs every instruction of its original `shift` cycles later, with its own data", () => {
    const one = new Simulator(parsed(ADD), TSP_V1);
    one.run();
    const alone = one.result();
    const sim = new Simulator(parsed(COPIED), TSP_V1);
    sim.run();
    const r = sim.result();
    expect(r.hazards).toEqual([]);
    expect(r.instructions).toBe(2 * alone.instructions);
    expect(r.cycles).toBe(alone.cycles + 7);
    const z = r.outputs.filter((o) => o.name === "z");
    expect(z.map((o) => o.chip)).toEqual([0, 1]);
    expect(z[1]!.checksum).toBe(z[0]!.checksum);
  });

  it("a queue the copy lists replaces its original's; the others are shifted", () => {
    const p = parsed(`${COPIED}.queue mem40\n  nop 3\n`);
    const [orig, copy] = p.chips;
    const expanded = expandCopies(p).chips[1]!;
    expect(expanded.copyOf).toBeUndefined();
    expect(instructionCount(p, copy!)).toBe(expanded.queues.reduce((n, q) => n + q.instructions.length, 0));
    const mem40 = expanded.queues.filter((q) => q.queue.kind === "mem" && q.queue.index === 40);
    expect(mem40.map((q) => q.instructions.map((x) => x.inst.op))).toEqual([["nop"]]);
    const vxm = orig!.queues.find((q) => q.queue.kind === "vxm")!;
    const shifted = expanded.queues.find((q) => q.queue.kind === "vxm" && q.queue.index === vxm.queue.index)!;
    expect(shifted.instructions.map((x) => x.cycle)).toEqual(vxm.instructions.map((x) => x.cycle! + 7));
  });

  it("assembly and JSON carry a copy both ways", () => {
    const p = withoutSpans(parsed(COPIED));
    expect(printAsm(p)).toContain(".chip 1\n.copy 0 shift=7\n");
    expect(withoutSpans(parsed(printAsm(p)))).toEqual(p);
    expect(programFromJson(programToJson(p), "copy.json").program).toEqual(p);
  });

  it("a copy of a missing chip or of a copy is an error (LPU3039, and in JSON LPU3102)", () => {
    const missing = parseAsm(`${ADD}\n.chip 1\n.copy 5\n`, "copy.lasm");
    expect(missing.diagnostics.map((d) => d.code)).toContain("LPU3039");
    const chained = parseAsm(`${COPIED}\n.chip 2\n.copy 1 shift=1\n`, "copy.lasm");
    expect(chained.diagnostics.map((d) => d.message).join()).toContain("chip 1 is itself a copy");
    const p = parsed(COPIED);
    const bad = {
      ...p,
      chips: [...p.chips, { chip: 2, copyOf: { chip: 1, shift: 0 }, queues: [], data: [], outputs: [] }],
    };
    expect(copyProblems(bad)).toEqual(["chip 2 copies chip 1, which is itself a copy"]);
    expect(programFromJson(programToJson(bad), "copy.json").diagnostics.map((d) => d.code)).toEqual([
      "LPU3102",
    ]);
  });
});
