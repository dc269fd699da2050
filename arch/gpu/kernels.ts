// The GPU kernel list: the hand-off from the compiler's GPU lowering to the GPU simulator, as the ISA is for the LPU.
// Contract: kernels run in list order on one stream per GPU; every number is per GPU (tensor-parallel shards already
// divided); bytes count each tensor once per kernel (what a roofline counts); a collective waits for every GPU.
import type { DType } from "../../compiler/graph/ir.ts";

/** What a tensor is, which decides whether it can stay in L2 between passes. */
export type TensorRole = "weight" | "kv" | "activation" | "workspace";

export interface TensorAccess {
  /** Stable tensor name (the graph value it comes from); the simulator's L2 tracks residency by this name. */
  readonly tensor: string;
  readonly bytes: number;
  readonly role: TensorRole;
}

/** Which kind of kernel, for printing and for occupancy. */
export type ComputeClass =
  | "gemm"
  | "attention"
  | "norm"
  | "elementwise"
  | "embedding"
  | "softmax"
  | "topk"
  | "moe";

export interface ComputeKernel {
  readonly kind: "compute";
  readonly name: string;
  readonly class: ComputeClass;
  /** Tensor-core work (multiply-accumulates) and its input dtype; vector work in fp32 operations. */
  readonly macs: number;
  readonly macDtype: DType;
  readonly vectorFlops: number;
  readonly reads: readonly TensorAccess[];
  readonly writes: readonly TensorAccess[];
  /** Thread blocks, and how many can sit on one SM at once. */
  readonly grid: number;
  readonly blocksPerSm: number;
  /** Graph node ids fused into this kernel, in graph order. */
  readonly sources: readonly string[];
}

export interface CollectiveKernel {
  readonly kind: "allreduce" | "allgather";
  readonly name: string;
  /** Bytes of the full (reduced or gathered) tensor on each GPU. */
  readonly bytes: number;
  readonly sources: readonly string[];
}

export type Kernel = ComputeKernel | CollectiveKernel;

export interface KernelList {
  readonly model: string;
  readonly gpus: number;
  /** Sequences in the batch and tokens each produces or consumes in this pass. */
  readonly batch: number;
  readonly seq: number;
  readonly kernels: readonly Kernel[];
  /** Lowering choices worth printing (fusions made, splits chosen). */
  readonly notes: readonly string[];
}

export function kernelFlops(k: Kernel): number {
  return k.kind === "compute" ? 2 * k.macs + k.vectorFlops : 0;
}

export function kernelBytes(k: Kernel): { read: number; written: number } {
  if (k.kind !== "compute") return { read: k.bytes, written: k.bytes };
  let read = 0;
  let written = 0;
  for (const r of k.reads) read += r.bytes;
  for (const w of k.writes) written += w.bytes;
  return { read, written };
}
