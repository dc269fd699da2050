// A benchmark report (bench/result.ts BenchReport) -> the printed text table and the Markdown table for the README's
// performance section. Both start with the machine and the date and show the same cells, so a pasted table says
// exactly what `npm run bench` printed. Pure: no clock, no machine lookups (the report carries both).
import type { BenchReport, FileResult, MachineInfo } from "./result.ts";

const HEAD = [
  "bench",
  "case",
  "instructions",
  "compile s",
  "compile CPU s",
  "simulate s",
  "simulate CPU s",
  "sim inst/s",
  "runs",
  "run s",
  "peak MiB",
] as const;
/** Columns of text (bench, case); the rest are numbers, right-aligned. */
const TEXT_COLUMNS = 2;

function fixed(x: number | undefined, digits: number): string {
  return x === undefined ? "" : x.toFixed(digits);
}

/** Rates in millions (23.41M) when they reach a million, else whole numbers. */
function rate(x: number | undefined): string {
  if (x === undefined) return "";
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x.toFixed(0);
}

/** The bench file's short name: bench/models.ts -> models. */
function benchName(file: string): string {
  return file.replace(/^bench\//, "").replace(/\.ts$/, "");
}

function cells(r: FileResult): string[] {
  return [
    benchName(r.file),
    r.name,
    r.instructions === undefined ? "" : String(r.instructions),
    fixed(r.compileSeconds, 3),
    fixed(r.compileCpuSeconds, 3),
    fixed(r.simulateSeconds, 3),
    fixed(r.simulateCpuSeconds, 3),
    rate(r.instructionsPerSecond),
    r.runs === undefined ? "" : String(r.runs),
    fixed(r.runSeconds, 3),
    fixed(r.peakRssMiB, 0),
  ];
}

function notes(results: readonly FileResult[]): string[] {
  return results.filter((r) => r.note).map((r) => `${benchName(r.file)} / ${r.name}: ${r.note}`);
}

/** "2 cores (AMD EPYC 7B13), 7.8 GiB memory, Node.js v20.19.0, linux x64". */
export function machineLine(m: MachineInfo): string {
  const gib = (m.memory_bytes / 2 ** 30).toFixed(1);
  const load = m.load_average === undefined ? "" : `, load average ${m.load_average.toFixed(2)} at the start`;
  return `${m.cores} cores (${m.cpu}), ${gib} GiB memory, Node.js ${m.node}, ${m.platform}${load}`;
}

/** The table `npm run bench` prints: the machine and the date, then one aligned row per result, then the notes. */
export function formatTable(report: BenchReport): string {
  const rows = report.results.map(cells);
  const widths = HEAD.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cs: readonly string[]) =>
    cs
      .map((c, i) => (i < TEXT_COLUMNS ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  const lines = [
    `machine: ${machineLine(report.machine)}`,
    `date:    ${report.date}`,
    "",
    line(HEAD),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
  ];
  const ns = notes(report.results);
  if (ns.length > 0) lines.push("", "notes:", ...ns.map((n) => `  ${n}`));
  return `${lines.join("\n")}\n`;
}

/** "2026-11-26T21:40:05.123Z" -> "2026-11-26 21:40 UTC" (text only: an unexpected date string is shown as it is). */
function utcMinute(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

/** A cell of a Markdown table: a `|` would end the cell, a line break the row. */
function md(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll(/\s*\n\s*/g, " ");
}

/** The same report as Markdown for the README: a sentence naming the machine and the date, the table, the notes. */
export function formatMarkdown(report: BenchReport): string {
  const row = (cs: readonly string[]) => `| ${cs.map(md).join(" | ")} |`;
  const align = HEAD.map((_, i) => (i < TEXT_COLUMNS ? "---" : "---:"));
  const lines = [
    `\`npm run bench\`, ${utcMinute(report.date)}; machine: ${machineLine(report.machine)}.`,
    "",
    row(HEAD),
    row(align),
    ...report.results.map((r) => row(cells(r))),
  ];
  const ns = notes(report.results);
  if (ns.length > 0) lines.push("", "Notes:", "", ...ns.map((n) => `- ${md(n)}`));
  return `${lines.join("\n")}\n`;
}

/** Reads a results file's JSON text as a BenchReport, naming the first field that is missing or of the wrong type. */
export function parseReport(text: string, file: string): BenchReport {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not JSON (${(e as Error).message})`);
  }
  const need = (ok: boolean, what: string) => {
    if (!ok) throw new Error(`${file}: ${what} (is it a file written by \`npm run bench -- --json FILE\`?)`);
  };
  const o = data as Record<string, unknown>;
  need(typeof o === "object" && o !== null, "expected an object");
  need(typeof o.date === "string", "no 'date' string");
  const m = o.machine as Record<string, unknown> | undefined;
  need(typeof m === "object" && m !== null, "no 'machine' object");
  for (const k of ["cores", "memory_bytes"]) need(typeof m![k] === "number", `machine.${k} is not a number`);
  for (const k of ["cpu", "node", "platform"])
    need(typeof m![k] === "string", `machine.${k} is not a string`);
  need(Array.isArray(o.results), "no 'results' list");
  (o.results as unknown[]).forEach((r, i) => {
    const x = r as Record<string, unknown>;
    need(typeof x === "object" && x !== null, `results[${i}] is not an object`);
    need(typeof x.file === "string" && typeof x.name === "string", `results[${i}] lacks 'file' or 'name'`);
    for (const k of [
      "instructions",
      "compileSeconds",
      "simulateSeconds",
      "instructionsPerSecond",
      "runs",
      "runSeconds",
      "peakRssMiB",
    ])
      need(x[k] === undefined || typeof x[k] === "number", `results[${i}].${k} is not a number`);
  });
  return data as BenchReport;
}
