// A check of a schedule's MXM accumulator rows: in -> a Schedule; out -> one message per drain (`acc`) that would
// read a row another MXM group's product has overwritten since its own group's last product there. The simulator
// cannot see this mistake (a drain of a ready row is no hazard, whoever wrote it), so `--verify-each` runs it after
// `schedule`: it guards the scheduler's choice of rows per group (placement-acc.ts accRows).
// Rule (docs/isa.md `abc`, `acc`): product vector i of an `abc` issued at t is in row row0 + i from t + i*C + L_mxm;
// drain vector i of an `acc` issued at t reads row row0 + i at t + i. The last product in a row visible at a drain's
// read (in the row from a cycle <= the read's) must be one of the drain's own group.
import { OPCODES } from "../../arch/columns.ts";
import type { Machine } from "../../arch/machine.ts";
import { instAt, type Schedule } from "./schedule-ir.ts";
import { mxmCyclesPerVector } from "./timing.ts";

interface Write {
  readonly at: number;
  readonly group: string;
}

export function verifyAccOrder(s: Schedule, m: Machine): string[] {
  const errors: string[] = [];
  for (const q of s.queues) {
    if (q.queue.kind !== "mxm") continue;
    // Per row, the products landing in it (in issue order, so in time order per row) and the drains reading it.
    const writes = new Map<number, Write[]>();
    const reads: { row: number; at: number; group: string; task: string }[] = [];
    for (let k = 0; k < q.columns.count; k++) {
      const op = OPCODES[q.columns.op[k]!];
      if (op !== "abc" && op !== "acc") continue;
      const x = instAt(s.graph, q, k);
      if (x.inst.op !== "abc" && x.inst.op !== "acc") continue;
      const task = s.graph.tasks[q.noteTask[q.columns.note[k]!]!];
      const group = task?.mxmGroup ?? x.task;
      const row0 = x.inst.row0 ?? 0;
      const n = x.inst.n ?? 1;
      for (let i = 0; i < n; i++) {
        if (x.inst.op === "abc") {
          const at = x.cycle + i * mxmCyclesPerVector(m, x.inst.type) + m.mxm.latency;
          const list = writes.get(row0 + i) ?? [];
          list.push({ at, group });
          writes.set(row0 + i, list);
        } else reads.push({ row: row0 + i, at: x.cycle + i, group, task: x.task });
      }
    }
    for (const list of writes.values()) list.sort((a, b) => a.at - b.at);
    for (const r of reads) {
      let last: Write | undefined;
      for (const w of writes.get(r.row) ?? []) {
        if (w.at > r.at) break;
        last = w;
      }
      if (last && last.group !== r.group)
        errors.push(
          `chip${q.chip} mxm${q.queue.index}: ${r.task} drains row ${r.row} at ${r.at}, last written by group ${last.group}`,
        );
    }
  }
  return errors;
}
