// Part of `decompose`: kernel IR -> kernel IR with pointwise ops folded into the matmul that feeds them, so a
// bias add and an activation run on the VXM between the accumulator and SRAM instead of round-tripping through
// SRAM. Folds only when the matmul's result has exactly one reader and is not a model output. Pure.
import type { EpilogueOp, KernelGraph, KOp } from "./kernel-ir.ts";
import { opInputs } from "./kernel-ir.ts";

export function fuseEpilogues(k: KernelGraph): KernelGraph {
  const readers = new Map<string, number>();
  for (const op of k.ops) for (const i of opInputs(op)) readers.set(i, (readers.get(i) ?? 0) + 1);
  const outputs = new Set(k.outputs.map((o) => o.tensor));
  const rows = new Map(k.tensors.map((t) => [t.id, t.rows]));
  const ops: (KOp | undefined)[] = [...k.ops];
  const producer = new Map<string, number>();
  ops.forEach((op, i) => {
    producer.set(op!.out, i);
  });
  const dropped = new Set<string>();
  ops.forEach((op, i) => {
    if (!op) return;
    const x = op.kind === "binary" ? op.a : op.kind === "unary" || op.kind === "binaryImm" ? op.x : undefined;
    if (x === undefined || readers.get(x) !== 1 || outputs.has(x)) return;
    const pi = producer.get(x);
    const p = pi === undefined ? undefined : ops[pi];
    if (p?.kind !== "matmul") return;
    let e: EpilogueOp | undefined;
    if (op.kind === "unary") e = { kind: "unary", fn: op.fn };
    else if (op.kind === "binaryImm") e = { kind: "imm", fn: op.fn, imm: op.imm };
    else if (
      op.kind === "binary" &&
      !op.bTile &&
      rows.get(op.b) === 1 &&
      op.b !== x &&
      !readsRow(p, op.b) &&
      (p.epilogue ?? []).filter((r) => r.kind === "row").length < MAX_EPILOGUE_ROWS
    )
      e = { kind: "row", fn: op.fn, b: op.b };
    if (!e) return;
    // The fused matmul takes the reader's place in the order (its extra operand may be defined in between).
    ops[pi!] = undefined;
    ops[i] = { ...p, out: op.out, epilogue: [...(p.epilogue ?? []), e] };
    producer.set(op.out, i);
    dropped.add(x);
  });
  return {
    ...k,
    ops: ops.filter((o): o is KOp => o !== undefined),
    tensors: k.tensors.filter((t) => !dropped.has(t.id)),
  };
}

/** Row operands one epilogue may read. allocate.ts keeps the tensors one task reads in different slice groups (44
 * for fp16, 22 for fp32); llama2-70b's 64 attention heads at decode (one-row outputs) once fused into a single
 * epilogue whose task could not be placed (LPU5005 with the SRAM far from full). */
const MAX_EPILOGUE_ROWS = 8;

/** A fused task that read one row twice (softmax's padding mask before and after exp) would stream the same SRAM
 * words twice from the same slices, overlapping in time once a chunk is longer than the gap between the reads: the
 * task would conflict with itself. Such a second use stays a separate VXM op. */
function readsRow(op: Extract<KOp, { kind: "matmul" }>, row: string): boolean {
  return op.a === row || op.b === row || (op.epilogue ?? []).some((e) => e.kind === "row" && e.b === row);
}
