// The tables the fast path keeps per shared instruction list (a list an original and its stamped copies run), and the
// columns the simulator reads. The rules checked: (1) every prepared queue's `source` is the simulator's one shape
// (one-shape.ts SimColumns) holding the program's own arrays and tables, one object per list, so that a copy and its
// original share it (the fast path encodes a shared list once, keyed by its number); (2) SharedCode keeps one
// encoding per list, the highest-numbered list's too, and clear() forgets every one, so that the next family encodes
// its lists again. That the table is sized for every list at the start (dense, for V8's sake) is speed only and not
// checked here.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { InstColumns, Program } from "../../../arch/isa.ts";
import { TSP_V1 } from "../../../arch/presets.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { Scratch } from "../../../simulator/lpu/fast/chip-state.ts";
import { SimColumns } from "../../../simulator/lpu/one-shape.ts";
import { Simulator } from "../../../simulator/lpu/simulator.ts";

/** A stamped tiny-gpt: 4 layers on 64 chips, units of layers stamped (copies of several originals). */
function stamped(): Program {
  const file = "programs/tiny-gpt.model";
  const graph = loadModel(readFileSync(file, "utf8"), file, { layers: "4" }).graph!;
  const p = compile(graph, TSP_V1, { chips: 64, file, partition: "layers" }).program!;
  expect(p.chips.some((c) => c.copyOf)).toBe(true);
  return p;
}

describe("the simulator's shared lists", () => {
  const program = stamped();

  it("every queue's source is one SimColumns per list, holding the program's own arrays", () => {
    const sim = new Simulator(program, TSP_V1, { functional: false });
    const given = new Map<string, InstColumns>();
    for (const c of program.chips)
      for (const q of c.queues)
        if (q.columns) given.set(`${c.chip}:${q.queue.kind}${q.queue.index}`, q.columns);
    const byList = new Map<number, InstColumns>();
    let copiedQueues = 0;
    for (const pq of sim.prepared.queues) {
      expect(pq.source).toBeInstanceOf(SimColumns);
      if (pq.list >= 0) {
        const first = byList.get(pq.list);
        if (first) expect(pq.source).toBe(first);
        else byList.set(pq.list, pq.source);
      }
      if (pq.shift !== 0) copiedQueues++;
      // A chip's own queue: its source holds exactly the program's columns (arrays and tables not copied).
      const own = pq.shift === 0 ? given.get(`${pq.chip}:${pq.kind}${pq.index}`) : undefined;
      if (own)
        for (const [key, value] of Object.entries(own))
          expect((pq.source as unknown as Record<string, unknown>)[key]).toBe(value);
    }
    expect(copiedQueues).toBeGreaterThan(0);
    expect(byList.size).toBe(sim.prepared.sharedLists);
  });

  it("SharedCode encodes a list once, the highest-numbered too, and encodes it again after clear()", () => {
    const sim = new Simulator(program, TSP_V1, { functional: false });
    const p = sim.prepared;
    const scratch = new Scratch(sim);
    const shared = p.queues.filter((q) => q.list >= 0);
    const last = shared.reduce((a, b) => (b.list > a.list ? b : a));
    expect(last.list).toBe(p.sharedLists - 1);
    const rows = () => scratch.shared.rows(last, sim.machine, p.tokens, p.maps, scratch.check);
    const a = rows();
    const encoded = scratch.shared.encoded;
    expect(encoded).toBe(last.source.count);
    expect(rows()).toBe(a);
    expect(scratch.shared.encoded).toBe(encoded);
    const before = Array.from(a);
    scratch.shared.clear();
    const b = rows();
    expect(scratch.shared.encoded).toBe(encoded + last.source.count);
    expect(Array.from(b)).toEqual(before);
  });
});
