// Simulator speed: simulated instructions per second on synthetic programs of about a million instructions and
// more. One chip: 32 MEM slices stream words east to 32 others while 16 VXM ALUs copy them onto westward streams,
// every queue issuing every cycle. Many chips (64, 576): each chip runs a narrower copy of that pipeline and sends a
// word around a ring of C2C links every 24 cycles (deskewed at cycle 0, so every clock seed gives the same run).
// Every program is hazard-free by construction; a hazard in a result is a simulator bug and is reported.
// Prints, never asserts. Run alone: node --import tsx bench/lpu-sim.ts [--k N] [--chips 64,576] [--only NAME]
// [--exact] [--program FILE [--repeat N]] (--exact: per-vector events only, no run-length fast path; --program: instead
// of the synthetic cases, a saved program, e.g. `lpu compile MODEL -o FILE.json`, timing only, N times in one process,
// default once: the first run pays for the JIT, the later ones show the simulator's steady speed; each run's line is
// followed by where a fast run's wall time went); or through the harness (bench/run.ts), which calls bench().
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { parseAsm, programFromJson } from "../arch/asm/index.ts";
import { withColumns } from "../arch/columns-build.ts";
import { resolveMachine } from "../arch/derive.ts";
import type { LinkWire, Placed, Program, QueueProgram } from "../arch/isa.ts";
import type { Machine } from "../arch/machine.ts";
import { TSP_V1 } from "../arch/presets.ts";
import { lastBail, lastPhases } from "../simulator/lpu/fast/run.ts";
import { Simulator } from "../simulator/lpu/index.ts";
import type { BenchResult } from "./result.ts";

const M = TSP_V1;
/** mem i is at position 3 + i; mem 44 + i at position 48 + i. */
const memPos = (i: number) => (i < 44 ? 3 + i : 48 + (i - 44));
const VXM_POS = 47;

/**
 * One chip's pipeline: `lanes` read queues (mem0..) put words east on s0e.. ; `lanes` write queues (mem44..) take
 * them 45 positions on; `alus` VXM queues copy streams 0.. onto westward streams as they pass. Each queue runs `k`
 * instructions of `n` vectors back to back from its first cycle.
 */
function pipeline(lanes: number, alus: number, k: number, n: number, start: number): QueueProgram[] {
  const queues: QueueProgram[] = [];
  const L = M.mem.readLatency;
  for (let i = 0; i < lanes; i++) {
    const reads: Placed[] = [];
    const writes: Placed[] = [];
    for (let j = 0; j < k; j++) {
      const addr = (j * n) % 4096;
      const first = j === 0;
      reads.push({
        inst: { op: "read", addr, stream: { id: i, dir: "e" }, n, stride: 1 },
        ...(first ? { cycle: start } : {}),
      });
      writes.push({
        inst: { op: "write", addr: 4096 + addr, stream: { id: i, dir: "e" }, n, stride: 1 },
        ...(first ? { cycle: start + L + memPos(44 + i) - memPos(i) } : {}),
      });
    }
    queues.push(
      { queue: { kind: "mem", index: i }, instructions: reads },
      { queue: { kind: "mem", index: 44 + i }, instructions: writes },
    );
  }
  for (let a = 0; a < alus; a++) {
    const ops: Placed[] = [];
    for (let j = 0; j < k; j++) {
      ops.push({
        inst: {
          op: "vunary",
          fn: "copy",
          type: "int8",
          dst: { id: a, dir: "w" },
          src: { id: a, dir: "e" },
          n,
        },
        ...(j === 0 ? { cycle: start + L + VXM_POS - memPos(a) } : {}),
      });
    }
    queues.push({ queue: { kind: "vxm", index: a }, instructions: ops });
  }
  return queues;
}

/** A one-chip program of about 80 k instructions (32 reads, 32 writes, 16 copies per step). */
export function singleChip(k: number, n: number): Program {
  return {
    arch: M.name,
    chips: [{ chip: 0, queues: pipeline(32, 16, k, n, 0), data: [], outputs: [] }],
    wires: [],
    maps: {},
  };
}

const SEND_PERIOD = 24; // a 320-byte word occupies a tsp-v1 link 19.2 cycles: one a period never queues up

/**
 * `chips` chips in a ring: link 0 of chip c is wired to link 1 of chip c + 1. Each chip deskews at cycle 0, runs an
 * 8-lane pipeline (8 reads, 8 writes, 4 copies per step) for `k` steps, and every SEND_PERIOD cycles reads a word
 * from mem20 onto s31w, sends it on link 0 at the west SXM (position 2), and receives its neighbour's word on link
 * 1 (L_link + a margin later) onto s31e, which mem21 writes back.
 */
