// A sweep from its definition to its sheet: blocks of axes -> combinations -> this shard's slice -> the worker pool
// -> rows in combination order. The one entry point the CLI and the tests use.
import type { Result } from "./evaluation.ts";
import { type Block, combinations, inShard, paramColumns, type Shard } from "./grid.ts";
import { runPool } from "./pool.ts";
import { type MetricColumn, rowOf, type Sheet } from "./sheet.ts";

export interface SweepSpec {
  readonly blocks: readonly Block[];
  readonly shard?: Shard;
  /** URL of the evaluation module (see evaluation.ts) and the fixed context every evaluation receives. */
  readonly module: string;
  readonly context: unknown;
  readonly metrics: readonly MetricColumn[];
  readonly workers?: number;
  readonly onResult?: (r: Result, done: number, total: number) => void;
}

export async function runSweep(spec: SweepSpec): Promise<Sheet> {
  const all = combinations(spec.blocks);
  const mine = inShard(all, spec.shard);
  const results = await runPool(mine, {
    module: spec.module,
    context: spec.context,
    workers: spec.workers,
    onResult: spec.onResult,
  });
  return {
    combinations: all.length,
    params: paramColumns(spec.blocks),
    metrics: spec.metrics,
    rows: results.map(rowOf),
    shard: spec.shard,
  };
}
