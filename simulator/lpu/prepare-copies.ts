// The queues a copy runs, found once for all copies that share them (prepare.ts). In: the program's chips, the
// machine. Out: queue keys and orders, each copy's list of its original's queues, and for each such list what every
// copy running it shares per queue (name, slice position, order, columns, shared list number), so that preparing
// hundreds of stamped copies costs an object per queue and no lookups by key.
import type { InstColumns, Program, QueueProgram } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { QUEUE_KIND_ORDER, queuePosition } from "../../arch/presets.ts";

/** Each unit kind's place in QUEUE_KIND_ORDER (a map: looked up for every queue of every chip). */
const KIND_ORDER = new Map<string, number>(QUEUE_KIND_ORDER.map((k, i) => [k, i]));

export function queueOrder(kind: string, index: number): number {
  return (KIND_ORDER.get(kind) ?? -1) * 1_000_000 + index;
}

/** A queue's key within a chip, one to one with its name: a number for every queue a machine can have, so that a
 * chip's hundred queues make no string each; the name itself for anything else (a fault, told from the others). */
export function queueKey(kind: string, index: number): number | string {
  const order = KIND_ORDER.get(kind);
  return Number.isInteger(index) && index >= 0 && index < 1_000_000 && order !== undefined
    ? order * 1_000_000 + index
    : `${kind}${index}`;
}

/**
 * The queues of its original that a copy runs (all but those it lists itself, which replace the original's of the
 * same name), in the original's order: found once for each original and set of the copy's own queues (hundreds of
 * copies of a stamped program share a few such sets), not once per copy and again per queue.
 */
export function copiedQueues(
  byChip: ReadonlyMap<number, Program["chips"][number]>,
): (c: Program["chips"][number]) => readonly QueueProgram[] {
  /** Per original chip: its queues' keys, and the lists already found, by the copy's own keys (as JSON). */
  const keysOf = new Map<number, (number | string)[]>();
  const found = new Map<number, Map<string, QueueProgram[]>>();
  return (c) => {
    const original = byChip.get(c.copyOf!.chip)!;
    const own = c.queues.map((q) => queueKey(q.queue.kind, q.queue.index));
    const sig = JSON.stringify(own);
    let lists = found.get(original.chip);
    if (!lists) {
      lists = new Map();
      found.set(original.chip, lists);
      keysOf.set(
        original.chip,
        original.queues.map((q) => queueKey(q.queue.kind, q.queue.index)),
      );
    }
    let copied = lists.get(sig);
    if (!copied) {
      const mine = new Set(own);
      const keys = keysOf.get(original.chip)!;
      copied = original.queues.filter((_, k) => !mine.has(keys[k]!));
      lists.set(sig, copied);
    }
    return copied;
  };
}

/** What every copy that runs a list of copied queues shares of one of them. */
export interface CopiedQueue {
  readonly q: QueueProgram;
  readonly name: string;
  readonly position: number;
  readonly order: number;
  readonly list: InstColumns;
  /** Its number among the shared lists (prepare's copiedLists; every copied queue's list is one). */
  readonly listNumber: number;
}

/** Slice position and name by queue key (queueKey; the same for every chip), each found once: a chip's hundred
 * queues look them up instead of making a string each. */
export class QueueFacts {
  private readonly names = new Map<number | string, string>();
  private readonly positions = new Map<number | string, number | undefined>();

  constructor(private readonly m: Machine) {}

  name(key: number | string, queue: { kind: string; index: number }): string {
    let name = this.names.get(key);
    if (name === undefined) {
      name = `${queue.kind}${queue.index}`;
      this.names.set(key, name);
    }
    return name;
  }

  /** Undefined for a queue the machine does not have. */
  position(key: number | string, queue: QueueProgram["queue"]): number | undefined {
    let position = this.positions.get(key);
    if (position === undefined && !this.positions.has(key)) {
      position = queuePosition(this.m, queue);
      this.positions.set(key, position);
    }
    return position;
  }
}

/**
 * The shared part of each queue of `copied` (copiedQueues), or undefined when one has no slice position or two have
 * the same key: such a list is prepared queue by queue, which reports the fault. A copy's own queues never have the
 * key of a copied one (copiedQueues leaves those out), so only own queues need checking against each other.
 */
export function copiedTemplate(
  copied: readonly QueueProgram[],
  facts: QueueFacts,
  columnsOf: (q: QueueProgram) => InstColumns,
  copiedLists: ReadonlyMap<InstColumns, number>,
): CopiedQueue[] | undefined {
  const seen = new Set<number | string>();
  const out: CopiedQueue[] = [];
  for (const q of copied) {
    const key = queueKey(q.queue.kind, q.queue.index);
    const name = facts.name(key, q.queue);
    const position = facts.position(key, q.queue);
    if (position === undefined || seen.has(key)) return undefined;
    seen.add(key);
    const list = columnsOf(q);
    const listNumber = copiedLists.get(list);
    if (listNumber === undefined) throw new Error("internal error: a copied queue's list is not numbered");
    out.push({ q, name, position, order: queueOrder(q.queue.kind, q.queue.index), list, listNumber });
  }
  return out;
}
