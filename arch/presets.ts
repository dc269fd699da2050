// Named machine presets: `tsp-v1` from the public facts in /work/shared/lpu-reference.md, every number with its
// source. Out: `getMachine(name)`, `chipQueues(machine)`. Variants come from arch/derive.ts (`--arch-set`).
import type { QueueRef, UnitKind } from "./isa.ts";
import { type Machine, type SliceKind, slicePosition } from "./machine.ts";

// Sources: [ISCA20] Abts et al., "Think Fast", ISCA 2020. [ISCA22] Abts et al., "A Software-defined Tensor Streaming
// Multiprocessor", ISCA 2022. [HC] Groq Hot Chips talks and product sheets. [LMPR] Linley Microprocessor Report 2020.
// ASSUMPTION marks a value no source gives: a small fixed value of the right order, explained in docs/isa.md.

const MEM_PER_HEMISPHERE = 44; // ISCA20: 44 MEM slices on each side of the VXM, 88 in all

/** West to east: MXM, MXM, SXM, MEM x44, VXM, MEM x44, SXM, MXM, MXM [ISCA20 fig. 2]. */
const TSP_SLICE_ORDER: readonly SliceKind[] = [
  "mxm",
  "mxm",
  "sxm",
  ...Array<SliceKind>(MEM_PER_HEMISPHERE).fill("mem"),
  "vxm",
  ...Array<SliceKind>(MEM_PER_HEMISPHERE).fill("mem"),
  "sxm",
  "mxm",
  "mxm",
];

const westSxm = TSP_SLICE_ORDER.indexOf("sxm");
const eastSxm = TSP_SLICE_ORDER.lastIndexOf("sxm");

export const TSP_V1: Machine = {
  name: "tsp-v1",
  clockMHz: 900, // [HC] 900 MHz nominal (ISCA20's peak figures use 1 GHz)
  lanes: 320, // [ISCA20] 20 superlanes x 16 lanes
  sliceOrder: TSP_SLICE_ORDER,
  streamsPerDirection: 32, // [ISCA20] 32 eastward + 32 westward stream registers per lane
  mem: {
    // [ISCA20, ISCA22] a slice is 20 tiles of 2 banks x 4096 words x 16 B = 2 x 4096 words of 320 B = 2.5 MiB;
    // 88 slices = 220 MiB.
    wordsPerSlice: 8192,
    banksPerSlice: 2, // [ISCA20] 2 banks per slice
    readLatency: 2, // ASSUMPTION: cycles from Read issue to the word on the stream
    writeLatency: 1, // ASSUMPTION: cycles from a word taken off the stream to its being readable
  },
  vxm: {
    alus: 16, // [ISCA20] 16 ALUs per lane (5,120 in all)
    latency: { simple: 2, transcendental: 6, convert: 2 }, // ASSUMPTION: short fixed ALU pipelines
  },
  mxm: {
    planes: 4, // [ISCA20] 4 planes of 320 x 320 MACs (409,600 in all)
    rows: 320, // [ISCA20]
    cols: 320, // [ISCA20]
    // [HC] 750 TOPS int8 vs 188 TFLOPS fp16 at 900 MHz: fp16 runs at a quarter of the int8 vector rate.
    // fp8 is not in the TSP v1 papers: ASSUMPTION, a byte-wide type at the int8 rate.
    cyclesPerVector: { int8: 1, fp8: 1, fp16: 4, bf16: 4 },
    // [ISCA20, LMPR] "a full weight load takes under 40 cycles": 320 rows in under 40 cycles is at least 8 rows per
    // cycle. ASSUMPTION: exactly 8 (the least the quote allows), one byte-wide stream group per row, so an int8
    // load of 8 rows a cycle uses 8 of the 32 streams of a direction and an fp16 load 16.
    maxLoadWidth: 8,
    installLatency: 8, // ASSUMPTION: swap staged weights into the array (the load itself is timed by LW)
    latency: 20, // ASSUMPTION: about a cycle per superlane crossed by the partial sums (20 superlanes)
    accumulatorRows: 1024, // ASSUMPTION
  },
  sxm: {
    units: 2, // [ISCA20] one SXM per hemisphere
    latency: 4, // ASSUMPTION: a few crossbar stages
  },
  c2c: {
    links: 16, // [LMPR] 16 C2C links per chip
    linkGbps: 4 * 30, // [LMPR] 4 lanes x 30 Gb/s per link per direction (about 15 GB/s)
    lanesPerLink: 4, // [LMPR]
    latency: 216, // [ISCA22] measured link latency (counter exchange) about 216 cycles, spread under 3
    bufferWords: 32, // ASSUMPTION: about 10 KiB of send buffer per link
    // Links 0..7 attach at the west SXM, 8..15 at the east SXM (arch/machine.ts contract).
    attach: [...Array<number>(8).fill(westSxm), ...Array<number>(8).fill(eastSxm)],
    epochCycles: 256, // [ISCA22] hardware-aligned counters exchanged about every 256 cycles
    maxDriftPpm: 100, // ASSUMPTION: the IEEE 802.3 +-100 ppm reference-clock tolerance of a plesiochronous link
  },
  system: {
    chipsPerNode: 8, // [ISCA22] 8 chips per node, fully connected
    localLinksPerChip: 7, // [ISCA22] 7 local links per chip
    globalLinksPerChip: 4, // [ISCA22] 4 global links per chip (32 per node)
    nodesPerRack: 9, // [ISCA22] 9 nodes per rack (one a spare)
  },
};

