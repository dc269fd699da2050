// `--time-passes` (compiler/pass-timer.ts, compile.ts): opt-in timing of each compile step.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../arch/presets.ts";
import { compile } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend.ts";
import { formatPassTimes, PassTimer } from "../../compiler/pass-timer.ts";

function load(path: string, sets: Record<string, string> = {}) {
  const r = loadModel(readFileSync(path, "utf8"), path, sets);
  if (!r.graph) throw new Error(`cannot load ${path}`);
  return r.graph;
}

describe("--time-passes", () => {
  it("a compile without it has no timings and the same program and report as one with it", () => {
    const g = load("programs/mlp2.model");
    const plain = compile(g, TSP_V1, { chips: 1, file: "mlp2" });
    const timed = compile(g, TSP_V1, { chips: 1, file: "mlp2", timePasses: true });
    expect(plain.timings).toBeUndefined();
    expect(timed.report).toEqual(plain.report);
    expect(timed.program?.chips.map((c) => c.queues.length)).toEqual(
      plain.program?.chips.map((c) => c.queues.length),
    );
  });
  it("a whole compile times every back-end step once, in pass order, with non-negative times", () => {
    const r = compile(load("programs/mlp2.model"), TSP_V1, { chips: 1, file: "mlp2", timePasses: true });
    const t = r.timings!;
    expect(t.map((x) => x.name)).toEqual([
      "decompose",
      "partition",
      "tile",
      "lengths",
      "deps",
      "allocate",
      "relaxed",
      "schedule",
      "emit",
      "report",
    ]);
    // deps: allocate's input's edges, then the allocated list's from them.
    expect(t.map((x) => x.runs)).toEqual([1, 1, 1, 1, 2, 1, 1, 1, 1, 1]);
    for (const x of t) {
      expect(x.cpuS).toBeGreaterThanOrEqual(0);
      expect(x.wallS).toBeGreaterThanOrEqual(0);
      expect(x.rssMiB).toBeGreaterThan(0);
    }
  });
  it("a stamped compile times the reduction, the crossings' order and the stamp", () => {
    const g = load("programs/tiny-gpt.model", { layers: "4" });
    const r = compile(g, TSP_V1, { chips: 64, file: "tiny-gpt", partition: "layers", timePasses: true });
    const names = r.timings!.map((x) => x.name);
    for (const n of ["reduce", "order", "stamp"]) expect(names).toContain(n);
    // The full kernel's partition and the reduced one's.
    expect(r.timings!.find((x) => x.name === "partition")!.runs).toBe(2);
  });
  it("a step is summed over its runs, in the order names first ran", () => {
    const timer = new PassTimer(true);
    for (const name of ["a", "b", "a"]) timer.time(name, () => 0);
    expect(timer.results().map((x) => [x.name, x.runs])).toEqual([
      ["a", 2],
      ["b", 1],
    ]);
    const disabled = new PassTimer(false);
    expect(disabled.time("a", () => 7)).toBe(7);
    expect(disabled.results()).toEqual([]);
  });
  it("lpu compile --time-passes prints the table to stderr, the report unchanged on stdout", () => {
    const out = execFileSync(
      "sh",
      ["-c", "./bin/lpu.js compile programs/mlp2.model --json --time-passes 2>&1 >/dev/null"],
      { encoding: "utf8" },
    );
    expect(out).toMatch(/^pass +runs +cpu s +wall s +heap MiB +rss MiB\n/);
    expect(out).toMatch(/\nschedule +1 +\d+\.\d\d/);
    expect(out).toMatch(/\ntotal +\d+\.\d\d/);
    const plain = execFileSync("./bin/lpu.js", ["compile", "programs/mlp2.model", "--json"], {
      encoding: "utf8",
    });
    const timed = execFileSync(
      "./bin/lpu.js",
      ["compile", "programs/mlp2.model", "--json", "--time-passes"],
      {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      },
    );
    expect(timed).toBe(plain);
    expect(formatPassTimes([]).split("\n")[1]).toMatch(/^total/);
  });
});
