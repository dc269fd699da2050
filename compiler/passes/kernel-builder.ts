// The kernel IR under construction, shared by `decompose` and the per-op-family lowerings (lower-*.ts): tensors,
// ops in program order, and the constants the compiler makes (ones matrices, lane masks, selection matrices,
// tables). Every helper defines exactly one new tensor and returns its id.
import type { DType } from "../graph/ir.ts";
import type { BinaryFn, KOp, KTensor, RowRange, TensorRole, UnaryFn, WeightLayout } from "./kernel-ir.ts";

/** The vector width the lowerings pad to (docs/isa.md: 320 lanes on tsp-v1, not settable); `tile` checks that
 * a weight never has more rows than its output's padded width. */
export const LANES = 320;

export const padded = (cols: number): number => Math.ceil(cols / LANES) * LANES;

/** The column tiles [k0, k1) that lanes first..first+n-1 fall in. */
export const tilesOf = (first: number, n: number): [number, number] => [
  Math.floor(first / LANES),
  Math.floor((first + n - 1) / LANES) + 1,
];

/** Whether `b`, a whole number of 320-lane tiles and fewer tiles than `a`, is copies of one tile repeated over a's
 * column tiles (a lane sum's broadcast, `bTile`): one tile, or, under a row too wide for one copy, a few
 * (lower-reduce.ts `laneSum`). Also a `b` of a's padded width when a ends in a partial tile: each tile meets its
 * own, padding lanes included (softmax's padding cap, lower-reduce.ts `maskedExp`). */
export const repeatsTiles = (b: { readonly cols: number }, a: { readonly cols: number }): boolean =>
  b.cols % LANES === 0 && b.cols !== a.cols && b.cols <= padded(a.cols);

/** The tile of a repeated `b` (`repeatsTiles`) that a's column tile j meets: each of b's copies serves one run of
 * consecutive tiles, copy c tiles [c * n / copies, (c + 1) * n / copies) of a's n. */
export const repeatedTile = (j: number, b: { readonly cols: number }, a: { readonly cols: number }): number =>
  Math.floor((j * (b.cols / LANES)) / (padded(a.cols) / LANES));

export class KernelBuilder {
  readonly tensors = new Map<string, KTensor>();
  readonly ops: KOp[] = [];
  readonly constants = new LazyConstants();
  private readonly counters = new Map<string, number>();

  get(id: string): KTensor {
    const t = this.tensors.get(id);
    if (!t) throw new Error(`internal error: no kernel tensor '${id}'`);
    return t;
  }

  /** A fresh id under `prefix` (a graph node id): prefix.0, prefix.1, ... */
  fresh(prefix: string): string {
    const k = this.counters.get(prefix) ?? 0;
    this.counters.set(prefix, k + 1);
    return `${prefix}.${k}`;
  }

  define(
    id: string,
    dtype: DType,
    rows: number,
    cols: number,
    role: TensorRole = "temp",
    shape?: number[],
  ): string {
    const source = role === "temp" ? undefined : { node: id, transposed: false };
    this.tensors.set(id, { id, dtype, rows, cols, role, shape: shape ?? [rows, cols], source });
    return id;
  }

