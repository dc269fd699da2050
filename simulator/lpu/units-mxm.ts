// MXM plane instructions (docs/isa.md, MXM): lw fills the staging buffer `width` rows per cycle, iw copies it into
// the array (usable installLatency cycles later; the array is busy meanwhile), abc streams activations through the
// installed weights into accumulator rows (result in L_mxm cycles after each take), acc drains rows onto streams.
// y[r] = sum over c of W[r][c] * x[c], computed exactly in float64 and rounded once to the accumulator type.
import type { MxmPlane, QueueState, Vec } from "./chip.ts";
import { OP_LW, TYPE_BYTES, TYPES } from "./code.ts";
import { PHASE_UPDATE } from "./events.ts";
import type { Simulator } from "./simulator.ts";
import { accTypeCode, K_ACCUPDATE } from "./units.ts";
import { decodeInto, encodeInto, roundResult } from "./values.ts";

function plane(q: QueueState): MxmPlane {
  return q.chip.planes[q.index]!;
}

export function startLw(sim: Simulator, q: QueueState, id: number, t: number): void {
  const p = plane(q);
  const row0 = sim.code.a[id]!;
  const n = sim.code.n[id]!;
  if (row0 < 0 || row0 + n > p.rows || !Number.isInteger(row0))
    sim.hazard("address-range", id, t, [`weight rows ${row0}..${row0 + n - 1} are outside 0..${p.rows - 1}`]);
  p.stagingType = TYPES[sim.code.t0[id]!];
}

export function startIw(sim: Simulator, q: QueueState, id: number, t: number): void {
  const p = plane(q);
  if (sim.functional) p.weights = p.staging ? p.staging.slice() : new Float64Array(p.rows * p.cols);
  p.weightsType = p.stagingType;
  p.installedBy = id;
  p.usableFrom = t + sim.machine.mxm.installLatency;
}

export function startAbc(sim: Simulator, q: QueueState, id: number, t: number): void {
  const p = plane(q);
  const type = TYPES[sim.code.t0[id]!];
  if (p.installedBy < 0) sim.hazard("mxm-no-weights", id, t, [q.name]);
  else if (p.weightsType !== type) {
    const what = p.weightsType
      ? `${p.weightsType} weights`
      : "weights from an empty staging buffer (no lw before the iw)";
    sim.hazard("mxm-type", id, t, [`streams ${type} activations, but ${q.name} holds ${what}`]);
  }
  accRowsCheck(sim, id, t, p, "accumulator");
}

function accRowsCheck(sim: Simulator, id: number, t: number, p: MxmPlane, what: string): void {
  const row0 = sim.code.a[id]!;
  const n = sim.code.n[id]!;
  if (row0 < 0 || row0 + n > p.accRows || !Number.isInteger(row0))
    sim.hazard("address-range", id, t, [
      `${what} rows ${row0}..${row0 + n - 1} are outside 0..${p.accRows - 1}`,
    ]);
}

export function startAcc(sim: Simulator, q: QueueState, id: number, t: number): void {
  accRowsCheck(sim, id, t, plane(q), "accumulator");
}

export function mxmTake(
  sim: Simulator,
  q: QueueState,
  id: number,
  op: number,
  i: number,
  cycle: number,
): void {
  const code = sim.code;
  const p = plane(q);
  const t = code.t0[id]!;
  const type = TYPES[t]!;
  const bytes = TYPE_BYTES[t]!;
  const lanes = sim.lanes;
  const row0 = code.a[id]!;
  if (op === OP_LW) {
    // Cycle i loads rows row0 + i*width + j from stream group src + j*bytes (the last cycle may load fewer).
    const width = code.b[id]!;
    const n = code.n[id]!;
    for (let j = 0; j < width && i * width + j < n; j++) {
      sim.take(q, id, code.s1[id]! + j * bytes, bytes, cycle);
      const row = row0 + i * width + j;
      if (!sim.functional || row < 0 || row >= p.rows) continue;
      const x = decodeInto(type, sim.taken, lanes, sim.f64a);
      p.staging ??= new Float64Array(p.rows * p.cols);
      const base = row * p.cols;
      for (let c = 0; c < p.cols; c++) p.staging[base + c] = c < lanes ? x[c]! : 0;
    }
    return;
  }
  sim.take(q, id, code.s1[id]!, bytes, cycle);
  const row = row0 + i;
  if (row < 0 || row >= p.accRows) return;
  const ready = cycle + code.latency[id]!;
  p.readyAt[row] = Number.isNaN(p.readyAt[row]!) ? ready : Math.max(ready, p.readyAt[row]!);
  p.rowType[row] = accTypeCode(t);
  let v: Vec | null = null;
  if (sim.functional && p.weights) {
    const x = decodeInto(type, sim.taken, lanes, sim.f64a);
    v = sim.allocVec();
    const y = v.f64;
    y.fill(0);
    const w = p.weights;
    const cols = Math.min(p.cols, lanes);
    const rows = Math.min(p.rows, lanes);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      const base = r * p.cols;
      for (let c = 0; c < cols; c++) s += w[base + c]! * x[c]!;
      y[r] = s;
    }
  }
  q.chip.heap.push(ready, PHASE_UPDATE, K_ACCUPDATE, id, i, v);
}

/** abc's result of vector i lands in its accumulator row. */
export function accUpdate(
  sim: Simulator,
  q: QueueState,
  id: number,
  i: number,
  v: Vec | null,
  cycle: number,
): void {
  const code = sim.code;
  const p = plane(q);
  const row = code.a[id]! + i;
  if (sim.logEntries) sim.note(q.chip, cycle, `${q.name} accumulator row ${row} ready`);
  if (!v) return;
  const t = TYPES[accTypeCode(code.t0[id]!)]!;
  const lanes = sim.lanes;
  p.acc ??= new Float64Array(p.accRows * lanes);
  const base = row * lanes;
  const y = v.f64;
  const accumulate = code.fn[id]! === 1;
  for (let l = 0; l < lanes; l++) {
    const r = roundResult(t, y[l]!);
    p.acc[base + l] = accumulate ? roundResult(t, p.acc[base + l]! + r) : r;
  }
  sim.freeVec(v);
}

/** acc puts row row0 + i at t + i; the row must hold a result that is in by then. */
export function accDrain(sim: Simulator, q: QueueState, id: number, i: number, cycle: number): void {
  const code = sim.code;
  const p = plane(q);
  const row = code.a[id]! + i;
  if (row < 0 || row >= p.accRows) return;
  const type = TYPES[code.t0[id]!]!;
  const ready = p.readyAt[row]!;
  if (Number.isNaN(ready)) sim.hazard("acc-not-ready", id, cycle, [row, "but no abc has written it"]);
  else if (ready > cycle)
    sim.hazard("acc-not-ready", id, cycle, [row, `but its result is in only from cycle ${ready}`]);
  else if (p.rowType[row] !== code.t0[id])
    sim.hazard("mxm-type", id, cycle, [
      `drains row ${row} as ${type}, but it holds ${TYPES[p.rowType[row]!]} results`,
    ]);
  if (!sim.functional) {
    sim.put(q, id, code.s0[id]!, null, 4, cycle, type);
    return;
  }
  const lanes = sim.lanes;
  const v = sim.allocVec();
  const values = v.f64;
  const acc = p.acc;
  for (let l = 0; l < lanes; l++) values[l] = roundResult(type, acc ? acc[row * lanes + l]! : 0);
  encodeInto(type, values, lanes, v.planes);
  sim.put(q, id, code.s0[id]!, v.planes, 4, cycle, type);
  sim.freeVec(v);
}
