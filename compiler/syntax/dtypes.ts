// Dtype words: recognising them, and the near-miss hint for a misspelt one (`fp61` -> did you mean 'fp16'?).
import { editDistance } from "../../util/suggest.ts";
import { DTYPES, type DType } from "../graph/ir.ts";

const DTYPE_SET: ReadonlySet<string> = new Set(DTYPES);

export function isDType(name: string): name is DType {
  return DTYPE_SET.has(name);
}

/**
 * The closest dtype, counting a swap of two neighbouring characters as one edit: dtype typos are mostly swapped
 * digits (`fp61`, `bf61`), which plain edit distance counts as two and the shared `didYouMean` then rejects.
 */
export function dtypeHint(name: string): string | undefined {
  const lower = name.toLowerCase();
  let best: DType | undefined;
  let bestD = 3;
  for (const d of [...DTYPES].sort()) {
    const dist = Math.min(editDistance(lower, d, 2), isOneSwapAway(lower, d) ? 1 : 3);
    if (dist < bestD) {
      best = d;
      bestD = dist;
    }
  }
  return best === undefined ? undefined : `did you mean '${best}'?`;
}

function isOneSwapAway(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const diff: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diff.push(i);
  return (
    diff.length === 2 &&
    diff[1] === diff[0]! + 1 &&
    a[diff[0]!] === b[diff[1]!] &&
    a[diff[1]!] === b[diff[0]!]
  );
}
