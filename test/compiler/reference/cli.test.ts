// `lpu eval` through the real command line: determinism of the printed bytes, the refusal of models too large,
// and flag errors. Each spawn costs about a second (tsx start-up), so only a few.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const ROOT = new URL("../../../", import.meta.url).pathname;
const lpu = (...args: string[]) =>
  spawnSync(process.execPath, ["bin/lpu.js", "eval", ...args], { cwd: ROOT, encoding: "utf8" });

describe("lpu eval", () => {
  it("prints byte-identical JSON for the same model, sets and seed, with the requested number of values", () => {
    const args = ["programs/tiny-gpt.model", "--seed", "9", "--values", "3", "--json"];
    const a = lpu(...args);
    const b = lpu(...args);
    expect(a.status).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    const doc = JSON.parse(a.stdout);
    expect(doc.seed).toBe(9);
    expect(doc.outputs[0].name).toBe("logits");
    expect(doc.outputs[0].values).toHaveLength(3);
    expect(doc.outputs[0].checksum.fnv1a).toMatch(/^[0-9a-f]{8}$/);
  });

  it("refuses a model too large for this machine with exit 1, naming its size and the constants to shrink", () => {
    const r = lpu("programs/llama2-7b.model");
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("too large for the reference interpreter");
    expect(r.stderr).toContain("input/param/state elements (limit 2.00e+8)");
    expect(r.stderr).toContain("--set layers=1");
    expect(r.stderr).toContain("d=4096");
  });

  it("rejects a seed that is not a 32-bit whole number", () => {
    const r = lpu("programs/tiny-gpt.model", "--seed", "-1");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("--seed");
  });
});
