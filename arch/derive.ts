// Machine variants without editing code: `--arch tsp-v1 --arch-set sram_mib=440 --arch-set link_gbps=60`.
// In: a base Machine and key=value strings. Out: a new Machine (name records the changes) or diagnostics.
import { type Diagnostic, diag, hasErrors, UserError } from "../util/diagnostics.ts";
import { didYouMean } from "../util/suggest.ts";
import { M } from "./asm/messages.ts";
import { type Machine, memSlices } from "./machine.ts";
import { getMachine, presetNames } from "./presets.ts";

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };

interface ArchKey {
  readonly key: string;
  readonly help: string;
  /** "int" values must be whole; min is inclusive. */
  readonly kind: "int" | "real";
  readonly min: number;
  readonly get: (m: Machine) => number;
  readonly set: (m: Mutable<Machine>, v: number) => void;
  /** An error text when the value is not allowed in this machine. */
  readonly check?: (m: Machine, v: number) => string | undefined;
}

const bytesPerMiB = 2 ** 20;

/** Every settable key, documented in docs/isa.md ("Settable keys"). `set` returns an error text or undefined. */
export const ARCH_KEYS: readonly ArchKey[] = [
  {
    key: "clock_mhz",
    help: "chip clock, MHz",
    kind: "real",
    min: 1,
    get: (m) => m.clockMHz,
    set: (m, v) => {
      m.clockMHz = v;
    },
  },
  {
    key: "sram_mib",
    help: "SRAM per chip, MiB: sets words per MEM slice (rounded down to a whole number per bank)",
    kind: "real",
    min: 1,
    get: (m) => (memSlices(m) * m.mem.wordsPerSlice * m.lanes) / bytesPerMiB,
    set: (m, v) => {
      const perBank = Math.floor(
        (v * bytesPerMiB) / (memSlices(m as Machine) * m.lanes * m.mem.banksPerSlice),
      );
      if (perBank < 1) return "too small for one word per bank";
      m.mem.wordsPerSlice = perBank * m.mem.banksPerSlice;
    },
  },
  intKey(
    "mem_words",
    "words per MEM slice (a multiple of mem_banks)",
    1,
    (m) => m.mem.wordsPerSlice,
    (m, v) => {
      m.mem.wordsPerSlice = v;
    },
    (m, v) =>
      v % m.mem.banksPerSlice !== 0 ? `must be a multiple of mem_banks (${m.mem.banksPerSlice})` : undefined,
  ),
  intKey(
    "mem_banks",
    "banks per MEM slice (divides the words per slice)",
    1,
    (m) => m.mem.banksPerSlice,
    (m, v) => {
      m.mem.banksPerSlice = v;
    },
    (m, v) =>
      m.mem.wordsPerSlice % v !== 0 ? `must divide the words per slice (${m.mem.wordsPerSlice})` : undefined,
  ),
  intKey(
    "mem_read_latency",
    "cycles from MEM read issue to the word on the stream",
    0,
    (m) => m.mem.readLatency,
    (m, v) => {
      m.mem.readLatency = v;
    },
  ),
  intKey(
    "mem_write_latency",
    "cycles from a word taken to its being readable",
    0,
    (m) => m.mem.writeLatency,
    (m, v) => {
      m.mem.writeLatency = v;
    },
  ),
  intKey(
    "streams",
    "streams per direction",
    1,
    (m) => m.streamsPerDirection,
    (m, v) => {
      m.streamsPerDirection = v;
    },
  ),
  intKey(
    "vxm_alus",
    "VXM ALU queues",
    1,
    (m) => m.vxm.alus,
    (m, v) => {
      m.vxm.alus = v;
    },
  ),
  intKey(
    "vxm_latency",
    "VXM latency of simple ops (add, mul, relu, accum ...)",
    0,
    (m) => m.vxm.latency.simple,
    (m, v) => {
      m.vxm.latency.simple = v;
    },
  ),
  intKey(
    "vxm_convert_latency",
    "VXM latency of convert",
    0,
    (m) => m.vxm.latency.convert,
    (m, v) => {
      m.vxm.latency.convert = v;
    },
  ),
  intKey(
    "vxm_transcendental_latency",
    "VXM latency of tanh, exp, rsqrt, recip",
    0,
    (m) => m.vxm.latency.transcendental,
    (m, v) => {
      m.vxm.latency.transcendental = v;
    },
  ),
  intKey(
    "mxm_latency",
    "cycles from an activation vector entering the MXM to its result",
    0,
    (m) => m.mxm.latency,
    (m, v) => {
      m.mxm.latency = v;
    },
  ),
  intKey(
    "mxm_load_width",
    "most MXM weight rows one lw loads per cycle (stream groups read at once)",
    1,
    (m) => m.mxm.maxLoadWidth,
    (m, v) => {
      m.mxm.maxLoadWidth = v;
    },
  ),
  intKey(
    "mxm_install_latency",
    "cycles from IW to the weights being usable",
    0,
    (m) => m.mxm.installLatency,
    (m, v) => {
      m.mxm.installLatency = v;
    },
  ),
  intKey(
    "mxm_int8_cycles",
    "MXM cycles per int8/fp8 activation vector",
    1,
    (m) => m.mxm.cyclesPerVector.int8,
    (m, v) => {
      m.mxm.cyclesPerVector.int8 = v;
      m.mxm.cyclesPerVector.fp8 = v;
    },
  ),
  intKey(
    "mxm_fp16_cycles",
    "MXM cycles per fp16/bf16 activation vector",
    1,
    (m) => m.mxm.cyclesPerVector.fp16,
    (m, v) => {
      m.mxm.cyclesPerVector.fp16 = v;
      m.mxm.cyclesPerVector.bf16 = v;
    },
  ),
  intKey(
    "mxm_acc_rows",
    "MXM accumulator rows per plane",
    1,
    (m) => m.mxm.accumulatorRows,
    (m, v) => {
      m.mxm.accumulatorRows = v;
    },
  ),
  intKey(
    "sxm_latency",
    "SXM latency",
    0,
    (m) => m.sxm.latency,
    (m, v) => {
      m.sxm.latency = v;
    },
  ),
  {
    key: "link_gbps",
    help: "serial rate of each lane of a C2C link, Gb/s (a link carries link_lanes times this)",
    kind: "real",
    min: 0.001,
    get: (m) => m.c2c.linkGbps / m.c2c.lanesPerLink,
    set: (m, v) => {
      m.c2c.linkGbps = v * m.c2c.lanesPerLink;
    },
  },
  intKey(
    "link_lanes",
    "serial lanes per C2C link",
    1,
    (m) => m.c2c.lanesPerLink,
    (m, v) => {
      m.c2c.linkGbps = (m.c2c.linkGbps / m.c2c.lanesPerLink) * v;
      m.c2c.lanesPerLink = v;
    },
  ),
  intKey(
    "link_latency",
    "C2C link latency, cycles",
    0,
    (m) => m.c2c.latency,
    (m, v) => {
      m.c2c.latency = v;
    },
  ),
  intKey(
    "link_buffer_words",
    "C2C send buffer, words (at least one fp32/int32 vector's 4: a send takes a whole vector at once)",
    4,
    (m) => m.c2c.bufferWords,
    (m, v) => {
      m.c2c.bufferWords = v;
    },
  ),
  intKey(
    "epoch_cycles",
    "hardware-aligned counter epoch, cycles",
    1,
    (m) => m.c2c.epochCycles,
    (m, v) => {
      m.c2c.epochCycles = v;
    },
  ),
  {
    key: "drift_ppm",
    help: "largest clock drift between chips, ppm",
    kind: "real",
    min: 0,
    get: (m) => m.c2c.maxDriftPpm,
    set: (m, v) => {
      m.c2c.maxDriftPpm = v;
    },
  },
  intKey(
    "chips_per_node",
    "chips per node",
    1,
    (m) => m.system.chipsPerNode,
    (m, v) => {
      m.system.chipsPerNode = v;
    },
  ),
  intKey(
    "local_links",
    "local links per chip",
    0,
    (m) => m.system.localLinksPerChip,
    (m, v) => {
      m.system.localLinksPerChip = v;
    },
  ),
  intKey(
    "global_links",
    "global links per chip",
    0,
    (m) => m.system.globalLinksPerChip,
    (m, v) => {
      m.system.globalLinksPerChip = v;
    },
  ),
  intKey(
    "nodes_per_rack",
    "nodes per rack",
    1,
    (m) => m.system.nodesPerRack,
    (m, v) => {
      m.system.nodesPerRack = v;
    },
  ),
];

