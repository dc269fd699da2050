// `--gpu-set key=value` overrides: a preset name plus string settings -> a validated GpuPreset, or diagnostics.
// Contract: unknown keys get a did-you-mean hint; every value is checked (positive, whole, flag or share) and the
// result is checked for consistency before it is returned; the input preset is never mutated.
import { type Diagnostic, diag } from "../../util/diagnostics.ts";
import { didYouMean } from "../../util/suggest.ts";
import { GpuMessages } from "./messages.ts";
import { GPU_PRESETS, type GpuPreset } from "./presets.ts";

type Check = "positive" | "whole" | "flag" | "share";

interface SettingDef {
  /** Path into GpuPreset. */
  readonly path: readonly string[];
  /** User unit -> preset unit. */
  readonly scale: number;
  readonly check: Check;
  readonly doc: string;
}

function s(path: string, check: Check, doc: string, scale = 1): SettingDef {
  return { path: path.split("."), scale, check, doc };
}

/** Every overridable setting, in user units. */
export const GPU_SETTINGS: Readonly<Record<string, SettingDef>> = {
  sms: s("sms", "whole", "streaming multiprocessors"),
  clock_mhz: s("boostClockMHz", "positive", "boost clock, MHz"),
  tensor_clock_mhz: s("tensorClockMHz", "positive", "clock at which the tensor peak is quoted, MHz"),
  min_clock_mhz: s("minClockMHz", "positive", "lowest clock the power governor may choose, MHz"),
  tflops_fp16: s("tensorTflops.fp16", "positive", "dense fp16/bf16 tensor peak, TFLOPS"),
  tops_int8: s("tensorTflops.int8", "positive", "dense int8 tensor peak, TOPS"),
  vector_tflops: s("vectorTflops", "positive", "fp32 CUDA-core peak, TFLOPS"),
  hbm_tbps: s("hbm.peakGBps", "positive", "HBM peak bandwidth, TB/s", 1000),
  hbm_gb: s("hbm.capacityGB", "positive", "HBM capacity, GB"),
  hbm_channels: s("hbm.channels", "whole", "HBM (pseudo-)channels"),
  hbm_bank_groups: s("hbm.bankGroups", "whole", "bank groups per channel"),
  hbm_banks_per_group: s("hbm.banksPerGroup", "whole", "banks per bank group"),
  hbm_row_bytes: s("hbm.rowBytes", "whole", "row-buffer size per channel, bytes"),
  hbm_burst_bytes: s("hbm.burstBytes", "whole", "bytes per column command"),
  hbm_per_bank_refresh: s("hbm.perBankRefresh", "flag", "1 per-bank refresh, 0 all-bank refresh"),
  t_cl: s("hbm.timing.tCL", "positive", "CAS latency, ns"),
  t_rcd: s("hbm.timing.tRCD", "positive", "activate to column, ns"),
  t_rp: s("hbm.timing.tRP", "positive", "precharge, ns"),
  t_ras: s("hbm.timing.tRAS", "positive", "activate to precharge, ns"),
  t_rc: s("hbm.timing.tRC", "positive", "activate to activate, same bank, ns"),
  t_ccd_s: s("hbm.timing.tCCD_S", "positive", "column to column, other bank group, ns"),
  t_ccd_l: s("hbm.timing.tCCD_L", "positive", "column to column, same bank group, ns"),
  t_rrd_s: s("hbm.timing.tRRD_S", "positive", "activate to activate, other bank group, ns"),
  t_rrd_l: s("hbm.timing.tRRD_L", "positive", "activate to activate, same bank group, ns"),
  t_faw: s("hbm.timing.tFAW", "positive", "four-activate window, ns"),
  t_rfc: s("hbm.timing.tRFC", "positive", "refresh cycle time, ns"),
  t_refi: s("hbm.timing.tREFI", "positive", "refresh interval, ns"),
  hbm_gang: s("hbm.gang", "whole", "simulation: channels simulated in lockstep as one"),
  hbm_request_kb: s("hbm.requestKB", "positive", "simulation: smallest request, KB"),
  hbm_max_requests: s("hbm.maxRequestsPerRun", "whole", "simulation: request budget per run"),
  l2_mb: s("l2.bytes", "positive", "L2 size, MiB", 1024 * 1024),
  l2_tbps: s("l2.GBps", "positive", "L2 bandwidth, TB/s", 1000),
  l2_hit_ns: s("l2.hitNs", "positive", "L2 hit latency, ns"),
  dram_ns: s("l2.dramNs", "positive", "on-chip part of a DRAM access, ns"),
  nvlink_gbps: s("nvlink.oneWayGBps", "positive", "NVLink achieved one-way bandwidth, GB/s"),
  nvlink_step_us: s("nvlink.ringStepNs", "positive", "fixed cost of one ring all-reduce step, us", 1000),
  nvls: s("nvlink.nvls", "flag", "1 NVLink SHARP all-reduce, 0 ring"),
  nvls_us: s("nvlink.nvlsNs", "positive", "NVLS all-reduce time for a small message, us", 1000),
  tdp_w: s("power.tdpW", "positive", "power limit, W"),
  static_share: s("power.staticShare", "share", "static power as a share of TDP"),
  power_window_us: s("power.windowNs", "positive", "power governor averaging window, us", 1000),
  launch_us: s("launch.hostNs", "positive", "host time per kernel enqueue, us", 1000),
  launch_sigma: s("launch.hostSigma", "share", "log-normal spread of one enqueue"),
  host_stall_p: s("launch.hostStallP", "share", "chance per enqueue of a host scheduling delay"),
  host_stall_us: s("launch.hostStallNs", "positive", "mean host scheduling delay, us", 1000),
  kernel_gap_us: s("launch.gapNs", "positive", "device gap between dependent kernels, us", 1000),
  graph_us: s("launch.graphNs", "positive", "CUDA Graph launch, us", 1000),
  graph_kernel_us: s("launch.graphKernelNs", "positive", "CUDA Graph per-kernel cost, us", 1000),
};