const PRESETS: Readonly<Record<string, Machine>> = { "tsp-v1": TSP_V1 };

export function presetNames(): string[] {
  return Object.keys(PRESETS).sort();
}

/** A preset by name, or undefined. Use `resolveMachine` (arch/derive.ts) for a user-facing lookup with hints. */
export function getMachine(name: string): Machine | undefined {
  return Object.hasOwn(PRESETS, name) ? PRESETS[name] : undefined;
}

/** Queue kinds in the fixed order used for printing and listing. */
export const QUEUE_KIND_ORDER: readonly UnitKind[] = ["mem", "vxm", "mxm", "sxm", "c2c"];

export interface QueueInfo {
  readonly queue: QueueRef;
  /** `mem3`, `vxm0`, `c2c15`. */
  readonly name: string;
  /** Slice position (index into sliceOrder) where the queue's unit reads and writes streams. */
  readonly position: number;
}

/** How many queues of a kind a chip has. */
export function queueCount(m: Machine, kind: UnitKind): number {
  switch (kind) {
    case "mem":
    case "mxm":
    case "sxm":
      return m.sliceOrder.filter((k) => k === kind).length;
    case "vxm":
      return m.sliceOrder.includes("vxm") ? m.vxm.alus : 0;
    case "c2c":
      return m.c2c.links;
  }
}

/** Slice position of a queue's unit; undefined when the chip has no such queue. All VXM ALUs share one position. */
export function queuePosition(m: Machine, q: QueueRef): number | undefined {
  if (!Number.isInteger(q.index) || q.index < 0 || q.index >= queueCount(m, q.kind)) return undefined;
  switch (q.kind) {
    case "mem":
    case "mxm":
    case "sxm":
      return slicePosition(m, q.kind, q.index);
    case "vxm":
      return slicePosition(m, "vxm", 0);
    case "c2c":
      return m.c2c.attach[q.index];
  }
}

/** Every queue of one chip, in the fixed order mem, vxm, mxm, sxm, c2c, each with its slice position. */
export function chipQueues(m: Machine): QueueInfo[] {
  const out: QueueInfo[] = [];
  for (const kind of QUEUE_KIND_ORDER) {
    for (let index = 0; index < queueCount(m, kind); index++) {
      const queue = { kind, index };
      const position = queuePosition(m, queue);
      if (position !== undefined) out.push({ queue, name: `${kind}${index}`, position });
    }
  }
  return out;
}
