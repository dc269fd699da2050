// `lpu sweep FILE.model --chips 64,128 [--gpus 1,8] ...`: every combination of the lists, evaluated on worker
// threads, printed as a table (or --json / --csv) in combination order. `--shard I/N` runs one slice of the
// combinations; `lpu sweep --merge a.csv b.csv ...` joins the slices' CSV files. See docs/sweep.md.
import { writeSync } from "node:fs";
import type { Command } from "commander";
import { loadModel } from "../../compiler/frontend.ts";
import { sheetToCsv } from "../../compiler/sweep/csv.ts";
import { combinations, inShard, parseShard } from "../../compiler/sweep/grid.ts";
import { mergeCsv } from "../../compiler/sweep/merge.ts";
import { defaultWorkers } from "../../compiler/sweep/pool.ts";
import { progressBar } from "../../compiler/sweep/progress.ts";
import { runSweep } from "../../compiler/sweep/run.ts";
import { compactRanges, formatSheet, type Sheet, sheetJson } from "../../compiler/sweep/sheet.ts";
import { UserError } from "../../util/diagnostics.ts";
import {
  action,
  collectSet,
  parsePositiveInt,
  readSource,
  reportDiagnostics,
  stableJson,
} from "../common.ts";
import { checkMachines, type SweepFlags, sweepBlocks } from "../sweep/blocks.ts";
import { SET_PREFIX, SWEEP_METRICS, type SweepContext } from "../sweep/context.ts";
import { EVALUATE_URL } from "../sweep/evaluate.ts";

interface Options extends SweepFlags {
  json?: boolean;
  csv?: boolean;
  shard?: string;
  workers?: number;
  runs: number;
  seed: number;
  simulateUpTo: number;
  merge?: string[];
}

/** Instructions up to which a sweep also simulates the compiled program (an assumption: about a second each). */
const SIMULATE_UP_TO = 1_000_000;

function parseCount(flag: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new UserError(`${flag} takes a whole number >= 0, got '${v}'`);
    return n;
  };
}

function print(sheet: Sheet, o: Options): void {
  const text = o.json ? stableJson(sheetJson(sheet)) : o.csv ? sheetToCsv(sheet) : formatSheet(sheet);
  // Synchronous so a large table is fully written before the exit code is set.
  writeSync(1, text);
}

function merge(files: readonly string[], o: Options): void {
  const merged = mergeCsv(
    files.map((file) => ({ file, text: readSource(file) })),
    SWEEP_METRICS,
  );
  print(merged.sheet, o);
  if (merged.duplicates > 0)
    process.stderr.write(`lpu: dropped ${merged.duplicates} duplicate row(s) (a shard given twice?)\n`);
  if (merged.missing.length > 0)
    throw new UserError(
      `${merged.missing.length} of ${merged.sheet.combinations} combinations missing: ` +
        `${compactRanges(merged.missing)} (a shard that failed or was not given?)`,
    );
}

async function sweep(file: string, o: Options): Promise<void> {
  if (o.json && o.csv) throw new UserError("--json and --csv exclude each other");
  const blocks = sweepBlocks(o);
  checkMachines(blocks);
  const shard = o.shard === undefined ? undefined : parseShard(o.shard);
  const text = readSource(file);
  // The first combination's constants: a misspelt --set name or a broken model stops the sweep here, once.
  const first = combinations(blocks)[0]!;
  const sets: Record<string, string> = {};
  for (const [k, v] of Object.entries(first.params))
    if (k.startsWith(SET_PREFIX)) sets[k.slice(SET_PREFIX.length)] = v;
  reportDiagnostics(
    loadModel(text, file, sets).diagnostics.filter((d) => d.severity === "error"),
    text,
  );
  const context: SweepContext = { file, text, seed: o.seed, runs: o.runs, simulateUpTo: o.simulateUpTo };
  const mine = inShard(combinations(blocks), shard).length;
  const label = `sweep ${file}${shard ? ` shard ${shard.index}/${shard.count}` : ""}`;
  const progress = progressBar(process.stderr, label, mine);
  const sheet = await runSweep({
    blocks,
    shard,
    module: EVALUATE_URL,
    context,
    metrics: SWEEP_METRICS,
    workers: Math.min(o.workers ?? defaultWorkers(), Math.max(1, mine)),
    onResult: progress.onResult,
  });
  progress.end();
  print(sheet, o);
  const crashed = sheet.rows.filter((r) => r.outcome.kind === "crashed").length;
  if (crashed > 0) {
    process.stderr.write(`lpu: ${crashed} combination(s) crashed: a bug, please report it\n`);
    process.exitCode = 2;
  } else if (sheet.rows.length > 0 && sheet.rows.every((r) => r.outcome.kind !== "ok")) {
    throw new UserError("no combination could be evaluated (see the rows' messages)");
  }
}

