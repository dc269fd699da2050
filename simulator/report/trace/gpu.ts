// GPU run -> Timeline. In: the records a GPU engine can emit cheaply as it runs (plain data, nanoseconds: host
// launches, kernels, thread blocks by SM slot, HBM channel busy periods, collectives). Out: one process per GPU,
// threads Host, Kernels, SM groups, HBM channel groups and NVLink, plus counters of HBM and NVLink bytes.
// Thread blocks and HBM requests are far too many to draw one by one: they are merged per (SM group, kernel) and
// into busy periods per channel group, so a trace of a real model stays loadable.
import type { ArgValue, Counter, Interval, Process, Thread, Timeline } from "./timeline.ts";

/** What a GPU engine reports. Times are nanoseconds from the run's start. */
export type GpuRecord =
  /** The host thread enqueueing kernel `kernel` over [start, end) (`label` names it otherwise, e.g. a CUDA graph). */
  | {
      readonly kind: "launch";
      readonly gpu: number;
      readonly kernel: number;
      readonly start: number;
      readonly end: number;
      readonly label?: string;
    }
  /** Kernel `kernel` running on the GPU from its first block's start to its last block's end. */
  | {
      readonly kind: "kernel";
      readonly gpu: number;
      readonly kernel: number;
      readonly name: string;
      readonly start: number;
      readonly end: number;
      readonly blocks: number;
    }
  /** One thread block of `kernel` on SM slot `slot` (an SM, or one of an SM's concurrent block slots). */
  | {
      readonly kind: "block";
      readonly gpu: number;
      readonly kernel: number;
      readonly slot: number;
      readonly start: number;
      readonly end: number;
    }
  /** HBM channel `channel` busy serving `bytes` over [start, end). */
  | {
      readonly kind: "hbm";
      readonly gpu: number;
      readonly channel: number;
      readonly start: number;
      readonly end: number;
      readonly bytes: number;
    }
  /** A collective (all-reduce, all-gather) over NVLink, the same interval on every GPU that takes part. */
  | {
      readonly kind: "collective";
      readonly gpus: readonly number[];
      readonly kernel: number;
      readonly name: string;
      readonly start: number;
      readonly end: number;
      readonly bytes: number;
    };

export interface GpuTraceOptions {
  /** "h100-sxm": processes are named "GPU i (NAME)". */
  readonly gpuName: string;
  readonly gpus: number;
  /** SM slots per "SMs" thread (default 33: four groups on a 132-SM H100). */
  readonly slotsPerGroup?: number;
  /** HBM channels per thread (default 8). */
  readonly channelsPerGroup?: number;
  /** Kernel names by index, for launches and blocks (default "kernel K"). */
  readonly kernelNames?: readonly string[];
  readonly meta?: Readonly<Record<string, ArgValue>>;
}

const ORDER = { host: 0, kernels: 1, sm: 2, hbm: 3, nvlink: 4 } as const;

interface Builder {
  readonly threads: Map<string, { key: string; name: string; order: number; intervals: Interval[] }>;
  readonly hbmBytes: { time: number; bytes: number }[];
  readonly linkBytes: { time: number; bytes: number }[];
}

/** Merges overlapping or touching [start, end) spans into busy periods, summing a weight. */
function busyPeriods(
  spans: { start: number; end: number; w: number }[],
): { start: number; end: number; w: number }[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start || a.end - b.end);
  const out: { start: number; end: number; w: number }[] = [];
  for (const s of sorted) {
    const last = out.at(-1);
    if (last && s.start <= last.end) {
      last.end = Math.max(last.end, s.end);
      last.w += s.w;
    } else out.push({ ...s });
  }
  return out;
}

