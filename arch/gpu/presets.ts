// GPU machine descriptions as data: the `h100-sxm` and `a100-sxm` presets, each number with its public source
// (gpu-reference.md unless stated; "assumption" and "unconfirmed" say so). Read by the GPU simulator only.
// Contract: times in ns, bandwidths in bytes/ns (= GB/s), clocks in MHz; every field is finite and positive unless
// documented as a 0/1 flag or a share in [0, 1].

export interface HbmTiming {
  /** ns per memory clock; the command timings below are already in ns. */
  readonly tCK: number;
  readonly tCL: number;
  readonly tRCD: number;
  readonly tRP: number;
  readonly tRAS: number;
  readonly tRC: number;
  /** Column-to-column spacing, different bank group / same bank group. */
  readonly tCCD_S: number;
  readonly tCCD_L: number;
  /** Activate-to-activate spacing, different / same bank group. */
  readonly tRRD_S: number;
  readonly tRRD_L: number;
  /** At most four activates per tFAW window in one channel. */
  readonly tFAW: number;
  /** Refresh: a bank (per-bank mode) or the whole channel (all-bank mode) is blocked for tRFC every tREFI. */
  readonly tRFC: number;
  readonly tREFI: number;
}

export interface HbmConfig {
  readonly kind: "HBM3" | "HBM2e";
  readonly capacityGB: number;
  /** Peak bandwidth of all stacks, GB/s (bytes per ns). */
  readonly peakGBps: number;
  /** Independent channels seen by the controller (HBM3 pseudo-channels, HBM2 legacy channels). */
  readonly channels: number;
  readonly bankGroups: number;
  readonly banksPerGroup: number;
  /** Row-buffer (page) size of one channel, bytes. */
  readonly rowBytes: number;
  /** Bytes one column command moves (channel width x burst length). */
  readonly burstBytes: number;
  /** 1: per-bank refresh (one bank blocked at a time); 0: all-bank refresh (the whole channel blocked). */
  readonly perBankRefresh: number;
  readonly timing: HbmTiming;
  /**
   * Simulation granularity, not hardware: channels simulated in lockstep as one (fine-grained interleaving makes
   * neighbours see the same stream), and the size of one simulated request. See simulator/gpu/hbm.ts.
   */
  readonly gang: number;
  readonly requestKB: number;
  /** The request size doubles until one run issues at most this many requests (keeps 7B-class models fast). */
  readonly maxRequestsPerRun: number;
}

export interface GpuPreset {
  readonly name: string;
  readonly sms: number;
  readonly boostClockMHz: number;
  /** The clock at which the tensor peaks are quoted; tensor throughput scales with min(clock, this) / this. */
  readonly tensorClockMHz: number;
  /** Lowest clock the power governor may choose. */
  readonly minClockMHz: number;
  /** Dense tensor peaks at tensorClockMHz, TFLOPS (TOPS for int8). */
  readonly tensorTflops: { readonly fp16: number; readonly int8: number };
  /** Non-tensor (CUDA core) fp32 peak at boost, TFLOPS: elementwise, norms, softmax. */
  readonly vectorTflops: number;
  readonly hbm: HbmConfig;
  readonly l2: {
    readonly bytes: number;
    /** Aggregate L2 bandwidth, GB/s. */
    readonly GBps: number;
    /** Load-to-use latency of an L2 hit and of a DRAM access, ns. */
    readonly hitNs: number;
    readonly dramNs: number;
  };
  readonly nvlink: {
    /** Both directions, GB/s (data sheet). */
    readonly bidirGBps: number;
    /** Measured one-way peer-to-peer bandwidth, GB/s: what a ring step achieves. */
    readonly oneWayGBps: number;
    /** Fixed cost of one ring step (one hop, one synchronisation), ns. */
    readonly ringStepNs: number;
    /** 1: NVLink SHARP (NVLS) in-switch all-reduce; 0: ring. */
    readonly nvls: number;
    /** NVLS all-reduce of a small message, ns. */
    readonly nvlsNs: number;
  };
  readonly power: {
    readonly tdpW: number;
    /** Static (leakage, fans-off board) power as a share of TDP. */
    readonly staticShare: number;
    /** Governor time constant, ns: power is averaged over about this long before the clock moves. */
    readonly windowNs: number;
  };
  readonly launch: {
    /** Host time per asynchronous kernel enqueue, ns (median). */
    readonly hostNs: number;
    /** Log-normal spread (sigma) of one enqueue; the host thread's own timing. */
    readonly hostSigma: number;
    /** Chance per enqueue that the host thread is descheduled, and the mean length of that stall, ns. */
    readonly hostStallP: number;
    readonly hostStallNs: number;
    /** GPU front end: gap between one kernel's last block and the next kernel's first, ns. */
    readonly gapNs: number;
    /** CUDA Graph replay: one launch of the whole graph, then a small per-kernel cost on the device, ns. */
    readonly graphNs: number;
    readonly graphKernelNs: number;
  };
}

