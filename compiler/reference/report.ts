// Printed results of a reference evaluation: in, the graph, seed, cost and output tensors; out, the text and JSON
// that `lpu eval` prints. Everything is fixed-precision or exact shortest round trip, so output is byte-identical.
import { formatType, type ModelGraph } from "../graph/ir.ts";
import type { EvalCost } from "./budget.ts";
import { checksum, formatFixed, formatValue } from "./checksum.ts";
import type { NamedTensor } from "./interpret.ts";

export function evalReportText(
  g: ModelGraph,
  seed: number,
  cost: EvalCost,
  outputs: readonly NamedTensor[],
  k: number,
): string {
  const lines = [
    `model ${g.name}, seed ${seed}: ${cost.sourceElements} seeded elements, ${cost.macs} multiply-accumulates`,
  ];
  for (const t of outputs) {
    const c = checksum(t);
    const dt = t.type.dtype;
    const shown = Array.from(t.data.subarray(0, k), (v) => formatValue(v, dt));
    const more = t.data.length > k ? ` ... (${t.data.length} values)` : "";
    lines.push(
      `output ${t.name}: ${formatType(t.type)}`,
      `  fnv1a ${c.hash}  sum ${formatFixed(c.sum)}  sum of squares ${formatFixed(c.sumSquares)}`,
      `  min ${formatValue(c.min, dt)}  max ${formatValue(c.max, dt)}  non-finite ${c.nonFinite}`,
      `  values ${shown.join(" ")}${more}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** The JSON form: sums as fixed-precision strings (exactly as printed), values and extremes as numbers. */
export function evalReportJson(
  g: ModelGraph,
  file: string,
  seed: number,
  sets: Readonly<Record<string, string>>,
  cost: EvalCost,
  outputs: readonly NamedTensor[],
  k: number,
): unknown {
  return {
    file,
    model: g.name,
    seed,
    sets,
    cost,
    outputs: outputs.map((t) => {
      const c = checksum(t);
      const dt = t.type.dtype;
      return {
        name: t.name,
        dtype: dt,
        shape: t.type.shape,
        checksum: {
          count: c.count,
          fnv1a: c.hash,
          sum: formatFixed(c.sum),
          sumSquares: formatFixed(c.sumSquares),
          min: jsonNumber(formatValue(c.min, dt)),
          max: jsonNumber(formatValue(c.max, dt)),
          nonFinite: c.nonFinite,
        },
        values: Array.from(t.data.subarray(0, k), (v) => jsonNumber(formatValue(v, dt))),
      };
    }),
  };
}

/** A number where JSON can hold it; "NaN" and "Infinity" stay strings. */
function jsonNumber(s: string): number | string {
  const n = Number(s);
  return Number.isFinite(n) ? n : s;
}

/** Why a model is refused, and which constants to shrink (its largest ones, and a layer count if it has one). */
export function tooLargeMessage(file: string, g: ModelGraph, over: readonly string[]): string {
  const big = Object.entries(g.constants)
    .filter(([, v]) => v > 16)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, 5)
    .map(([k, v]) => `${k}=${v}`);
  const layers = Object.keys(g.constants).find((k) => /layers?$/.test(k));
  const example = layers ? ` (e.g. --set ${layers}=1)` : "";
  return (
    `${file} is too large for the reference interpreter on this machine: ${over.join("; ")}.\n` +
    `  evaluate a smaller configuration with --set NAME=VALUE${example}; its largest constants: ${big.join(", ")}`
  );
}