const CHECK_TEXT: Record<Check, string> = {
  positive: "takes a positive number",
  whole: "takes a positive whole number",
  flag: "takes 0 or 1",
  share: "takes a number from 0 to 1",
};

function valid(v: number, check: Check): boolean {
  if (!Number.isFinite(v)) return false;
  switch (check) {
    case "positive":
      return v > 0;
    case "whole":
      return Number.isInteger(v) && v > 0;
    case "flag":
      return v === 0 || v === 1;
    case "share":
      return v >= 0 && v <= 1;
  }
}

const FILE = "--gpu-set";

/** Consistency rules a derived preset must keep. */
export function presetProblems(p: GpuPreset): string[] {
  const out: string[] = [];
  const h = p.hbm;
  const t = h.timing;
  if (h.channels % h.gang !== 0)
    out.push(`hbm_channels (${h.channels}) must be a multiple of hbm_gang (${h.gang})`);
  if (h.rowBytes % h.burstBytes !== 0) out.push("hbm_row_bytes must be a multiple of hbm_burst_bytes");
  if (t.tRC < t.tRAS) out.push("t_rc must be at least t_ras");
  if (t.tCCD_L < t.tCCD_S) out.push("t_ccd_l must be at least t_ccd_s");
  if (t.tRFC >= t.tREFI) out.push("t_rfc must be shorter than t_refi");
  if (p.minClockMHz > p.boostClockMHz) out.push("min_clock_mhz must not exceed clock_mhz");
  return out;
}

export function findPreset(name: string): { preset?: GpuPreset; diagnostics: Diagnostic[] } {
  const preset = GPU_PRESETS[name];
  if (preset) return { preset, diagnostics: [] };
  const known = Object.keys(GPU_PRESETS).sort();
  return {
    diagnostics: [
      diag(GpuMessages.unknownPreset, "--gpu", undefined, [name, known.join(", ")], didYouMean(name, known)),
    ],
  };
}

/** A preset with `sets` applied (user units, as in GPU_SETTINGS), or the diagnostics that say why not. */
export function deriveGpu(
  name: string,
  sets: Readonly<Record<string, string>> = {},
): { preset?: GpuPreset; diagnostics: Diagnostic[] } {
  const found = findPreset(name);
  if (!found.preset) return found;
  const out = structuredClone(found.preset) as unknown as Record<string, unknown>;
  const diagnostics: Diagnostic[] = [];
  for (const key of Object.keys(sets).sort()) {
    const raw = sets[key]!;
    const def = GPU_SETTINGS[key];
    if (!def) {
      diagnostics.push(
        diag(GpuMessages.unknownKey, FILE, undefined, [key], didYouMean(key, Object.keys(GPU_SETTINGS))),
      );
      continue;
    }
    const v = raw.trim() === "" ? Number.NaN : Number(raw);
    if (!valid(v, def.check)) {
      diagnostics.push(diag(GpuMessages.badValue, FILE, undefined, [key, CHECK_TEXT[def.check], raw]));
      continue;
    }
    let node = out;
    for (const part of def.path.slice(0, -1)) node = node[part] as Record<string, unknown>;
    node[def.path[def.path.length - 1]!] = v * def.scale;
  }
  if (diagnostics.length > 0) return { diagnostics };
  const preset = out as unknown as GpuPreset;
  for (const problem of presetProblems(preset)) {
    diagnostics.push(diag(GpuMessages.inconsistent, FILE, undefined, [problem]));
  }
  return diagnostics.length > 0 ? { diagnostics } : { preset, diagnostics };
}
