// `lpu compile FILE.model --chips N`: compiles a model to a static LPU schedule and prints the prediction (cycles,
// microseconds, tokens/s, instructions and SRAM per chip) with the lower bound and the schedule's efficiency.
// `-o out.lasm` (or `.json`) writes the program; `--print-after PASS` shows a pass's output.
import type { Command } from "commander";
import { printAsmBytes, programToJsonChunks } from "../../arch/asm/index.ts";
import { resolveMachine } from "../../arch/derive.ts";
import type { Machine } from "../../arch/machine.ts";
import { type CompileResult, compile, PASSES, type PassName } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend.ts";
import type { ModelGraph } from "../../compiler/graph/ir.ts";
import { formatPassTimes, PassTimer } from "../../compiler/pass-timer.ts";
import { M } from "../../compiler/passes/messages.ts";
import { type PartitionStrategy, STRATEGIES } from "../../compiler/passes/partition.ts";
import { evalCost } from "../../compiler/reference/budget.ts";
import { initialSources } from "../../compiler/reference/init.ts";
import { type CompileReport, formatReport } from "../../compiler/schedule/bounds.ts";
import { diag, UserError } from "../../util/diagnostics.ts";
import { didYouMean } from "../../util/suggest.ts";
import {
  action,
  collectSet,
  parsePositiveInt,
  readSource,
  reportDiagnostics,
  stableJson,
  writeOutputBytes,
  writeOutputChunks,
} from "../common.ts";

export interface CompileFlags {
  chips: number;
  arch: string;
  archSet: Record<string, string>;
  set: Record<string, string>;
  seed: number;
  printAfter?: string[];
  verifyEach?: boolean;
  partition?: string;
  timePasses?: boolean;
}

/** Above this many seeded source elements a program is compiled timing-only (no SRAM images): drawing and
 * encoding billions of weights is slow and the simulator would not run it functionally anyway. An assumption. */
export const MAX_DATA_ELEMENTS = 20_000_000;

export interface CompiledFile {
  readonly graph: ModelGraph;
  readonly machine: Machine;
  readonly result: CompileResult & { readonly report: CompileReport };
  readonly withData: boolean;
}

/** Loads, checks and compiles a model file; user mistakes become a UserError after printing diagnostics. */
export function compileFile(file: string, flags: CompileFlags, wantData: boolean): CompiledFile {
  const text = readSource(file);
  const loaded = loadModel(text, file, flags.set);
  reportDiagnostics(loaded.diagnostics, text);
  const graph = loaded.graph;
  if (!graph) throw new UserError("no graph was built");
  const machine = resolveMachine(flags.arch, flags.archSet);
  const printAfter = (flags.printAfter ?? []).map((p) => {
    if ((PASSES as readonly string[]).includes(p)) return p as PassName;
    const d = diag(M.unknownPass, "--print-after", undefined, [p, PASSES.join(", ")], didYouMean(p, PASSES));
    reportDiagnostics([d]);
    throw new UserError("bad --print-after");
  });
  const partition = parseStrategy(flags.partition);
  const withData = wantData && evalCost(graph).sourceElements <= MAX_DATA_ELEMENTS;
  const sources = withData ? initialSources(graph, flags.seed) : undefined;
  const result = compile(graph, machine, {
    chips: flags.chips,
    file,
    sources,
    printAfter,
    verifyEach: flags.verifyEach,
    partition,
    timePasses: flags.timePasses,
  });
  for (const p of result.printed) process.stdout.write(`== after ${p.pass} ==\n${p.text}`);
  reportDiagnostics(result.diagnostics, text);
  if (!result.report) throw new UserError("compilation stopped");
  return { graph, machine, result: result as CompiledFile["result"], withData };
}

function parseStrategy(v: string | undefined): PartitionStrategy {
  if (v === undefined) return "auto";
  if ((STRATEGIES as readonly string[]).includes(v)) return v as PartitionStrategy;
  const d = diag(
    M.unknownStrategy,
    "--partition",
    undefined,
    [v, STRATEGIES.join(", ")],
    didYouMean(v, STRATEGIES),
  );
  reportDiagnostics([d]);
  throw new UserError("bad --partition");
}

export function reportJson(r: CompileReport): Record<string, unknown> {
  return {
    model: r.model,
    arch: r.arch,
    chips: r.chips,
    cycles: r.cycles,
    latency_us: r.latencyUs,
    tokens_per_s: r.tokensPerS,
    instructions: r.instructions,
    instructions_per_chip: r.instructionsPerChip,
    sram_bytes_per_chip: r.sramBytesPerChip,
    sram_bytes_max: Math.max(0, ...r.sramBytesPerChip),
    lower_bound_cycles: r.lowerBound,
    lower_bound_kind: r.boundName,
    bounds: {
      compute: r.bounds.compute,
      sram_bandwidth: r.bounds.sram,
      mxm_weight_load: r.bounds.weightLoad,
      link: r.bounds.link,
      critical_path: r.bounds.criticalPath,
    },
    decomposition_path_cycles: r.diagnosis.decompositionPath,
    efficiency: r.efficiency,
    flops: r.flops,
    min_chips: r.minChips,
    stamp: r.stamp && { unit_span_cycles: r.stamp.span, step_cycles: r.stamp.delta },
  };
}

