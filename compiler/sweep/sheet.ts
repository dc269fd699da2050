// A sweep's results as one sheet: every row one combination (numbered from 1 in the full list), its parameters, and
// its outcome. Out: the sheet as JSON data and as an aligned text table. The column set comes from the sweep's
// definition, never from the results, so every shard of a sweep has the same columns even if all its rows failed.
import { assertNever } from "../../util/assert.ts";
import { metricsOf, type Outcome, type Result } from "./evaluation.ts";
import type { Shard } from "./grid.ts";

export interface Row {
  /** 1-based position in the full combination list (the 0-based index + 1). */
  readonly combination: number;
  readonly target: string;
  readonly params: Readonly<Record<string, string>>;
  readonly outcome: Outcome;
}

/** A metric column: its key in Metrics, its table title, and how the table shows a number. */
export interface MetricColumn {
  readonly key: string;
  readonly title: string;
  /** Digits after the point in the text table (CSV and JSON keep every digit). */
  readonly digits: number;
  /** Instead, this many significant digits (for figures that span decades across rows, such as J/token). */
  readonly significant?: number;
}

export interface Sheet {
  /** Combinations in the whole sweep (all shards). */
  readonly combinations: number;
  readonly params: readonly string[];
  readonly metrics: readonly MetricColumn[];
  /** Sorted by combination. */
  readonly rows: readonly Row[];
  readonly shard?: Shard;
}

export function rowOf(r: Result): Row {
  const c = r.combination;
  return { combination: c.index + 1, target: c.target, params: c.params, outcome: r.outcome };
}

export function statusOf(o: Outcome): string {
  return o.kind;
}

/** Combinations the sheet should have (all, or its shard's) but has no row for, ascending (1-based). */
export function missingCombinations(s: Sheet): number[] {
  const have = new Set(s.rows.map((r) => r.combination));
  const out: number[] = [];
  for (let k = 1; k <= s.combinations; k++) {
    const expected = !s.shard || (k - 1) % s.shard.count === s.shard.index - 1;
    if (expected && !have.has(k)) out.push(k);
  }
  return out;
}

/** The sheet as plain data for `stableJson` (sorted keys there; rows in combination order here). */
export function sheetJson(s: Sheet): unknown {
  return {
    combinations: s.combinations,
    shard: s.shard ? `${s.shard.index}/${s.shard.count}` : null,
    params: s.params,
    metrics: s.metrics.map((m) => m.key),
    missing: missingCombinations(s),
    rows: s.rows.map((r) => {
      const o = r.outcome;
      const base = { combination: r.combination, target: r.target, params: r.params, status: o.kind };
      switch (o.kind) {
        case "ok":
          return { ...base, metrics: o.metrics };
        case "failed":
          return { ...base, message: o.reason, ...(o.metrics ? { metrics: o.metrics } : {}) };
        case "crashed":
          return { ...base, message: o.reason };
        default:
          return assertNever(o, "outcome");
      }
    }),
  };
}

/**
 * A number for the table: fixed digits, or `significant` digits without an exponent (0.00003677, 2.289, 1235;
 * a number with more integer digits than that keeps them all), thousands unseparated (so it pastes back as a number).
 */
export function formatMetric(v: number | string | undefined, digits: number, significant?: number): string {
  if (v === undefined) return "";
  if (typeof v === "string") return v;
  if (!Number.isFinite(v)) return String(v);
  if (significant === undefined || v === 0) return v.toFixed(digits);
  const magnitude = Math.floor(Math.log10(Math.abs(v)));
  return v.toFixed(Math.min(100, Math.max(0, significant - 1 - magnitude)));
}

/**
 * An aligned text table: a column of numbers right-aligned, a failed row's reason in the last column. Unlike CSV
 * and JSON, the table leaves out metric columns that no row fills (a sweep of the LPU alone has no GPU figures).
 */
export function formatSheet(s: Sheet): string {
  const filled = s.metrics.filter((m) => s.rows.some((r) => metricsOf(r.outcome)?.[m.key] !== undefined));
  const head = ["#", "target", ...s.params, ...filled.map((m) => m.title), "note"];
  const body = s.rows.map((r) => {
    const o = r.outcome;
    const metrics = filled.map((m) => formatMetric(metricsOf(o)?.[m.key], m.digits, m.significant));
    const note = o.kind === "ok" ? "" : `${o.kind}: ${o.reason}`;
    return [String(r.combination), r.target, ...s.params.map((p) => r.params[p] ?? "-"), ...metrics, note];
  });
  const isNumber = (c: string) => c === "" || c === "-" || Number.isFinite(Number(c));
  const right = head.map((_, i) => i < head.length - 1 && body.every((b) => isNumber(b[i]!)));
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  const lines = [line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line)];
  const missing = missingCombinations(s);
  const shard = s.shard ? ` (shard ${s.shard.index}/${s.shard.count})` : "";
  lines.push("", `${s.rows.length} of ${s.combinations} combinations${shard}; ${summary(s.rows)}`);
  if (missing.length > 0) lines.push(`missing combinations: ${compactRanges(missing)}`);
  return `${lines.join("\n")}\n`;
}

function summary(rows: readonly Row[]): string {
  const n = (k: Outcome["kind"]) => rows.filter((r) => r.outcome.kind === k).length;
  const parts = [`${n("ok")} ok`, `${n("failed")} failed`];
  if (n("crashed") > 0) parts.push(`${n("crashed")} crashed (a bug: please report it)`);
  return parts.join(", ");
}

/** 1,2,3,5,7,8 -> "1-3, 5, 7-8". */
export function compactRanges(sorted: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(", ");
}
