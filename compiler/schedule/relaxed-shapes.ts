// A task's shape as the relaxed runs need it (relaxed.ts): in, a task (or its unit-run copy, bounds.ts `unitRuns`)
// and an MXM plane; out, a few integers per step solved once from geometry.ts per distinct shape, not per task.
// Guarantees: equal to what placement.ts reads from the geometry for a relaxed placement, field for field.
import { ELEM_BYTES } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { assertNever } from "../../util/assert.ts";
import type { BlockPlacement, Placement, Step, Task } from "../passes/task-ir.ts";
import { unitRuns } from "./bounds.ts";
import { type Geometry, onPlane, taskGeometry } from "./geometry.ts";
import {
  abcResultOffset,
  lastEventOffset,
  linkLeaves,
  mxmCyclesPerVector,
  runEndOffset,
  writeReadableOffset,
} from "./timing.ts";

/** Words of a shape's record on one plane before its steps: the largest relative issue cycle (the last issue is
 * the start plus it), the end (start plus it: the cycle after the last event), the run end (start plus it:
 * runEndOffset's, where an occupancy outlasts the events). */
export const HEAD = 3;
/** Words per step: the smallest relative issue of its instances (its terms bound the start by their value less
 * it), then two offsets from the start of what placing it sets (see `effects`). */
export const PER_STEP = 3;
/** A step's smallest relative issue before an instance is seen: above every relative cycle. */
const NO_STEP = 2 ** 30;

/**
 * Distinct shapes and their records: shape s on plane k (k = 0 without a plane) is
 * `data[offset[s] + k * (HEAD + PER_STEP * steps)]` onwards. Two tasks with one key (`keyOf`) have one geometry on
 * every plane: every input of taskGeometry and onPlane that reaches a relative cycle, an instance's timing or an
 * effect is in the key (each step's kind, types, runs, operands, link, and its SRAM block's slices and width); the
 * SRAM addresses, rows and tiles, which only name words, are not.
 */
export class ShapeTable {
  readonly offset: number[] = [];
  readonly data: number[] = [];
  /** Each shape's key (`keyStart[s] .. keyStart[s + 1]` in `keys`), and the next shape whose key hashes alike. */
  private readonly keys: number[] = [];
  private readonly keyStart: number[] = [0];
  private readonly sameHash: number[] = [];
  /** The first shape by key hash. */
  private readonly byHash = new Map<number, number>();
  /** The key under construction (reused). */
  private key = new Int32Array(256);
  private keyLength = 0;
  /** Codes of types and VXM functions in keys, numbered as first met. */
  private readonly names = new Map<string, number>();

  constructor(
    private readonly m: Machine,
    private readonly placements: ReadonlyMap<string, Placement>,
  ) {}

  /** The shape id of `task` (its unit-run copy when `unit`), with a record per MXM plane when `planes` > 0;
   * `blocks[si]` the SRAM block of step si (MEM steps). Solved from geometry.ts the first time its key is met. */
  shapeOf(
    task: Task,
    unit: boolean,
    planes: number,
    blocks: readonly (BlockPlacement | undefined)[],
  ): number {
    const hash = this.keyOf(task, unit, planes, blocks);
    const first = this.byHash.get(hash);
    for (let id = first ?? -1; id >= 0; id = this.sameHash[id]!) if (this.keyIs(id)) return id;
    const id = this.offset.length;
    this.sameHash.push(first ?? -1);
    this.byHash.set(hash, id);
    for (let k = 0; k < this.keyLength; k++) this.keys.push(this.key[k]!);
    this.keyStart.push(this.keys.length);
    this.offset.push(this.data.length);
    const t = unit ? unitRuns(task) : task;
    if (planes === 0) appendRecord(this.m, t, taskGeometry(this.m, t, this.placements, undefined), this.data);
    else {
      const geo = taskGeometry(this.m, t, this.placements, 0);
      appendRecord(this.m, t, geo, this.data);
      for (let k = 1; k < planes; k++) appendRecord(this.m, t, onPlane(this.m, t, geo, k), this.data);
    }
    return id;
  }

  /** Whether shape `id`'s key is the one under construction. */
  private keyIs(id: number): boolean {
    const from = this.keyStart[id]!;
    if (this.keyStart[id + 1]! - from !== this.keyLength) return false;
    for (let k = 0; k < this.keyLength; k++) if (this.keys[from + k] !== this.key[k]) return false;
    return true;
  }

