// The LPU timeline: built through the step API without changing the run, one interval per instruction for as
// long as it occupies its unit, and a valid Chrome trace for every program in programs/asm/.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAsm } from "../../../arch/asm/index.ts";
import { resolveMachine } from "../../../arch/derive.ts";
import { Simulator } from "../../../simulator/lpu/index.ts";
import { type ChromeEvent, toChromeTrace } from "../../../simulator/report/trace/chrome.ts";
import { lpuTimeline } from "../../../simulator/report/trace/lpu.ts";
import type { Timeline } from "../../../simulator/report/trace/timeline.ts";
import { validateChromeTrace } from "../../../simulator/report/trace/validate.ts";

const ROOT = join(import.meta.dirname, "../../..");

function asmFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    if (e.isDirectory()) out.push(...asmFiles(join(dir, e.name)));
    else if (e.name.endsWith(".lasm")) out.push(join(dir, e.name));
  }
  return out;
}

/** The `; arch-set: k=v` header some hazard programs carry. */
function archSets(text: string): Record<string, string> {
  const m = /^;\s*arch-set:\s*(\S+=\S+)/m.exec(text);
  if (!m) return {};
  const [k, v] = m[1]!.split("=");
  return { [k!]: v! };
}

function load(file: string) {
  const text = readFileSync(join(ROOT, file), "utf8");
  const { program } = parseAsm(text, file);
  if (!program) return undefined;
  const machine = resolveMachine(program.arch, archSets(text));
  return { text, program, machine };
}

function traceOf(source: string, until?: number): { timeline: Timeline; sim: Simulator } {
  const { program } = parseAsm(source, "test.lasm");
  if (!program) throw new Error("test program does not parse");
  const sim = new Simulator(program, resolveMachine(program.arch, {}));
  return { timeline: lpuTimeline(sim, { source, until }).timeline, sim };
}

function intervals(t: Timeline, chip: number, thread: string) {
  const th = t.processes.find((p) => p.id === chip)!.threads.find((x) => x.key === thread);
  return (th?.intervals ?? []).map((iv) => [iv.name, iv.start, iv.duration]);
}

const FILES = asmFiles("programs/asm");

describe("programs/asm traces", () => {
  it("finds the teaching programs", () => {
    expect(FILES.length).toBeGreaterThanOrEqual(4);
  });

  for (const file of FILES) {
    it(`${file}: observing the run changes nothing, and its trace passes the validator`, () => {
      const loaded = load(file);
      if (!loaded) return; // a syntax-error program: nothing runs (its diagnostics are tested elsewhere)
      const plain = new Simulator(loaded.program, loaded.machine);
      plain.run();
      const observed = new Simulator(loaded.program, loaded.machine);
      const { timeline } = lpuTimeline(observed, { source: loaded.text });
      const a = plain.result();
      const b = observed.result();
      expect([b.cycles, b.instructions, b.hazards.map((h) => h.name)]).toEqual([
        a.cycles,
        a.instructions,
        a.hazards.map((h) => h.name),
      ]);
      expect(validateChromeTrace(toChromeTrace(timeline))).toEqual([]);
      const windowed = toChromeTrace(timeline, { from: 1, to: Math.max(2, Math.floor(a.cycles / 2)) });
      expect(validateChromeTrace(windowed)).toEqual([]);
    });
  }
});

