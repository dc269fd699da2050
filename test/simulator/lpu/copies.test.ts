// Copied chips in the simulator (ChipProgram.copyOf): a copy is run from its original's instruction list with its
// shift, never written out, and the fast path encodes a shared list once (fast/shared-code.ts). The rule checked:
// a program with copies gives the same run (cycles, instructions, hazards, final state, outputs) as the same
// program with every copy written out (arch/copies.ts expandCopies), whether the copy replaces queues, is wired to
// other peers, or is not wired at all.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseAsm } from "../../../arch/asm/index.ts";
import { expandCopies } from "../../../arch/copies.ts";
import type { Program } from "../../../arch/isa.ts";
import { TSP_V1 } from "../../../arch/presets.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { lastPhases, lastSharedRows } from "../../../simulator/lpu/fast/run.ts";
import { prepare } from "../../../simulator/lpu/prepare.ts";
import { Simulator } from "../../../simulator/lpu/simulator.ts";

const TWO = readFileSync("programs/asm/two-chip.lasm", "utf8");

/** two-chip.lasm, with chips 2 and 3 copying chips 0 and 1 one epoch later; `extra` adds wires and queues. */
function copied(wires: string, chip3 = "", chip2 = ""): Program {
  const text = `${TWO.replace("\n.wire 0:c2c0 1:c2c0\n", `\n${wires}\n`)}
.chip 2
.copy 0 shift=256
.data v fp16 mem0,mem1 0 iota start=3 step=0.5
${chip2}
.chip 3
.copy 1 shift=256
.output v fp16 mem0,mem1 0
${chip3}`;
  const r = parseAsm(text, "copies.lasm");
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return r.program!;
}

function run(p: Program, functional: boolean, exact = false) {
  const sim = new Simulator(p, TSP_V1, { functional, exact, seed: 3 });
  sim.run();
  return { result: sim.result(), state: sim.state(), fast: sim.ranFast };
}

/** Runs p with copies and written out, timing only (fast path first) and with values (exact engine). */
function expectSameAsWrittenOut(p: Program, modes = [false, true]) {
  const out = expandCopies(p);
  expect(out.chips.some((c) => c.copyOf)).toBe(false);
  for (const functional of modes) {
    const a = run(p, functional);
    const b = run(out, functional);
    expect(a.result).toEqual(b.result);
    expect(a.state).toEqual(b.state);
    expect(a.fast).toBe(b.fast);
  }
  return run(p, false);
}