export function ring(chips: number, k: number, n = 1): Program {
  const start = 2; // after the deskew at cycle 0 (its pause moves chips in global time, not in program cycles)
  const sendAt = (j: number) => start + 40 + SEND_PERIOD * j;
  const sends = Math.max(0, Math.floor((k * n - 40 - M.c2c.latency - 60) / SEND_PERIOD));
  const arrival = 20 + M.c2c.latency + 10; // the word leaves ceil(19.2) cycles after its take; 10 cycles of margin
  const out: Program["chips"][number][] = [];
  const wires: LinkWire[] = [];
  for (let c = 0; c < chips; c++) {
    const queues = pipeline(8, 4, k, n, start);
    const feed: Placed[] = [];
    const send: Placed[] = [{ inst: { op: "deskew" }, cycle: 0 }];
    const recv: Placed[] = [];
    const store: Placed[] = [];
    for (let j = 0; j < sends; j++) {
      const s = sendAt(j);
      feed.push({
        inst: { op: "read", addr: j % 4096, stream: { id: 31, dir: "w" }, n: 1, stride: 1 },
        cycle: s - M.mem.readLatency - (memPos(20) - 2),
      });
      send.push({ inst: { op: "send", type: "int8", src: { id: 31, dir: "w" }, n: 1 }, cycle: s });
      const r = s + arrival;
      recv.push({ inst: { op: "recv", type: "int8", dst: { id: 31, dir: "e" }, n: 1 }, cycle: r });
      store.push({
        inst: { op: "write", addr: 4096 + (j % 4096), stream: { id: 31, dir: "e" }, n: 1, stride: 1 },
        cycle: r + memPos(21) - 2,
      });
    }
    queues.push(
      { queue: { kind: "mem", index: 20 }, instructions: feed },
      { queue: { kind: "mem", index: 21 }, instructions: store },
      { queue: { kind: "c2c", index: 0 }, instructions: send },
      { queue: { kind: "c2c", index: 1 }, instructions: recv },
    );
    out.push({ chip: c, queues, data: [], outputs: [] });
    if (chips > 1) wires.push({ a: c, link: 0, b: (c + 1) % chips, peerLink: 1 });
  }
  return { arch: M.name, chips: out, wires, maps: {} };
}

export interface Measured extends BenchResult {
  readonly instructions: number;
  readonly simulateSeconds: number;
  readonly vectors: number;
  readonly cycles: number;
  readonly hazards: number;
  /** CPU seconds of this process during the run (user + system): less sensitive than wall time to other load. */
  readonly cpuSeconds: number;
  /** Whether run() took the run-length fast path (simulator/lpu/fast/run.ts) rather than per-vector events. */
  readonly fast: boolean;
  /** Wall seconds of `new Simulator` (in simulateSeconds too). */
  readonly constructSeconds: number;
  /** The fast path's parts, wall seconds (fast/run.ts lastPhases; zero when it declined), and its stream groups
   * sorted or matched by a stamped copy's reference. */
  readonly phases: {
    readonly chips: number;
    readonly streams: number;
    readonly links: number;
    readonly install: number;
    readonly sorts: number;
    /** Stream groups of stamped copies whose records all matched their family reference's (not stored or swept). */
    readonly matchedGroups: number;
  };
}

export function measure(
  name: string,
  program: Program,
  functional: boolean,
  exact = false,
  machine: Machine = M,
): Measured {
  // Built as objects above: written into columns (as the compiler and the loaders give programs) before the clock.
  const columns = withColumns(program);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const sim = new Simulator(columns, machine, { functional, exact });
  const constructSeconds = (performance.now() - t0) / 1000;
  sim.run();
  const c1 = process.cpuUsage(c0);
  const simulateSeconds = (performance.now() - t0) / 1000;
  const r = sim.result();
  const hazards = r.hazards.length;
  return {
    name,
    instructions: r.instructions,
    simulateSeconds,
    instructionsPerSecond: r.instructions / simulateSeconds,
    vectors: r.vectors,
    cycles: r.cycles,
    hazards,
    cpuSeconds: (c1.user + c1.system) / 1e6,
    fast: sim.ranFast,
    constructSeconds,
    phases: sim.ranFast
      ? {
          chips: lastPhases.chips / 1000,
          streams: lastPhases.streams / 1000,
          links: lastPhases.links / 1000,
          install: lastPhases.install / 1000,
          sorts: lastPhases.sorts,
          matchedGroups: lastPhases.matchedGroups,
        }
      : { chips: 0, streams: 0, links: 0, install: 0, sorts: 0, matchedGroups: 0 },
    ...(hazards > 0
      ? { note: `${hazards} hazard(s) in a hazard-free program: a simulator bug` }
      : !functional && !exact && !sim.ranFast
        ? { note: `timing only, yet the fast path declined (${lastBail}): per-vector events` }
        : {}),
  };
}

interface Case {
  readonly name: string;
  /** The program in columns: the objects it is built from are garbage before the clock starts (a synthetic program
   * of millions of instruction objects kept alive made any full collection inside the timed run cost seconds). */
  readonly make: () => Program;
  readonly functional: boolean;
}

