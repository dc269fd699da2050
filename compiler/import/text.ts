// Small printers shared by the importers: aligned `const` lines with comments, numbers the lexer reads back
// exactly, model names that are identifiers, and the pass sizes (batch, seq, ctx) every imported model declares.
import { type Diagnostic, diag } from "../../util/diagnostics.ts";
import { BAD_OPTION } from "./messages.ts";

/** One `const NAME = EXPR   # comment` line. */
export interface ConstLine {
  readonly name: string;
  readonly expr: string;
  readonly comment: string;
}

/** Const lines with their comments aligned in one column, so a reader can scan the sources. */
export function constLines(lines: readonly ConstLine[]): string[] {
  return aligned(lines.map((l) => [`const ${l.name} = ${l.expr}`, l.comment]));
}

/** Lines of code with trailing comments aligned in one column; an empty comment leaves the line bare. */
export function aligned(lines: readonly (readonly [code: string, comment: string])[]): string[] {
  const width = Math.max(...lines.filter(([, c]) => c !== "").map(([code]) => code.length));
  return lines.map(([code, c]) => (c === "" ? code : `${code.padEnd(width)}  # ${c}`));
}

/** Prefixes every line with "# " (an empty line becomes "#"). */
export function comment(lines: readonly string[]): string[] {
  return lines.map((l) => (l === "" ? "#" : `# ${l}`));
}

/** A number as the model language writes it: integers plainly, small values as 1e-5, the rest as JS prints them. */
export function formatNumber(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  if (x !== 0 && Math.abs(x) < 1e-3) return x.toExponential();
  return String(x);
}

// The language's keywords and dtype words (compiler/syntax/lexer.ts): never usable as a name.
const RESERVED = new Set([
  ...["model", "const", "input", "param", "state", "output", "block", "return", "repeat", "true", "false"],
  ...["int8", "fp8", "fp16", "bf16", "fp32", "int32"],
]);

/** A model name that is an identifier: lower case, runs of other characters become '_', never a leading digit. */
export function identifier(raw: string): string {
  const s = raw
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/^_+|_+$/g, "");
  if (s === "") return "imported";
  if (RESERVED.has(s)) return `${s}_model`;
  return /^[0-9]/.test(s) ? `m_${s}` : s;
}

/** The last part of a path ("meta-llama/Llama-2-7b-hf" -> "Llama-2-7b-hf"). */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/).filter((p) => p !== "");
  return parts[parts.length - 1] ?? path;
}

/** The user's name when it is already a usable identifier (case kept), else its identifier() form. */
export function givenName(raw: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(raw) && !RESERVED.has(raw) ? raw : identifier(raw);
}

/** The user's choices for the pass, validated. */
export interface PassOptions {
  readonly ctx?: number;
  readonly batch?: number;
  readonly seq?: number;
}

/** Reports any option that is not a positive whole number. */
export function checkPassOptions(opts: PassOptions, file: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const key of ["batch", "seq", "ctx"] as const) {
    const v = opts[key];
    if (v !== undefined && (!Number.isInteger(v) || v <= 0)) {
      out.push(diag(BAD_OPTION, file, undefined, [key, String(v)]));
    }
  }
  return out;
}

/** Longest KV cache a default import declares: keeps long-context configs (32k and more) at a modest cache. */
export const DEFAULT_CTX_CAP = 4096;

/** The default-ctx rule in one header line, so every imported file says how its ctx was chosen. */
export const CTX_RULE = `Default ctx: half the context window, at most ${DEFAULT_CTX_CAP}; the mean cache length of a generation that fills it.`;

/**
 * The pass sizes. Default: one decode step (seq = 1) of one sequence, with ctx = half the context window, at most
 * DEFAULT_CTX_CAP and at most a sliding attention window (the cache never holds more). Half the window is the mean
 * cache length over a generation that fills the window, so one step stands for the average step, and position
 * ctx is always inside the window.
 */
export function passConstLines(
  opts: PassOptions,
  window: { readonly positions: number; readonly field: string; readonly sliding?: number },
): ConstLine[] {
  let ctx: ConstLine;
  if (opts.ctx !== undefined) {
    ctx = {
      name: "ctx",
      expr: String(opts.ctx),
      comment: "tokens already in the KV cache (chosen at import)",
    };
  } else {
    const half = Math.max(1, Math.floor(window.positions / 2));
    const value = Math.min(half, DEFAULT_CTX_CAP, window.sliding ?? Number.POSITIVE_INFINITY);
    const why =
      value === window.sliding && value < Math.min(half, DEFAULT_CTX_CAP)
        ? `the sliding window`
        : value === half
          ? `half of ${window.field} (${window.positions})`
          : `half of ${window.field} (${window.positions}), at most ${DEFAULT_CTX_CAP}`;
    ctx = { name: "ctx", expr: String(value), comment: `tokens already in the KV cache: ${why}` };
  }
  return [
    { name: "batch", expr: String(opts.batch ?? 1), comment: "sequences decoded together" },
    {
      name: "seq",
      expr: String(opts.seq ?? 1),
      comment: (opts.seq ?? 1) === 1 ? "new tokens per sequence: one decode step" : "new tokens per sequence",
    },
    ctx,
  ];
}

/** The header lines saying which weights `--weight-dtype` changed (none without it) and which kept type `t`. */
export function weightDtypeNote(
  weightDtype: string | undefined,
  t: string,
  changed: string,
  kept: string,
): string[] {
  if (weightDtype === undefined) return [];
  return [
    `matmul weights ${weightDtype} (--weight-dtype ${weightDtype}): ${changed};`,
    `${kept} stay ${t}. The LPU keeps 8-bit weights 1 byte in SRAM and converts them`,
    "to the activations' type on their way to the MXM.",
  ];
}
