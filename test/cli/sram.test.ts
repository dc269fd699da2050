// The two SRAM figures and their definitions: `lpu compile` prints what the allocator reserved (SRAM allocated:
// each slice up to its highest placed word), `lpu run` what a run touched (SRAM written: distinct words loaded or
// written). Every word a run writes lies in a slice below its allocated top, so written <= allocated.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = new URL("../../", import.meta.url).pathname;
const lpu = async (...args: string[]) =>
  (await run(process.execPath, ["bin/lpu.js", ...args], { cwd: ROOT, encoding: "utf8" })).stdout;

describe("SRAM figures", () => {
  it("compile labels its figure 'SRAM allocated', run labels its own 'SRAM written', each with its definition", async () => {
    const [compiled, ran, lasm] = await Promise.all([
      lpu("compile", "programs/mlp2.model"),
      lpu("run", "programs/mlp2.model"),
      lpu("run", "programs/asm/vector-add.lasm"),
    ]);
    expect(compiled).toMatch(
      /SRAM allocated +\d+ B \(per chip: each MEM slice up to its highest allocated word\)/,
    );
    expect(ran).toMatch(
      /SRAM +\d+ B allocated by the compiler, \d+ B written in the run \(largest chip; timing only/,
    );
    expect(lasm).toMatch(
      /SRAM written +\d+ bytes on the fullest chip \(distinct words loaded as data or written\)/,
    );
    for (const text of [compiled, ran, lasm]) expect(text).not.toMatch(/SRAM used|SRAM per chip/);
  });

  it("a functional run writes at most what the compiler allocated, and timing-only writes less (no weights)", async () => {
    const [functional, timing] = await Promise.all([
      lpu("run", "programs/mlp2.model", "--functional", "--json"),
      lpu("run", "programs/mlp2.model", "--json"),
    ]);
    const f = JSON.parse(functional) as { sram_bytes_max: number; sram_allocated_bytes_max: number };
    const t = JSON.parse(timing) as { sram_bytes_max: number; sram_allocated_bytes_max: number };
    expect(f.sram_bytes_max).toBeGreaterThan(0);
    expect(f.sram_bytes_max).toBeLessThanOrEqual(f.sram_allocated_bytes_max);
    expect(t.sram_allocated_bytes_max).toBe(f.sram_allocated_bytes_max);
    expect(t.sram_bytes_max).toBeLessThan(f.sram_bytes_max);
  });
});