/** The flags `compile`, `explain` (and `run` on a .model) share. */
export function addCompileOptions(cmd: Command): Command {
  return cmd
    .option("--chips <n>", "chips to compile for", parsePositiveInt("--chips"), 1)
    .option(
      "--partition <strategy>",
      `how to spread the model over the chips: ${STRATEGIES.join(", ")} (default auto: for a model that fits one chip, pack: split a matmul's K over chips only when that beats the link time; for a larger one, the faster by the partitioner's estimate of pack (pipeline stages on the fewest chips) and spread (each op where it is estimated to finish first, on a chip or split by K or by output columns over a node's chips); layers: each instance (or unit of a few instances) of the model's \`repeat\` on its own whole nodes with one placement, and with 3 or more units only unit 0 and the last are scheduled and the others stamped from unit 0, so compile time stays flat in the layer count; auto picks it for a model larger than a chip whose \`repeat\` has 16 or more units on the chips given, can be stamped, and is estimated at most 1.5 times as slow stamped as compiled whole; an explicit --partition always wins)`,
    )
    .option("--arch <name>", "machine preset", "tsp-v1")
    .option(
      "--arch-set <key=value>",
      "change a machine parameter (repeatable), e.g. --arch-set sram_mib=440",
      collectSet,
      {},
    )
    .option(
      "--set <name=value>",
      "override a model constant (repeatable), e.g. --set ctx=2048",
      collectSet,
      {},
    )
    .option(
      "--seed <n>",
      "seed of the weights and inputs loaded into SRAM",
      (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0 || n >= 2 ** 32)
          throw new UserError(`--seed takes an integer in [0, 2^32), got '${v}'`);
        return n;
      },
      0,
    );
}

export function register(program: Command): void {
  const cmd = program
    .command("compile")
    .description("compile a model to a static LPU schedule: predicted cycles, lower bound, efficiency")
    .argument("<file>", "the .model file");
  addCompileOptions(cmd)
    .option("-o, --output <file>", "write the program: assembly (.lasm) or JSON (.json)")
    .option("--json", "print the report as JSON")
    .option(
      "--print-after <pass>",
      `print the IR after a pass (repeatable): ${PASSES.join(", ")}`,
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option("--verify-each", "check each pass's output against its IR's rules (a failure is a compiler bug)")
    .option(
      "--time-passes",
      "print each compiler step's CPU and wall seconds and the heap and resident set after it to stderr",
    )
    .addHelpText(
      "after",
      `
The lower bound is the largest of: compute (the model's multiply-adds, each output's K rounded up to whole 320-term
MXM columns, over the MXM's peak), SRAM bandwidth (the bytes every schedule must read: weights, KV cache, inputs, at
one word per MEM slice per cycle), MXM weight load (every weight row loaded, up to mxm_load_width rows a cycle a
plane (8 on tsp-v1), or streamed), links (this partition's busiest link) and the critical path (this compiler's
task graph with every run cut to one vector and unlimited resources: fixed latencies and hops only). The first three count the model graph's work,
the last two this compiler's choices (docs/compiler.md, "Lower bounds and efficiency").
Efficiency = lower bound / predicted cycles.
SRAM allocated (sram_bytes_per_chip and sram_bytes_max in --json): per chip, each MEM slice counted up to the highest
word the allocator placed there (weights, activations, constants; gaps below that word count too). lpu run's
sram_bytes_max is SRAM written (the distinct words a run loaded or wrote); run on a .model, its
sram_allocated_bytes_max is this one.
flops in --json: 2 per multiply-add of the model's products (matmuls, attention's scores and p.V over the keys a
query sees, an moe's chosen experts), no padding; lpu graph's FLOPs count every key (a causal mask's hidden ones
too: the products are computed and masked) and the pointwise ops as well.
stamp in --json (stamped programs only, --partition layers): unit_span_cycles, the latest a copy of the scheduled
unit may start after the unit before it (its last word into the next unit, the recv it meets), and step_cycles, the
shift between copies: the span rounded up to whole epochs (256 cycles on tsp-v1) at which every word crossing
between copies clears its receiver's deskews (docs/compiler.md, "Copies on their own phase").

Examples:
  lpu compile programs/mlp2.model
  lpu compile programs/mlp2.model -o mlp2.lasm && lpu run mlp2.lasm
  lpu compile programs/mlp2.model --print-after tile --verify-each
  lpu compile programs/mlp2.model --arch-set mxm_latency=10 --json
  lpu compile programs/mlp2.model --chips 2 --partition pipeline   # one layer per chip, activations over a link`,
    )
    .action(
      action((file: string, opts: CompileFlags & { output?: string; json?: boolean }) => {
        const { result } = compileFile(file, opts, opts.output !== undefined);
        const timer = new PassTimer(opts.timePasses === true);
        const out = opts.output;
        if (out) {
          timer.time("write", () => {
            if (out.endsWith(".json")) writeOutputChunks(out, programToJsonChunks(result.program!));
            else writeOutputBytes(out, printAsmBytes(result.program!));
          });
          process.stderr.write(`wrote ${out}\n`);
        }
        if (opts.timePasses)
          process.stderr.write(formatPassTimes([...(result.timings ?? []), ...timer.results()]));
        if (opts.json) process.stdout.write(stableJson(reportJson(result.report)));
        else process.stdout.write(formatReport(result.report));
      }),
    );
}