export function gpuTimeline(records: readonly GpuRecord[], o: GpuTraceOptions): Timeline {
  const perGroup = o.slotsPerGroup ?? 33;
  const perChannels = o.channelsPerGroup ?? 8;
  const kname = (k: number) => o.kernelNames?.[k] ?? `kernel ${k}`;
  const builders = new Map<number, Builder>();
  const b = (gpu: number): Builder => {
    let x = builders.get(gpu);
    if (!x) {
      x = { threads: new Map(), hbmBytes: [], linkBytes: [] };
      builders.set(gpu, x);
    }
    return x;
  };
  const thread = (gpu: number, key: string, name: string, order: number): Interval[] => {
    const t = b(gpu).threads;
    let th = t.get(key);
    if (!th) {
      th = { key, name, order, intervals: [] };
      t.set(key, th);
    }
    return th.intervals;
  };
  const blocks = new Map<
    string,
    { gpu: number; group: number; kernel: number; start: number; end: number; n: number }
  >();
  const hbm = new Map<
    string,
    { gpu: number; group: number; spans: { start: number; end: number; w: number }[] }
  >();

  for (let g = 0; g < o.gpus; g++) b(g);
  for (const r of records) {
    switch (r.kind) {
      case "launch":
        thread(r.gpu, "host", "Host", ORDER.host * 1000).push({
          start: r.start,
          duration: r.end - r.start,
          name: r.label ?? `launch ${kname(r.kernel)}`,
          category: "host",
          args: { kernel: r.kernel },
        });
        break;
      case "kernel":
        thread(r.gpu, "kernels", "Kernels", ORDER.kernels * 1000).push({
          start: r.start,
          duration: r.end - r.start,
          name: r.name,
          category: "kernel",
          args: { kernel: r.kernel, blocks: r.blocks },
        });
        break;
      case "block": {
        const group = Math.floor(r.slot / perGroup);
        const key = `${r.gpu}/${group}/${r.kernel}`;
        const x = blocks.get(key);
        if (x) {
          x.start = Math.min(x.start, r.start);
          x.end = Math.max(x.end, r.end);
          x.n++;
        } else blocks.set(key, { gpu: r.gpu, group, kernel: r.kernel, start: r.start, end: r.end, n: 1 });
        break;
      }
      case "hbm": {
        const group = Math.floor(r.channel / perChannels);
        const key = `${r.gpu}/${group}`;
        let x = hbm.get(key);
        if (!x) {
          x = { gpu: r.gpu, group, spans: [] };
          hbm.set(key, x);
        }
        x.spans.push({ start: r.start, end: r.end, w: r.bytes });
        b(r.gpu).hbmBytes.push({ time: r.end, bytes: r.bytes });
        break;
      }
      case "collective":
        for (const gpu of r.gpus) {
          thread(gpu, "nvlink", "NVLink", ORDER.nvlink * 1000).push({
            start: r.start,
            duration: r.end - r.start,
            name: r.name,
            category: "c2c",
            args: { kernel: r.kernel, bytes: r.bytes },
          });
          b(gpu).linkBytes.push({ time: r.end, bytes: r.bytes / r.gpus.length });
        }
        break;
    }
  }
  for (const x of blocks.values()) {
    const first = x.group * perGroup;
    thread(x.gpu, `sm${first}`, `SMs ${first}-${first + perGroup - 1}`, ORDER.sm * 1000 + x.group).push({
      start: x.start,
      duration: x.end - x.start,
      name: kname(x.kernel),
      category: "kernel",
      args: { kernel: x.kernel, blocks: x.n },
    });
  }
  for (const x of hbm.values()) {
    const first = x.group * perChannels;
    const intervals = thread(
      x.gpu,
      `hbm${first}`,
      `HBM ch ${first}-${first + perChannels - 1}`,
      ORDER.hbm * 1000 + x.group,
    );
    for (const p of busyPeriods(x.spans))
      intervals.push({
        start: p.start,
        duration: p.end - p.start,
        name: "busy",
        category: "mem",
        args: { bytes: p.w },
      });
  }

  const processes: Process[] = [...builders.entries()]
    .sort(([a], [c]) => a - c)
    .map(([gpu, x]) => ({
      id: gpu,
      name: `GPU ${gpu} (${o.gpuName})`,
      threads: [...x.threads.values()] as Thread[],
      counters: [cumulative("HBM bytes", x.hbmBytes), cumulative("NVLink bytes", x.linkBytes)].filter(
        (c): c is Counter => c !== undefined,
      ),
    }));
  return { time: { unit: "ns" }, processes, meta: o.meta };
}

/** A running total sampled where it changes; undefined when nothing was counted. */
function cumulative(name: string, adds: { time: number; bytes: number }[]): Counter | undefined {
  if (adds.length === 0) return undefined;
  const sorted = [...adds].sort((a, b) => a.time - b.time);
  const samples: { time: number; values: number[] }[] = [{ time: 0, values: [0] }];
  let total = 0;
  for (const a of sorted) {
    total += a.bytes;
    const last = samples.at(-1)!;
    if (last.time === a.time) last.values[0] = total;
    else samples.push({ time: a.time, values: [total] });
  }
  return { name, series: ["bytes"], samples };
}