describe("LPU intervals", () => {
  it("an instruction occupies its unit for its slots: lw of 16 rows is 16 cycles, iw the install latency", () => {
    const { timeline, sim } = traceOf(`.arch tsp-v1
.chip 0
.data W int8 mem0 0 words=16 fill 1
.queue mem0
  @0 read 0, s0w, n=16      ; mem0 is at position 3: row i reaches the MXM (position 0) at 0 + 2 + 3 + i
.queue mxm0
  @5 lw.int8 s0w, n=16
  @21 iw
`);
    expect(intervals(timeline, 0, "mxm0")).toEqual([
      ["lw.int8", 5, 16],
      ["iw", 21, sim.machine.mxm.installLatency],
    ]);
    const lw = timeline.processes[0]!.threads.find((x) => x.key === "mxm0")!.intervals[0]!;
    expect(lw.args).toMatchObject({ asm: "lw.int8 s0w, 16, 0", queue: "mxm0", vectors: 16, line: 7 });
  });

  it("an fp16 abc occupies the array cyclesPerVector cycles per vector", () => {
    const { timeline } = traceOf(`.arch tsp-v1
.chip 0
.data W fp16 mem0,mem1 0 words=4 fill 1
.queue mem0
  @0 read 0, s0w, n=4
.queue mem1
  @0 read 0, s1w, n=4
.queue mxm0
  @5 abc.fp16 s0w, n=4
`);
    const [abc] = intervals(timeline, 0, "mxm0");
    expect(abc).toEqual(["abc.fp16", 5, 16]);
  });

  it("a sync lasts from its issue until its release; a nop is not drawn", () => {
    const { timeline } = traceOf(`.arch tsp-v1
.chip 0
.queue vxm0
  @0 sync go
.queue vxm1
  @0 nop 9
  @9 notify go
`);
    expect(intervals(timeline, 0, "vxm0")).toEqual([["sync go", 0, 11]]);
    expect(intervals(timeline, 0, "vxm1")).toEqual([["notify", 9, 1]]);
  });

  it("MEM slices share a thread per group, and reads at once on two slices go on two lanes", () => {
    const { timeline } = traceOf(`.arch tsp-v1
.chip 0
.data a bytes mem0 0 words=8 fill 1
.data b bytes mem1 0 words=8 fill 2
.queue mem0
  @0 read 0, s0w, n=8
.queue mem1
  @2 read 0, s1w, n=8
`);
    expect(intervals(timeline, 0, "mem0-10")).toEqual([
      ["read", 0, 8],
      ["read", 2, 8],
    ]);
    const names = toChromeTrace(timeline)
      .traceEvents.filter((e) => e.name === "thread_name")
      .map((e) => e.args!.name);
    expect(names).toEqual(["MEM 0-10", "MEM 0-10 ·2"]);
  });

  it("counters: SRAM bytes used steps up when a write lands, C2C bytes count sent and received words", () => {
    // Chip 0 sends one fp16 vector (two words) to chip 1, which writes both planes to SRAM (as two-chip.lasm).
    const { timeline } = traceOf(`.arch tsp-v1
.wire 0:c2c0 1:c2c0
.chip 0
.data v fp16 mem0,mem1 0 fill 1
.queue mem0
  @10 read 0, s0w
.queue mem1
  @9 read 0, s1w
.queue c2c0
  @0 deskew
  @13 send.fp16 s0w
.chip 1
.queue c2c0
  @0 deskew
  @268 recv.fp16 s0e
.queue mem0
  @269 write 0, s0e
.queue mem1
  @270 write 0, s1e
`);
    const chip1 = timeline.processes.find((p) => p.id === 1)!;
    const sram = chip1.counters.find((c) => c.name === "SRAM bytes used")!;
    expect(sram.samples.map((s) => s.values[0])).toEqual([0, 320, 640]);
    const received = chip1.counters.find((c) => c.name === "C2C bytes received")!;
    expect(received.series).toEqual(["c2c0"]);
    expect(received.samples.at(-1)!.values).toEqual([640]);
    const sent = timeline.processes
      .find((p) => p.id === 0)!
      .counters.find((c) => c.name === "C2C bytes sent")!;
    expect(sent.samples.at(-1)!.values).toEqual([640]);
  });

  it("a window's end stops the simulation there: no interval starts at or after it", () => {
    const loaded = load("test/simulator/report/fixtures/mlp2-schedule.lasm")!;
    const sim = new Simulator(loaded.program, loaded.machine);
    const { timeline, complete } = lpuTimeline(sim, { until: 300 });
    expect(complete).toBe(false);
    expect(sim.now).toBeLessThanOrEqual(300);
    const starts = timeline.processes.flatMap((p) =>
      p.threads.flatMap((th) => th.intervals.map((i) => i.start)),
    );
    expect(starts.length).toBeGreaterThan(0);
    expect(Math.max(...starts)).toBeLessThan(300);
  });
});

describe("lpu trace", () => {
  const dir = mkdtempSync(join(tmpdir(), "lpu-trace-"));
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ["bin/lpu.js", "trace", ...args], { cwd: ROOT, encoding: "utf8" });

  it("writes a valid trace of a two-chip program, one process per chip", () => {
    const out = join(dir, "two-chip.json");
    const r = run("programs/asm/two-chip.lasm", "-o", out, "--json");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ processes: 2, complete: true, cycles: 271 });
    const trace = JSON.parse(readFileSync(out, "utf8"));
    expect(validateChromeTrace(trace)).toEqual([]);
    const names = trace.traceEvents
      .filter((e: ChromeEvent) => e.name === "process_name")
      .map((e: ChromeEvent) => e.args?.name);
    expect(names).toEqual(["chip 0 (tsp-v1)", "chip 1 (tsp-v1)"]);
  });

  it("a .model is traced as lpu run compiles it: --partition reaches the compiler (k-split puts mlp2 on 2 chips)", () => {
    const out = join(dir, "mlp2-k-split.json");
    const r = run("programs/mlp2.model", "--chips", "2", "--partition", "k-split", "-o", out, "--json");
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ processes: 2, complete: true });
    const auto = run("programs/mlp2.model", "--chips", "2", "-o", join(dir, "mlp2-auto.json"), "--json");
    expect(JSON.parse(auto.stdout)).toMatchObject({ processes: 1 });
  });

  it("rejects a malformed --window and a .model without --chips, with exit 1", () => {
    const bad = run("programs/asm/two-chip.lasm", "-o", join(dir, "x.json"), "--window", "9:3");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("FROM:TO");
    const model = run("programs/mlp2.model", "-o", join(dir, "y.json"));
    expect(model.status).toBe(1);
    expect(model.stderr).toContain("--chips");
  });

  it("a program with a hazard still gets its trace (the hazard on its own row) and exit 1", () => {
    const out = join(dir, "busy.json");
    const r = run("programs/asm/hazards/unit-busy.lasm", "-o", out);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("LPU4");
    const trace = JSON.parse(readFileSync(out, "utf8"));
    expect(validateChromeTrace(trace)).toEqual([]);
    expect(trace.traceEvents.some((e: ChromeEvent) => e.cat === "hazard")).toBe(true);
  });
});
