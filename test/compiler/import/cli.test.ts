// `lpu import-hf` end to end: the model text on stdout or in -o's file, diagnostics on stderr with exit code 1.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { importHfConfig } from "../../../compiler/import/hf.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const LPU = join(ROOT, "bin/lpu.js");
const FIXTURE = "test/compiler/import/fixtures/llama3-8b.json";

function lpu(...args: string[]) {
  return spawnSync(process.execPath, [LPU, ...args], { cwd: ROOT, encoding: "utf8" });
}

describe("lpu import-hf", () => {
  it("prints the importer's text on stdout, flags passed through, exit code 0", () => {
    const r = lpu("import-hf", FIXTURE, "--name", "l3", "--ctx", "100", "--batch", "2");
    const config: unknown = JSON.parse(readFileSync(join(ROOT, FIXTURE), "utf8"));
    const expected = importHfConfig(config, { name: "l3", ctx: 100, batch: 2, file: FIXTURE }).text;
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expected);
  });

  it("-o writes the file instead of stdout", () => {
    const dir = mkdtempSync(join(tmpdir(), "lpu-import-"));
    const out = join(dir, "m.model");
    execFileSync(process.execPath, [LPU, "import-hf", FIXTURE, "-o", out], { cwd: ROOT, stdio: "pipe" });
    expect(readFileSync(out, "utf8")).toContain("\nmodel llama\n");
  });

  it("a config with a missing field: the diagnostic on stderr, nothing on stdout, exit code 1", () => {
    const dir = mkdtempSync(join(tmpdir(), "lpu-import-"));
    const bad = join(dir, "config.json");
    const config = JSON.parse(readFileSync(join(ROOT, FIXTURE), "utf8")) as Record<string, unknown>;
    delete config.num_attention_heads;
    writeFileSync(bad, JSON.stringify(config));
    const r = lpu("import-hf", bad);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `${bad}: error LPU6002: missing field 'num_attention_heads' (needed for llama)\nlpu: 1 error\n`,
    );
  });

  it("a bad flag value is refused with a message naming the flag", () => {
    const r = lpu("import-hf", FIXTURE, "--ctx", "-3");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("--ctx takes a positive whole number, got '-3'");
  });
});
