// A short, deterministic summary of an emitted Program (for `--print-after emit`): per chip, per queue, how many
// instructions and the cycle span, plus SRAM images and output regions.

import { cycleOf } from "../../arch/columns.ts";
import { columnsOf } from "../../arch/columns-build.ts";
import type { Program } from "../../arch/isa.ts";

export function printProgramSummary(p: Program): string {
  const lines = [`program for ${p.arch}: ${p.chips.length} chip(s)`];
  for (const c of p.chips) {
    lines.push(
      `  chip ${c.chip}: ${c.queues.length} queues, ${c.data.length} SRAM images, ${c.outputs.length} outputs`,
    );
    // A stamped chip (arch/copies.ts) lists only the queues it does not copy.
    if (c.copyOf) lines.push(`    runs chip ${c.copyOf.chip}'s other queues ${c.copyOf.shift} cycles later`);
    for (const q of c.queues) {
      const c = columnsOf(q);
      const first = c.count > 0 ? (cycleOf(c, 0) ?? 0) : 0;
      const last = c.count > 0 ? (cycleOf(c, c.count - 1) ?? 0) : 0;
      lines.push(`    ${q.queue.kind}${q.queue.index}: ${c.count} instructions, cycles ${first}..${last}`);
    }
    for (const o of c.outputs)
      lines.push(`    output ${o.name}: ${o.type} slices [${o.slices.join(", ")}] @${o.addr} x${o.words}`);
  }
  return `${lines.join("\n")}\n`;
}