const H100_SXM: GpuPreset = {
  name: "h100-sxm",
  sms: 132, // NVIDIA H100 data sheet
  boostClockMHz: 1980, // data sheet: 1.98 GHz boost
  tensorClockMHz: 1830, // data sheet: tensor peaks quoted at 1.83 GHz
  minClockMHz: 1000, // assumption: a floor for the governor, not a data-sheet figure
  tensorTflops: { fp16: 989, int8: 1979 }, // data sheet, dense
  vectorTflops: 67, // H100 SXM data sheet, fp32 (not in gpu-reference.md; unconfirmed here)
  hbm: {
    kind: "HBM3",
    capacityGB: 80, // data sheet
    peakGBps: 3350, // data sheet: 3.35 TB/s
    // 5 active stacks x 16 channels x 2 pseudo-channels of 32 bits = 5,120-bit bus (H100 whitepaper: 10 x 512-bit
    // controllers; unconfirmed here). The Ramulator 2 HBM3 preset gives the pseudo-channel layout.
    channels: 160,
    bankGroups: 8, // Ramulator 2 HBM3: 2 stack IDs x 4 bank groups, treated as 8 groups per pseudo-channel
    banksPerGroup: 4, // Ramulator 2 HBM3
    rowBytes: 1024, // JEDEC HBM3 1 KB page per pseudo-channel (assumption: not in gpu-reference.md)
    burstBytes: 32, // 32-bit pseudo-channel x burst of 8 (Ramulator 2 HBM3)
    perBankRefresh: 1, // HBM3 per-bank refresh (Ramulator 2 HBM3_6400Mbps)
    timing: {
      // Ramulator 2 HBM3_6400Mbps, in ns (gpu-reference.md). H100 runs its pins near 5.2 Gb/s; the ns timings are
      // kept and the data rate comes from peakGBps.
      tCK: 0.625,
      tCL: 12.5,
      tRCD: 19.4,
      tRP: 16.25,
      tRAS: 28.1,
      tRC: 45,
      tCCD_S: 1.25,
      tCCD_L: 2.5,
      tRRD_S: 2.5,
      tRRD_L: 3.1,
      tFAW: 15,
      tRFC: 200, // per-bank refresh
      tREFI: 3900,
    },
    gang: 8, // simulation: 160 pseudo-channels as 20 lockstep groups of 8
    requestKB: 8, // simulation: one request = one row of each ganged pseudo-channel
    maxRequestsPerRun: 20000, // simulation budget: requests of about 0.7 MB for a 7B model
  },
  l2: {
    bytes: 50 * 1024 * 1024, // data sheet: 50 MB
    GBps: 2.5 * 3350, // assumption: L2 about 2.5x HBM bandwidth (not in gpu-reference.md)
    hitNs: 200 / 1.83, // about 200 cycles (unconfirmed) at 1.83 GHz
    dramNs: 400 / 1.83, // about 400 cycles (unconfirmed); covers the on-chip path, the HBM model adds the rest
  },
  nvlink: {
    bidirGBps: 900, // data sheet: 18 links x 50 GB/s
    oneWayGBps: 380, // measured peer-to-peer one way (NCCL issue reports)
    // NCCL small-message all-reduce on 8 GPUs: 12-17 us over 2 x 7 ring steps -> about 0.9 us a step (derived
    // from the low end; assumption that the cost is per step)
    ringStepNs: 12000 / 14,
    nvls: 0,
    nvlsNs: 6000, // NVLink SHARP all-reduce 5-7 us for 1-32 KB
  },
  power: {
    tdpW: 700, // data sheet
    staticShare: 0.3, // assumption: static power 30% of TDP
    windowNs: 100_000, // assumption: 100 us governor window
  },
  launch: {
    hostNs: 2500, // about 2.5 us per asynchronous enqueue (measured on a recent consumer GPU)
    hostSigma: 0.15, // assumption: spread of the host thread's enqueue time
    hostStallP: 0.002, // assumption: 1 in 500 enqueues meets an OS scheduling delay
    hostStallNs: 20_000, // assumption: mean 20 us for such a delay
    gapNs: 1000, // assumption: about 1 us between dependent kernels on the device
    graphNs: 5000, // assumption: fixed cost of one graph launch
    graphKernelNs: 500, // "well under 1 us per kernel" for CUDA Graph replay: 0.5 us assumed
  },
};

