// embedding(ids, table) as MEM gathers. The table [V, D] is stored in id ranges of at most `rangeRows` rows (512
// on tsp-v1: compile.ts `gatherRows`), each range its own tensor whose column tile sits whole in one slice per byte plane, so row r
// of the range is word base + r there; a range that does not start at id 0 has a zero row first, one that does not
// end at V a zero row last, where ids outside it land. The ids are read as a column [B*S, 1] (the same values as
// the int32 input [B, S]: token r's id in lane 0 of row r), moved into each range's rows on the VXM (an add and
// the clamps that can bite), and one `gather` per (range, column tile, byte plane) puts each token's row on a
// stream. The ranges' results add up; all but one are exact zeros, so the rows are the table's exactly.
// Cost: one word per token per column tile and plane per range (tile.ts), and the adds, where the one-hot product
// this replaced passed the whole table through the MXM for every token. No case needs that product any more.
import { DTYPE_BYTES, type DType } from "../graph/ir.ts";
import { type KernelBuilder, LANES } from "./kernel-builder.ts";
import type { KTensor } from "./kernel-ir.ts";

/** One id range of the table: ids first..end-1 stored from row `at` (1 when a zero row comes first). */
export interface IdRange {
  readonly first: number;
  readonly end: number;
  readonly at: number;
  /** Rows stored: the ids, plus a zero row before (at = 1) and one after (when end < V). */
  readonly rows: number;
}

/** The id ranges of a V-row table, each at most `rangeRows` rows stored (rangeRows >= 3). */
export function idRanges(v: number, rangeRows: number): IdRange[] {
  const out: IdRange[] = [];
  for (let first = 0; first < v; ) {
    const at = first > 0 ? 1 : 0;
    const last = v - first <= rangeRows - at;
    const end = last ? v : first + rangeRows - at - 1;
    out.push({ first, end, at, rows: at + (end - first) + (last ? 0 : 1) });
    first = end;
  }
  return out;
}

/** A step of the ranges' sum: range i's gather, or the add of two earlier steps' results (by plan index). */
export type SumStep = { readonly range: number } | { readonly add: readonly [number, number] };

/**
 * The ranges' results summed in list order: in runs of a power of two ranges (the binary digits of their count,
 * largest first), each run a balanced tree whose adds follow its gathers (a sum's inputs come from neighbouring
 * ranges: the packer fills chips in list order, so they are mostly on one chip), and the runs' sums a balanced
 * tree over the runs in list order, each add planned right after its later input's run. So the runs that share a
 * node are added on it before a gateway carries their sum (the partitioner places ops in list order and opens the
 * next node only once one is full). Before, the runs were added from the last one up (a binary counter's stack,
 * the least depth): llama3-8b's 252 ranges (runs of 128, 64 and 32 ranges on node 0, 16, 8 and 4 on node 1) sent
 * five sums over its one gateway wire (each 13 tiles, 507 cycles of link), now one. The cost: up to
 * ceil(log2(runs)) adds more depth than log2 of the ranges.
 */
export function sumPlan(count: number): SumStep[] {
  const plan: SumStep[] = [];
  const runs: number[] = [];
  for (let bit = 2 ** Math.floor(Math.log2(count)); bit >= 1; bit /= 2)
    if ((count & bit) !== 0) runs.push(bit);
  let next = 0;
  /** Plans runs lo..hi-1 and their sum; returns its plan step. */
  const sumRuns = (lo: number, hi: number): number => {
    if (hi - lo > 1) {
      const mid = lo + Math.ceil((hi - lo) / 2);
      const a = sumRuns(lo, mid);
      const b = sumRuns(mid, hi);
      return plan.push({ add: [a, b] }) - 1;
    }
    const stack: { step: number; level: number }[] = [];
    for (let range = next; range < next + runs[lo]!; range++) {
      plan.push({ range });
      let top = { step: plan.length - 1, level: 0 };
      while (stack.length > 0 && stack[stack.length - 1]!.level === top.level) {
        const a = stack.pop()!;
        plan.push({ add: [a.step, top.step] });
        top = { step: plan.length - 1, level: top.level + 1 };
      }
      stack.push(top);
    }
    next += runs[lo]!;
    return stack[0]!.step;
  };
  sumRuns(0, runs.length);
  return plan;
}

