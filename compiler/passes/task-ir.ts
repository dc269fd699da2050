// The task IR: the kernel IR after `tile`, as vector-level tasks. A task is a small tree of unit steps joined by
// streams (MEM reads -> VXM ops -> MEM writes, or MEM reads -> MXM LW/ABC): once its first step issues, every
// other step's cycle follows from fixed latencies and stream hops, so the scheduler places a task as one piece.
// Contract: within a task each step's operands are earlier steps of the same task, each consumed exactly once;
// the last step is the task's root. Tasks are listed in a valid order (every `after` task comes earlier).
import type { ElemType, VxmBinaryOp, VxmUnaryOp } from "../../arch/isa.ts";
import { assertNever } from "../../util/assert.ts";
import type { TensorSource } from "./kernel-ir.ts";

/** A run of vectors of one tensor: column tile `tile`, rows `row .. row + n - 1` (stride 1) or row `row` n times. */
export interface VecRef {
  readonly tensor: string;
  readonly tile: number;
  readonly row: number;
  readonly n: number;
  readonly stride: 0 | 1;
}

export type Step =
  | { readonly kind: "read"; readonly ref: VecRef; readonly type: ElemType }
  | { readonly kind: "write"; readonly ref: VecRef; readonly type: ElemType; readonly src: number }
  /** docs/isa.md `gather`: for each of `ref.n` vectors, the int32 in lane 0 of step `map`'s vector is a row index
   * into the table block `ref` names (tile `ref.tile`, the block holding `ref.row`; stride 0), whose word is put on
   * the stream like a read's. The rows touched are data, so the whole block is the step's footprint. */
  | {
      readonly kind: "gather";
      readonly ref: VecRef;
      readonly type: ElemType;
      readonly map: number;
    }
  | {
      readonly kind: "vunary";
      readonly fn: VxmUnaryOp;
      readonly type: ElemType;
      readonly src: number;
      readonly n: number;
    }
  | {
      readonly kind: "vbinary";
      readonly fn: VxmBinaryOp;
      readonly type: ElemType;
      readonly a: number;
      readonly b: number | { readonly imm: number };
      readonly n: number;
    }
  | {
      readonly kind: "convert";
      readonly from: ElemType;
      readonly to: ElemType;
      readonly src: number;
      readonly n: number;
    }
  | {
      readonly kind: "lw";
      readonly type: ElemType;
      readonly src: number;
      readonly n: number;
      readonly row0: number;
      /** Rows taken per cycle, each from its own stream group (docs/isa.md `lw ... width`); default 1. */
      readonly width?: number;
    }
  | { readonly kind: "iw" }
  | {
      readonly kind: "abc";
      readonly type: ElemType;
      readonly src: number;
      readonly n: number;
      readonly row0: number;
      readonly accumulate: boolean;
    }
  | { readonly kind: "acc"; readonly type: ElemType; readonly n: number; readonly row0: number }
  /** Sends n vectors over link `link` of this task's chip; `to` names the receiving task (on the peer chip). */
  | {
      readonly kind: "send";
      readonly type: ElemType;
      readonly src: number;
      readonly n: number;
      readonly link: number;
    }
  /** Receives the n vectors that task `from` sent, on link `link` of this task's chip. */
  | {
      readonly kind: "recv";
      readonly type: ElemType;
      readonly n: number;
      readonly link: number;
      readonly from: string;
    };

export interface Task {
  readonly id: string;
  readonly chip: number;
  /** The kernel op this task implements (for notes and per-layer reports). */
  readonly op: string;
  readonly steps: readonly Step[];
  /** Tasks that must be placed first (data through SRAM, or MXM state order). */
  readonly after: readonly string[];
  /** MXM tasks of one output tile share a plane: the group's tasks run on it in list order. */
  readonly mxmGroup?: string;
  /** True for the last task of an MXM group (it releases the plane). */
  readonly mxmGroupEnd?: boolean;
}

/** SRAM placement of one block of rows `row0 .. row0 + rows - 1` of column tile `tile`: byte plane b of row r is
 * word `addr + r - row0` of slice `slices[b]`. */
export interface BlockPlacement {
  readonly tile: number;
  readonly row0: number;
  readonly rows: number;
  readonly slices: readonly number[];
  readonly addr: number;
  /** Earlier tenants of this space (`tensor/tile`): this block's writes must follow their last reads. */
  readonly reuses?: readonly string[];
  /** Rows interleaved over `width` slice groups (default 1), for `lw ... width`: row r of the block is word
   * `addr + floor(r / width)` of group `r mod width`, whose byte planes are `slices[g * bytes .. (g + 1) * bytes)`. */
  readonly width?: number;
}

