// Typed reads of config.json fields: each read returns a value or records a diagnostic that names the field.
// Guarantee: a reader that reported no error returned only positive whole sizes and finite numbers.

import { type Diagnostic, diag, hasErrors } from "../../util/diagnostics.ts";
import type { DType } from "../graph/ir.ts";
import { BAD_FIELD, MISSING_FIELD, UNSUPPORTED_VALUE } from "./messages.ts";

/** A value read from the config and the comment that says where it came from. */
export interface Sourced<T> {
  readonly value: T;
  readonly source: string;
}

/** HuggingFace's torch_dtype (or, since transformers 4.56, `dtype`) names -> the language's dtypes. */
const TORCH_DTYPES: Readonly<Record<string, DType>> = {
  float16: "fp16",
  bfloat16: "bf16",
  float32: "fp32",
  float: "fp32",
  half: "fp16",
};

/**
 * Reads fields of one config object for one model family, collecting diagnostics. Required reads of a missing or
 * ill-typed field return 0 (or the fallback) so the caller can keep reading and report every problem at once;
 * the caller must check `failed` before using the values.
 */
export class ConfigFields {
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    private readonly config: Readonly<Record<string, unknown>>,
    /** Named in "missing field ... (needed for llama)". */
    private readonly family: string,
    private readonly file: string,
  ) {}

  get failed(): boolean {
    return hasErrors(this.diagnostics);
  }

  /** HuggingFace writes `null` for "not set, derive it"; a null field counts as missing. */
  has(field: string): boolean {
    return this.config[field] !== undefined && this.config[field] !== null;
  }

  raw(field: string): unknown {
    return this.config[field];
  }

  /** A required positive whole number (a size or a count). */
  size(field: string): Sourced<number> {
    if (!this.has(field)) {
      this.report(diag(MISSING_FIELD, this.file, undefined, [field, this.family]));
      return { value: 0, source: field };
    }
    return { value: this.checkSize(field), source: field };
  }

  /** An optional positive whole number; undefined when absent or null. */
  optionalSize(field: string): number | undefined {
    return this.has(field) ? this.checkSize(field) : undefined;
  }

  /** An optional positive finite number (eps, rope base), else the family's default, named in the comment. */
  positive(field: string, fallback: number, defaultFrom: string): Sourced<number> {
    if (!this.has(field)) return { value: fallback, source: `${field} missing: ${defaultFrom} default` };
    const v = this.config[field];
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      this.bad(field, "a positive number", v);
      return { value: fallback, source: field };
    }
    return { value: v, source: field };
  }

  /** An optional boolean, else the family's default. */
  flag(field: string, fallback: boolean, defaultFrom: string): Sourced<boolean> {
    if (!this.has(field)) return { value: fallback, source: `${field} missing: ${defaultFrom} default` };
    const v = this.config[field];
    if (typeof v !== "boolean") {
      this.bad(field, "true or false", v);
      return { value: fallback, source: field };
    }
    return { value: v, source: field };
  }

  /** An optional string from a fixed set, else the fallback. */
  choice<T extends string>(
    field: string,
    allowed: Readonly<Record<string, T>>,
    fallback: T,
    defaultFrom: string,
  ): Sourced<T> {
    if (!this.has(field)) return { value: fallback, source: `${field} missing: ${defaultFrom} default` };
    const v = this.config[field];
    if (typeof v !== "string") {
      this.bad(field, "a string", v);
      return { value: fallback, source: field };
    }
    const mapped = Object.hasOwn(allowed, v) ? allowed[v] : undefined;
    if (mapped === undefined) {
      const supported = Object.keys(allowed).sort().join(", ");
      this.report(
        diag(UNSUPPORTED_VALUE, this.file, undefined, [field, JSON.stringify(v), `supported: ${supported}`]),
      );
      return { value: fallback, source: field };
    }
    return { value: mapped, source: `${field} = ${JSON.stringify(v)}` };
  }

  /** The weights' dtype: `torch_dtype`, or `dtype` in newer configs; fp16 when neither is given (an assumption). */
  dtype(): Sourced<DType> {
    const field = this.has("torch_dtype") || !this.has("dtype") ? "torch_dtype" : "dtype";
    if (!this.has(field)) return { value: "fp16", source: "torch_dtype missing: fp16 assumed for inference" };
    return this.choice(field, TORCH_DTYPES, "fp16", "");
  }

  report(d: Diagnostic): void {
    this.diagnostics.push(d);
  }

  private checkSize(field: string): number {
    const v = this.config[field];
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
      this.bad(field, "a positive whole number", v);
      return 0;
    }
    return v;
  }

  private bad(field: string, expected: string, got: unknown): void {
    this.report(diag(BAD_FIELD, this.file, undefined, [field, expected, describe(got)]));
  }
}

/** A short, stable rendering of a JSON value for messages. */
export function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
