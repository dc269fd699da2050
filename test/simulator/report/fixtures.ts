// Fixture data for the report tests: a small hand-made timeline (two chips, overlapping MXM work, a link,
// counters), the frozen mlp2 schedule simulated, and a full ReportData around it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAsm } from "../../../arch/asm/index.ts";
import { resolveMachine } from "../../../arch/derive.ts";
import { Simulator } from "../../../simulator/lpu/index.ts";
import type { ReportData } from "../../../simulator/report/html/data.ts";
import { lpuBreakdown, lpuGantt } from "../../../simulator/report/html/from-lpu.ts";
import { lpuTimeline } from "../../../simulator/report/trace/lpu.ts";
import type { Interval, Timeline } from "../../../simulator/report/trace/timeline.ts";

const iv = (start: number, duration: number, name: string): Interval => ({
  start,
  duration,
  name,
  category: "mxm",
});

/** Two chips at 900 MHz: overlapping MXM work on chip 0, a link and counters on chip 1. */
export function smallTimeline(): Timeline {
  return {
    time: { unit: "cycles", clockMHz: 900 },
    meta: { program: "fixture" },
    processes: [
      {
        id: 1,
        name: "chip 1",
        threads: [
          { key: "c2c0", name: "C2C 0", order: 5, intervals: [iv(10, 40, "send.fp16")] },
          { key: "idle", name: "VXM 3", order: 2, intervals: [] },
        ],
        counters: [
          {
            name: "C2C bytes sent",
            series: ["c2c0"],
            samples: [
              { time: 0, values: [0] },
              { time: 10, values: [640] },
            ],
          },
        ],
      },
      {
        id: 0,
        name: "chip 0",
        threads: [
          {
            key: "mxm0",
            name: "MXM 0",
            order: 0,
            intervals: [
              iv(5, 320, "lw.int8"),
              iv(0, 4, "abc.int8"),
              iv(4, 2, "abc.int8"),
              iv(100, 10, "abc.int8"),
            ],
          },
          { key: "mem0-10", name: "MEM 0-10", order: 0, intervals: [iv(0, 330, "read")] },
        ],
        counters: [{ name: "SRAM bytes used", series: ["bytes"], samples: [{ time: 0, values: [640] }] }],
      },
    ],
  };
}

/** The frozen mlp2 schedule (fixtures/mlp2-schedule.lasm), simulated: its timeline, result and machine. */
export function mlp2Run() {
  const file = join(import.meta.dirname, "fixtures/mlp2-schedule.lasm");
  const text = readFileSync(file, "utf8");
  const { program } = parseAsm(text, file);
  if (!program) throw new Error("fixture does not parse");
  const machine = resolveMachine(program.arch, {});
  const sim = new Simulator(program, machine);
  const { timeline } = lpuTimeline(sim, { source: text });
  return { timeline, result: sim.result(), machine };
}

/**
 * GPU latencies chosen so the shared histogram is known by hand: with the LPU's 2.0 us the range is [2, 42] us,
 * so 40 bins are 1 us wide and the GPU samples fall in bins 8 (10.0 and 10.5), 9, 10, 12, 15, 23 and 39 (42 is
 * the top edge): 7 GPU bars; the LPU's 100 identical runs make 1 bar.
 */
export const GPU_SAMPLES_US: readonly number[] = [
  ...Array<number>(20).fill(10.0),
  ...Array<number>(25).fill(10.5),
  ...Array<number>(20).fill(11.2),
  ...Array<number>(15).fill(12.7),
  ...Array<number>(10).fill(14.1),
  ...Array<number>(6).fill(17.3),
  ...Array<number>(3).fill(25.0),
  42.0,
];
export const GPU_BARS = 7;
export const LPU_BARS = 1;

/** A full ReportData: the real mlp2 schedule for the Gantt and breakdown, fixture numbers (not measurements)
 * for latency, energy and cost. */
export function fixtureReport(): ReportData {
  const { timeline, result, machine } = mlp2Run();
  return {
    title: 'mlp2: LPU vs GPU <fixture & "test">',
    model: "programs/mlp2.model",
    conditions: [
      { label: "runs", value: "100 each" },
      { label: "batch", value: "1" },
      { label: "data", value: "fixture numbers, not a measurement" },
    ],
    lpu: {
      label: "LPU · 1 × tsp-v1",
      latencySamplesUs: Array<number>(100).fill(2.0),
      tokensPerSecond: { perUser: 500_000, total: 500_000 },
      joulesPerToken: 0.00042,
      usdPerMtok: 0.31,
      tokensPerSecPerWattPerUsd: 0.0011,
      watts: 210,
      energyPerToken: { compute: 0.0001, sram: 0.00008, dram: 0, link: 0, static: 0.00024 },
      costSplit: { capexUsdPerMtok: 0.3, energyUsdPerMtok: 0.01 },
    },
    gpu: {
      label: "GPU · 1 × h100-sxm",
      latencySamplesUs: GPU_SAMPLES_US,
      tokensPerSecond: { perUser: 85_000, total: 85_000 },
      joulesPerToken: 0.0061,
      usdPerMtok: 0.92,
      tokensPerSecPerWattPerUsd: 0.0000043,
      watts: 520,
      energyPerToken: { compute: 0.0004, sram: 0.0003, dram: 0.0019, link: 0, static: 0.0035 },
      costSplit: { capexUsdPerMtok: 0.85, energyUsdPerMtok: 0.07 },
    },
    gantt: lpuGantt(timeline, result.cycles),
    breakdown: lpuBreakdown(result, machine),
  };
}
