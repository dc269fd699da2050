// One run: a prepared plan on `gpus` GPUs, event-driven. Each GPU has a host thread enqueueing kernels, SMs taking
// thread blocks as they free, an L2 and the HBM model (hbm.ts), and a power governor that sets the clock from the
// energy of recent kernels. Collectives start when the last GPU reaches them. Out: the run's latency and activity.
// Guarantees: the same plan, options and seed give the same result; all variation comes from seeded mechanisms
// (host timing, refresh phase, background arrivals) and from how they reorder blocks and requests.
// An optional recorder sees what happened (launches, kernels, blocks, HBM service, collectives) as plain records;
// it only reads the simulation's state, so a recorded run gives exactly the result of an unrecorded one.
import type { GpuPreset } from "../../arch/gpu/presets.ts";
import { hashString, Rng } from "../../util/random.ts";
import { type EnergyPreset, nodeScale } from "../report/cost/presets.ts";
import type { GpuRecord } from "../report/trace/gpu.ts";
import { EventQueue } from "./events.ts";
import { Hbm } from "./hbm.ts";
import { ALLREDUCE, COMPUTE, type PreparedKernel, type PreparedPlan } from "./prepare.ts";

const KSTART = 0;
const BLOCK = 1;
const CHFREE = 2;
const COLLECTIVE = 3;

export interface RunOptions {
  readonly plan: PreparedPlan;
  readonly preset: GpuPreset;
  readonly energy: EnergyPreset;
  readonly gpus: number;
  readonly seed: number;
  readonly cudaGraph: boolean;
  /** Co-tenant HBM traffic as a share of peak bandwidth, 0 for none. */
  readonly background: number;
  /** Called with every record of the run (for a timeline); left out, the run records nothing and costs nothing. */
  readonly record?: (r: GpuRecord) => void;
}

export interface RunResult {
  readonly ns: number;
  /** Summed over GPUs. */
  readonly macs: Readonly<Record<string, number>>;
  readonly vectorFlops: number;
  readonly l2Bytes: number;
  readonly hbmBytes: number;
  readonly backgroundBytes: number;
  readonly linkBytes: number;
  readonly rowHits: number;
  readonly rowMisses: number;
  readonly rowConflicts: number;
  /** Lowest clock any GPU ran at, MHz. */
  readonly minClockMHz: number;
}

/** Enqueue times of every kernel on one GPU's host thread: its own seeded timing (see the launch preset). */
function hostTimes(p: GpuPreset, n: number, rng: Rng, graph: boolean): Float64Array {
  const l = p.launch;
  const one = (base: number): number =>
    base * Math.exp(l.hostSigma * rng.normal()) +
    (rng.next() < l.hostStallP ? rng.exponential(l.hostStallNs) : 0);
  const out = new Float64Array(n);
  if (graph) {
    out.fill(one(l.graphNs));
    return out;
  }
  let t = 0;
  for (let k = 0; k < n; k++) {
    t += one(l.hostNs);
    out[k] = t;
  }
  return out;
}

/** The host thread's work: each kernel's enqueue from the previous one's (or one launch of the whole CUDA graph). */
function recordLaunches(rec: (r: GpuRecord) => void, gpu: number, host: Float64Array, graph: boolean): void {
  if (graph) {
    if (host.length > 0)
      rec({ kind: "launch", gpu, kernel: 0, start: 0, end: host[0]!, label: "launch CUDA graph" });
    return;
  }
  for (let k = 0; k < host.length; k++)
    rec({ kind: "launch", gpu, kernel: k, start: k === 0 ? 0 : host[k - 1]!, end: host[k]! });
}

class Gpu {
  cur = 0;
  issued = 0;
  done = 0;
  prevEnd = 0;
  kernelStart = 0;
  finish = -1;
  clock: number;
  power = 0;
  minClock: number;
  readonly pending: Int32Array;
  readonly memEnd: Float64Array;
  readonly floor: Float64Array;
  hbm!: Hbm;
  /** When each slot's block was issued: only kept while recording. */
  blockStart?: Float64Array;
  constructor(
    readonly id: number,
    readonly host: Float64Array,
    slots: number,
    clock: number,
  ) {
    this.pending = new Int32Array(slots);
    this.memEnd = new Float64Array(slots);
    this.floor = new Float64Array(slots);
    this.clock = clock;
    this.minClock = clock;
  }
}

