// A chip that copies another's queues (ChipProgram.copyOf, arch/isa.ts): the program -> the same program with every
// copy written out, each copied instruction issuing `shift` cycles later than its original (a program with no copies
// comes back as it is). The simulator does not write copies out: it runs a copy from its original's list with the
// shift added (simulator/lpu/prepare.ts), in the queue order of queuesOf here, so ids match the written-out program.

import { shiftedColumns } from "./columns.ts";
import { columnQueue, columnsOf, queueLength } from "./columns-build.ts";
import type { ChipProgram, Program, QueueProgram } from "./isa.ts";

/** What is wrong with the program's copies (empty when every `copyOf` names a chip that is not itself a copy). */
export function copyProblems(p: Program): string[] {
  const byChip = new Map(p.chips.map((c) => [c.chip, c]));
  const problems: string[] = [];
  for (const c of p.chips) {
    if (!c.copyOf) continue;
    const of = byChip.get(c.copyOf.chip);
    if (!of) problems.push(`chip ${c.chip} copies chip ${c.copyOf.chip}, which the program does not have`);
    else if (of.copyOf) problems.push(`chip ${c.chip} copies chip ${of.chip}, which is itself a copy`);
    if (!Number.isInteger(c.copyOf.shift) || c.copyOf.shift < 0)
      problems.push(`chip ${c.chip} copies with shift ${c.copyOf.shift}: a whole number >= 0 is needed`);
  }
  return problems;
}

/** The queues chip `c` runs: its original's, shifted, with its own in place of those of the same name. */
export function queuesOf(
  p: Program,
  c: ChipProgram,
  byChip?: ReadonlyMap<number, ChipProgram>,
): QueueProgram[] {
  if (!c.copyOf) return [...c.queues];
  const of = (byChip ?? new Map(p.chips.map((x) => [x.chip, x]))).get(c.copyOf.chip);
  if (!of || of.copyOf) throw new Error(`internal error: ${copyProblems(p).join("; ")}`);
  const shift = c.copyOf.shift;
  const own = new Set(c.queues.map((q) => `${q.queue.kind}${q.queue.index}`));
  const copied = of.queues
    .filter((q) => !own.has(`${q.queue.kind}${q.queue.index}`))
    .map((q) => columnQueue(q.queue, shiftedColumns(columnsOf(q), shift)));
  return [...copied, ...c.queues];
}

/** Every copy written out (throws on a copy of a missing chip or of a copy: check copyProblems first). */
export function expandCopies(p: Program): Program {
  if (!p.chips.some((c) => c.copyOf)) return p;
  const byChip = new Map(p.chips.map((c) => [c.chip, c]));
  return {
    ...p,
    chips: p.chips.map((c) => {
      if (!c.copyOf) return c;
      const { copyOf: _, ...rest } = c;
      return { ...rest, queues: queuesOf(p, c, byChip) };
    }),
  };
}

/** Instructions chip `c` runs, copies counted (without writing them out). */
export function instructionCount(
  p: Program,
  c: ChipProgram,
  byChip?: ReadonlyMap<number, ChipProgram>,
): number {
  const count = (qs: readonly QueueProgram[]) => qs.reduce((n, q) => n + queueLength(q), 0);
  if (!c.copyOf) return count(c.queues);
  const of = (byChip ?? new Map(p.chips.map((x) => [x.chip, x]))).get(c.copyOf.chip);
  const own = new Set(c.queues.map((q) => `${q.queue.kind}${q.queue.index}`));
  return (
    count(c.queues) + count((of?.queues ?? []).filter((q) => !own.has(`${q.queue.kind}${q.queue.index}`)))
  );
}
