// ModelGraph -> KernelList for `gpus` GPUs in tensor parallel: the stages are graph facts, the shard plan,
// fusion into units, one kernel per unit with collectives where the shard plan needs them.
// Guarantees: deterministic (same graph and options -> the same list); input errors come back as diagnostics.
import type { Kernel, KernelList } from "../../arch/gpu/kernels.ts";
import { GpuMessages } from "../../arch/gpu/messages.ts";
import { type Diagnostic, diag } from "../../util/diagnostics.ts";
import { type ModelGraph, tensorBytes } from "../graph/ir.ts";
import { unitKernel } from "./cost.ts";
import { fuse, type Unit } from "./fuse.ts";
import { type MoeParallel, planShards } from "./shard.ts";
import { type GraphFacts, graphFacts } from "./walk.ts";

export interface LowerOptions {
  readonly gpus: number;
  /** SMs of the target GPU: the grid of a small GEMM or of decode attention is split to fill them. */
  readonly sms: number;
  /** How a `moe` op's experts are split over the GPUs (default tensor; see shard.ts). */
  readonly moe?: MoeParallel;
}

/** One NVLink node: the tensor-parallel group this model covers. */
export const MAX_GPUS = 8;

function kernelName(facts: GraphFacts, unit: Unit): string {
  const anchors = unit.nodes.filter((id) => {
    const k = facts.node(id).op.kind;
    return k === "matmul" || k === "attention" || k === "layernorm" || k === "rmsnorm" || k === "moe";
  });
  const ids = anchors.length > 0 ? anchors : [unit.nodes.at(-1)!];
  const head = ids[0]!;
  const rest = ids.slice(1).map((id) => id.slice(id.lastIndexOf(".") + 1));
  return [head, ...rest].join("+");
}

function checkHeads(facts: GraphFacts, gpus: number): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const n of facts.order) {
    if (n.op.kind !== "attention" || gpus === 1) continue;
    const heads = n.outputs[0]!.shape[2]!;
    if (heads % gpus !== 0) {
      out.push(
        diag(GpuMessages.badOption, "--gpus", undefined, [
          `--gpus ${gpus} must divide the ${heads} query heads of '${n.id}' (tensor parallelism splits heads)`,
        ]),
      );
      break;
    }
  }
  return out;
}

export function lowerToKernels(
  mg: ModelGraph,
  options: LowerOptions,
): { kernels?: KernelList; diagnostics: Diagnostic[] } {
  const { gpus, sms } = options;
  if (!Number.isInteger(gpus) || gpus < 1 || gpus > MAX_GPUS) {
    const msg = `--gpus takes 1 to ${MAX_GPUS} (one NVLink node), got ${gpus}`;
    return { diagnostics: [diag(GpuMessages.badOption, "--gpus", undefined, [msg])] };
  }
  const facts = graphFacts(mg);
  const problems = checkHeads(facts, gpus);
  if (problems.length > 0) return { diagnostics: problems };
  const plan = planShards(facts, gpus, options.moe ?? "tensor");
  const { units, notes } = fuse(facts, plan);
  const kernels: Kernel[] = [];
  const gathered = new Set<string>();
  const fullBytes = (key: string): number => {
    const [node, out] = key.split(":") as [string, string | undefined];
    return tensorBytes(facts.node(node).outputs[Number(out ?? 0)]!);
  };
  for (const unit of units) {
    for (const id of unit.nodes) {
      for (const key of plan.gatherBefore(id)) {
        if (gathered.has(key)) continue;
        gathered.add(key);
        kernels.push({ kind: "allgather", name: `gather.${key}`, bytes: fullBytes(key), sources: [id] });
      }
    }
    const name = kernelName(facts, unit);
    kernels.push(unitKernel({ facts, plan, sms }, unit, name));
    for (const id of unit.nodes) {
      if (plan.allReduceAfter.has(id)) {
        kernels.push({ kind: "allreduce", name: `allreduce.${id}`, bytes: fullBytes(id), sources: [id] });
      }
    }
  }
  // Sharded model outputs are gathered at the end (vocabulary-parallel LM head).
  for (const key of [...facts.outputs].sort()) {
    if (plan.shard(key) > 1 && !gathered.has(key)) {
      kernels.push({
        kind: "allgather",
        name: `gather.${key}`,
        bytes: fullBytes(key),
        sources: [key.split(":")[0]!],
      });
    }
  }
  const batch = mg.constants.batch ?? 1;
  const seq = mg.constants.seq ?? 1;
  return {
    kernels: { model: mg.name, gpus, batch, seq, kernels, notes: [...notes, ...plan.notes] },
    diagnostics: [],
  };
}