/**
 * One token's ranges summed for a node's chips (decode): `groups` runs of consecutive ranges, each summed as a
 * chain in list order, and from the second run on, each run's sum added to the sum of the runs before it right
 * after the run (a chain over the runs' sums). The spread puts a run's gathers on the chip of their first reader
 * (spread.ts: an op that reads only sources waits for its reader), each run on the least busy chip, and a chain's
 * next op beside its previous one: so each run sits on one chip, and the chain over the runs on one chip, which
 * gets one sum from each other chip over its own link, the links all at once. sumPlan's balanced tree crossed chips
 * at two levels instead, its sums queued on the links they shared: llama2-7b's 63 ranges (4 a chip round 8 chips)
 * were summed on chip 0 at cycle 1,602; as 8 runs at 1,238. (fuse.ts folds a run's last add into the chain op that
 * reads it when its caps allow: the chain then reads that add's gather itself, which the spread puts beside the
 * chain; still one sum a run over a link.) With the runs' chain after the last run instead of interleaved,
 * llama2-7b and mixtral measured about the same but gpt2-small 789 cycles slower.
 * The first run, whose chip then holds the chain, takes CHAIN_RUN_SHORT ranges fewer than an even share (at least
 * one); the other runs share the rest, differing by at most one.
 */
export function groupedSumPlan(count: number, groups: number): SumStep[] {
  const plan: SumStep[] = [];
  const n = Math.max(1, Math.min(groups, count));
  const first = n === 1 ? count : Math.max(1, Math.ceil(count / n) - CHAIN_RUN_SHORT);
  const rest = count - first;
  let total: number | undefined;
  for (let g = 0, range = 0; g < n; g++) {
    const size = g === 0 ? first : Math.floor(rest / (n - 1)) + (g - 1 < rest % (n - 1) ? 1 : 0);
    let acc = plan.push({ range: range++ }) - 1;
    for (let j = 1; j < size; j++) {
      const r = plan.push({ range: range++ }) - 1;
      acc = plan.push({ add: [acc, r] }) - 1;
    }
    total = total === undefined ? acc : plan.push({ add: [total, acc] }) - 1;
  }
  return plan;
}

/**
 * Ranges fewer in the first run of groupedSumPlan than an even share. Its chip also holds the chain over the runs,
 * the gathers fuse.ts folds into the chain's ops (5 of the 7 later runs' last ones on mixtral-8x7b, 4 MB each) and
 * the ops after the embedding, which start there. ASSUMPTION: 4, measured (`lpu run --chips 576 --set layers=1`,
 * with lower-routing.ts's experts apart) against 0, 3, 4, 5 and 7: llama2-7b 15,189 / 15,457 / 15,057 / 15,247 /
 * 15,243; llama3-8b 19,206 / 18,889 / 18,839 / 19,030 / 19,225; mixtral 25,353 / 27,014 / 25,149 / 26,435 /
 * 29,977; llama2-70b-fp8 26,611 / 26,673 / 26,709 / - / 27,522; llama2-70b 25,916 / 25,249 / 24,630 / - / 26,883
 * (half a share, 4 of 63 ranges but 16 of 252: llama3-8b 19,582). A measured figure, not a model: the spread's
 * greedy placement of the later ops reacts to that chip's load in ways its estimate does not foresee.
 */
export const CHAIN_RUN_SHORT = 4;

/** The chips an embedding's ranges may be spread over: one node's directly linked chips, each one's usable SRAM
 * (partition.ts `usableBytesPerChip`), and a link's timing (compile.ts `embeddingChips`). */
export interface EmbeddingChips {
  readonly chips: number;
  readonly bytes: number;
  /** A link's latency (one hop) and the cycles a 320-byte word takes on it. */
  readonly linkLatency: number;
  readonly wordCycles: number;
}

/** Cycles of id reads one copy of an input id column serves (its gathers' tiles x tokens) before the next range
 * takes another copy. ASSUMPTION: a few ranges' worth, so the copies' SRAM (one int32 vector per token each) stays
 * small; not tuned. Decode (one token) keeps one copy. */
const ID_READS_PER_COPY = 2048;

/** ids: int32, a model input of any shape or a computed column [rows, 1]; table: a parameter [V, D]. Defines
 * outId [ids, D]. */
