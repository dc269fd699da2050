// A sweep's combinations: named axes of values -> the numbered list of every combination, and the I-th of N shards.
// Guarantees: the same axes give the same list in the same order (the first axis varies slowest, values in the
// order given), so every process of a sharded sweep numbers the combinations alike.
import { UserError } from "../../util/diagnostics.ts";

/** One swept parameter: its column name and its values as the user typed them. */
export interface Axis {
  readonly name: string;
  readonly values: readonly string[];
}

/** One evaluation target (for instance the LPU or the GPU baseline) and the axes it is swept over. */
export interface Block {
  readonly target: string;
  readonly axes: readonly Axis[];
}

/** One point of the sweep. `index` is 0-based in the full list, whatever shard it falls in. */
export interface Combination {
  readonly index: number;
  readonly target: string;
  /** Axis name -> value, in axis order. */
  readonly params: Readonly<Record<string, string>>;
}

/** A comma-separated list flag (`--chips 64,128`): trimmed, non-empty, no value twice. */
export function parseList(flag: string, text: string): string[] {
  const values = text.split(",").map((v) => v.trim());
  if (values.some((v) => v === ""))
    throw new UserError(`${flag} takes a comma-separated list, got '${text}'`);
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) throw new UserError(`${flag} lists '${v}' twice`);
    seen.add(v);
  }
  return values;
}

/** A list of positive whole numbers (`--chips 64,128,256`). */
export function parseIntList(flag: string, text: string): string[] {
  const values = parseList(flag, text);
  for (const v of values)
    if (!/^[1-9][0-9]*$/.test(v)) throw new UserError(`${flag} takes positive whole numbers, got '${v}'`);
  return values;
}

/** Number of combinations of one block: the product of its axes' lengths (1 with no axes). */
export function blockSize(b: Block): number {
  return b.axes.reduce((n, a) => n * a.values.length, 1);
}

/** Every combination of every block, blocks in order, each block's product with its first axis slowest. */
export function combinations(blocks: readonly Block[]): Combination[] {
  const out: Combination[] = [];
  for (const b of blocks) {
    const size = blockSize(b);
    for (let k = 0; k < size; k++) {
      const params: Record<string, string> = {};
      // Mixed-radix digits of k, last axis fastest.
      let rest = k;
      const digits = new Array<number>(b.axes.length);
      for (let a = b.axes.length - 1; a >= 0; a--) {
        const n = b.axes[a]!.values.length;
        digits[a] = rest % n;
        rest = Math.floor(rest / n);
      }
      b.axes.forEach((axis, a) => {
        params[axis.name] = axis.values[digits[a]!]!;
      });
      out.push({ index: out.length, target: b.target, params });
    }
  }
  return out;
}

/** `--shard I/N`: the I-th (1-based) of N slices. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

export function parseShard(text: string): Shard {
  const m = /^([0-9]+)\/([0-9]+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || count < 1 || index < 1 || index > count)
    throw new UserError(`--shard takes I/N with 1 <= I <= N (for example 3/8), got '${text}'`);
  return { index, count };
}

/**
 * The combinations in shard I of N: those whose 0-based index k has k mod N = I - 1. Round-robin rather than
 * contiguous slices because costs grow along the axes (more chips, more layers): interleaving gives every shard a
 * similar mix. Every combination is in exactly one shard.
 */
export function inShard(all: readonly Combination[], shard: Shard | undefined): Combination[] {
  if (!shard) return [...all];
  return all.filter((c) => c.index % shard.count === shard.index - 1);
}

/** The column names of every axis of every block, first appearance first. */
export function paramColumns(blocks: readonly Block[]): string[] {
  const names: string[] = [];
  for (const b of blocks) for (const a of b.axes) if (!names.includes(a.name)) names.push(a.name);
  return names;
}
