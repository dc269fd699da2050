// One compiler benchmark case in a process of its own (peak memory is its own): load a model with constants and
// compile it for a chip count, timing-only (no SRAM images). Used by bench/compile.ts, and by hand for profiles:
//   node --import tsx [--cpu-prof] bench/compile-case.ts FILE CHIPS [k=v ...] [--partition NAME]
// Out: one BenchResult as JSON on the last stdout line (compile seconds split by pass on stderr).
import { readFileSync } from "node:fs";
import { resolveMachine } from "../arch/derive.ts";
import { compile } from "../compiler/compile.ts";
import { loadModel } from "../compiler/frontend.ts";
import type { BenchResult } from "./result.ts";

export function compileCase(
  name: string,
  file: string,
  chips: number,
  sets: Record<string, string>,
): BenchResult {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const loaded = loadModel(readFileSync(file, "utf8"), file, sets);
  if (!loaded.graph) return { name, note: loaded.diagnostics.map((d) => d.message).join("; ") };
  const machine = resolveMachine("tsp-v1", {});
  const r = compile(loaded.graph, machine, { chips, file });
  const compileSeconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  process.stderr.write(`cpu ${cpuSeconds.toFixed(2)} s; `);
  const errors = r.diagnostics.filter((d) => d.severity === "error");
  if (!r.report)
    return { name, compileSeconds, note: errors.map((d) => `${d.code}: ${d.message}`).join("; ") };
  const us = (1e6 * cpuSeconds) / r.report.instructions;
  return {
    name,
    instructions: r.report.instructions,
    compileSeconds,
    note: `${r.report.chips} chip(s); CPU ${cpuSeconds.toFixed(2)} s, ${us.toFixed(1)} us per instruction`,
  };
}

const [file, chips, ...rest] = process.argv.slice(2);
if (file && chips) {
  const sets: Record<string, string> = {};
  for (const kv of rest) {
    const [k, v] = kv.split("=");
    sets[k!] = v!;
  }
  const r = compileCase(`${file} ${chips} ${rest.join(" ")}`, file, Number(chips), sets);
  process.stderr.write(
    `${r.instructions} instructions in ${r.compileSeconds?.toFixed(2)} s; ${r.note ?? ""}\n`,
  );
  process.stdout.write(`${JSON.stringify({ ...r, peakRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
}