/** SRAM placement of a tensor in blocks of `blockRows` rows per column tile (spread over slices so that they
 * stream in parallel); blocks are listed tile by tile, rows ascending; tiles no task touches are not placed. */
export interface Placement {
  readonly tensor: string;
  readonly chip: number;
  readonly rows: number;
  readonly blockRows: number;
  readonly blocks: readonly BlockPlacement[];
}

/** Whether the read at `si` goes whole into an `lw`, straight (`read -> lw`) or through a convert of an 8-bit
 * weight (`read -> convert -> lw`), and nothing else takes it: then its block may be wide. */
export function wideLoadAt(steps: readonly Step[], si: number): boolean {
  const onlyNext = (k: number) => steps.every((o, j) => j === k + 1 || !("src" in o) || o.src !== k);
  const next = steps[si + 1];
  if (next?.kind === "lw") return next.src === si && onlyNext(si);
  const after = steps[si + 2];
  return (
    next?.kind === "convert" &&
    next.src === si &&
    after?.kind === "lw" &&
    after.src === si + 1 &&
    onlyNext(si) &&
    onlyNext(si + 1)
  );
}

/** The block holding row `row` of column tile `tile`. */
export function blockOf(p: Placement, tile: number, row: number): BlockPlacement {
  // Blocks are sorted by (tile, row0); only the tiles some task touches are placed.
  let lo = 0;
  let hi = p.blocks.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const b = p.blocks[mid]!;
    if (b.tile < tile || (b.tile === tile && b.row0 + b.rows <= row)) lo = mid + 1;
    else if (b.tile > tile || b.row0 > row) hi = mid - 1;
    else return b;
  }
  throw new Error(`internal error: ${p.tensor} has no block for tile ${tile} row ${row}`);
}

export interface TaskGraph {
  readonly name: string;
  readonly chips: number;
  readonly batch: number;
  /** New tokens per pass (batch * seq), for tokens/s. */
  readonly tokensPerPass: number;
  readonly tasks: readonly Task[];
  /** Tensors as the tile pass sees them (id -> element type, rows, column tiles), sorted by id. */
  readonly tensors: readonly TiledTensor[];
  readonly outputs: readonly { readonly name: string; readonly tensor: string }[];
  /** Filled in by `allocate`. */
  readonly placements?: readonly Placement[];
  /** Values of compiler-made constant tensors by `source.node` (kernel-ir.ts, KernelGraph.constants). */
  readonly constants?: ReadonlyMap<string, Float64Array>;
}

export interface TiledTensor {
  readonly id: string;
  readonly type: ElemType;
  readonly rows: number;
  readonly cols: number;
  readonly tiles: number;
  readonly role: "param" | "input" | "state" | "temp";
  readonly chip: number;
  readonly shape: readonly number[];
  /** Rows per SRAM block: one MXM weight tile (320) for matmul weights, 960 (3 x 320, within the accumulator
   * rows) otherwise. Every read and write of the tile pass stays inside one block. */
  readonly blockRows: number;
  /** Which seeded values fill it (params, inputs, state), possibly transposed. */
  readonly source?: TensorSource;
  /** The kernel tensor's `oneValue` (kernel-ir.ts): its column tiles inside `cols` hold the same values. */
  readonly oneValue?: true;
}

/** Operand step indices of a step. */
export function stepOperands(s: Step): number[] {
  switch (s.kind) {
    case "read":
    case "iw":
    case "acc":
    case "recv":
      return [];
    case "write":
    case "vunary":
    case "convert":
    case "lw":
    case "abc":
    case "send":
      return [s.src];
    case "gather":
      return [s.map];
    case "vbinary":
      return typeof s.b === "number" ? [s.a, s.b] : [s.a];
    default:
      return assertNever(s, "step");
  }
}

