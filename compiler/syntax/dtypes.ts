// Dtype words: recognising them, and the near-miss hint for a misspelt one (`fp61` -> did you mean 'fp16'?).
import { didYouMean } from "../../util/suggest.ts";
import { DTYPES, type DType } from "../graph/ir.ts";

const DTYPE_SET: ReadonlySet<string> = new Set(DTYPES);

export function isDType(name: string): name is DType {
  return DTYPE_SET.has(name);
}

/** The closest dtype; swapped digits (`fp61`, `bf61`) count as one edit in the shared distance. */
export function dtypeHint(name: string): string | undefined {
  return didYouMean(name, DTYPES);
}
