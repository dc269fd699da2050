// Human-readable rendering of GraphStats for `lpu graph`: three significant digits with decimal prefixes
// (`6.74 B params`, `13.5 GB`, `14.3 GFLOP`). Exact numbers are in the JSON form; this text is for reading.
import type { DType, ModelGraph, OpKind } from "./ir.ts";
import type { GraphStats, TensorSummary } from "./stats.ts";

const DECLARATIONS: readonly OpKind[] = ["input", "param", "state", "output"];

/** n with a decimal prefix from `prefixes` (index k means 1000^k) and three significant digits. */
function scaled(n: number, prefixes: readonly string[]): string {
  let k = 0;
  while (k < prefixes.length - 1 && Math.abs(n) >= 1000 ** (k + 1) * 0.9995) k++;
  const v = n / 1000 ** k;
  if (k === 0 && Number.isInteger(v)) return `${v}${prefixes[0]}`;
  const digits = Math.abs(v) >= 99.95 ? 0 : Math.abs(v) >= 9.995 ? 1 : 2;
  return `${v.toFixed(digits)}${prefixes[k]}`;
}

/** A count: 124 M, 6.74 B. */
export function formatCount(n: number): string {
  return scaled(n, ["", " K", " M", " B", " T"]);
}

/** Bytes in decimal units: 13.5 GB. */
export function formatBytes(n: number): string {
  return scaled(n, [" B", " kB", " MB", " GB", " TB", " PB"]);
}

export function formatFlops(n: number): string {
  return scaled(n, [" FLOP", " kFLOP", " MFLOP", " GFLOP", " TFLOP", " PFLOP"]);
}

function byDtype(s: TensorSummary, count: boolean): string {
  const parts = (Object.keys(s.byDtype) as DType[]).sort().map((d) => {
    const a = s.byDtype[d]!;
    return count ? `${d} ${formatCount(a.count)}, ${formatBytes(a.bytes)}` : `${d} ${formatBytes(a.bytes)}`;
  });
  return parts.join("; ");
}

function tensors(n: number): string {
  return `${n} tensor${n === 1 ? "" : "s"}`;
}

/** The multi-line summary `lpu graph` prints. */
export function formatStats(g: ModelGraph, s: GraphStats): string {
  const shown = ["batch", "seq", "ctx"].filter((k) => k in g.constants).map((k) => `${k}=${g.constants[k]}`);
  const lines = [
    `model ${g.name}: ${s.nodes} nodes${shown.length ? ` (${shown.join(", ")})` : ""}`,
    `parameters   ${formatCount(s.params.count)} params, ${formatBytes(s.params.bytes)} in ${tensors(s.params.tensors)} (${byDtype(s.params, true) || "none"})`,
    `KV cache     ${formatBytes(s.state.bytes)} in ${tensors(s.state.tensors)} (${byDtype(s.state, false) || "none"})`,
    `inputs       ${formatBytes(s.inputs.bytes)} in ${tensors(s.inputs.tensors)}; outputs ${formatBytes(s.outputs.bytes)} in ${tensors(s.outputs.tensors)}`,
  ];
  const flopsBy = (Object.keys(s.flopsByOp) as OpKind[])
    .sort((a, b) => s.flopsByOp[b]! - s.flopsByOp[a]! || (a < b ? -1 : 1))
    .map((k) => `${k} ${formatFlops(s.flopsByOp[k]!)}`);
  lines.push(
    `FLOPs        ${formatFlops(s.flops)} per pass${flopsBy.length ? ` (${flopsBy.join(", ")})` : ""}`,
  );
  const m = s.bytesMoved;
  lines.push(
    `bytes moved  ${formatBytes(m.total)} (weights ${formatBytes(m.weights)}, KV read ${formatBytes(m.stateRead)}, ` +
      `KV write ${formatBytes(m.stateWritten)}, activations ${formatBytes(m.activations)})`,
    `intensity    ${s.intensity.toFixed(2)} FLOP/byte`,
  );
  const ops = (Object.keys(s.opCounts) as OpKind[])
    .filter((k) => !DECLARATIONS.includes(k))
    .sort()
    .map((k) => `${k} ${s.opCounts[k]}`);
  lines.push(`ops          ${ops.join(", ") || "none"}`);
  return `${lines.join("\n")}\n`;
}
