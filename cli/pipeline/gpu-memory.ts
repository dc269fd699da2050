// The GPU memory-capacity check of `lpu gpu`, `lpu compare` and `lpu sweep`: a model graph lowered for `gpus` GPUs
// -> the bytes one GPU must hold (weights it stores, KV cache, peak live activations) against its HBM, and when
// they do not fit, an LPU7008 diagnostic naming both and the smallest GPU count that does fit (if any up to 8).
// Lives in cli/ because it reads both the model graph (stored weights, the shard plan) and the simulator's sums.

import type { KernelList } from "../../arch/gpu/kernels.ts";
import { GpuMessages } from "../../arch/gpu/messages.ts";
import type { GpuPreset } from "../../arch/gpu/presets.ts";
import { lowerToKernels, MAX_GPUS } from "../../compiler/gpu/lower.ts";
import { planShards } from "../../compiler/gpu/shard.ts";
import { graphFacts } from "../../compiler/gpu/walk.ts";
import { type ModelGraph, tensorBytes } from "../../compiler/graph/ir.ts";
import { hbmCapacityBytes, type MemoryNeed, memoryNeed } from "../../simulator/gpu/memory.ts";
import { type Diagnostic, diag } from "../../util/diagnostics.ts";

/**
 * Weights one GPU stores: a weight every reader of which splits it (a column- or row-parallel GEMM, Megatron; a
 * tensor-parallel moe, each GPU holding 1/N of every expert) is split over the GPUs (ShardPlan.weightSplit); any
 * other (norms, biases, embeddings, an MoE router) is whole on each.
 */
export function storedWeightBytes(graph: ModelGraph, gpus: number): number {
  const facts = graphFacts(graph);
  const plan = planShards(facts, gpus);
  let sum = 0;
  for (const n of facts.order) {
    if (n.op.kind !== "param") continue;
    sum += tensorBytes(n.outputs[0]!) / plan.weightSplit(n.id);
  }
  return sum;
}

export interface MemoryFit {
  readonly need: MemoryNeed;
  readonly capacity: number;
  readonly fits: boolean;
}

export function gpuMemoryFit(graph: ModelGraph, list: KernelList, preset: GpuPreset): MemoryFit {
  const need = memoryNeed(list, storedWeightBytes(graph, list.gpus));
  const capacity = hbmCapacityBytes(preset);
  return { need, capacity, fits: need.total <= capacity };
}

/** The fewest GPUs (up to one NVLink node) the model lowers for and fits on; undefined when none does. */
export function smallestFittingGpus(graph: ModelGraph, preset: GpuPreset): number | undefined {
  for (let gpus = 1; gpus <= MAX_GPUS; gpus++) {
    const lowered = lowerToKernels(graph, { gpus, sms: preset.sms });
    if (!lowered.kernels) continue; // e.g. the heads do not split over this count
    if (gpuMemoryFit(graph, lowered.kernels, preset).fits) return gpus;
  }
  return undefined;
}

const GB = (bytes: number): string => `${(bytes / 1e9).toFixed(2)} GB`;
const exact = (bytes: number): string => Math.round(bytes).toLocaleString("en-US");

/** LPU7008 when the lowered model does not fit its GPUs' HBM, else undefined. `batchNote` says where the batch
 * came from when the user did not set it (continuous batching). */
export function memoryDiagnostic(
  file: string,
  graph: ModelGraph,
  list: KernelList,
  preset: GpuPreset,
  batchNote = "",
): Diagnostic | undefined {
  const fit = gpuMemoryFit(graph, list, preset);
  if (fit.fits) return undefined;
  const n = fit.need;
  const c = graph.constants;
  const at = `batch ${c.batch ?? 1}${batchNote}${c.ctx !== undefined ? `, ctx ${c.ctx}` : ""}`;
  const parts = `weights ${GB(n.weights)} + KV cache ${GB(n.kv)} + activations ${GB(n.activations)}, at ${at}`;
  const smallest = smallestFittingGpus(graph, preset);
  const most = storedWeightBytes(graph, MAX_GPUS);
  const hint =
    smallest !== undefined
      ? `the smallest GPU count that fits: --gpus ${smallest}`
      : most > fit.capacity
        ? `no GPU count from 1 to ${MAX_GPUS} fits: even on ${MAX_GPUS} GPUs the weights alone take ${GB(most)} per GPU ` +
          "(norms, embeddings and MoE routers are whole on every GPU)"
        : `no GPU count from 1 to ${MAX_GPUS} fits at this batch and ctx; try smaller ones (--set)`;
  return diag(
    GpuMessages.doesNotFit,
    file,
    undefined,
    [
      `${list.gpus} x ${preset.name}`,
      `${exact(n.total)} bytes (${GB(n.total)})`,
      parts,
      `${exact(fit.capacity)} bytes (${GB(fit.capacity)})`,
    ],
    hint,
  );
}
