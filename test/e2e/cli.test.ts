// The user-facing commands on programs/mlp2.model, through the real CLI.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const lpu = (...args: string[]) => execFileSync("./bin/lpu.js", args, { encoding: "utf8" });

describe("lpu compile / run / explain on a .model", () => {
  it("lpu run --functional: simulated cycles equal the prediction and outputs match (JSON keys of issue 4)", () => {
    const doc = JSON.parse(lpu("run", "programs/mlp2.model", "--functional", "--json"));
    expect(doc.cycles).toBe(doc.predicted_cycles);
    expect(doc.outputs_match).toBe(true);
    for (const k of [
      "latency_us",
      "tokens_per_s",
      "instructions",
      "chips",
      "sram_bytes_max",
      "lower_bound_cycles",
      "efficiency",
      "max_abs_error",
    ])
      expect(doc).toHaveProperty(k);
    expect(doc.efficiency).toBeGreaterThan(0);
    expect(doc.efficiency).toBeLessThanOrEqual(1);
  });
  it("lpu compile twice prints byte-identical reports", () => {
    expect(lpu("compile", "programs/mlp2.model", "--json")).toBe(
      lpu("compile", "programs/mlp2.model", "--json"),
    );
  });
  it("lpu compile --print-after with an unknown pass is a user error naming the passes", () => {
    let err = "";
    try {
      lpu("compile", "programs/mlp2.model", "--print-after", "tiles");
    } catch (e) {
      err = String((e as { stderr: string }).stderr);
    }
    expect(err).toContain("LPU5007");
    expect(err).toContain("did you mean 'tile'");
  });
  it("lpu explain shows the unit breakdown, the critical chain and a Gantt chart", () => {
    const text = lpu("explain", "programs/mlp2.model", "--gantt-cycles", "200", "--width", "50");
    expect(text).toContain("per unit kind");
    expect(text).toContain("critical chain");
    expect(text).toMatch(/chip0 mxm\d +\|[.LIAC]{50}\|/);
  });
});