const A100_SXM: GpuPreset = {
  name: "a100-sxm",
  sms: 108, // data sheet
  boostClockMHz: 1410, // data sheet
  tensorClockMHz: 1410, // data sheet: peaks at the 1.41 GHz boost
  minClockMHz: 800, // assumption
  tensorTflops: { fp16: 312, int8: 624 }, // data sheet, dense
  vectorTflops: 19.5, // A100 data sheet fp32 (not in gpu-reference.md; unconfirmed here)
  hbm: {
    kind: "HBM2e",
    capacityGB: 80, // data sheet
    peakGBps: 2039, // data sheet: 2.04 TB/s
    // 5 stacks x 8 channels of 128 bits (DRAMsim3 HBM2_8Gb_x128 layout; 5,120-bit bus from the A100 whitepaper,
    // unconfirmed here)
    channels: 40,
    bankGroups: 4, // DRAMsim3 HBM2_8Gb_x128
    banksPerGroup: 4,
    rowBytes: 2048, // JEDEC HBM2 2 KB page in legacy mode (assumption: not in gpu-reference.md)
    burstBytes: 64, // 128 bits x burst of 4 (DRAMsim3 HBM2)
    perBankRefresh: 0, // DRAMsim3 HBM2: all-bank refresh
    timing: {
      // DRAMsim3 HBM2_8Gb_x128 core timings in ns (CL, RCD, RP, RAS, RC, RFC, REFI from gpu-reference.md). A100's
      // HBM2e runs its pins at about 3.2 Gb/s (2.04 TB/s over 5,120 bits), so the clock-bound column spacings are
      // taken in clocks at that rate: tCK 0.625 ns, tCCD_S 2 tCK, tCCD_L 4 tCK (DRAMsim3's clock counts; derived,
      // unconfirmed). RRD_S/L 4/6 and FAW 16 ns are typical of the DRAMsim3 file (unconfirmed).
      tCK: 0.625,
      tCL: 14,
      tRCD: 14,
      tRP: 14,
      tRAS: 34,
      tRC: 48,
      tCCD_S: 1.25,
      tCCD_L: 2.5,
      tRRD_S: 4,
      tRRD_L: 6,
      tFAW: 16,
      tRFC: 260,
      tREFI: 3900,
    },
    gang: 2, // simulation: 40 channels as 20 lockstep pairs
    requestKB: 8,
    maxRequestsPerRun: 20000,
  },
  l2: {
    bytes: 40 * 1024 * 1024, // data sheet: 40 MB (two 20 MB halves; the far-half penalty is not modelled)
    GBps: 2.5 * 2039, // assumption, as for H100
    hitNs: 200 / 1.41, // about 200 cycles (unconfirmed)
    dramNs: 400 / 1.41, // about 400 cycles (unconfirmed)
  },
  nvlink: {
    bidirGBps: 600, // data sheet
    oneWayGBps: (600 / 2) * (380 / 450), // assumption: same achieved share of one direction as H100's measurement
    ringStepNs: 12000 / 14, // assumption: as measured on Hopper NVLink
    nvls: 0, // A100's NVSwitch has no SHARP; setting nvls=1 is a what-if
    nvlsNs: 6000,
  },
  power: {
    tdpW: 400, // data sheet
    staticShare: 0.3, // assumption
    windowNs: 100_000, // assumption
  },
  launch: { ...H100_SXM.launch }, // same host software stack assumed
};

export const GPU_PRESETS: Readonly<Record<string, GpuPreset>> = {
  "h100-sxm": H100_SXM,
  "a100-sxm": A100_SXM,
};
