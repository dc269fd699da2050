// Name scopes of the graph builder: the top level, and one per block use ("layer.3"). A scope maps the user's names
// to values and hands out deterministic node ids: user names are prefixed with the scope path, unnamed calls get
// "<op>_<n>" (counted per op kind, skipping every name the user declares in the scope), and block uses get
// "<block>.<n>" (counted per block). A multi-result call (`q, k, v = split(...)`) is one node named by its first
// name; the others refer to its later results. Guarantee: two nodes never get the same id (see `id`).
import type { TensorType, ValueRef } from "./ir.ts";

/** A tensor value in scope: where it comes from and its type. */
export interface Value {
  readonly ref: ValueRef;
  readonly type: TensorType;
}

export class Scope {
  /** `undefined` marks a name whose definition failed: uses of it stay silent instead of cascading. */
  readonly values = new Map<string, Value | undefined>();
  private readonly opCounters = new Map<string, number>();
  private readonly blockCounters = new Map<string, number>();

  /**
   * @param prefix the block-use path, "" at top level
   * @param reserved every name the user declares in this scope, so synthesized ids avoid them
   * @param blocks the blocks being expanded, outermost first (recursion check and messages)
   */
  constructor(
    readonly prefix: string,
    readonly reserved: ReadonlySet<string>,
    readonly blocks: readonly string[],
  ) {}

  /**
   * The node id of a local name. User names contain no dots and block-use paths come in "<block>.<n>" pairs, so
   * ids of different scopes have different shapes and ids of one scope differ by their local name.
   */
  id(local: string): string {
    return this.prefix === "" ? local : `${this.prefix}.${local}`;
  }

  /** A fresh local name for an unnamed call of `op`: op_0, op_1, ... */
  fresh(op: string): string {
    let n = this.opCounters.get(op) ?? 0;
    while (this.reserved.has(`${op}_${n}`)) n++;
    this.opCounters.set(op, n + 1);
    return `${op}_${n}`;
  }

  /** The scope path of the next use of a block: "<prefix>.<block>.<n>". */
  nextUse(block: string): string {
    const n = this.blockCounters.get(block) ?? 0;
    this.blockCounters.set(block, n + 1);
    return this.id(`${block}.${n}`);
  }
}
