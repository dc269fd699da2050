// The benchmark harness: `npm run bench [-- --json out.json] [--only NAME] [--case TEXT]`. Runs every bench file,
// each in a process of its own, prints the machine, the date and one table (bench/render.ts), and writes the same
// figures, machine and date as JSON so that runs can be compared (and rendered for the README: bench/readme.ts). Never run by the tests: speed is measured here, not asserted.
//
// Contract of a bench file (bench/NAME.ts, listed in BENCH_FILES below):
//   export async function bench(): Promise<BenchResult[]>      // BenchResult: bench/result.ts
// - It measures and returns figures; it never asserts. Importing it must not start any work (no top-level runs).
// - A figure it cannot give stays undefined, with `note` saying why ("not available yet: ...").
// - For honest peak memory per case, run each case in a process of its own and set `peakRssMiB` (as
//   bench/models.ts does). If a file returns a single result without `peakRssMiB`, the harness fills in the peak
//   of the process that ran the file.
// - It may print progress to stderr; stdout is the harness's.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { formatTable, machineLine } from "./render.ts";
import type { BenchReport, BenchResult, MachineInfo } from "./result.ts";
import { runTsx } from "./spawn.ts";

/** The bench files, in the order the table lists them. */
export const BENCH_FILES = [
  "bench/models.ts",
  "bench/lpu-sim.ts",
  "bench/gpu.ts",
  "bench/compile.ts",
] as const;

interface FileResults {
  readonly file: string;
  readonly results: readonly BenchResult[];
}

async function runFile(file: string): Promise<FileResults> {
  const missing = (note: string): FileResults => ({ file, results: [{ name: "-", note }] });
  if (!existsSync(file)) return missing(`not available yet: ${file} is not written`);
  // Checked in the text, because importing a file written as a script would start its work.
  if (!/export\s+async\s+function\s+bench\s*\(/.test(readFileSync(file, "utf8")))
    return missing(`not available yet: ${file} does not export async function bench() (see bench/run.ts)`);
  const out = join(mkdtempSync(join(tmpdir(), "lpu-bench-")), "out.json");
  const r = await runTsx("bench/child.ts", [file, out]);
  if (r.failure) return missing(`the bench process ${r.failure}`);
  // A bench file's own prints go to stderr, so the table on stdout stays clean.
  if (r.stdout) process.stderr.write(r.stdout);
  const got = JSON.parse(readFileSync(out, "utf8")) as { results: BenchResult[]; peakRssMiB: number };
  const results =
    got.results.length === 1 && got.results[0]!.peakRssMiB === undefined
      ? [{ ...got.results[0]!, peakRssMiB: got.peakRssMiB }]
      : got.results;
  return { file, results };
}

export function machineInfo(): MachineInfo {
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? "unknown",
    memory_bytes: totalmem(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    load_average: loadavg()[0]!,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: "string" },
      only: { type: "string", multiple: true },
      case: { type: "string" },
      "case-limit": { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    process.stdout.write(
      "npm run bench -- [--json out.json] [--only models|lpu-sim|gpu ...] [--case TEXT] [--case-limit S]\n" +
        "  --json FILE  also write the figures, machine and date as JSON\n" +
        "  --only NAME  run only the named bench files (repeatable)\n" +
        "  --case TEXT  bench/models.ts: run only cases whose name contains TEXT\n" +
        "  --case-limit S  bench/models.ts: stop a case after S wall-clock seconds (default 900)\n" +
        "then: npm run bench:readme -- out.json   prints the JSON as the README's Markdown table\n",
    );
    return;
  }
  if (values.case) process.env.BENCH_CASE = values.case;
  const limit = values["case-limit"];
  if (limit !== undefined) {
    if (!(Number(limit) > 0))
      throw new Error(`--case-limit wants a positive number of seconds, not '${limit}'`);
    process.env.BENCH_CASE_LIMIT_S = limit;
  }
  const date = new Date().toISOString();
  const machine = machineInfo();
  const files = BENCH_FILES.filter((f) => !values.only || values.only.some((o) => f.includes(o)));
  process.stderr.write(`${date}: ${machineLine(machine)}\n`);
  const all: FileResults[] = [];
  for (const file of files) {
    process.stderr.write(`${file}\n`);
    all.push(await runFile(file));
  }
  const report: BenchReport = {
    date,
    machine,
    results: all.flatMap(({ file, results }) => results.map((r) => ({ file, ...r }))),
  };
  // The table and the JSON file carry the same figures, machine and date: `npm run bench:readme -- FILE` renders
  // the file as the README's Markdown table.
  process.stdout.write(formatTable(report));
  if (values.json) {
    writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
    process.stderr.write(`wrote ${values.json} (for the README: npm run bench:readme -- ${values.json})\n`);
  }
}

// Run only as the entry point, so that importing this file starts no benchmark.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
