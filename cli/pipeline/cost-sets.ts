// `lpu compare --cost-set` keys -> one set of overrides per machine. A plain key (`usd_per_kwh=0.08`) applies to
// both machines; `lpu.KEY` or `gpu.KEY` to one. Guarantees: every key lands in exactly one or both sides, never
// dropped; a machine's own key wins over a plain one; an unknown prefix is left on the key so the cost model reports it as an unknown setting.

export interface SplitSets {
  readonly lpu: Record<string, string>;
  readonly gpu: Record<string, string>;
}

export function splitCostSets(sets: Readonly<Record<string, string>>): SplitSets {
  const lpu: Record<string, string> = {};
  const gpu: Record<string, string> = {};
  const keys = Object.keys(sets).sort();
  const sided = (k: string) => k.startsWith("lpu.") || k.startsWith("gpu.");
  // Plain keys first, so a machine's own `lpu.KEY` / `gpu.KEY` wins over a plain KEY given for both.
  for (const key of keys.filter((k) => !sided(k))) {
    lpu[key] = sets[key]!;
    gpu[key] = sets[key]!;
  }
  for (const key of keys.filter(sided)) (key.startsWith("lpu.") ? lpu : gpu)[key.slice(4)] = sets[key]!;
  return { lpu, gpu };
}
