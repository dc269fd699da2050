// One model benchmark case, in a process of its own so that its peak memory is its own: load and compile the model
// for the LPU, then simulate the program (timing only) and check the simulator agrees with the compiler's cycles.
// Usage (by bench/models.ts): node --import tsx bench/model-case.ts '<ModelCase as JSON>' -> one BenchResult on
// stdout as JSON. A compiler limit or failure becomes the result's note, never a fake figure.
import { readFileSync } from "node:fs";
import { resolveMachine } from "../arch/derive.ts";
import type { Machine } from "../arch/machine.ts";
import { compile } from "../compiler/compile.ts";
import { loadModel } from "../compiler/frontend.ts";
import type { ModelGraph } from "../compiler/graph/ir.ts";
import type { PartitionStrategy } from "../compiler/passes/partition.ts";
import { Simulator } from "../simulator/lpu/index.ts";
import type { Diagnostic } from "../util/diagnostics.ts";
import type { BenchResult } from "./result.ts";

export interface ModelCase {
  readonly name: string;
  readonly file: string;
  readonly sets: Readonly<Record<string, string>>;
  /** A chip count, or "fewest": the smallest count the compiler says holds the model. */
  readonly chips: number | "fewest";
  /** The partition strategy (`lpu compile --partition`); absent: auto. */
  readonly partition?: PartitionStrategy;
}

const errors = (ds: readonly Diagnostic[]) =>
  ds
    .filter((d) => d.severity === "error")
    .map((d) => `${d.code}: ${d.message}`)
    .join("; ");

/**
 * The fewest chips that hold the model, as the compiler's partitioner decides it: compile for one chip and read
 * `minChips` (set once the partition pass ran, also when one chip is too few). The probe's time is not counted.
 */
function fewestChips(graph: ModelGraph, machine: Machine, file: string): number | string {
  const probe = compile(graph, machine, { chips: 1, file });
  if (probe.report) return 1;
  return probe.minChips ?? errors(probe.diagnostics);
}

/** CPU seconds (user + system) of this process since `from` (a process.cpuUsage() reading). */
const cpuSince = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
};

function runCase(c: ModelCase): BenchResult {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const text = readFileSync(c.file, "utf8");
  const loaded = loadModel(text, c.file, c.sets);
  if (!loaded.graph) return { name: c.name, note: errors(loaded.diagnostics) };
  const loadMs = performance.now() - t0;
  const loadCpu = cpuSince(cpu0);
  const machine = resolveMachine("tsp-v1");
  const chips = c.chips === "fewest" ? fewestChips(loaded.graph, machine, c.file) : c.chips;
  if (typeof chips === "string") return { name: c.name, note: chips };
  const name = c.chips === "fewest" ? `${c.name} (${chips} chip${chips === 1 ? "" : "s"})` : c.name;
  const t1 = performance.now();
  const cpu1 = process.cpuUsage();
  const result = compile(loaded.graph, machine, { chips, file: c.file, partition: c.partition });
  const compileSeconds = (loadMs + performance.now() - t1) / 1000;
  // The probe compile of "fewest" is not counted: only loading the model and this compile.
  const compileCpuSeconds = loadCpu + cpuSince(cpu1);
  if (!result.report || !result.program)
    return { name, compileSeconds, compileCpuSeconds, note: errors(result.diagnostics) };
  const instructions = result.report.instructions;
  const t2 = performance.now();
  const cpu2 = process.cpuUsage();
  const sim = new Simulator(result.program, machine, { functional: false });
  sim.run();
  const simulateSeconds = (performance.now() - t2) / 1000;
  const simulateCpuSeconds = cpuSince(cpu2);
  const got = sim.result();
  const notes: string[] = [];
  if (sim.hazards.length > 0) notes.push(`${sim.hazards.length} hazard(s): a compiler or simulator bug`);
  if (got.cycles !== result.report.cycles)
    notes.push(`simulated ${got.cycles} cycles, compiler predicted ${result.report.cycles}: a bug`);
  return {
    name,
    instructions,
    compileSeconds,
    compileCpuSeconds,
    simulateSeconds,
    simulateCpuSeconds,
    instructionsPerSecond: got.instructions / simulateSeconds,
    ...(notes.length > 0 ? { note: notes.join("; ") } : {}),
  };
}

const arg = process.argv[2];
if (!arg) throw new Error("usage: node --import tsx bench/model-case.ts '<ModelCase JSON>'");
const r = runCase(JSON.parse(arg) as ModelCase);
process.stdout.write(`${JSON.stringify({ ...r, peakRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