export function register(program: Command): void {
  program
    .command("sweep")
    .description("evaluate every combination of chips, SRAM and GPUs on every core: a table, JSON or CSV")
    .argument("[file]", "the .model file (omit with --merge)")
    .option("--chips <list>", "LPU chip counts, e.g. 64,128,256,576 (sweeps the LPU)")
    .option("--arch <list>", "LPU machine presets (default tsp-v1)")
    .option(
      "--arch-set <key=list>",
      "LPU machine parameter values (repeatable), e.g. --arch-set sram_mib=220,440",
      collectSet,
    )
    .option("--gpus <list>", "GPU counts, e.g. 1,2,4,8 (sweeps the GPU baseline)")
    .option("--gpu <list>", "GPU presets (default h100-sxm)")
    .option("--set <name=list>", "model constant values (repeatable), e.g. --set ctx=1024,4096", collectSet)
    .option("--runs <k>", "GPU runs sampled per configuration", parsePositiveInt("--runs"), 100)
    .option("--seed <n>", "seed of the GPU runs and the LPU chips' clocks", parseCount("--seed"), 1)
    .option(
      "--simulate-up-to <n>",
      "also simulate LPU programs of at most this many instructions and check the cycles (0: never)",
      parseCount("--simulate-up-to"),
      SIMULATE_UP_TO,
    )
    .option("--shard <I/N>", "run only the I-th (1-based) of N slices of the combinations")
    .option("--workers <k>", "worker threads (default: as many as cores)", parsePositiveInt("--workers"))
    .option("--merge <csv...>", "merge the CSV files of a sharded sweep instead of running one")
    .option("--json", "print JSON")
    .option("--csv", "print CSV (what --merge reads)")
    .addHelpText(
      "after",
      `
Combinations: the LPU rows cross --set lists, --arch, each --arch-set key and --chips; the GPU rows cross --set
lists, --gpu and --gpus. They are numbered from 1 in that order (first list slowest, values in the order given).
Columns, LPU and GPU rows alike: latency, tokens/s, chips used, chips needed (the fewest chips the compiler fits the
model on; the fewest GPUs whose HBM holds it), J/token and $/Mtok (the default energy and cost presets, as lpu
compare); GPU rows add p99, LPU rows cycles, instructions, efficiency and the simulator's cycles.
A configuration that cannot work (too few chips, too many GPUs for the heads) is reported in its own row, with the
chips it needs when that is known.
--shard I/N takes combinations I, I+N, I+2N ...: every combination is in exactly one shard.

Examples:
  lpu sweep programs/mlp2.model --chips 1,2 --arch-set sram_mib=110,220 --gpus 1,2
  lpu sweep programs/llama2-7b.model --gpus 1,2,4,8 --runs 20 --csv > gpus.csv
  lpu sweep programs/llama2-70b.model --chips 64,128,256,576 --shard 2/4 --csv > part2.csv
  lpu sweep --merge part1.csv part2.csv part3.csv part4.csv

Details, and a Slurm job array example: docs/sweep.md`,
    )
    .action(
      action(async (file: string | undefined, o: Options) => {
        if (o.merge) {
          if (file !== undefined || o.chips !== undefined || o.gpus !== undefined || o.shard !== undefined)
            throw new UserError("--merge takes only CSV files (and --json or --csv), not a model or lists");
          if (o.json && o.csv) throw new UserError("--json and --csv exclude each other");
          merge(o.merge, o);
          return;
        }
        if (file === undefined) throw new UserError("give a .model file to sweep (or --merge CSV files)");
        await sweep(file, o);
      }),
    );
}
