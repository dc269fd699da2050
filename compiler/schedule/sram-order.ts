// A check of a schedule's SRAM lifetimes, word by word: in -> a Schedule (its instructions, task graph and
// placements); out -> one message per MEM read that would see another tensor's value. The simulator cannot see
// this mistake (a read of valid but stale memory is no hazard), so `--verify-each` runs it after `schedule`.
// Rule: the last write to a word that is visible at a read's access (write access + L_write <= read access,
// docs/isa.md) must be one of the read tensor's own tile (or none, for a tensor whose image the emitter loads).
import { OPCODES } from "../../arch/columns.ts";
import type { Machine } from "../../arch/machine.ts";
import { blockOf, type Placement, type Task } from "../passes/task-ir.ts";
import { instAt, type QueueInsts, type Schedule } from "./schedule-ir.ts";

interface Access {
  readonly cycle: number;
  /** `tensor/tile` of the step the access belongs to. */
  readonly tenant: string;
  readonly write: boolean;
  readonly task: string;
}

export function verifySramOrder(s: Schedule, m: Machine): string[] {
  const placements = new Map<string, Placement>((s.graph.placements ?? []).map((p) => [p.tensor, p]));
  const tasks = new Map<string, Task>(s.graph.tasks.map((t) => [t.id, t]));
  const role = new Map(s.graph.tensors.map((t) => [t.id, t.role]));
  /** The tenant (`tensor/tile`) of task `task`'s read or write step that owns word `addr` of slice `slice`. */
  const tenantOf = (task: Task, write: boolean, slice: number, addr: number): string | undefined => {
    for (const st of task.steps) {
      if (st.kind !== (write ? "write" : "read")) continue;
      const p = placements.get(st.ref.tensor);
      if (!p) continue;
      const last = st.ref.row + (st.ref.n - 1) * st.ref.stride;
      for (let row = st.ref.row; row <= last; ) {
        const b = blockOf(p, st.ref.tile, row);
        const words = Math.ceil(b.rows / (b.width ?? 1));
        if (b.slices.includes(slice) && addr >= b.addr && addr < b.addr + words)
          return `${p.tensor}/${b.tile}`;
        row = b.row0 + b.rows;
      }
    }
    return undefined;
  };
  // Words by a numeric key (chip, slice, address): string keys made the check slower than the compile.
  let slices = 1;
  for (const q of s.queues) if (q.queue.kind === "mem") slices = Math.max(slices, q.queue.index + 1);
  const wordKey = (chip: number, slice: number, addr: number) =>
    (chip * slices + slice) * m.mem.wordsPerSlice + addr;
  const byWord = new Map<number, Access[]>();
  const errors: string[] = [];
  // In the order the scheduler placed them (the messages' order, as before the schedule was columns).
  const mem = s.queues.filter((q) => q.queue.kind === "mem");
  const rows: { seq: number; q: QueueInsts; k: number }[] = [];
  for (const q of mem)
    for (let k = 0; k < q.columns.count; k++) {
      const op = OPCODES[q.columns.op[k]!];
      if (op === "read" || op === "write") rows.push({ seq: q.seq[k]!, q, k });
    }
  rows.sort((a, b) => a.seq - b.seq);
  for (const { q, k } of rows) {
    const i = instAt(s.graph, q, k);
    const op = i.inst.op;
    const ins = i.inst as { addr: number; n: number; stride: number };
    const task = tasks.get(i.task)!;
    const write = op === "write";
    const tenant = tenantOf(task, write, i.queue.index, ins.addr);
    if (!tenant) {
      errors.push(
        `${i.task}: ${op} of slice ${i.queue.index} word ${ins.addr} belongs to none of its tensors`,
      );
      continue;
    }
    for (let k = 0; k < ins.n; k++) {
      const key = wordKey(i.chip, i.queue.index, ins.addr + k * ins.stride);
      const list = byWord.get(key) ?? byWord.set(key, []).get(key)!;
      // A write counts from the cycle its value is visible; a read at its access cycle.
      list.push({ cycle: i.cycle + k + (write ? m.mem.writeLatency : 0), tenant, write, task: i.task });
    }
  }
  for (const [word, list] of [...byWord].sort((a, b) => a[0] - b[0])) {
    // Visible writes sort before reads of the same cycle (a read at write access + L_write sees the write).
    list.sort((a, b) => a.cycle - b.cycle || Number(b.write) - Number(a.write));
    let last: Access | undefined;
    for (const a of list) {
      if (a.write) {
        last = a;
        continue;
      }
      const imaged = role.get(a.tenant.slice(0, a.tenant.lastIndexOf("/"))) !== "temp";
      if (last ? last.tenant !== a.tenant : !imaged) {
        const addr = word % m.mem.wordsPerSlice;
        const slot = (word - addr) / m.mem.wordsPerSlice;
        const held = last ? `${last.tenant} (written by ${last.task})` : "nothing written yet";
        errors.push(
          `chip ${Math.floor(slot / slices)} slice ${slot % slices} word ${addr}: ${a.task} reads ${a.tenant} ` +
            `at cycle ${a.cycle}, but the word holds ${held}`,
        );
      }
    }
  }
  return errors;
}
