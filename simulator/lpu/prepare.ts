// Checks a program against a machine before it runs, and numbers its instructions. In: Program, Machine. Out: per
// chip the queues (with slice positions) and instruction records, the link wiring, and every fault that can be
// seen without running (unknown queues, links out of range, data beyond a slice, and, unless the caller checks them
// later, each instruction's own: static-faults.ts). A program with such faults is not run: the simulator trusts
// nothing it was given. Encoding the instructions into the typed arrays the simulator runs (code.ts) is left to
// whoever runs them: the exact engine encodes the whole program, the fast path a block of a queue at a time (a
// program of millions of instructions then never holds its whole encoding, whose size would start a full
// collection of the Program's object graph). A chip that copies another (ChipProgram.copyOf) gets queues of its own,
// with their own ids, whose `source` is the original's list and whose `shift` is added to every issue cycle: no
// instruction is written out, yet each is checked and run on the copy's own state.

import { placedAt as placedOfRow } from "../../arch/columns.ts";
import { columnsOf as columnsOfQueue } from "../../arch/columns-build.ts";
import { copyProblems } from "../../arch/copies.ts";
import {
  ELEM_BYTES,
  type InstColumns,
  type Placed,
  type Program,
  type QueueProgram,
  type UnitKind,
} from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { memSlices } from "../../arch/machine.ts";
import { Interner } from "../../util/interner.ts";
import { Code, type Columns } from "./code.ts";
import { encode } from "./encode.ts";
import type { Hazard, InstRecord } from "./hazards.ts";
import { SimColumns } from "./one-shape.ts";
import {
  type CopiedQueue,
  copiedQueues,
  copiedTemplate,
  QueueFacts,
  queueKey,
  queueOrder,
} from "./prepare-copies.ts";
import { type CheckedQueue, InstructionCheck } from "./static-faults.ts";

export interface PreparedQueue extends CheckedQueue {
  /** Number of the queue across all chips (its index in Prepared.queues; code.queue holds it). */
  readonly serial: number;
  readonly chip: number;
  readonly name: string;
  readonly kind: UnitKind;
  readonly index: number;
  readonly order: number;
  readonly position: number;
  /** Its instructions are ids base .. base + source.count - 1. */
  readonly base: number;
  /** The instructions as the program's columns give them: for a copied queue, its original's (shared, not
   * shifted). */
  readonly source: InstColumns;
  /** Cycles added to every explicit issue cycle of `source` (a copy's shift; 0 for a chip's own queues). */
  readonly shift: number;
  /** Whether another queue runs the same `source` (an original that is copied, or a copy): the fast path then
   * checks and encodes it once for all of them (fast/shared-code.ts). */
  readonly shared: boolean;
  /** The number of its `source` among the shared lists (0 .. Prepared.sharedLists - 1), or -1 when not shared: the
   * fast path's tables by list are arrays, not maps keyed by the list object (looked up per queue of every chip). */
  readonly list: number;
}

/** Instruction k of `q` as an object, with its issue cycle as the queue runs it (shifted for a copy): for reports. */
export function placedAt(q: PreparedQueue, k: number): Placed {
  return placedOfRow(q.source, k, q.shift);
}

export interface PreparedChip {
  readonly chip: number;
  readonly queues: PreparedQueue[];
  readonly source: Program["chips"][number];
}

export interface Prepared {
  readonly chips: PreparedChip[];
  readonly faults: Hazard[];
  readonly instructionCount: number;
  /** Lists of instructions that several queues run (PreparedQueue.list). */
  readonly sharedLists: number;
  /** Every queue that runs, in id order (code.queue indexes it). */
  readonly queues: PreparedQueue[];
  readonly tokens: Interner;
  readonly maps: Interner;
  /** The record of an instruction id (one object per id). */
  readonly record: (id: number) => InstRecord;
}

