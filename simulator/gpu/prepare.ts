// Kernel list + GPU preset -> a prepared plan, computed once and shared by every run and GPU: which bytes of each
// kernel hit L2 in the steady state of a decode loop (the L2 model run over the list twice), where every tensor
// lives in HBM, each block's compute time at full clock, and each block's HBM requests (channel, address, bytes).
// Guarantees: a kernel's requests add up to its L2 misses plus the dirty bytes it evicts.
import type { Kernel, KernelList } from "../../arch/gpu/kernels.ts";
import type { GpuPreset } from "../../arch/gpu/presets.ts";
import { hbmShape, rowsOf } from "./hbm.ts";
import { L2 } from "./l2.ts";

export const COMPUTE = 0;
export const ALLREDUCE = 1;
export const ALLGATHER = 2;

export interface PreparedKernel {
  readonly kind: number;
  readonly name: string;
  readonly grid: number;
  /** Blocks resident on the GPU at once. */
  readonly slots: number;
  /** Per block: tensor-core time at the tensor clock, vector time at the boost clock, L2 time, ns. */
  readonly tensorNs: number;
  readonly vectorNs: number;
  readonly l2Ns: number;
  /** Requests of block b are [reqStart[b], reqStart[b + 1]) in the plan's request arrays. */
  readonly reqStart: Int32Array;
  readonly macs: number;
  readonly macDtype: string;
  readonly vectorFlops: number;
  readonly hbmBytes: number;
  readonly l2Bytes: number;
  /** Collectives: bytes of the full tensor. */
  readonly bytes: number;
}

export interface PreparedPlan {
  readonly kernels: readonly PreparedKernel[];
  readonly reqChannel: Int32Array;
  readonly reqAddr: Float64Array;
  readonly reqBytes: Float64Array;
  /** Each request cut into rows once for all runs: its first row (channel row index) and how many it spans. */
  readonly reqFirstRow: Int32Array;
  readonly reqRows: Int32Array;
  /** Interleave and largest request size, bytes (see hbm.ts on granularity). */
  readonly requestBytes: number;
  readonly batch: number;
  readonly seq: number;
}

function tensorMacsPerSecond(p: GpuPreset, dtype: string): number {
  const tops = dtype === "int8" || dtype === "fp8" ? p.tensorTflops.int8 : p.tensorTflops.fp16;
  // fp32 inputs run as TF32 at half the fp16 rate (assumption from the data sheets' ratio).
  const scale = dtype === "fp32" ? 0.5 : 1;
  return (tops * 1e12 * scale) / 2;
}

/** Steady-state L2 hits: the list runs twice and the second pass is kept (the previous token warmed the cache). */
function l2Traffic(
  list: KernelList,
  capacity: number,
): { miss: Map<string, number>[]; hit: number[]; writeback: number[] } {
  const l2 = new L2(capacity);
  let out = { miss: [] as Map<string, number>[], hit: [] as number[], writeback: [] as number[] };
  for (let pass = 0; pass < 2; pass++) {
    out = { miss: [], hit: [], writeback: [] };
    for (const k of list.kernels) {
      const miss = new Map<string, number>();
      let hit = 0;
      let wb = 0;
      if (k.kind === "compute") {
        for (const r of k.reads) {
          if (r.role === "workspace") {
            // Split-K partials are written and read back within the kernel: they stay in L2.
            hit += r.bytes;
            continue;
          }
          const got = l2.read(r.tensor, r.bytes);
          hit += got.hit;
          wb += got.writeback;
          if (r.bytes > got.hit) miss.set(r.tensor, r.bytes - got.hit);
        }
        for (const w of k.writes) wb += l2.write(w.tensor, w.bytes);
      }
      out.miss.push(miss);
      out.hit.push(hit);
      out.writeback.push(wb);
    }
  }
  return out;
}

