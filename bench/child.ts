// Runs one bench file's `bench()` in a process of its own and writes its results and the process's peak
// resident memory as JSON to the path given. Usage (by bench/run.ts): node --import tsx bench/child.ts FILE OUT
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { BenchResult } from "./result.ts";

const [file, out] = process.argv.slice(2);
if (!file || !out) throw new Error("usage: node --import tsx bench/child.ts FILE OUT");
const mod = (await import(pathToFileURL(resolve(file)).href)) as { bench?: () => Promise<BenchResult[]> };
if (typeof mod.bench !== "function") throw new Error(`${file} does not export bench()`);
const results = await mod.bench();
// maxRSS is in KiB on Linux and macOS.
writeFileSync(out, JSON.stringify({ results, peakRssMiB: process.resourceUsage().maxRSS / 1024 }));