export function simulateRun(o: RunOptions): RunResult {
  const { plan, preset: p, gpus } = o;
  const q = new EventQueue();
  const kernels = plan.kernels;
  const gap = o.cudaGraph ? p.launch.graphKernelNs : p.launch.gapNs;
  const maxSlots = Math.max(1, ...kernels.map((k) => k.slots));
  const escale = nodeScale(o.energy);
  const macs: Record<string, number> = {};
  let vectorFlops = 0;
  let l2Bytes = 0;
  let linkBytes = 0;
  const rec = o.record;

  const machines: Gpu[] = [];
  for (let g = 0; g < gpus; g++) {
    const rng = (what: string) => new Rng(hashString(`${o.seed}/${g}/${what}`));
    const gpu = new Gpu(g, hostTimes(p, kernels.length, rng("host"), o.cudaGraph), maxSlots, p.boostClockMHz);
    const refresh = rng("refresh");
    const channels = p.hbm.channels / p.hbm.gang;
    const phases = Array.from({ length: channels }, () => refresh.next());
    const background =
      o.background > 0
        ? { fraction: o.background, bytes: plan.requestBytes, rng: rng("background") }
        : undefined;
    gpu.hbm = new Hbm(
      p,
      phases,
      q,
      CHFREE,
      g,
      (slot, time) => {
        if (time > gpu.memEnd[slot]!) gpu.memEnd[slot] = time;
        if (--gpu.pending[slot] === 0)
          q.push(Math.max(gpu.memEnd[slot]! + p.l2.dramNs, gpu.floor[slot]!), BLOCK, g, slot);
      },
      background,
      // Recorded by the first pseudo-channel of the gang, so channel numbers are the preset's.
      rec &&
        ((c, start, end, bytes) => rec({ kind: "hbm", gpu: g, channel: c * p.hbm.gang, start, end, bytes })),
    );
    if (rec) {
      gpu.blockStart = new Float64Array(maxSlots);
      recordLaunches(rec, g, gpu.host, o.cudaGraph);
    }
    machines.push(gpu);
  }

  const issue = (gpu: Gpu, k: PreparedKernel, slot: number, t: number): void => {
    const b = gpu.issued++;
    const tensorScale = p.tensorClockMHz / Math.min(gpu.clock, p.tensorClockMHz);
    const vectorScale = p.boostClockMHz / gpu.clock;
    const compute = k.tensorNs * tensorScale + k.vectorNs * vectorScale;
    gpu.floor[slot] = t + Math.max(compute, p.l2.hitNs + k.l2Ns);
    gpu.memEnd[slot] = 0;
    if (gpu.blockStart) gpu.blockStart[slot] = t;
    const rs = k.reqStart[b]!;
    const re = k.reqStart[b + 1]!;
    if (re === rs) {
      q.push(gpu.floor[slot]!, BLOCK, gpu.id, slot);
      return;
    }
    gpu.pending[slot] = re - rs;
    for (let i = rs; i < re; i++)
      gpu.hbm.submitRows(
        t,
        plan.reqChannel[i]!,
        plan.reqFirstRow[i]!,
        plan.reqRows[i]!,
        plan.reqBytes[i]!,
        slot,
      );
  };

  const arrivals: number[][] = kernels.map(() => []);
  const startKernel = (gpu: Gpu, t: number): void => {
    const k = kernels[gpu.cur]!;
    gpu.kernelStart = t;
    if (k.kind === COMPUTE) {
      gpu.issued = 0;
      gpu.done = 0;
      const first = Math.min(k.grid, k.slots);
      for (let s = 0; s < first; s++) issue(gpu, k, s, t);
      return;
    }
    const arrived = arrivals[gpu.cur]!;
    arrived.push(t);
    if (arrived.length < gpus) return;
    const last = Math.max(...arrived);
    const nv = p.nvlink;
    const share = k.bytes / gpus;
    const steps = k.kind === ALLREDUCE ? 2 * (gpus - 1) : gpus - 1;
    const ring = steps * (nv.ringStepNs + share / nv.oneWayGBps);
    const dur = k.kind === ALLREDUCE && nv.nvls === 1 ? nv.nvlsNs + k.bytes / nv.oneWayGBps : ring;
    linkBytes += gpus * steps * share;
    if (rec)
      rec({
        kind: "collective",
        gpus: machines.map((m) => m.id),
        kernel: gpu.cur,
        name: k.name,
        start: last,
        end: last + dur,
        bytes: gpus * steps * share,
      });
    q.push(last + dur, COLLECTIVE, gpu.cur);
  };

  const tryStart = (gpu: Gpu, t: number): void => {
    if (gpu.cur >= kernels.length) {
      gpu.finish = t;
      return;
    }
    const at = Math.max(gpu.host[gpu.cur]!, gpu.cur === 0 ? 0 : gpu.prevEnd + gap);
    if (at <= t) startKernel(gpu, t);
    else q.push(at, KSTART, gpu.id);
  };

  const governor = (gpu: Gpu, k: PreparedKernel, t: number): void => {
    const dt = t - gpu.kernelStart;
    if (dt <= 0) return;
    const f = (gpu.clock / p.boostClockMHz) ** 2;
    const e = o.energy;
    const pj =
      (k.macs * (e.macPj45[k.macDtype as keyof EnergyPreset["macPj45"]] ?? e.macPj45.fp16) +
        k.vectorFlops * e.vectorPj45 +
        k.l2Bytes * e.sramPjPerByte45) *
        escale *
        f +
      k.hbmBytes * e.dramPjPerByte;
    const watts = (pj * 1e-12) / (dt * 1e-9);
    const alpha = 1 - Math.exp(-dt / p.power.windowNs);
    gpu.power += alpha * (watts - gpu.power);
    const budget = p.power.tdpW * (1 - p.power.staticShare);
    if (gpu.power > 0) {
      // Dynamic power goes as f^3 (energy per op as V^2 with V tracking f, times the rate).
      const target = gpu.clock * Math.cbrt(budget / gpu.power);
      gpu.clock = Math.max(p.minClockMHz, Math.min(p.boostClockMHz, target));
      if (gpu.clock < gpu.minClock) gpu.minClock = gpu.clock;
    }
  };

  const finishKernel = (gpu: Gpu, t: number): void => {
    const k = kernels[gpu.cur]!;
    if (rec)
      rec({
        kind: "kernel",
        gpu: gpu.id,
        kernel: gpu.cur,
        name: k.name,
        start: gpu.kernelStart,
        end: t,
        blocks: k.grid,
      });
    if (k.kind === COMPUTE) {
      governor(gpu, k, t);
      macs[k.macDtype] = (macs[k.macDtype] ?? 0) + k.macs;
      vectorFlops += k.vectorFlops;
      l2Bytes += k.l2Bytes;
    }
    gpu.prevEnd = t;
    gpu.cur++;
    tryStart(gpu, t);
  };

  for (const gpu of machines) tryStart(gpu, 0);
  while (q.pop()) {
    const t = q.time;
    switch (q.kind) {
      case KSTART:
        startKernel(machines[q.a]!, t);
        break;
      case BLOCK: {
        const gpu = machines[q.a]!;
        const k = kernels[gpu.cur]!;
        if (gpu.blockStart) {
          // Slot s is one of SM (s mod SMs)'s concurrent block slots.
          const start = gpu.blockStart[q.b]!;
          rec!({ kind: "block", gpu: gpu.id, kernel: gpu.cur, slot: q.b % p.sms, start, end: t });
        }
        gpu.done++;
        if (gpu.issued < k.grid) issue(gpu, k, q.b, t);
        else if (gpu.done === k.grid) finishKernel(gpu, t);
        break;
      }
      case CHFREE:
        machines[q.a]!.hbm.onFree(t, q.b);
        break;
      case COLLECTIVE:
        for (const gpu of machines) finishKernel(gpu, t);
        break;
    }
  }
  let ns = 0;
  let hbmBytes = 0;
  let backgroundBytes = 0;
  let rowHits = 0;
  let rowMisses = 0;
  let rowConflicts = 0;
  let minClock = p.boostClockMHz;
  for (const gpu of machines) {
    if (gpu.finish < 0) throw new Error(`GPU ${gpu.id} stopped at kernel ${gpu.cur} of ${kernels.length}`);
    ns = Math.max(ns, gpu.finish);
    hbmBytes += gpu.hbm.bytes;
    backgroundBytes += gpu.hbm.backgroundBytes;
    rowHits += gpu.hbm.rowHits;
    rowMisses += gpu.hbm.rowMisses;
    rowConflicts += gpu.hbm.rowConflicts;
    minClock = Math.min(minClock, gpu.minClock);
  }
  // Per-kernel activity was counted once per GPU in finishKernel.
  return {
    ns,
    macs,
    vectorFlops,
    l2Bytes,
    hbmBytes,
    backgroundBytes,
    linkBytes,
    rowHits,
    rowMisses,
    rowConflicts,
    minClockMHz: minClock,
  };
}