describe("copied chips run from their original's instructions", () => {
  it("a copy wired like its original runs each instruction shift cycles later, as if written out", () => {
    const p = copied(".wire 0:c2c0 1:c2c0\n.wire 2:c2c0 3:c2c0");
    const r = expectSameAsWrittenOut(p);
    expect(r.fast).toBe(true);
    expect(r.result.hazards).toEqual([]);
    expect(r.result.instructions).toBe(16);
    // The copied lists (chips 0 and 1's queues, 8 instructions) are encoded once for 4 chips' 16 instructions.
    expect(lastSharedRows).toBe(8);
    const outs = r.result.outputs.filter((o) => o.name === "v");
    expect(outs.map((o) => o.chip)).toEqual([1, 3]);
  });

  it("a queue the copy lists replaces its original's and is run as its own", () => {
    const p = copied(
      ".wire 0:c2c0 1:c2c0\n.wire 2:c2c0 3:c2c0",
      ".queue mem1\n  @526 write 0, s1e\n  nop 2\n",
    );
    const r = expectSameAsWrittenOut(p);
    expect(r.result.hazards).toEqual([]);
    expect(r.result.instructions).toBe(17);
    // chip 1's mem1 is no longer copied: it is encoded by blocks, as any chip's own queue.
    expect(lastSharedRows).toBe(7);
  });

  it("a copy wired to another chip's peer meets that peer's words (recv-empty here), as if written out", () => {
    const r = expectSameAsWrittenOut(copied(".wire 0:c2c0 3:c2c0\n.wire 2:c2c0 1:c2c0"));
    expect(r.result.hazards.map((h) => `${h.name} chip ${h.chip}`)).toContain("recv-empty chip 1");
  });

  it("a copy whose link is not wired faults on its send while its original does not", () => {
    const r = expectSameAsWrittenOut(copied(".wire 0:c2c0 1:c2c0"));
    const faults = r.result.hazards.map(
      (h) => `${h.name} chip ${h.chip} ${h.inst?.queue} @${h.inst?.placed.cycle}`,
    );
    expect(faults).toEqual(["unwired-link chip 2 c2c0 @269", "unwired-link chip 3 c2c0 @524"]);
  });

  it("an original's queue listed twice or unknown to the machine faults on its copies too, as if written out", () => {
    // prepare-copies.ts prepares a list of copied queues once for all its copies unless one of them has a fault: such
    // a list goes queue by queue, and each copy reports the fault as its written-out twin does.
    for (const extra of [
      { kind: "mem", index: 0 },
      { kind: "mem", index: 999 },
    ] as const) {
      const base = copied(".wire 0:c2c0 1:c2c0\n.wire 2:c2c0 3:c2c0");
      const p: Program = {
        ...base,
        chips: base.chips.map((c) => {
          if (c.chip !== 0) return c;
          const first = c.queues.find((q) => q.queue.kind === "mem")!;
          return { ...c, queues: [...c.queues, { ...first, queue: { ...first.queue, ...extra } }] };
        }),
      };
      expectSameAsWrittenOut(p, [false]);
      // The run reports the first (all have id -1); prepare lists each chip's.
      const faults = (q: Program) =>
        prepare(q, TSP_V1).faults.map((f) => `${f.name} chip ${f.chip} ${f.args}`);
      expect(faults(p)).toEqual(faults(expandCopies(p)));
      expect(faults(p).map((f) => f.split(" ").slice(0, 3).join(" "))).toEqual([
        "bad-instruction chip 0",
        "bad-instruction chip 2",
      ]);
    }
  });

  it("a copy's own queue putting upstream of a copied put on its diagonal is that copy's hazard, as if written out", () => {
    // Chip 0's mem0 puts its word on s0w at position 3, diagonal 15, which the send takes at position 2; chip 2's
    // own mem2 (position 5) puts on the same diagonal (256 later) before it, and nothing takes that word before
    // mem0's put: a put over an untaken word, seen only with the copied records of the stream and the copy's own.
    const p = copied(".wire 0:c2c0 1:c2c0\n.wire 2:c2c0 3:c2c0", "", ".queue mem2\n  @264 read 0, s0w\n");
    const r = expectSameAsWrittenOut(p);
    expect(r.fast).toBe(false);
    expect(r.result.hazards.map((h) => `${h.name} chip ${h.chip}`)).toContain("stream-overwrite chip 2");
    expect(new Set(r.result.hazards.map((h) => h.chip))).toEqual(new Set([2]));
  });

  it("a copied queue that issues later than its original's (its sync released later) is checked as its own", () => {
    // Chip 0's mem0 reads once mem5 notifies (cycle 8 + 2 = 10, in time for the send at 13); chip 2 copies it but
    // notifies one cycle late, so its read's word reaches the link a cycle after its send takes: a hazard of chip 2
    // alone, on a stream whose other records (the send's take) are the original's moved by the shift.
    const text = `.arch tsp-v1
.wire 0:c2c0 1:c2c0
.wire 2:c2c0 3:c2c0
${TWO.slice(TWO.indexOf(".chip 0"))
  .replace("  @10 read 0, s0w ", "  sync go\n  read 0, s0w ")
  .replace(".queue mem1\n", ".queue mem5\n  @8 notify go\n.queue mem1\n")}
.chip 2
.copy 0 shift=256
.data v fp16 mem0,mem1 0 iota start=3 step=0.5
.queue mem5
  @265 notify go

.chip 3
.copy 1 shift=256
.output v fp16 mem0,mem1 0
`;
    const parsed = parseAsm(text, "late-copy.lasm");
    expect(parsed.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const p = parsed.program!;
    // As written, the original meets no hazard: only the copy's late read makes one.
    const original = run(
      { ...p, chips: p.chips.filter((c) => c.chip < 2), wires: p.wires.filter((w) => w.a < 2) },
      false,
    );
    expect(original.result.hazards).toEqual([]);
    const r = expectSameAsWrittenOut(p);
    expect(r.result.hazards.length).toBeGreaterThan(0);
    expect(new Set(r.result.hazards.map((h) => h.chip))).toEqual(new Set([2]));
  });

  it("a copied queue that follows its original's for a while, then issues later, keeps its earlier words", () => {
    // Chip 0's mem0 reads the word its send takes, then, once mem5 notifies, a second word nothing takes (it leaves
    // the chip's west edge). Chip 2's mem5 notifies later than its original's: its mem0 follows chip 0's for the
    // first read and issues the second later. No hazard anywhere: the send's take still finds the first read's put.
    const text = `.arch tsp-v1
.wire 0:c2c0 1:c2c0
.wire 2:c2c0 3:c2c0
${TWO.slice(TWO.indexOf(".chip 0"))
  .replace("  @10 read 0, s0w ", "  @10 read 0, s0w\n  sync go\n  read 1, s0w ")
  .replace(".queue mem1\n", ".queue mem5\n  @20 notify go\n.queue mem1\n")}
.chip 2
.copy 0 shift=256
.data v fp16 mem0,mem1 0 iota start=3 step=0.5
.queue mem5
  @300 notify go

.chip 3
.copy 1 shift=256
.output v fp16 mem0,mem1 0
`;
    const parsed = parseAsm(text, "later-copy.lasm");
    expect(parsed.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const r = expectSameAsWrittenOut(parsed.program!);
    expect(r.result.hazards).toEqual([]);
    expect(r.fast).toBe(true);
  });

  it("a stamped tiny-gpt gives the same run with shared code as written out, and the exact engine agrees", () => {
    const file = "programs/tiny-gpt.model";
    const graph = loadModel(readFileSync(file, "utf8"), file, { layers: "4" }).graph!;
    const p = compile(graph, TSP_V1, { chips: 64, file, partition: "layers" }).program!;
    expect(p.chips.some((c) => c.copyOf)).toBe(true);
    const r = expectSameAsWrittenOut(p, [false]); // timing only: the values are stamp.test.ts's
    expect(r.fast).toBe(true);
    // The copies' stream records matched their family reference's on most groups (chip-streams.ts).
    expect(lastPhases.matchedGroups).toBeGreaterThan(0);
    expect(r.result.hazards).toEqual([]);
    expect(lastSharedRows).toBeLessThan(r.result.instructions);
    const exact = run(p, false, true);
    expect(exact.result).toEqual(r.result);
    expect(exact.state).toEqual(r.state);
  });
});
