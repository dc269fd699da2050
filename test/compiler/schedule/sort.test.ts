// InstSink (inst-sink.ts): the scheduler adds instructions in the order it places them, every queue into one
// builder; the schedule's queues must come out in the order of the plain comparator sort (chip, queue kind, queue
// index, cycle; stable) that emit and the printers rely on, each queue's columns equal to those of its
// instructions added to a builder of their own in that order, and each of its notes' task known.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ColumnsBuilder } from "../../../arch/columns-build.ts";
import type { Instruction, QueueRef } from "../../../arch/isa.ts";
import { InstSink } from "../../../compiler/schedule/inst-sink.ts";

const KINDS = ["mem", "vxm", "mxm", "sxm", "c2c"] as const;
const ORDER = { mem: 0, vxm: 1, mxm: 2, sxm: 3, c2c: 4 } as const;
const S = (id: number) => ({ id, dir: id % 2 === 0 ? "e" : "w" }) as const;

const inst = fc.record({
  chip: fc.integer({ min: 0, max: 3 }),
  kind: fc.constantFrom(...KINDS),
  index: fc.integer({ min: 0, max: 5 }),
  cycle: fc.integer({ min: 0, max: 40 }),
  // A few tasks per queue, so notes repeat and their table is renumbered when the rows move; 5: a deskew.
  task: fc.integer({ min: 0, max: 5 }),
  addr: fc.integer({ min: 0, max: 3 }),
  // Some tokens, so the strings table is renumbered too.
  sync: fc.boolean(),
});

describe("InstSink", () => {
  it("orders by chip, queue kind, queue index and cycle, keeping ties in input order, columns as if added sorted", () => {
    fc.assert(
      fc.property(fc.array(inst, { maxLength: 60 }), (xs) => {
        const made = xs.map((x, k) => ({
          ...x,
          seq: k,
          note: x.task === 5 ? "deskew" : `t${x.task}`,
          inst: (x.sync
            ? { op: "sync", token: `k${x.addr}` }
            : { op: "read", addr: x.addr, stream: S(x.task), n: 1, stride: 1 }) as Instruction,
        }));
        const sink = new InstSink(["t0", "t1", "t2", "t3", "t4", "deskew"]);
        for (const x of made) {
          const q = sink.queue(x.chip, { kind: x.kind, index: x.index } as QueueRef);
          sink.add(q, x.inst, x.cycle, x.addr + 1, "read", x.task);
        }
        const queues = sink.finish();
        const expected = [...made].sort(
          (a, b) =>
            a.chip - b.chip ||
            ORDER[a.kind] - ORDER[b.kind] ||
            a.index - b.index ||
            a.cycle - b.cycle ||
            a.seq - b.seq,
        );
        expect(queues.flatMap((q) => [...q.seq])).toEqual(expected.map((x) => x.seq));
        let at = 0;
        for (const q of queues) {
          const rows = expected.slice(at, at + q.columns.count);
          at += q.columns.count;
          const b = new ColumnsBuilder(rows.length);
          for (const x of rows) b.add(x.inst, x.cycle, x.note);
          expect(q.columns).toEqual(b.finish());
          expect([...q.busy]).toEqual(rows.map((x) => x.addr + 1));
          // Each note's task by its number in the sink's table (the deskew none).
          expect([...q.noteTask]).toEqual(
            q.columns.notes.map((n) => (n === "deskew" ? -1 : Number(n.slice(1)))),
          );
          for (const x of rows)
            expect([x.chip, x.kind, x.index]).toEqual([q.chip, q.queue.kind, q.queue.index]);
        }
        expect(at).toBe(made.length);
      }),
    );
  });
});
