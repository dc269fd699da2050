// MXM plane instructions (docs/isa.md, MXM): lw fills the staging buffer a row per cycle, iw copies it into the
// array (usable installLatency cycles later; the array is busy meanwhile), abc streams activations through the
// installed weights into accumulator rows (result in L_mxm cycles after each take), acc drains rows onto streams.
// y[r] = sum over c of W[r][c] * x[c], computed exactly in float64 and rounded once to the accumulator type.
import type { Instruction } from "../../arch/isa.ts";
import { ELEM_BYTES } from "../../arch/isa.ts";
import type { Activity, MxmPlane } from "./chip.ts";
import { PHASE_UPDATE } from "./heap.ts";
import type { Simulator } from "./simulator.ts";
import { K_ACCUPDATE } from "./units.ts";
import { accumulatorType, decode, encode, roundResult } from "./values.ts";

function plane(act: Activity): MxmPlane {
  return act.q.chip.planes[act.q.index]!;
}

export function startLw(sim: Simulator, act: Activity, inst: Extract<Instruction, { op: "lw" }>): void {
  const p = plane(act);
  if (inst.row0 < 0 || inst.row0 + inst.n > p.rows || !Number.isInteger(inst.row0))
    sim.hazard("address-range", act.inst, act.t, [
      `weight rows ${inst.row0}..${inst.row0 + inst.n - 1} are outside 0..${p.rows - 1}`,
    ]);
  p.stagingType = inst.type;
}

export function startIw(sim: Simulator, act: Activity): void {
  const p = plane(act);
  if (sim.functional) p.weights = p.staging ? p.staging.slice() : new Float64Array(p.rows * p.cols);
  p.weightsType = p.stagingType;
  p.installedBy = act.inst;
  p.usableFrom = act.t + sim.machine.mxm.installLatency;
}

export function startAbc(sim: Simulator, act: Activity, inst: Extract<Instruction, { op: "abc" }>): void {
  const p = plane(act);
  if (!p.installedBy) sim.hazard("mxm-no-weights", act.inst, act.t, [act.q.name]);
  else if (p.weightsType !== inst.type) {
    const what = p.weightsType
      ? `${p.weightsType} weights`
      : "weights from an empty staging buffer (no lw before the iw)";
    sim.hazard("mxm-type", act.inst, act.t, [
      `streams ${inst.type} activations, but ${act.q.name} holds ${what}`,
    ]);
  }
  if (inst.row0 < 0 || inst.row0 + inst.n > p.accRows || !Number.isInteger(inst.row0))
    sim.hazard("address-range", act.inst, act.t, [
      `accumulator rows ${inst.row0}..${inst.row0 + inst.n - 1} are outside 0..${p.accRows - 1}`,
    ]);
}

export function startAcc(sim: Simulator, act: Activity, inst: Extract<Instruction, { op: "acc" }>): void {
  const p = plane(act);
  if (inst.row0 < 0 || inst.row0 + inst.n > p.accRows || !Number.isInteger(inst.row0))
    sim.hazard("address-range", act.inst, act.t, [
      `accumulator rows ${inst.row0}..${inst.row0 + inst.n - 1} are outside 0..${p.accRows - 1}`,
    ]);
}

export function mxmTake(
  sim: Simulator,
  act: Activity,
  inst: Extract<Instruction, { op: "lw" | "abc" }>,
  i: number,
  cycle: number,
): void {
  const p = plane(act);
  const bytes = ELEM_BYTES[inst.type];
  if (inst.op === "lw") {
    // Cycle i loads rows row0 + i*width + j from stream group src + j*bytes (the last cycle may load fewer).
    const width = inst.width ?? 1;
    for (let j = 0; j < width && i * width + j < inst.n; j++) {
      const ref = j === 0 ? inst.src : { id: inst.src.id + j * bytes, dir: inst.src.dir };
      const planes = sim.take(act, ref, bytes, cycle);
      const row = inst.row0 + i * width + j;
      if (!planes || row < 0 || row >= p.rows) continue;
      const x = decode(inst.type, planes, sim.lanes);
      p.staging ??= new Float64Array(p.rows * p.cols);
      for (let c = 0; c < p.cols; c++) p.staging[row * p.cols + c] = c < sim.lanes ? x[c]! : 0;
    }
    return;
  }
  const planes = sim.take(act, inst.src, bytes, cycle);
  const x = planes ? decode(inst.type, planes, sim.lanes) : null;
  const row = inst.row0 + i;
  if (row < 0 || row >= p.accRows) return;
  const ready = cycle + sim.machine.mxm.latency;
  p.readyAt[row] = Number.isNaN(p.readyAt[row]!) ? ready : Math.max(ready, p.readyAt[row]!);
  p.rowType[row] = accumulatorType(inst.type);
  let y: Float64Array | null = null;
  if (x && p.weights) {
    y = new Float64Array(sim.lanes);
    const w = p.weights;
    const cols = Math.min(p.cols, sim.lanes);
    for (let r = 0; r < Math.min(p.rows, sim.lanes); r++) {
      let s = 0;
      const base = r * p.cols;
      for (let c = 0; c < cols; c++) s += w[base + c]! * x[c]!;
      y[r] = s;
    }
  }
  act.q.chip.heap.push(ready, PHASE_UPDATE, K_ACCUPDATE, act, i, y);
}

/** abc's result of vector i lands in its accumulator row. */
export function accUpdate(
  sim: Simulator,
  act: Activity,
  i: number,
  y: Float64Array | null,
  cycle: number,
): void {
  const inst = act.placed.inst as Extract<Instruction, { op: "abc" }>;
  const p = plane(act);
  const row = inst.row0 + i;
  if (sim.logEntries) sim.note(act.q.chip, cycle, `${act.q.name} accumulator row ${row} ready`);
  if (!y) return;
  const t = accumulatorType(inst.type);
  p.acc ??= new Float64Array(p.accRows * sim.lanes);
  const base = row * sim.lanes;
  for (let l = 0; l < sim.lanes; l++) {
    const v = roundResult(t, y[l]!);
    p.acc[base + l] = inst.accumulate ? roundResult(t, p.acc[base + l]! + v) : v;
  }
}

/** acc puts row row0 + i at t + i; the row must hold a result that is in by then. */
export function accDrain(sim: Simulator, act: Activity, i: number, cycle: number): void {
  const inst = act.placed.inst as Extract<Instruction, { op: "acc" }>;
  const p = plane(act);
  const row = inst.row0 + i;
  if (row < 0 || row >= p.accRows) return;
  const ready = p.readyAt[row]!;
  if (Number.isNaN(ready)) sim.hazard("acc-not-ready", act.inst, cycle, [row, "but no abc has written it"]);
  else if (ready > cycle)
    sim.hazard("acc-not-ready", act.inst, cycle, [row, `but its result is in only from cycle ${ready}`]);
  else if (p.rowType[row] !== inst.type)
    sim.hazard("mxm-type", act.inst, cycle, [
      `drains row ${row} as ${inst.type}, but it holds ${p.rowType[row]} results`,
    ]);
  let planes: Uint8Array[] | null = null;
  if (sim.functional) {
    const values = p.acc
      ? p.acc.subarray(row * sim.lanes, (row + 1) * sim.lanes)
      : new Float64Array(sim.lanes);
    planes = encode(
      inst.type,
      Array.from(values, (v) => roundResult(inst.type, v)),
      sim.lanes,
    );
  }
  sim.put(act, inst.dst, planes, 4, cycle, inst.type);
}