  /** A constant [rows, cols] with element (r, c) = value(r, c), made once per name; stored zero-padded like a
   * parameter, so lanes at or past `cols` read as 0 (which is what lane masks rely on). A value function of no
   * arguments (`() => 1`) cannot tell elements apart: the tensor is marked `oneValue`. */
  constant(name: string, dtype: DType, rows: number, cols: number, value: (r: number, c: number) => number) {
    const id = `const.${name}`;
    if (this.tensors.has(id)) return id;
    this.constants.define(id, () => {
      const v = new Float64Array(rows * cols);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) v[r * cols + c] = value(r, c);
      return v;
    });
    this.define(id, dtype, rows, cols, "param");
    if (value.length === 0) this.tensors.set(id, { ...this.tensors.get(id)!, oneValue: true });
    return id;
  }

  /** out[m, n] = sum_k a[m, k] * b[n, k] (b holds one row per output column), accumulated in fp32. `rowChunks`:
   * kernel-ir.ts matmul `rowChunks`. */
  matmul(
    id: string,
    a: string,
    b: string,
    dtype: DType,
    cols?: number,
    kTiles?: readonly [number, number],
    bLayout?: WeightLayout,
    rowChunks = false,
  ): string {
    this.define(id, dtype, this.get(a).rows, cols ?? this.get(b).rows);
    this.ops.push({
      kind: "matmul",
      id,
      a,
      b,
      out: id,
      ...(kTiles ? { kTiles } : {}),
      ...(bLayout ? { bLayout } : {}),
      ...(rowChunks ? { rowChunks: true as const } : {}),
    });
    return id;
  }

  /** a fn b, b the same shape as a or one row broadcast over a's rows; the result has a's dtype. A b of whole
   * column tiles, fewer than a's, is copies of one tile repeated over a's tiles (`bTile`: a lane sum's broadcast). */
  binary(id: string, fn: BinaryFn, a: string, b: string): string {
    const x = this.get(a);
    this.define(id, x.dtype, x.rows, x.cols);
    const bTile = repeatsTiles(this.get(b), x);
    this.ops.push({ kind: "binary", id, fn, a, b, out: id, ...(bTile ? { bTile } : {}) });
    return id;
  }

  imm(id: string, fn: BinaryFn, x: string, imm: number): string {
    const t = this.get(x);
    this.define(id, t.dtype, t.rows, t.cols);
    this.ops.push({ kind: "binaryImm", id, fn, x, imm, out: id });
    return id;
  }

  unary(id: string, fn: UnaryFn, x: string): string {
    const t = this.get(x);
    this.define(id, t.dtype, t.rows, t.cols);
    this.ops.push({ kind: "unary", id, fn, x, out: id });
    return id;
  }

  convert(id: string, x: string, to: DType): string {
    const t = this.get(x);
    if (t.dtype === to) return x;
    this.define(id, to, t.rows, t.cols);
    this.ops.push({ kind: "convert", id, x, out: id });
    return id;
  }

  /** Rows first..first+count-1 of the source `x` (a param, input or state stored whole, as a stored matrix:
   * transposed or not) as a source of its own, its role kept: the emitter stores those rows of x's stored image
   * (program.ts `sourceImage`), so no op copies them. Made once per id. */
  sourceRows(id: string, x: string, first: number, count: number): string {
    if (this.tensors.has(id)) return id;
    const t = this.get(x);
    if (t.role === "temp" || !t.source || t.source.rows)
      throw new Error(`internal error: '${x}' is not a whole stored source`);
    this.tensors.set(id, {
      ...t,
      id,
      rows: count,
      shape: [count, t.cols],
      source: { ...t.source, rows: { first, count, at: 0 } },
    });
    return id;
  }

  /** A parameter holding rows first..first+count-1 of `table` (a stored [V, D] source) from row `at` on, the other
   * of its `rows` rows zero: one id range of an embedding table (lower-embedding.ts). Made once per id. */
  tableRange(id: string, table: KTensor, first: number, count: number, at: number, rows: number): string {
    if (this.tensors.has(id)) return id;
    this.tensors.set(id, {
      id,
      dtype: table.dtype,
      rows,
      cols: table.cols,
      role: "param",
      shape: [rows, table.cols],
      source: { node: table.source!.node, transposed: false, rows: { first, count, at } },
    });
    return id;
  }

  /** out[r] = table[clamp(ids[r] + offset)]: a MEM gather of each token's row (kernel-ir.ts `gather`). */
  gather(id: string, table: string, ids: string, offset: number, idEnd: number): string {
    const t = this.get(table);
    this.define(id, t.dtype, this.get(ids).rows, t.cols);
    this.ops.push({ kind: "gather", id, table, ids, offset, idEnd, out: id });
    return id;
  }

  copyRows(id: string, parts: readonly RowRange[]): string {
    const t = this.get(parts[0]!.x);
    this.define(
      id,
      t.dtype,
      parts.reduce((s, p) => s + p.n, 0),
      t.cols,
    );
    this.ops.push({ kind: "copyRows", id, parts, out: id });
    return id;
  }
}

/**
 * The compiler's constants, computed when first read: only a program emitted with SRAM images (or a test) reads
 * the values, and a timing-only compile of a large model would otherwise fill hundreds of MB with, e.g., a rope
 * rotation matrix [d, d] it never looks at. A read-only map whose `get` and iteration compute and keep the values.
 */
export class LazyConstants implements ReadonlyMap<string, Float64Array> {
  private readonly make = new Map<string, () => Float64Array>();
  private readonly made = new Map<string, Float64Array>();

  define(id: string, make: () => Float64Array): void {
    this.make.set(id, make);
  }

  /** The constants named in `ids`, in id order (the others are dropped unmade). */
  subset(ids: ReadonlySet<string>): LazyConstants {
    const out = new LazyConstants();
    for (const id of [...this.make.keys()].filter((x) => ids.has(x)).sort()) {
      const made = this.made.get(id);
      out.define(id, made ? () => made : this.make.get(id)!);
    }
    return out;
  }

  get size(): number {
    return this.make.size;
  }
  has(id: string): boolean {
    return this.make.has(id);
  }
  get(id: string): Float64Array | undefined {
    let v = this.made.get(id);
    if (v === undefined) {
      const make = this.make.get(id);
      if (!make) return undefined;
      v = make();
      this.made.set(id, v);
    }
    return v;
  }
  *entries(): MapIterator<[string, Float64Array]> {
    for (const id of this.make.keys()) yield [id, this.get(id)!];
  }
  keys(): MapIterator<string> {
    return this.make.keys();
  }
  *values(): MapIterator<Float64Array> {
    for (const id of this.make.keys()) yield this.get(id)!;
  }
  forEach(f: (value: Float64Array, key: string, map: ReadonlyMap<string, Float64Array>) => void): void {
    for (const [k, v] of this.entries()) f(v, k, this);
  }
  [Symbol.iterator](): MapIterator<[string, Float64Array]> {
    return this.entries();
  }
}
