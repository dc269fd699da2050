// `lpu run FILE.lasm`: simulate an LPU program cycle by cycle and print its results (or `--json`); hazards go to
// stderr as file:line:col reports and exit 1. `FILE.model` will compile first once the compiler exists (issue 4).
import type { Command } from "commander";
import { parseAsm } from "../../arch/asm/index.ts";
import { resolveMachine } from "../../arch/derive.ts";
import type { Program } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { formatHazards, type RunResult, Simulator } from "../../simulator/lpu/index.ts";
import { UserError } from "../../util/diagnostics.ts";
import {
  action,
  collectSet,
  parsePositiveInt,
  readSource,
  reportDiagnostics,
  stableJson,
} from "../common.ts";
import { type RunModelFlags, runModelFile } from "../run-model.ts";

export interface SimCliOptions {
  arch?: string;
  archSet?: Record<string, string>;
  seed?: number;
  values?: boolean;
  maxHazards?: number;
}

export interface LoadedProgram {
  readonly program: Program;
  readonly machine: Machine;
  readonly text: string;
}

/** Reads a .lasm file (or says what a .model file needs) and picks the machine: --arch, else the file's .arch. */
export function loadProgram(file: string, opts: SimCliOptions): LoadedProgram {
  if (file.endsWith(".model")) {
    // Hook for issue 4: compile the model to a Program here, then simulate it like any .lasm file.
    throw new UserError(
      `'${file}' is a model: running it needs the compiler (issue 4); run a .lasm file for now`,
    );
  }
  if (!file.endsWith(".lasm")) throw new UserError(`'${file}': expected a .lasm assembly file`);
  const text = readSource(file);
  const parsed = parseAsm(text, file);
  reportDiagnostics(parsed.diagnostics, text);
  const program = parsed.program!;
  const machine = resolveMachine(opts.arch ?? program.arch ?? "tsp-v1", opts.archSet ?? {});
  return { program, machine, text };
}

export function parseSeed(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
    throw new UserError(`--seed takes a whole number >= 0, got '${value}'`);
  return n;
}

export function simulatorOptions(cmd: Command): Command {
  return cmd
    .option("--arch <name>", "machine preset (default: the file's .arch, else tsp-v1)")
    .option(
      "--arch-set <key=value>",
      "change a machine parameter (repeatable), e.g. --arch-set link_gbps=60",
      collectSet,
    )
    .option("--seed <n>", "seed for each chip's clock drift and start offset", parseSeed, 1)
    .option("--no-values", "timing and hazards only: skip computing values (for huge programs without data)")
    .option("--max-hazards <n>", "stop after this many hazards", parsePositiveInt("--max-hazards"), 20);
}

function resultJson(r: RunResult): unknown {
  return {
    cycles: r.cycles,
    latency_us: r.latencyUs,
    instructions: r.instructions,
    vectors: r.vectors,
    chips: r.chips,
    utilization: r.utilization,
    sram_bytes_max: r.sramBytesMax,
    pause_cycles: r.pauseCycles,
    outputs: r.outputs.map((o) => ({ ...o })),
  };
}

function resultText(file: string, machine: Machine, seed: number, r: RunResult): string {
  const lines = [
    `${file} on ${machine.name} (seed ${seed})`,
    `cycles        ${r.cycles} (${r.latencyUs} us at ${machine.clockMHz} MHz)`,
    `instructions  ${r.instructions} (${r.vectors} vectors)`,
    `chips         ${r.chips}`,
    `busy          ${Object.entries(r.utilization)
      .map(([k, v]) => `${k} ${(v * 100).toFixed(2)}%`)
      .join("  ")}`,
    `SRAM written  ${r.sramBytesMax} bytes on the fullest chip (distinct words loaded as data or written)`,
  ];
  if (r.pauseCycles > 0)
    lines.push(`deskew pause  ${r.pauseCycles.toFixed(2)} cycles (global time; depends on the seed)`);
  if (r.outputs.length > 0) lines.push("outputs");
  for (const o of r.outputs) {
    const head = `  chip ${o.chip} ${o.name}: ${o.type}, ${o.words} word(s), checksum ${o.checksum}`;
    const values = o.values
      ? `  [${o.values.slice(0, 8).join(", ")}${o.values.length > 8 ? ", ..." : ""}]`
      : "";
    lines.push(head + values);
  }
  return `${lines.join("\n")}\n`;
}

/** Prints the hazard report on stderr; throws (exit 1) when any hazard is an error. */
export function reportHazards(sim: Simulator, file: string, text: string): void {
  if (sim.hazards.length === 0) return;
  process.stderr.write(`${formatHazards(sim.hazards, file, text)}\n`);
  const errors = sim.hazards.filter(
    (h) => h.name !== "link-unreceived" && h.name !== "too-many-hazards",
  ).length;
  if (errors > 0) throw new UserError(`${errors} hazard${errors === 1 ? "" : "s"}`);
}

export function register(program: Command): void {
  simulatorOptions(
    program
      .command("run")
      .description(
        "simulate an LPU program (.lasm, or a .model compiled first) cycle by cycle: cycles, time, utilization, outputs",
      )
      .argument("<file>", "a .lasm assembly file, or a .model file to compile first"),
  )
    .option(
      "--json",
      "print cycles, latency_us, instructions, vectors, chips, utilization, sram_bytes_max, pause_cycles, outputs as JSON",
    )
    .option("--chips <n>", "for a .model: chips to compile for", parsePositiveInt("--chips"), 1)
    .option("--set <name=value>", "for a .model: override a model constant (repeatable)", collectSet, {})
    .option(
      "--partition <strategy>",
      "for a .model: auto, pack, spread, none, k-split or pipeline (see lpu compile --help)",
    )
    .option(
      "--functional",
      "for a .model: compute values and compare the outputs with the reference interpreter",
    )
    .addHelpText(
      "after",
      `
SRAM written (sram_bytes_max in --json): on the chip with the most, the distinct words loaded from the program's
data or written while it ran. A .model run without --functional loads no data, so its weights are not counted.
SRAM allocated (a .model run; what lpu compile prints): per chip, each MEM slice counted up to the highest word the
compiler's allocator placed there (weights, activations, constants; gaps below that word count too).

Hazards (a schedule the hardware would not run as written) are reported on stderr with the chip, queue,
instruction, its assembly line and the cycle, and the exit status is 1. See docs/isa.md for every timing rule.

Examples:
  lpu run programs/asm/vector-add.lasm
  lpu run programs/asm/two-chip.lasm --seed 7 --json
  lpu run programs/asm/matvec-320.lasm --arch-set mxm_latency=40`,
    )
    .action(
      action((file: string, opts: SimCliOptions & RunModelFlags) => {
        if (file.endsWith(".model")) return runModelFile(file, opts);
        const { program: p, machine, text } = loadProgram(file, opts);
        const sim = new Simulator(p, machine, {
          seed: opts.seed,
          functional: opts.values !== false,
          maxHazards: opts.maxHazards,
        });
        sim.run();
        reportHazards(sim, file, text);
        const r = sim.result();
        process.stdout.write(
          opts.json ? stableJson(resultJson(r)) : resultText(file, machine, opts.seed ?? 1, r),
        );
      }),
    );
}