export function formatStep(s: Step): string {
  const ref = (r: VecRef) => `${r.tensor}[t${r.tile} r${r.row}${r.stride === 0 ? " x" : "+"}${r.n}]`;
  switch (s.kind) {
    case "read":
      return `read ${ref(s.ref)}`;
    case "write":
      return `write ${ref(s.ref)} <- %${s.src}`;
    case "gather":
      return `gather ${s.ref.tensor}[t${s.ref.tile} r${s.ref.row}] by %${s.map} n${s.ref.n}`;
    case "vunary":
      return `${s.fn}.${s.type} %${s.src} n${s.n}`;
    case "vbinary":
      return `${s.fn}.${s.type} %${s.a}, ${typeof s.b === "number" ? `%${s.b}` : `#${s.b.imm}`} n${s.n}`;
    case "convert":
      return `convert.${s.from}.${s.to} %${s.src} n${s.n}`;
    case "lw":
      return `lw.${s.type} %${s.src} n${s.n} row${s.row0}`;
    case "iw":
      return "iw";
    case "abc":
      return `abc.${s.type} %${s.src} n${s.n} row${s.row0}${s.accumulate ? " acc" : ""}`;
    case "acc":
      return `acc.${s.type} n${s.n} row${s.row0}`;
    case "send":
      return `send.${s.type} %${s.src} n${s.n} link${s.link}`;
    case "recv":
      return `recv.${s.type} n${s.n} link${s.link} from ${s.from}`;
    default:
      return assertNever(s, "step");
  }
}

export function printTaskGraph(g: TaskGraph): string {
  const lines = [`tasks ${g.name}: ${g.tasks.length} tasks on ${g.chips} chip(s)`];
  for (const t of g.tensors)
    lines.push(`  tensor ${t.id}: ${t.type} ${t.rows} rows x ${t.tiles} tile(s) (${t.role}, chip ${t.chip})`);
  for (const p of g.placements ?? [])
    p.blocks.forEach((b) => {
      lines.push(
        `  place ${p.tensor} t${b.tile} r${b.row0}: chip ${p.chip} slices [${b.slices.join(", ")}] @${b.addr} +${b.rows}`,
      );
    });
  for (const t of g.tasks) {
    const group = t.mxmGroup ? ` group ${t.mxmGroup}${t.mxmGroupEnd ? " (end)" : ""}` : "";
    const after = t.after.length > 0 ? ` after ${t.after.join(" ")}` : "";
    lines.push(`  task ${t.id} (${t.op}, chip ${t.chip})${group}${after}`);
    t.steps.forEach((s, i) => {
      lines.push(`    %${i} = ${formatStep(s)}`);
    });
  }
  return `${lines.join("\n")}\n`;
}

/** The task IR's rules; returns what is broken. */
export function verifyTaskGraph(g: TaskGraph): string[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  const tensors = new Map(g.tensors.map((t) => [t.id, t]));
  for (const t of g.tasks) {
    for (const a of t.after)
      if (!seen.has(a)) errors.push(`${t.id}: after '${a}', which is not an earlier task`);
    if (seen.has(t.id)) errors.push(`${t.id}: duplicate task id`);
    seen.add(t.id);
    const uses = new Array<number>(t.steps.length).fill(0);
    t.steps.forEach((s, i) => {
      for (const o of new Set(stepOperands(s))) {
        if (o >= i) errors.push(`${t.id} %${i}: operand %${o} is not an earlier step`);
        else uses[o]!++;
      }
      if (s.kind === "read" || s.kind === "write" || s.kind === "gather") {
        const tt = tensors.get(s.ref.tensor);
        if (!tt) errors.push(`${t.id} %${i}: unknown tensor ${s.ref.tensor}`);
        else if (s.ref.tile >= tt.tiles || s.ref.row + (s.ref.stride === 0 ? 1 : s.ref.n) > tt.rows)
          errors.push(
            `${t.id} %${i}: ${formatStep(s)} is outside ${tt.id} (${tt.rows} rows, ${tt.tiles} tiles)`,
          );
        else if (
          s.ref.stride === 1 &&
          Math.floor(s.ref.row / tt.blockRows) !== Math.floor((s.ref.row + s.ref.n - 1) / tt.blockRows)
        )
          errors.push(`${t.id} %${i}: ${formatStep(s)} crosses a ${tt.blockRows}-row SRAM block of ${tt.id}`);
      }
    });
    uses.forEach((u, i) => {
      const producesValue = !["write", "lw", "abc", "iw", "send"].includes(t.steps[i]!.kind);
      if (producesValue && u !== 1)
        errors.push(`${t.id} %${i}: value used ${u} times (must be exactly once)`);
    });
  }
  if (g.placements) {
    const placed = new Set(g.placements.map((p) => p.tensor));
    for (const t of g.tensors) if (!placed.has(t.id)) errors.push(`tensor ${t.id} has no SRAM placement`);
  }
  return errors;
}
