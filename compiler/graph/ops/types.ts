// The shape of an op definition in the registry: operand count, attribute parsing, shape/dtype inference and cost
// formulas. Problems with user input are returned as data (OpProblem), never thrown; the builder gives them a span.
import type { MessageDef } from "../../../util/diagnostics.ts";
import type { DType, Op, OpKind, TensorType } from "../ir.ts";
import { ATTRIBUTE_TYPE, MISSING_ATTRIBUTE, UNKNOWN_CONSTANT } from "../messages.ts";

/** The kinds a model calls by name; `input`, `param`, `state` and `output` are declarations, not calls. */
export type ComputeKind = Exclude<OpKind, "input" | "param" | "state" | "output">;
export type OpOf<K extends OpKind> = Extract<Op, { readonly kind: K }>;

/** An evaluated attribute value. A `word` is a name that is not a constant (`act=silu`); `hint` is its near miss. */
export type AttrValue =
  | { readonly kind: "int"; readonly value: number }
  | { readonly kind: "float"; readonly value: number }
  | { readonly kind: "bool"; readonly value: boolean }
  | { readonly kind: "dtype"; readonly value: DType }
  | { readonly kind: "word"; readonly name: string; readonly hint?: string }
  | { readonly kind: "list"; readonly items: readonly AttrValue[] };

/** A mistake in an op call. `at` says what to point at: an operand by index or an attribute by name. */
export interface OpProblem {
  readonly def: MessageDef;
  readonly args: readonly (string | number)[];
  readonly hint?: string;
  readonly at?: { readonly operand: number } | { readonly attr: string };
}

export type Inferred = { readonly outputs: readonly TensorType[] } | { readonly problem: OpProblem };

export interface OpDef<K extends ComputeKind> {
  readonly kind: K;
  /** Operand count bounds (inclusive); `max` may be Infinity (concat). */
  readonly operands: { readonly min: number; readonly max: number };
  readonly attributes: readonly string[];
  /** Reads the attributes with their defaults (docs/language.md). Operand types are given for defaults that
   *  depend on them (attention's scale); they are not checked here. Problems go to the reader. */
  parse(a: AttrReader, inputs: readonly TensorType[]): OpOf<K>;
  infer(op: OpOf<K>, inputs: readonly TensorType[]): Inferred;
  /** Arithmetic operations of one execution; a multiply-accumulate counts 2. See stats.ts for the definition. */
  flops(op: OpOf<K>, inputs: readonly TensorType[], outputs: readonly TensorType[]): number;
  /** Bytes actually read from operand `index` when it is a weight; omitted means all of it. */
  weightBytes?(op: OpOf<K>, inputs: readonly TensorType[], index: number): number;
  /** Bytes written into persistent state besides the results (attention appends new keys and values). */
  stateBytesWritten?(op: OpOf<K>, inputs: readonly TensorType[]): number;
  /** True when the result is a view of the operand, so no data moves (reshape). */
  readonly view?: boolean;
}

export function problem(def: MessageDef, args: readonly (string | number)[], at?: OpProblem["at"]): Inferred {
  return { problem: { def, args, at } };
}

export function ok(...outputs: TensorType[]): Inferred {
  return { outputs };
}

function describe(v: AttrValue): string {
  switch (v.kind) {
    case "int":
    case "float":
      return String(v.value);
    case "bool":
      return String(v.value);
    case "dtype":
      return v.value;
    case "word":
      return `'${v.name}'`;
    case "list":
      return "a list";
  }
}

/**
 * Typed access to a call's attributes with defaults. A missing or mistyped attribute records a problem and returns
 * the fallback (or a harmless placeholder), so one call can report every attribute mistake at once.
 */
export class AttrReader {
  readonly problems: OpProblem[] = [];
  constructor(
    private readonly op: string,
    private readonly values: ReadonlyMap<string, AttrValue>,
  ) {}

  private get(name: string, fallback: unknown): AttrValue | undefined {
    const v = this.values.get(name);
    if (v === undefined && fallback === undefined) {
      this.problems.push({ def: MISSING_ATTRIBUTE, args: [this.op, name] });
    }
    return v;
  }

  private wrong(name: string, expected: string, v: AttrValue): void {
    if (v.kind === "word") {
      this.problems.push({ def: UNKNOWN_CONSTANT, args: [v.name], hint: v.hint, at: { attr: name } });
    } else {
      this.problems.push({
        def: ATTRIBUTE_TYPE,
        args: [this.op, name, `${expected}, got ${describe(v)}`],
        at: { attr: name },
      });
    }
  }

  int(name: string, fallback?: number): number {
    const v = this.get(name, fallback);
    if (v === undefined) return fallback ?? 0;
    if (v.kind === "int") return v.value;
    this.wrong(name, "an integer", v);
    return fallback ?? 0;
  }

  number(name: string, fallback?: number): number {
    const v = this.get(name, fallback);
    if (v === undefined) return fallback ?? 1;
    if (v.kind === "int" || v.kind === "float") return v.value;
    this.wrong(name, "a number", v);
    return fallback ?? 1;
  }

  bool(name: string, fallback?: boolean): boolean {
    const v = this.get(name, fallback);
    if (v === undefined) return fallback ?? false;
    if (v.kind === "bool") return v.value;
    this.wrong(name, "true or false", v);
    return fallback ?? false;
  }

  dtype(name: string, fallback?: DType): DType {
    const v = this.get(name, fallback);
    if (v === undefined) return fallback ?? "fp32";
    if (v.kind === "dtype") return v.value;
    this.wrong(name, "a dtype", v);
    return fallback ?? "fp32";
  }

  ints(name: string, fallback?: readonly number[]): readonly number[] {
    const v = this.get(name, fallback);
    if (v === undefined) return fallback ?? [];
    if (v.kind === "list") {
      const out: number[] = [];
      for (const item of v.items) {
        if (item.kind !== "int") {
          this.wrong(name, "a list of integers", item);
          return fallback ?? [];
        }
        out.push(item.value);
      }
      return out;
    }
    this.wrong(name, "a list of integers", v);
    return fallback ?? [];
  }

  word<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const v = this.get(name, fallback);
    if (v === undefined) return fallback;
    if (v.kind === "word" && (choices as readonly string[]).includes(v.name)) return v.name as T;
    this.problems.push({
      def: ATTRIBUTE_TYPE,
      args: [this.op, name, `one of ${choices.join(", ")}, got ${describe(v)}`],
      at: { attr: name },
    });
    return fallback;
  }
}