function intKey(
  key: string,
  help: string,
  min: number,
  get: (m: Machine) => number,
  set: ArchKey["set"],
  check?: ArchKey["check"],
): ArchKey {
  return { key, help, kind: "int", min, get, set, ...(check ? { check } : {}) };
}

const FILE = "--arch-set";

/** The base machine with the given keys changed, or diagnostics (unknown keys with a near-miss hint, bad values). */
export function deriveMachineChecked(
  base: Machine,
  sets: Readonly<Record<string, string>>,
): { machine?: Machine; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const m = structuredClone(base) as Mutable<Machine>;
  // Keys apply in sorted order so the result does not depend on the order of the flags.
  const keys = Object.keys(sets).sort();
  for (const key of keys) {
    const spec = ARCH_KEYS.find((k) => k.key === key);
    const text = sets[key]!;
    if (!spec) {
      diagnostics.push(
        diag(
          M.unknownArchKey,
          FILE,
          undefined,
          [key],
          didYouMean(
            key,
            ARCH_KEYS.map((k) => k.key),
          ),
        ),
      );
      continue;
    }
    const v = Number(text);
    const problem =
      text.trim() === "" || !Number.isFinite(v)
        ? "not a number"
        : spec.kind === "int" && !Number.isInteger(v)
          ? "must be a whole number"
          : v < spec.min
            ? `must be at least ${spec.min}`
            : spec.check?.(m as Machine, v);
    if (problem !== undefined) diagnostics.push(diag(M.badArchValue, FILE, undefined, [key, text, problem]));
    else spec.set(m, v);
  }
  if (hasErrors(diagnostics)) return { diagnostics };
  if (keys.length > 0) m.name = `${base.name}+${keys.map((k) => `${k}=${sets[k]}`).join(",")}`;
  return { machine: m as Machine, diagnostics };
}

