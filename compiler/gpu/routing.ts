// What a batch's MoE routing costs, in expectation, under uniform routing (an assumption: every token's k experts
// are a uniformly random k-subset of E; real routers are skewed and the real counts depend on the data).
// In: experts E, picks per token k, tokens T, and for expert parallelism the GPU count N. Out: expected counts.
// Guarantees: deterministic (a sampled expectation uses a fixed seed); exact for small batches.
import { Rng } from "../../util/random.ts";

/**
 * Expected number of distinct experts T tokens touch. An expert is missed by one token with chance 1 - k/E, so it
 * is touched with chance 1 - (1 - k/E)^T: exactly k for one token, approaching min(E, T x k) (the upper bound that
 * graph stats count) from below.
 */
export function expectedExpertsTouched(experts: number, k: number, tokens: number): number {
  return experts * (1 - (1 - Math.min(k, experts) / experts) ** tokens);
}

/** The most loaded GPU's share of an expert-parallel MoE layer: experts it touches and routes it serves. */
export interface BusiestGpu {
  readonly experts: number;
  readonly routes: number;
}

/** Routings enumerated exactly up to this many (C(E, k)^T: Mixtral's 28 subsets for one token, 784 for two). */
const MAX_EXACT = 1 << 16;
/** Samples in the estimate, and at most this many token picks over all samples (prefill batches are large). */
const MAX_SAMPLES = 16384;
const MAX_PICKS = 4_000_000;
const SEED = 0x6d6f65; // "moe": fixed, so the kernel list is the same every time

/**
 * Expert parallelism places experts [g E/N, (g + 1) E/N) on GPU g (contiguous, vLLM's default linear placement).
 * Every GPU then waits, at the all-reduce after the experts, for the busiest one, so the kernel a GPU runs is the
 * expected maximum over GPUs of the experts touched and of the routes served (each maximised on its own: an upper
 * bound when the two maxima fall on different GPUs). No closed form: every routing is enumerated when there are at
 * most 65,536 (one or two decode tokens for Mixtral), else estimated from up to 16,384 seeded samples of it (the
 * standard error is under 0.5% of E/N for Mixtral's sizes).
 */
export function busiestGpuLoad(experts: number, k: number, tokens: number, gpus: number): BusiestGpu {
  // A pure function of its arguments, asked once per MoE layer with the same ones: remembered.
  const key = `${experts},${k},${tokens},${gpus}`;
  const known = remembered.get(key);
  if (known) return known;
  const load = computeBusiest(experts, k, tokens, gpus);
  remembered.set(key, load);
  return load;
}

const remembered = new Map<string, BusiestGpu>();

function computeBusiest(experts: number, k: number, tokens: number, gpus: number): BusiestGpu {
  const picks = Math.min(k, experts);
  const subsets = kSubsets(experts, picks);
  if (subsets.length ** tokens <= MAX_EXACT) return exactBusiest(subsets, experts, tokens, gpus);
  const perGpu = experts / gpus;
  const samples = Math.max(64, Math.min(MAX_SAMPLES, Math.floor(MAX_PICKS / Math.max(1, tokens * picks))));
  const rng = new Rng(SEED);
  const touched = new Uint8Array(experts);
  const routes = new Float64Array(gpus);
  const expertsOn = new Float64Array(gpus);
  const pool = Array.from({ length: experts }, (_, e) => e);
  let sumExperts = 0;
  let sumRoutes = 0;
  for (let s = 0; s < samples; s++) {
    touched.fill(0);
    routes.fill(0);
    expertsOn.fill(0);
    for (let t = 0; t < tokens; t++) {
      // A uniform k-subset: the first k places of a partial Fisher-Yates shuffle.
      for (let j = 0; j < picks; j++) {
        const i = rng.int(j, experts);
        const e = pool[i]!;
        pool[i] = pool[j]!;
        pool[j] = e;
        const g = Math.floor(e / perGpu);
        routes[g]! += 1;
        if (touched[e] === 0) {
          touched[e] = 1;
          expertsOn[g]! += 1;
        }
      }
    }
    let maxExperts = 0;
    let maxRoutes = 0;
    for (let g = 0; g < gpus; g++) {
      maxExperts = Math.max(maxExperts, expertsOn[g]!);
      maxRoutes = Math.max(maxRoutes, routes[g]!);
    }
    sumExperts += maxExperts;
    sumRoutes += maxRoutes;
  }
  return { experts: sumExperts / samples, routes: sumRoutes / samples };
}

/** Every k-subset of [0, E), in lexicographic order. */
function kSubsets(experts: number, k: number): number[][] {
  const out: number[][] = [];
  const pick = (from: number, chosen: number[]): void => {
    if (chosen.length === k) {
      out.push([...chosen]);
      return;
    }
    for (let e = from; e <= experts - (k - chosen.length); e++) pick(e + 1, [...chosen, e]);
  };
  pick(0, []);
  return out;
}

/** The expectation over every routing of T tokens, each equally likely. */
function exactBusiest(subsets: number[][], experts: number, tokens: number, gpus: number): BusiestGpu {
  const perGpu = experts / gpus;
  const touched = new Int32Array(experts);
  const routes = new Float64Array(gpus);
  let sumExperts = 0;
  let sumRoutes = 0;
  let count = 0;
  const walk = (t: number): void => {
    if (t === tokens) {
      const expertsOn = new Float64Array(gpus);
      for (let e = 0; e < experts; e++) if (touched[e]! > 0) expertsOn[Math.floor(e / perGpu)]! += 1;
      sumExperts += Math.max(...expertsOn);
      sumRoutes += Math.max(...routes);
      count++;
      return;
    }
    for (const set of subsets) {
      for (const e of set) {
        touched[e]! += 1;
        routes[Math.floor(e / perGpu)]! += 1;
      }
      walk(t + 1);
      for (const e of set) {
        touched[e]! -= 1;
        routes[Math.floor(e / perGpu)]! -= 1;
      }
    }
  };
  walk(0);
  return { experts: sumExperts / count, routes: sumRoutes / count };
}
