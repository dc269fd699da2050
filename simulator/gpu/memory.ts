// What one GPU's HBM must hold for a kernel list, and whether it fits. In: the per-GPU kernel list (tensor-parallel
// shards already divided) and the weights this GPU stores (the caller counts them from the model: a kernel reads
// only the embedding rows it looks up, so the list alone undercounts stored weights). Out: weights, KV cache and
// peak live activations in bytes, against the preset's HBM capacity.
// Guarantees: deterministic; every count comes from the list's tensor accesses, none is a guess of a framework's
// overhead (CUDA context, allocator slack and fragmentation are not modelled, so a real GPU fits a little less).
import type { KernelList } from "../../arch/gpu/kernels.ts";
import type { GpuPreset } from "../../arch/gpu/presets.ts";

export interface MemoryNeed {
  readonly weights: number;
  readonly kv: number;
  readonly activations: number;
  readonly total: number;
}

/** The preset's HBM in bytes: data sheets give decimal gigabytes (80 GB = 80e9 bytes, the conservative reading). */
export function hbmCapacityBytes(p: GpuPreset): number {
  return p.hbm.capacityGB * 1e9;
}

/** The KV cache on this GPU: each cache tensor once, at its largest access (attention reads the whole cache). */
export function kvCacheBytes(list: KernelList): number {
  const sizes = new Map<string, number>();
  for (const k of list.kernels) {
    if (k.kind !== "compute") continue;
    for (const a of [...k.reads, ...k.writes])
      if (a.role === "kv") sizes.set(a.tensor, Math.max(sizes.get(a.tensor) ?? 0, a.bytes));
  }
  let sum = 0;
  for (const b of sizes.values()) sum += b;
  return sum;
}

/**
 * The most activation bytes alive at once: a tensor lives from the first kernel that touches it to the last one
 * (a model input from the start, an output to the end), a split-K workspace within its kernel. An allocator that
 * frees each tensor after its last reader needs at least this much.
 */
export function peakActivationBytes(list: KernelList): number {
  const n = list.kernels.length;
  const span = new Map<
    string,
    { first: number; last: number; bytes: number; written: boolean; read: boolean }
  >();
  list.kernels.forEach((k, i) => {
    if (k.kind !== "compute") return;
    const touch = (tensor: string, bytes: number, write: boolean) => {
      const s = span.get(tensor);
      if (s) {
        s.last = i;
        s.bytes = Math.max(s.bytes, bytes);
        if (write) s.written = true;
        else s.read = true;
      } else span.set(tensor, { first: i, last: i, bytes, written: write, read: !write });
    };
    for (const r of k.reads)
      if (r.role === "activation" || r.role === "workspace") touch(r.tensor, r.bytes, false);
    for (const w of k.writes)
      if (w.role === "activation" || w.role === "workspace") touch(w.tensor, w.bytes, true);
  });
  // Live bytes per kernel by a difference array: +bytes where a tensor is born, -bytes after it dies.
  const delta = new Float64Array(n + 1);
  for (const s of span.values()) {
    // Read before any write in the list: a model input, there from the start. Never read: an output, kept.
    const first = s.read && !s.written ? 0 : s.first;
    const last = s.written && !s.read ? n - 1 : s.last;
    delta[first]! += s.bytes;
    delta[last + 1]! -= s.bytes;
  }
  let live = 0;
  let peak = 0;
  for (let i = 0; i < n; i++) {
    live += delta[i]!;
    peak = Math.max(peak, live);
  }
  return peak;
}

export function memoryNeed(list: KernelList, weightBytes: number): MemoryNeed {
  const kv = kvCacheBytes(list);
  const activations = peakActivationBytes(list);
  return { weights: weightBytes, kv, activations, total: weightBytes + kv + activations };
}