/** As deriveMachineChecked, throwing a UserError (with the diagnostics) when a key or value is bad. */
export function deriveMachine(base: Machine, sets: Readonly<Record<string, string>>): Machine {
  const r = deriveMachineChecked(base, sets);
  if (!r.machine)
    throw new UserError(
      r.diagnostics.map((d) => d.message + (d.hint ? ` (${d.hint})` : "")).join("; "),
      r.diagnostics,
    );
  return r.machine;
}

/** A preset by name with `--arch-set` changes applied; unknown names are a UserError with a hint. */
export function resolveMachine(name: string, sets: Readonly<Record<string, string>> = {}): Machine {
  const base = getMachine(name);
  if (!base) {
    const hint = didYouMean(name, presetNames());
    throw new UserError(
      `unknown machine preset '${name}'${hint ? ` (${hint})` : ""}; presets: ${presetNames().join(", ")}`,
    );
  }
  return deriveMachine(base, sets);
}

/** The settable keys with their help and the value in a given machine, for `--help` texts and docs. */
export function describeArchKeys(m: Machine): { key: string; help: string; value: number }[] {
  return ARCH_KEYS.map((k) => ({ key: k.key, help: k.help, value: k.get(m) }));
}

/**
 * The machine a name denotes: a preset (`tsp-v1`) or a derived machine's own name (`tsp-v1+sram_mib=440`), so a
 * program compiled for a variant names it in `.arch` and still assembles. Undefined for anything else.
 */
export function machineFromName(name: string): Machine | undefined {
  const plus = name.indexOf("+");
  if (plus < 0) return getMachine(name);
  const base = getMachine(name.slice(0, plus));
  if (!base) return undefined;
  const sets: Record<string, string> = {};
  for (const kv of name.slice(plus + 1).split(",")) {
    const eq = kv.indexOf("=");
    if (eq <= 0) return undefined;
    sets[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return deriveMachineChecked(base, sets).machine;
}