  /** Builds the key of a task's shape (its steps as `unitRuns` leaves them when `unit`, the planes it is tried on,
   * its MEM steps' blocks) and returns its hash. */
  private keyOf(
    task: Task,
    unit: boolean,
    planes: number,
    blocks: readonly (BlockPlacement | undefined)[],
  ): number {
    this.keyLength = 0;
    this.put(planes);
    const steps = task.steps;
    for (let si = 0; si < steps.length; si++) {
      const s = steps[si]!;
      switch (s.kind) {
        case "read":
          this.put(0, this.name(s.type), unit ? 1 : s.ref.n);
          this.putBlock(blocks[si]!);
          break;
        case "write":
          this.put(1, this.name(s.type), unit ? 1 : s.ref.n, s.src);
          this.putBlock(blocks[si]!);
          break;
        case "gather":
          this.put(2, this.name(s.type), unit ? 1 : s.ref.n, s.map);
          this.putBlock(blocks[si]!);
          break;
        case "vunary":
          this.put(3, this.name(s.fn), this.name(s.type), s.src, unit ? 1 : s.n);
          break;
        case "vbinary":
          this.put(
            4,
            this.name(s.fn),
            this.name(s.type),
            s.a,
            typeof s.b === "number" ? s.b : -1,
            unit ? 1 : s.n,
          );
          break;
        case "convert":
          this.put(5, this.name(s.from), this.name(s.to), s.src, unit ? 1 : s.n);
          break;
        case "lw":
          this.put(6, this.name(s.type), s.src, unit ? 1 : s.n, s.width ?? 1);
          break;
        case "iw":
          this.put(7);
          break;
        case "abc":
          this.put(8, this.name(s.type), s.src, unit ? 1 : s.n);
          break;
        case "acc":
          this.put(9, this.name(s.type), unit ? 1 : s.n);
          break;
        case "send":
          this.put(10, this.name(s.type), s.src, unit ? 1 : s.n, s.link);
          break;
        case "recv":
          this.put(11, this.name(s.type), unit ? 1 : s.n, s.link);
          break;
        default:
          return assertNever(s, "step");
      }
    }
    // FNV-1a over the key's words.
    let h = 0x811c9dc5;
    for (let k = 0; k < this.keyLength; k++) h = Math.imul(h ^ this.key[k]!, 0x01000193);
    // 30 bits: a small integer (a 32-bit key would be a heap number in the map).
    return h & 0x3fffffff;
  }

  /** Appends a step's words: its kind and up to five fields (unused ones 0: the kind fixes which are used). */
  private put(kind: number, a = 0, b = 0, c = 0, d = 0, e = 0): void {
    this.room(6);
    const key = this.key;
    let k = this.keyLength;
    key[k++] = kind;
    key[k++] = a;
    key[k++] = b;
    key[k++] = c;
    key[k++] = d;
    key[k++] = e;
    this.keyLength = k;
  }

  private room(words: number): void {
    if (this.keyLength + words <= this.key.length) return;
    const grown = new Int32Array(2 * (this.keyLength + words));
    grown.set(this.key);
    this.key = grown;
  }

  private putBlock(b: BlockPlacement): void {
    this.room(2 + b.slices.length);
    const key = this.key;
    let k = this.keyLength;
    key[k++] = b.width ?? 1;
    key[k++] = b.slices.length;
    for (const slice of b.slices) key[k++] = slice;
    this.keyLength = k;
  }

  private name(x: string): number {
    let code = this.names.get(x);
    if (code === undefined) {
      code = this.names.size;
      this.names.set(x, code);
    }
    return code;
  }
}

/** Appends to `data` the record of task `t` on one of its geometries: what placement.ts `find` and `place` read
 * from it for a relaxed placement (HEAD words, then PER_STEP per step). */
export function appendRecord(m: Machine, t: Task, geo: Geometry, data: number[]): void {
  const at = data.length;
  const steps = t.steps.length;
  data.push(0, 0, 0);
  // (Not Infinity: a small integer keeps the array one of small integers.)
  for (let si = 0; si < steps; si++) data.push(NO_STEP, 0, 0);
  let maxRel = 0;
  let end = 0;
  let runEnd = 0;
  for (const inst of geo.instances) {
    const s = t.steps[inst.step]!;
    const rel = inst.rel;
    const w = at + HEAD + PER_STEP * inst.step;
    maxRel = Math.max(maxRel, rel);
    end = Math.max(end, rel + lastEventOffset(m, s, inst.spacing, inst.timing) + 1);
    runEnd = Math.max(runEnd, rel + runEndOffset(m, s, inst.spacing, inst.timing));
    data[w] = Math.min(data[w]!, rel);
    effects(m, s, rel, inst.timing.n, inst.timing.busy, data, w + 1);
  }
  data[at] = maxRel;
  data[at + 1] = end;
  data[at + 2] = runEnd;
}

/**
 * What placing one instance of step `s` at relative issue `rel` sets, as offsets from the task's start (placement.ts
 * `place`, relaxed), into `out[w]` and `out[w + 1]`: a write, the cycle its tile is readable (the largest over its
 * instances); lw, the end of the load; iw, the staging buffer free and the weights installed; abc, the array free
 * and the results in; acc, the accumulators free; send, its issue; recv, its data's arrival after the send's
 * issue (not from the start: placement-data.ts `arrival`).
 */
function effects(m: Machine, s: Step, rel: number, n: number, busy: number, out: number[], w: number): void {
  switch (s.kind) {
    case "write":
      out[w] = Math.max(out[w]!, rel + writeReadableOffset(m, n > 0 ? n - 1 : 0));
      break;
    case "lw":
      out[w] = rel + busy;
      break;
    case "iw":
      out[w] = rel + 1;
      out[w + 1] = rel + m.mxm.installLatency;
      break;
    case "abc":
      out[w] = rel + s.n * mxmCyclesPerVector(m, s.type);
      out[w + 1] = rel + abcResultOffset(m, s.type, s.n - 1);
      break;
    case "acc":
      out[w] = rel + s.n;
      break;
    case "send":
      out[w] = rel;
      break;
    case "recv": {
      const b = ELEM_BYTES[s.type];
      let need0 = 0;
      for (let i = 0; i < s.n; i++) need0 = Math.max(need0, linkLeaves(m, (i + 1) * b - 1) - i);
      out[w] = need0 + m.c2c.latency;
      break;
    }
    default:
      break;
  }
}
