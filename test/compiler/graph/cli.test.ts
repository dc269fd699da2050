// `lpu check` and `lpu graph` end to end: exit codes, where output goes, and exact numbers in --json.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = new URL("../../../", import.meta.url).pathname;
const SMALL = "test/compiler/graph/fixtures/small.model";

function lpu(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["bin/lpu.js", ...args], { cwd: ROOT, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("lpu check", () => {
  it("exits 0 with a one-line summary on stdout for a valid model", () => {
    const r = lpu("check", SMALL, "--set", "ctx=5");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${SMALL}: ok: model small, 35 nodes, 528 params (1.06 kB), KV cache 160 B\n`);
    expect(r.stderr).toBe("");
  });
  it("exits 1 with the diagnostics on stderr for an invalid one", () => {
    const r = lpu("check", "programs/errors/matmul-shape.model");
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("matmul-shape.model:9:12: error LPU2030: matmul: inner dimensions differ");
    expect(r.stderr).toContain("lpu: 1 error");
  });
});

describe("lpu graph", () => {
  it("prints exact statistics with --json and writes dot to a file with --dot FILE", () => {
    const dot = join(mkdtempSync(join(tmpdir(), "lpu-graph-")), "small.dot");
    const r = lpu("graph", SMALL, "--json", "--dot", dot);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.model).toBe("small");
    expect(doc.stats.params.count).toBe(528);
    // matmuls 2 layers * 2 * (8*16 + 8*8) + lm head 2 * 8*16 = 1024; attention 2 * (4*8*4 + 6*8) = 352 (8 scores
    // over 4 keys, Dh 4); rmsnorm 2 * 4*8 = 64; add 2 * 8 = 16.
    expect(doc.stats.flops).toBe(1456);
    expect(readFileSync(dot, "utf8")).toMatch(/^digraph "small" \{/);
  });
});
