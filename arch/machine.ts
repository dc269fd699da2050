// The LPU machine description as data: geometry, latencies, port limits, links. Presets live in arch/presets.ts;
// a user derives a variant with --arch-set (deriveMachine). Both the compiler and the simulator read only this.
// Contract: every latency is fixed and exposed; a value written onto a stream at slice position p in cycle t is at
// position p + k (east) or p - k (west) in cycle t + k.

/** What sits at one slice position, west to east. */
export type SliceKind = "mxm" | "sxm" | "mem" | "vxm";

export interface Machine {
  readonly name: string;
  readonly clockMHz: number;
  /** Lanes per vector (bytes per stream per cycle). */
  readonly lanes: number;
  /** Slice positions west to east; unit indices are counted per kind in this order (mem0 is the westmost MEM). */
  readonly sliceOrder: readonly SliceKind[];
  /** Streams per direction. */
  readonly streamsPerDirection: number;
  readonly mem: {
    /** Words (one vector of `lanes` bytes) per slice. */
    readonly wordsPerSlice: number;
    /** Banks per slice; bank of address a is floor(a / (wordsPerSlice / banks)). One access per bank per cycle. */
    readonly banksPerSlice: number;
    /** Cycles from a Read's issue to its first word on the stream at the slice. */
    readonly readLatency: number;
    /** Cycles from a word being taken off the stream to its being readable from SRAM. */
    readonly writeLatency: number;
  };
  readonly vxm: {
    /** ALU queues (vxm0..); each streams one vector per cycle. */
    readonly alus: number;
    /** Cycles from operands at the VXM to the result on the stream, per op class. */
    readonly latency: { readonly simple: number; readonly transcendental: number; readonly convert: number };
  };
  readonly mxm: {
    readonly planes: number;
    /** The array is rows x cols multiply-accumulate cells. */
    readonly rows: number;
    readonly cols: number;
    /** Cycles per activation vector by input type (fp16 and bf16 run at a quarter of the int8 rate). */
    readonly cyclesPerVector: {
      readonly int8: number;
      readonly fp8: number;
      readonly fp16: number;
      readonly bf16: number;
    };
    /** Most stream groups one `lw` reads per cycle (weight rows loaded per cycle; `lw ... width=W`). */
    readonly maxLoadWidth: number;
    /** Cycles from IW's issue until ABC may use the new weights. */
    readonly installLatency: number;
    /** Cycles from an activation vector entering to its result being in the accumulator. */
    readonly latency: number;
    /** Accumulator rows per plane. */
    readonly accumulatorRows: number;
  };
  readonly sxm: { readonly units: number; readonly latency: number };
  readonly c2c: {
    readonly links: number;
    /** Link bandwidth, one direction, gigabits per second (4 lanes x 30 Gb/s). */
    readonly linkGbps: number;
    /** Serial lanes per link (linkGbps = lanesPerLink x the lane rate). */
    readonly lanesPerLink: number;
    /** Fixed latency of a link, cycles: from the cycle a word's last byte is serialised to its arrival at the peer
     * (docs/isa.md, C2C). */
    readonly latency: number;
    /** Words (320 B) a link's send buffer holds; overflowing it is the link-bandwidth hazard. */
    readonly bufferWords: number;
    /** Slice position index (in sliceOrder) where link i attaches: the west SXM for 0..7, the east for 8..15. */
    readonly attach: readonly number[];
    /** Hardware-aligned counter exchange period (epoch), cycles. */
    readonly epochCycles: number;
    /** Largest clock drift between chips, parts per million; the simulator draws each chip's from a seed. */
    readonly maxDriftPpm: number;
  };
  readonly system: {
    readonly chipsPerNode: number;
    readonly localLinksPerChip: number;
    readonly globalLinksPerChip: number;
    readonly nodesPerRack: number;
  };
}

export function memSlices(m: Machine): number {
  return m.sliceOrder.filter((k) => k === "mem").length;
}

export function sramBytesPerChip(m: Machine): number {
  return memSlices(m) * m.mem.wordsPerSlice * m.lanes;
}

/** Position (index into sliceOrder) of the index-th unit of a kind; undefined when there is none. */
export function slicePosition(m: Machine, kind: SliceKind, index: number): number | undefined {
  let seen = 0;
  for (let p = 0; p < m.sliceOrder.length; p++) {
    if (m.sliceOrder[p] === kind) {
      if (seen === index) return p;
      seen++;
    }
  }
  return undefined;
}

/** Bytes a link moves per cycle in one direction at the chip clock. */
export function linkBytesPerCycle(m: Machine): number {
  return (m.c2c.linkGbps * 1e9) / 8 / (m.clockMHz * 1e6);
}
