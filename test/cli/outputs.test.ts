// Every output file a command writes (compile -o, graph --dot FILE, trace -o, gpu --trace, compare --report,
// import-hf -o) goes into a directory that need not exist yet, as `mkdir -p` would; a path that cannot be written
// is a user error.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = new URL("../../", import.meta.url).pathname;

async function lpu(...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const r = await run(process.execPath, ["bin/lpu.js", ...args], { cwd: ROOT, encoding: "utf8" });
    return { code: 0, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, stderr: err.stderr };
  }
}

describe("output files", () => {
  it("every command that writes a file creates the file's missing parent directories", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lpu-out-"));
    const at = (name: string) => join(dir, "not", "there", name);
    const cases: [string, string[]][] = [
      [at("x.lasm"), ["compile", "programs/mlp2.model", "-o", at("x.lasm")]],
      [at("g.dot"), ["graph", "programs/mlp2.model", "--dot", at("g.dot")]],
      [at("t.json"), ["trace", "programs/asm/vector-add.lasm", "-o", at("t.json")]],
      [at("gpu.json"), ["gpu", "programs/mlp2.model", "--runs", "1", "--trace", at("gpu.json")]],
      [at("r.html"), ["compare", "programs/mlp2.model", "--runs", "1", "--report", at("r.html")]],
      [at("m.model"), ["import-hf", "test/compiler/import/fixtures/llama3-8b.json", "-o", at("m.model")]],
    ];
    const results = await Promise.all(cases.map(([, args]) => lpu(...args)));
    cases.forEach(([file, args], i) => {
      expect(results[i]!.code, `${args.join(" ")}: ${results[i]!.stderr}`).toBe(0);
      expect(existsSync(file), file).toBe(true);
    });
  });

  it("a path under a file (not a directory) is a user error naming the path: exit 1, no stack", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lpu-out-"));
    writeFileSync(join(dir, "plain"), "");
    const bad = join(dir, "plain", "x.lasm");
    const r = await lpu("compile", "programs/mlp2.model", "-o", bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot write '${bad}'`);
    expect(r.stderr).not.toContain("    at ");
  });
});