/** The queue (index in `queues`, which are in id order) that holds instruction `id`. */
export function queueOfId(queues: readonly PreparedQueue[], id: number): number {
  let lo = 0;
  let hi = queues.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (queues[mid]!.base <= id) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Encodes the instructions of `queues` (each a run of consecutive ids) into `code`, instruction id `id` at row
 * `id - first`. The whole program (first 0) for the exact engine; one chip's ids for the fast path. Returns whether
 * every number the fast path reads fits a 32-bit integer.
 */
export function encodeQueues(
  code: Columns,
  first: number,
  queues: readonly PreparedQueue[],
  m: Machine,
  tokens: Interner,
  maps: Interner,
): boolean {
  let fits = true;
  for (const q of queues) {
    const src = q.source;
    const row0 = q.base - first;
    for (let k = 0; k < src.count; k++)
      if (!encode(code, row0 + k, q.serial, src, k, q.shift, m, tokens, maps)) fits = false;
  }
  return fits;
}

/** The whole program encoded (rows are instruction ids). */
export function encodeProgram(p: Prepared, m: Machine): Code {
  const code = new Code(p.instructionCount);
  encodeQueues(code, 0, p.queues, m, p.tokens, p.maps);
  return code;
}

/**
 * Checks and numbers the program. With `checkInstructions` false, only the chips, queues, wires, data and outputs
 * are checked (a cost per queue): the caller then owes each instruction its check (static-faults.ts), which the fast
 * path does as it encodes and Simulator.checked() does for everything else.
 */
export function prepare(program: Program, m: Machine, checkInstructions = true): Prepared {
  const problems = copyProblems(program); // the loaders report these; a program built in code may still hold them
  if (problems.length > 0) throw new Error(`internal error: ${problems.join("; ")}`);
  const byChip = new Map(program.chips.map((c) => [c.chip, c]));
  /** Each queue's columns in the simulator's one shape (one-shape.ts), made once per list of the program (a copy and
   * its original share it) or converted once when the program gives objects. */
  const converted = new Map<QueueProgram, InstColumns>();
  const shaped = new Map<InstColumns, InstColumns>();
  const columnsOf = (q: QueueProgram): InstColumns => {
    const given = q.columns;
    let c = given ? shaped.get(given) : converted.get(q);
    if (!c) {
      c = new SimColumns(given ?? columnsOfQueue(q));
      if (given) shaped.set(given, c);
      else converted.set(q, c);
    }
    return c;
  };
  /** Queue columns that a copy runs (by identity), numbered: their queues are shared. */
  const copiedLists = new Map<InstColumns, number>();
  const copiedOf = copiedQueues(byChip);
  /** Per list of copied queues (copiedOf's, one array for all copies that share it): its CopiedQueues, or null when
   * it is prepared queue by queue (copiedTemplate). */
  const templates = new Map<readonly QueueProgram[], CopiedQueue[] | null>();
  for (const c of program.chips) {
    if (!c.copyOf) continue;
    const copied = copiedOf(c);
    if (templates.has(copied)) continue;
    templates.set(copied, null);
    for (const q of copied) {
      const list = columnsOf(q);
      if (!copiedLists.has(list)) copiedLists.set(list, copiedLists.size);
    }
  }
  const faults: Hazard[] = [];
  const chips: PreparedChip[] = [];
  const seenChips = new Set<number>();
  let id = 0;
  const tokens = new Interner();
  const maps = new Interner();
  const allQueues: PreparedQueue[] = [];
  const records = new Map<number, InstRecord>();
  /** The record of an instruction id: built once, so that records compare by identity. */
  const record = (instId: number): InstRecord => {
    let r = records.get(instId);
    if (!r) {
      const q = allQueues[queueOfId(allQueues, instId)]!;
      const k = instId - q.base;
      r = { id: instId, chip: q.chip, queue: q.name, queueOrder: q.order, k, placed: placedAt(q, k) };
      records.set(instId, r);
    }
    return r;
  };

  const check = checkInstructions ? new InstructionCheck(m, program, record) : undefined;
  /** Per chip, its links that a wire names, true by link (an array, not a set: looked up for every queue of every
   * chip). */
  const wiredLinks = new Map<number, boolean[]>();
  const chipIds = new Set(program.chips.map((c) => c.chip));
  for (const w of program.wires) {
    for (const [chip, link] of [
      [w.a, w.link],
      [w.b, w.peerLink],
    ] as const) {
      const where = `.wire ${w.a}:c2c${w.link} ${w.b}:c2c${w.peerLink}`;
      if (!chipIds.has(chip))
        faults.push({ name: "bad-instruction", chip, where, args: [`chip ${chip} is not in the program`] });
      else if (!Number.isInteger(link) || link < 0 || link >= m.c2c.links)
        faults.push({
          name: "address-range",
          chip,
          where,
          args: [`link ${link} is outside 0..${m.c2c.links - 1}`],
        });
      else if (wiredLinks.get(chip)?.[link] === true)
        faults.push({
          name: "bad-instruction",
          chip,
          where,
          args: [`link ${link} of chip ${chip} is wired twice`],
        });
    }
    for (const [chip, link] of [
      [w.a, w.link],
      [w.b, w.peerLink],
    ] as const) {
      const set = wiredLinks.get(chip) ?? [];
      set[link] = true;
      wiredLinks.set(chip, set);
    }
  }
  const slices = memSlices(m);
  const facts = new QueueFacts(m);
  for (const copied of templates.keys())
    templates.set(copied, copiedTemplate(copied, facts, columnsOf, copiedLists) ?? null);
  for (const c of [...program.chips].sort((a, b) => a.chip - b.chip)) {
    if (seenChips.has(c.chip)) {
      faults.push({
        name: "bad-instruction",
        chip: c.chip,
        where: ".chip",
        args: [`chip ${c.chip} is listed twice`],
      });
      continue;
    }
    seenChips.add(c.chip);
    for (const d of c.data) {
      const where = `.data${d.label ? ` '${d.label}'` : ""} slice ${d.slice}`;
      if (!Number.isInteger(d.slice) || d.slice < 0 || d.slice >= slices)
        faults.push({
          name: "address-range",
          chip: c.chip,
          where,
          args: [`slice ${d.slice} is outside mem0..mem${slices - 1}`],
        });
      else if (
        !Number.isInteger(d.addr) ||
        d.addr < 0 ||
        d.addr * m.lanes + d.bytes.length > m.mem.wordsPerSlice * m.lanes
      )
        faults.push({
          name: "sram-capacity",
          chip: c.chip,
          where,
          args: [
            `${d.bytes.length} bytes at word ${d.addr} do not fit in the slice's ${m.mem.wordsPerSlice} words of ${m.lanes} bytes`,
          ],
        });
    }
    for (const o of c.outputs) {
      const where = `.output '${o.name}'`;
      if (o.slices.length !== ELEM_BYTES[o.type])
        faults.push({
          name: "bad-instruction",
          chip: c.chip,
          where,
          args: [`${o.type} needs ${ELEM_BYTES[o.type]} slices (one per byte plane), got ${o.slices.length}`],
        });
      for (const s of o.slices)
        if (!Number.isInteger(s) || s < 0 || s >= slices)
          faults.push({
            name: "address-range",
            chip: c.chip,
            where,
            args: [`slice ${s} is outside mem0..mem${slices - 1}`],
          });
      if (!Number.isInteger(o.addr) || o.addr < 0 || o.addr + o.words > m.mem.wordsPerSlice)
        faults.push({
          name: "sram-capacity",
          chip: c.chip,
          where,
          args: [
            `words ${o.addr}..${o.addr + o.words - 1} are beyond the slice's ${m.mem.wordsPerSlice} words`,
          ],
        });
    }
    const queues: PreparedQueue[] = [];
    const seenQueues = new Set<number | string>();
    // A copy runs its original's queues, shifted, then its own (the order of arch/copies.ts queuesOf).
    const copied = c.copyOf ? copiedOf(c) : [];
    const shift = c.copyOf?.shift ?? 0;
    const chipLinks = wiredLinks.get(c.chip);
    const newQueue = (
      qp: QueueProgram,
      name: string,
      position: number,
      order: number,
      list: InstColumns,
      qShift: number,
      listNumber: number | undefined,
    ): void => {
      const pq: PreparedQueue = {
        wired: chipLinks?.[qp.queue.index] === true,
        serial: allQueues.length,
        chip: c.chip,
        name,
        kind: qp.queue.kind,
        index: qp.queue.index,
        order,
        position,
        base: id,
        source: list,
        shift: qShift,
        shared: listNumber !== undefined,
        list: listNumber ?? -1,
      };
      allQueues.push(pq);
      if (check) {
        // Faults in program order, interleaved with the queues' own as one pass finds them.
        check.faults.length = 0;
        for (let k = 0; k < list.count; k++) check.check(pq, pq.base + k, list, k, qShift);
        for (const f of check.faults) faults.push(f);
      }
      id += list.count;
      queues.push(pq);
    };
    // A list of copied queues without faults: what every copy shares of each was found once (copiedTemplate).
    const template = c.copyOf ? templates.get(copied) : null;
    if (template)
      for (let j = 0; j < template.length; j++) {
        const t = template[j]!;
        newQueue(t.q, t.name, t.position, t.order, t.list, shift, t.listNumber);
      }
    for (let k = template ? copied.length : 0; k < copied.length + c.queues.length; k++) {
      const qp = k < copied.length ? copied[k]! : c.queues[k - copied.length]!;
      const qShift = k < copied.length ? shift : 0;
      const key = queueKey(qp.queue.kind, qp.queue.index);
      const name = facts.name(key, qp.queue);
      const position = facts.position(key, qp.queue);
      const list = columnsOf(qp);
      if (position === undefined || seenQueues.has(key)) {
        const first = list.count > 0 ? placedOfRow(list, 0) : undefined;
        const text =
          position === undefined ? `the machine has no queue ${name}` : `queue ${name} is listed twice`;
        const rec: InstRecord | undefined = first
          ? {
              id: -1,
              chip: c.chip,
              queue: name,
              queueOrder: queueOrder(qp.queue.kind, qp.queue.index),
              k: 0,
              placed: first,
            }
          : undefined;
        faults.push({
          name: "bad-instruction",
          chip: c.chip,
          inst: rec,
          where: first ? undefined : name,
          args: [text],
        });
        continue;
      }
      seenQueues.add(key);
      newQueue(
        qp,
        name,
        position,
        queueOrder(qp.queue.kind, qp.queue.index),
        list,
        qShift,
        copiedLists.get(list),
      );
    }
    queues.sort((a, b) => a.order - b.order);
    chips.push({ chip: c.chip, queues, source: c });
  }
  return {
    chips,
    faults,
    instructionCount: id,
    sharedLists: copiedLists.size,
    queues: allQueues,
    tokens,
    maps,
    record,
  };
}