export function prepare(list: KernelList, p: GpuPreset): PreparedPlan {
  const shape = hbmShape(p);
  const traffic = l2Traffic(list, p.l2.bytes);
  let totalMiss = 0;
  for (let i = 0; i < list.kernels.length; i++) {
    for (const b of traffic.miss[i]!.values()) totalMiss += b;
    totalMiss += traffic.writeback[i]!;
  }
  const minBytes = Math.max(p.hbm.requestKB * 1024, shape.rowBytes);
  const wanted = Math.max(minBytes, totalMiss / p.hbm.maxRequestsPerRun);
  const requestBytes = Math.ceil(wanted / shape.rowBytes) * shape.rowBytes;

  // Addresses: first use, bump-allocated at row alignment, so tensors start on different channels.
  const base = new Map<string, number>();
  let top = 0;
  const addressOf = (tensor: string, bytes: number): number => {
    let a = base.get(tensor);
    if (a === undefined) {
      a = top;
      base.set(tensor, a);
      top += Math.ceil(bytes / shape.rowBytes) * shape.rowBytes;
    }
    return a;
  };
  for (const k of list.kernels) {
    if (k.kind !== "compute") continue;
    for (const r of k.reads) addressOf(r.tensor, r.bytes);
    for (const w of k.writes) addressOf(w.tensor, w.bytes);
  }
  let writebackAt = top;

  const channels: number[] = [];
  const addrs: number[] = [];
  const sizes: number[] = [];
  // A block's slice of a tensor becomes ceil(slice / requestBytes) equal requests, each in the channel that
  // interleaving gives its first byte (a request may run past its chunk: part of the coarse granularity).
  const emit = (from: number, to: number): void => {
    const pieces = Math.ceil((to - from) / requestBytes);
    for (let j = 0; j < pieces; j++) {
      const a = from + Math.floor(((to - from) * j) / pieces);
      const e = from + Math.floor(((to - from) * (j + 1)) / pieces);
      const chunk = Math.floor(a / requestBytes);
      channels.push(chunk % shape.channels);
      addrs.push(Math.floor(chunk / shape.channels) * requestBytes + (a - chunk * requestBytes));
      sizes.push(e - a);
    }
  };

  const kernels: PreparedKernel[] = list.kernels.map((k: Kernel, i) => {
    if (k.kind !== "compute") {
      const kind = k.kind === "allreduce" ? ALLREDUCE : ALLGATHER;
      return {
        kind,
        name: k.name,
        grid: 0,
        slots: 0,
        tensorNs: 0,
        vectorNs: 0,
        l2Ns: 0,
        reqStart: new Int32Array(1).fill(channels.length),
        macs: 0,
        macDtype: "fp16",
        vectorFlops: 0,
        hbmBytes: 0,
        l2Bytes: 0,
        bytes: k.bytes,
      };
    }
    const miss = traffic.miss[i]!;
    const regions: [number, number][] = [];
    let hbmBytes = 0;
    for (const r of k.reads) {
      const m = miss.get(r.tensor) ?? 0;
      if (m <= 0) continue;
      // The bytes that missed are the tensor's tail (its head was most recently kept).
      const a = addressOf(r.tensor, r.bytes);
      regions.push([a + (r.bytes - m), m]);
      hbmBytes += m;
    }
    const wb = traffic.writeback[i]!;
    if (wb > 0) {
      regions.push([writebackAt, wb]);
      writebackAt += Math.ceil(wb / shape.rowBytes) * shape.rowBytes;
      hbmBytes += wb;
    }
    // Each region is cut into at most one piece per block and at least a row per piece; piece j goes to block
    // floor(j * grid / pieces), so a small tensor is loaded by a few blocks, as the first touch of it is.
    const perBlock: [number, number][][] = Array.from({ length: k.grid }, () => []);
    for (const [a, bytes] of regions) {
      const pieces = Math.max(1, Math.min(k.grid, Math.floor(bytes / shape.rowBytes)));
      for (let j = 0; j < pieces; j++) {
        const from = a + Math.floor((j * bytes) / pieces);
        perBlock[Math.floor((j * k.grid) / pieces)]!.push([from, a + Math.floor(((j + 1) * bytes) / pieces)]);
      }
    }
    const reqStart = new Int32Array(k.grid + 1);
    for (let b = 0; b < k.grid; b++) {
      reqStart[b] = channels.length;
      for (const [from, to] of perBlock[b]!) emit(from, to);
    }
    reqStart[k.grid] = channels.length;
    let written = 0;
    for (const w of k.writes) written += w.bytes;
    const l2Bytes = traffic.hit[i]! + written;
    const resident = Math.max(1, Math.min(k.blocksPerSm, Math.ceil(k.grid / p.sms)));
    const share = resident / k.grid;
    return {
      kind: 0,
      name: k.name,
      grid: k.grid,
      slots: p.sms * k.blocksPerSm,
      tensorNs: ((k.macs * share) / (tensorMacsPerSecond(p, k.macDtype) / p.sms)) * 1e9,
      vectorNs: ((k.vectorFlops * share) / ((p.vectorTflops * 1e12) / p.sms)) * 1e9,
      l2Ns: (l2Bytes * share) / (p.l2.GBps / p.sms),
      reqStart,
      macs: k.macs,
      macDtype: k.macDtype,
      vectorFlops: k.vectorFlops,
      hbmBytes,
      l2Bytes,
      bytes: 0,
    };
  });
  const reqFirstRow = new Int32Array(addrs.length);
  const reqRows = new Int32Array(addrs.length);
  for (let i = 0; i < addrs.length; i++) {
    const cut = rowsOf(shape.rowBytes, addrs[i]!, sizes[i]!);
    reqFirstRow[i] = cut.first;
    reqRows[i] = cut.rows;
  }
  return {
    kernels,
    reqChannel: Int32Array.from(channels),
    reqAddr: Float64Array.from(addrs),
    reqBytes: Float64Array.from(sizes),
    reqFirstRow,
    reqRows,
    requestBytes,
    batch: list.batch,
    seq: list.seq,
  };
}
