// `lpu step FILE.lasm [--from C] [--cycles N]`: what happens each cycle, in words: issues, words put on streams at
// unit positions, SRAM writes, MXM results, link sends and arrivals, and hazards where they happen.
import type { Command } from "commander";
import { compareHazards, place } from "../../simulator/lpu/hazards.ts";
import { Simulator } from "../../simulator/lpu/index.ts";
import { HAZARDS } from "../../simulator/lpu/messages.ts";
import { UserError } from "../../util/diagnostics.ts";
import { action, parsePositiveInt } from "../common.ts";
import { loadProgram, reportHazards, type SimCliOptions, simulatorOptions } from "./run.ts";

function parseCycle(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new UserError(`--from takes a cycle (a whole number >= 0), got '${value}'`);
  return n;
}

export function register(program: Command): void {
  simulatorOptions(
    program
      .command("step")
      .description("step through an LPU program (.lasm) cycle by cycle, printing what happens")
      .argument("<file>", "the .lasm assembly file"),
  )
    .option("--from <cycle>", "first cycle to print", parseCycle, 0)
    .option("--cycles <n>", "how many cycles to print", parsePositiveInt("--cycles"), 50)
    .addHelpText(
      "after",
      `
Cycles are program cycles of each chip (a chip's deskew pause does not advance them). Cycles where nothing
happens are skipped. Hazards are shown where they happen and reported in full on stderr (exit status 1); a
window that ends before the program does reports the hazards met up to its last cycle.

Examples:
  lpu step programs/asm/vector-add.lasm
  lpu step programs/asm/two-chip.lasm --from 260 --cycles 20`,
    )
    .action(
      action((file: string, opts: SimCliOptions & { from: number; cycles: number }) => {
        const { program: p, machine, text } = loadProgram(file, opts);
        const sim = new Simulator(p, machine, {
          seed: opts.seed,
          functional: opts.values !== false,
          maxHazards: opts.maxHazards,
          log: true,
        });
        const last = opts.from + opts.cycles - 1;
        sim.runUntil(last);
        const multi = sim.chips.length > 1;
        const lines: { cycle: number; chip: number; order: number; text: string }[] = [];
        sim.logEntries!.forEach((e, order) => {
          if (e.cycle >= opts.from && e.cycle <= last)
            lines.push({
              cycle: e.cycle,
              chip: e.chip,
              order,
              text: `${multi ? `chip ${e.chip} ` : ""}${e.text}`,
            });
        });
        for (const h of [...sim.hazards].sort(compareHazards)) {
          if (h.cycle !== undefined && h.cycle >= opts.from && h.cycle <= last)
            lines.push({
              cycle: h.cycle,
              chip: h.chip,
              order: Number.MAX_SAFE_INTEGER,
              text: `!! ${HAZARDS[h.name].code} ${h.name}: ${place(h)}`,
            });
        }
        lines.sort((a, b) => a.cycle - b.cycle || a.chip - b.chip || a.order - b.order);
        const out: string[] = [];
        let current = Number.NaN;
        for (const l of lines) {
          if (l.cycle !== current) {
            current = l.cycle;
            out.push(`cycle ${l.cycle}`);
          }
          out.push(`  ${l.text}`);
        }
        if (out.length === 0) out.push(`nothing happens in cycles ${opts.from}..${last}`);
        process.stdout.write(`${out.join("\n")}\n`);
        // Past the window the program is not run (it may be long): the hazards reported are those met so far, so a
        // hazard shown above always sets exit status 1. A run that ended in the window also gets the end-of-run
        // checks (syncs never notified, words never received).
        if (sim.done) sim.run();
        reportHazards(sim, file, text);
      }),
    );
}
