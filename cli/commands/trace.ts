// `lpu trace FILE.lasm|FILE.model -o trace.json`: simulates a program (a model is compiled first, timing only) and
// writes its schedule as a Chrome trace for Perfetto or chrome://tracing: a process per chip, a thread per unit,
// an event per instruction. `--window FROM:TO` keeps only those cycles (and stops simulating at TO).
import { type Command, InvalidArgumentError } from "commander";
import type { Program } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { STRATEGIES } from "../../compiler/passes/partition.ts";
import { formatHazards, Simulator } from "../../simulator/lpu/index.ts";
import { formatChromeTrace, toChromeTrace } from "../../simulator/report/trace/chrome.ts";
import { lpuTimeline } from "../../simulator/report/trace/lpu.ts";
import { parseWindow, type Window } from "../../simulator/report/trace/timeline.ts";
import { validateChromeTrace } from "../../simulator/report/trace/validate.ts";
import { UserError } from "../../util/diagnostics.ts";
import { action, collectSet, parsePositiveInt, stableJson, writeOutput } from "../common.ts";
import { compileFile } from "./compile.ts";
import { loadProgram, reportHazards, type SimCliOptions, simulatorOptions } from "./run.ts";

interface TraceFlags extends SimCliOptions {
  output?: string;
  window?: Window;
  chips?: number;
  set?: Record<string, string>;
  partition?: string;
  memGroup: number;
  json?: boolean;
}

function windowFlag(value: string): Window {
  const w = parseWindow(value);
  // commander turns InvalidArgumentError into "error: option ... argument ... is invalid" and exit 1.
  if (!w) throw new InvalidArgumentError("expected FROM:TO in cycles with FROM < TO, e.g. 0:5000");
  return w;
}

function load(file: string, flags: TraceFlags): { program: Program; machine: Machine; text?: string } {
  if (file.endsWith(".model")) {
    if (flags.chips === undefined)
      throw new UserError(`'${file}' is a model: say how many chips (--chips N)`);
    const compiled = compileFile(
      file,
      {
        chips: flags.chips,
        arch: flags.arch ?? "tsp-v1",
        archSet: flags.archSet ?? {},
        set: flags.set ?? {},
        seed: flags.seed ?? 1,
        partition: flags.partition,
      },
      false,
    );
    const program = compiled.result.program;
    if (!program) throw new UserError(`'${file}': the compiler produced no program`);
    return { program, machine: compiled.machine };
  }
  if (flags.chips !== undefined)
    throw new UserError("--chips is for .model files; a .lasm file says its chips");
  return loadProgram(file, flags);
}

/** Hazards on stderr, exit 1. A compiled program has no assembly text: its report names chip, queue,
 * instruction and cycle, and any hazard there is a compiler bug. */
function reportRunHazards(sim: Simulator, file: string, text: string | undefined): void {
  if (text !== undefined) {
    reportHazards(sim, file, text);
    return;
  }
  if (sim.hazards.length === 0) return;
  process.stderr.write(`${formatHazards(sim.hazards, file)}\n`);
  throw new UserError(`${sim.hazards.length} hazard(s) in the compiled program (a compiler bug)`);
}

export function register(program: Command): void {
  simulatorOptions(
    program
      .command("trace")
      .description("write a Chrome trace (Perfetto, chrome://tracing) of a program's schedule")
      .argument("<file>", "a .lasm assembly file, or a .model file to compile first (with --chips)"),
  )
    .requiredOption("-o, --output <file>", "where to write the trace (JSON)")
    .option("--window <from:to>", "keep only cycles FROM..TO-1 (and stop simulating at TO)", windowFlag)
    .option("--chips <n>", "chips to compile a .model file for", parsePositiveInt("--chips"))
    .option("--set <key=value>", "set a model constant (repeatable), for .model files", collectSet)
    .option(
      "--partition <strategy>",
      `how to spread a .model over its chips: ${STRATEGIES.join(", ")} (default auto; see lpu compile --help)`,
    )
    .option(
      "--mem-group <n>",
      "MEM slices per trace thread (1 = a thread per slice)",
      parsePositiveInt("--mem-group"),
      11,
    )
    .option("--json", "print a summary (output, events, processes, threads, cycles, complete) as JSON")
    .addHelpText(
      "after",
      `
The trace has one process per chip and one thread per unit: MEM slices in groups (--mem-group), each MXM
plane, VXM ALU, SXM and C2C link. Each instruction is a complete event from its issue cycle for as long as it
occupies its unit, with its assembly text, queue and source line in args; a sync lasts until it is released.
Instructions that overlap on one unit (an MXM loading weights while it multiplies) go on extra rows named
"NAME ·2". Counters: SRAM bytes used, C2C bytes sent and received. Times are microseconds at the preset clock
(each chip's own program cycles). Hazards appear on a "Hazards" row and are reported on stderr (exit 1), after
the trace is written.

Examples:
  lpu trace programs/asm/matvec-320.lasm -o out/matvec.trace.json
  lpu trace programs/mlp2.model --chips 1 -o out/mlp2.trace.json --window 0:400
Open the file at https://ui.perfetto.dev or chrome://tracing.`,
    )
    .action(
      action((file: string, flags: TraceFlags) => {
        const { program: p, machine, text } = load(file, flags);
        const sim = new Simulator(p, machine, {
          seed: flags.seed,
          functional: flags.values !== false && !file.endsWith(".model"),
          maxHazards: flags.maxHazards,
        });
        // Faults found before running (unknown queues, data beyond a slice): nothing ran, so there is no trace.
        if (sim.chips.length === 0) {
          reportRunHazards(sim, file, text);
          throw new UserError(`'${file}' did not run: ${sim.hazards.length} fault(s) before the first cycle`);
        }
        const { timeline, complete } = lpuTimeline(sim, {
          until: flags.window?.to,
          memSlicesPerThread: flags.memGroup,
          source: text,
          meta: { program: file, arch: machine.name, seed: flags.seed ?? 1 },
        });
        const trace = toChromeTrace(timeline, flags.window);
        const problems = validateChromeTrace(trace);
        if (problems.length > 0)
          throw new Error(`the trace breaks its own rules: ${problems.map((x) => x.message).join("; ")}`);
        const out = flags.output!;
        writeOutput(out, formatChromeTrace(trace));
        const events = trace.traceEvents.filter((e) => e.ph === "X").length;
        const threads = trace.traceEvents.filter((e) => e.name === "thread_name").length;
        const summary = {
          output: out,
          events,
          processes: timeline.processes.length,
          threads,
          cycles: Math.max(0, ...sim.chips.map((c) => c.end)),
          complete,
          ...(flags.window ? { window: [flags.window.from, flags.window.to] } : {}),
        };
        process.stdout.write(
          flags.json
            ? stableJson(summary)
            : `wrote ${out}: ${events} events on ${threads} threads of ${summary.processes} chip(s)` +
                `${complete ? `, ${summary.cycles} cycles` : `, stopped at cycle ${flags.window?.to ?? sim.now}`}\n`,
        );
        reportRunHazards(sim, file, text);
      }),
    );
}