export function lowerEmbedding(
  k: KernelBuilder,
  outId: string,
  outDtype: DType,
  ids: KTensor,
  table: KTensor,
  rangeRows: number,
  spread?: EmbeddingChips,
): void {
  const at = outId;
  const v = table.shape[0]!;
  const tokens = ids.rows * ids.cols;
  // The same values as the ids input, one per row: row r's lane 0 is what `gather` takes as its index. Computed
  // ids (topk's, converted to int32) are a column already when there is one per row.
  const ranges = idRanges(v, Math.max(3, rangeRows));
  // Every gather task reads the whole id column once per column tile, so one copy's read port serializes them:
  // ranges x tiles x tokens cycles (bert-base's prefill of 128: 60 x 3 x 128 = 23k cycles, a twentieth of the
  // program). An input column is loaded as several copies (the emitter seeds each from the same input, so they
  // cost SRAM, not time), consecutive ranges sharing one, so their gathers read in parallel. A computed column
  // (topk's) stays one tensor, and so does one token's (decode): a read of one word, which the gather's other steps
  // hide (two copies of llama3-8b's made its layer 2.5% slower: 41,332 cycles against 40,329, not looked into).
  const tiles = Math.ceil(table.cols / LANES);
  const copies =
    ids.role === "temp" || tokens === 1
      ? 1
      : Math.min(ranges.length, Math.ceil((ranges.length * tiles * tokens) / ID_READS_PER_COPY));
  const columns = Array.from({ length: copies }, (_, c) => {
    const column = ids.role === "temp" ? ids.id : `${ids.id}.col${c > 0 ? `.${c}` : ""}`;
    if (!k.tensors.has(column))
      k.tensors.set(column, {
        id: column,
        dtype: "int32",
        rows: tokens,
        cols: 1,
        role: ids.role,
        shape: [tokens, 1],
        source: { node: ids.source!.node, transposed: false },
      });
    return column;
  });
  // One token (decode) whose table fits a node, when its id reads on one chip (a cycle per range and column tile:
  // the read port above) outlast one run's sum on a link (a hop's latency and its words): a run per chip of the
  // node (groupedSumPlan). ASSUMPTION: that break-even, not a model of the schedule. llama2-7b: 63 x 13 = 819
  // against 216 + 26 x 19.2 = 715 cycles, runs (15,592 -> 15,189); gpt2-small: 99 x 3 = 297 against 331, sumPlan
  // (with runs 69,263 -> 69,543: its 3-tile ranges gather fast, and spread over 8 chips they moved its layers); a
  // 640-word test machine's 20 ranges of 2 tiles (spread.test.ts) lost 7% with runs. A table larger than a node's
  // SRAM would put runs on the next node, each run's sum then crossing the one gateway wire: sumPlan, whose runs of
  // a power of two ranges are summed per node (none in programs/: llama3-8b's 1 GB table fits node 0 and its runs
  // stayed there). A prefill's sums are a row per token, each a longer send: bert-base's prefill of 128 measured
  // 390,227 -> 395,358 cycles with runs, so it keeps sumPlan.
  const tableBytes = v * table.cols * DTYPE_BYTES[table.dtype];
  const grouped =
    spread !== undefined &&
    tokens === 1 &&
    spread.chips > 1 &&
    tableBytes <= spread.chips * spread.bytes &&
    ranges.length * tiles > spread.linkLatency + tiles * DTYPE_BYTES[table.dtype] * spread.wordCycles;
  const plan = grouped ? groupedSumPlan(ranges.length, spread.chips) : sumPlan(ranges.length);
  const same = outDtype === table.dtype;
  const results: string[] = [];
  let gathered = 0;
  plan.forEach((p, i) => {
    const id = i === plan.length - 1 && same ? outId : k.fresh(at);
    if ("range" in p) {
      const r = ranges[p.range]!;
      const column = columns[Math.floor((gathered++ * copies) / ranges.length)]!;
      const stored = k.tableRange(`${table.id}.ids${r.first}`, table, r.first, r.end - r.first, r.at, r.rows);
      results.push(k.gather(id, stored, column, r.at - r.first, v));
    } else results.push(k.binary(id, "add", results[p.add[0]]!, results[p.add[1]]!));
  });
  if (!same) k.convert(outId, results[results.length - 1]!, outDtype);
}
