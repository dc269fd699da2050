// The partition's printed form (`--print-after partition`): a partitioned graph -> its stages, each split's chips
// and shares, and every tensor's chip, sorted so that the same partition prints the same text.
import type { PartitionedGraph } from "./partition.ts";
import { partsOf } from "./tile-columns.ts";

export function printPartition(p: PartitionedGraph): string {
  const lines = [`partition: ${p.chips} chip(s), ${p.sramBytesNeeded} bytes of SRAM needed`];
  if (p.strategy !== "auto" || p.minChips > 1)
    lines.push(
      `  strategy ${p.strategy}${p.strategy === "auto" && p.groups ? " (layers: a deep repeat, stamped)" : ""}; the model fits on ${p.minChips} chip(s)`,
    );
  const stages = new Map<string, string[]>();
  for (const op of p.kernel.ops) {
    const st = p.stageOf.get(op.id);
    if (!st) continue;
    const k = st.width > 1 ? `chips ${st.base}..${st.base + st.width - 1}` : `chip ${st.base}`;
    stages.set(k, [...(stages.get(k) ?? []), op.id]);
  }
  if (stages.size > 1) for (const [k, ops] of stages) lines.push(`  stage on ${k}: ${ops.join(" ")}`);
  for (const [op, n] of [...p.matmulChips].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const base = p.stageOf.get(op)?.base ?? 0;
    const b = p.kSplits?.get(op);
    const shares = b
      ? ` (${b
          .slice(0, -1)
          .map((k, c) => `${k}..${b[c + 1]! - 1}`)
          .join(" | ")})`
      : "";
    lines.push(
      `  ${op}: K tiles split over chips ${base}..${base + n - 1}${shares}, partial sums to chip ${base}`,
    );
  }
  const parts = partsOf(p);
  for (const [op, n] of [...(p.nSplits ?? new Map<string, readonly number[]>())].sort((a, b) =>
    a[0] < b[0] ? -1 : 1,
  )) {
    const base = p.stageOf.get(op)?.base ?? 0;
    const shares = n
      .slice(0, -1)
      .map((j, c) => `${j}..${n[c + 1]! - 1}`)
      .join(" | ");
    const kept = parts.has(p.kernel.ops.find((o) => o.id === op)?.out ?? "");
    lines.push(
      `  ${op}: output column tiles split over chips ${base}..${base + n.length - 2} (${shares}), ${kept ? "kept in parts" : `tiles to chip ${base}`}`,
    );
  }
  for (const [t, c] of [...p.chipOf].sort((a, b) => (a[0] < b[0] ? -1 : 1)))
    lines.push(`  ${t} -> chip ${c}`);
  return `${lines.join("\n")}\n`;
}