function cases(k: number, chipCounts: readonly number[]): Case[] {
  const list: Case[] = [
    { name: "1 chip, timing only, n=1", make: () => withColumns(singleChip(k, 1)), functional: false },
    {
      name: "1 chip, timing only, n=8",
      make: () => withColumns(singleChip(Math.ceil(k / 8), 8)),
      functional: false,
    },
    // Compiled programs stream tens to hundreds of vectors per instruction: as many instructions as n=1, 64x the
    // vectors (64 M).
    { name: "1 chip, timing only, n=64", make: () => withColumns(singleChip(k, 64)), functional: false },
    {
      name: "1 chip, functional, n=1",
      make: () => withColumns(singleChip(Math.ceil(k / 10), 1)),
      functional: true,
    },
  ];
  for (const chips of chipCounts) {
    // 20 instructions a cycle per chip: as many as the one-chip case in all (64 chips: 781 cycles), but at least
    // 400 cycles so that words go round the ring (576 chips: 4.6 M instructions).
    const steps = Math.max(400, Math.round((k * 80) / (chips * 20)));
    list.push({
      name: `${chips} chips ring, timing only`,
      make: () => withColumns(ring(chips, steps)),
      functional: false,
    });
  }
  for (const chips of chipCounts.filter((c) => c >= 500)) {
    // The same instructions with 32 vectors each (148 M vectors on 576 chips).
    const steps = Math.max(400, Math.round((k * 80) / (chips * 20)));
    list.push({
      name: `${chips} chips ring, n=32`,
      make: () => withColumns(ring(chips, steps, 32)),
      functional: false,
    });
  }
  return list;
}

/** The harness entry (bench/run.ts): the default cases. */
export async function bench(): Promise<BenchResult[]> {
  return cases(12500, [64, 576]).map((c) => {
    const r = measure(c.name, c.make(), c.functional);
    process.stderr.write(`${line(r)}\n`);
    return {
      name: r.name,
      instructions: r.instructions,
      simulateSeconds: r.simulateSeconds,
      instructionsPerSecond: r.instructionsPerSecond,
      ...(r.note ? { note: r.note } : {}),
    };
  });
}

function line(r: Measured): string {
  const m = (x: number) => `${(x / 1e6).toFixed(2)}M`;
  return (
    `${r.name.padEnd(30)} ${String(r.instructions).padStart(9)} instr ${String(r.vectors).padStart(9)} vectors ` +
    `${String(r.cycles).padStart(6)} cycles  ${r.simulateSeconds.toFixed(2)} s wall  ${r.cpuSeconds.toFixed(2)} s cpu  ` +
    `${m(r.instructions / r.simulateSeconds)} instr/s (${m(r.instructions / r.cpuSeconds)}/cpu s)  hazards ${r.hazards}` +
    `  ${r.fast ? "fast path" : "events"}`
  );
}

/** Where a fast run's wall time went: construction, the chips (the stream check among them), links, install; and
 * how its stream groups were put in order or matched (per group, over all chips). */
function phaseLine(r: Measured): string {
  const p = r.phases;
  const s = (x: number) => `${x.toFixed(2)} s`;
  return (
    `wall: new Simulator ${s(r.constructSeconds)}, chips ${s(p.chips)} (stream check ${s(p.streams)}: ` +
    `${p.sorts} groups sorted, ${p.matchedGroups} matched a copy's reference), ` +
    `links ${s(p.links)}, install ${s(p.install)}`
  );
}

// Run as a script (not imported by the harness or bundled into another script): this file is the entry point.
const isMain =
  import.meta.url.endsWith("/bench/lpu-sim.ts") &&
  process.argv[1] !== undefined &&
  pathToFileURL(resolve(process.argv[1])).href === import.meta.url;
if (isMain) {
  const { values } = parseArgs({
    options: {
      k: { type: "string" },
      chips: { type: "string" },
      only: { type: "string" },
      exact: { type: "boolean" },
      program: { type: "string" },
      repeat: { type: "string" },
    },
  });
  if (values.program) {
    const file = values.program;
    const text = readFileSync(file, "utf8");
    const loaded = file.endsWith(".json") ? programFromJson(text, file) : parseAsm(text, file);
    if (!loaded.program) throw new Error(`${file}: ${loaded.diagnostics.map((d) => d.message).join("; ")}`);
    const machine = resolveMachine(loaded.program.arch);
    const repeat = Number(values.repeat ?? 1);
    for (let i = 0; i < repeat; i++) {
      const r = measure(
        repeat > 1 ? `${file} #${i + 1}` : file,
        loaded.program,
        false,
        values.exact ?? false,
        machine,
      );
      // A compiled program may meet hazards (a compiler matter): then the exact engine ran after a fast attempt.
      console.log(
        `${line(r)}${r.fast ? "" : `  (fast path declined: ${lastBail || "values, log or exact"})`}`,
      );
      if (r.fast) console.log(`    ${phaseLine(r)}`);
    }
    process.exit(0);
  }
  const k = Number(values.k ?? 12500);
  const chipCounts = (values.chips ?? "64,576").split(",").filter(Boolean).map(Number);
  for (const c of cases(k, chipCounts)) {
    if (values.only && !c.name.includes(values.only)) continue;
    console.log(line(measure(c.name, c.make(), c.functional, values.exact ?? false)));
  }
}
