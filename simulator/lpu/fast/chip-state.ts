// The state a chip's fast run keeps (fast/chip-run.ts): per queue and link end what the run changes (an MXM plane's:
// fast/planes.ts), and the working arrays one chip needs only while it runs (shared by every chip of a run). In: the
// simulator's queues and machine. Out: plain data that run.ts installs when the whole run passed.
import type { InstColumns } from "../../../arch/isa.ts";
import type { QueueState } from "../chip.ts";
import { Arena, FastCode, RES_SLOTS } from "../code.ts";
import type { PreparedQueue } from "../prepare.ts";
import type { Simulator } from "../simulator.ts";
import { InstructionCheck } from "../static-faults.ts";
import { BankClaims } from "./bank-claims.ts";
import { FamilyLogs, type ListLog } from "./copy-log.ts";
import { IntList, NumList, RunList } from "./num-list.ts";
import { PlaneRows } from "./planes.ts";
import { ROW } from "./rows.ts";
import { Segments } from "./segments.ts";
import { SharedCode } from "./shared-code.ts";

/**
 * Most instructions encoded at once. A queue runs in blocks of 64, 128, ... up to BLOCK instructions, encoded as it
 * reaches them: the encoding stays in cache, costs no memory per instruction of the program, and a queue that parks
 * on a sync soon after it resumes wastes at most its block.
 */
export const BLOCK = 1024;
export const FIRST_BLOCK = 64;

/**
 * Numbers per record in FastChip.recent: (first id, group, bytes, position, first cycle, vectors each, instructions).
 * Instruction `first id + i` of the record put its vectors on cycles first + i * each ... (consecutive instructions of
 * a queue that continue each other share one record, so a chip keeps a few records per queue, not one per put).
 */
export const RECENT = 7;

/** Numbers per resource slot in FastQueue.res, and where each is. */
export const RES_FIELDS = 4;
export const RES_FROM = 0;
export const RES_UNTIL = 1;
export const RES_BY = 2;
export const RES_OP = 3;
/** FastQueue.res of a queue that has not issued. */
const EMPTY_RES = new Float64Array(RES_SLOTS * RES_FIELDS);
for (let r = 0; r < RES_SLOTS; r++)
  EMPTY_RES.set([Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, -1, -1], r * RES_FIELDS);

/**
 * A queue's issue state (the fields of QueueState the run changes) while its chip runs. The objects are used again
 * by the next chip (Scratch.queue): each chip's final queue states are written into its QueueStates (finishQueue),
 * so a run of tens of thousands of queues keeps no object of its own per queue alive to its end.
 */
export class FastQueue {
  next = 0;
  lastIssue = Number.NEGATIVE_INFINITY;
  nextFree = 0;
  releasedAt = Number.NaN;
  /** Per resource slot (code.ts RES_SLOT), RES_FIELDS numbers: from, until (-Infinity: never), the instruction
   * that holds it and its opcode (its name for reports: RES_NAME; -1: none), as QueueResources keeps them. One
   * typed array, so that an issue's checks and writes load one array, not four. */
  readonly res = new Float64Array(RES_SLOTS * RES_FIELDS);
  busy = 0;
  covered = 0;
  /** Parked on a sync: its token (-1: not parked), issue cycle and id. */
  parkedToken = -1;
  parkedAt = 0;
  parkedId = -1;
  /** Positions of the queue's notify instructions (found on first need). */
  notifies: number[] | undefined;
  /** The queue's instructions as the program gives them (checked and encoded a block at a time). */
  source: InstColumns;
  /** How its stream operations are handled on a chip of a family (chip-streams.ts; -1 until its first turn), the
   * family log it writes or compares with, and the log's next operation. */
  logMode = -1;
  log: ListLog | undefined;
  cursor = 0;
  constructor(
    public q: QueueState,
    public pq: PreparedQueue,
  ) {
    this.source = pq.source;
    this.res.set(EMPTY_RES);
  }

  /** The state of a queue that has not issued yet, for `q`. */
  reset(q: QueueState, pq: PreparedQueue): void {
    this.q = q;
    this.pq = pq;
    this.source = pq.source;
    this.next = 0;
    this.lastIssue = Number.NEGATIVE_INFINITY;
    this.nextFree = 0;
    this.releasedAt = Number.NaN;
    this.res.set(EMPTY_RES);
    this.busy = 0;
    this.covered = 0;
    this.parkedToken = -1;
    this.parkedAt = 0;
    this.parkedId = -1;
    this.notifies = undefined;
    this.logMode = -1;
    this.log = undefined;
    this.cursor = 0;
  }
}

/**
 * Writes the queue's final state into its QueueState when its chip's run ends (run.ts puts every queue of the chips
 * that ran back as constructed if the run gives way later: resetQueues).
 */
export function finishQueue(fq: FastQueue): void {
  const q = fq.q;
  q.next = q.count;
  q.lastIssue = fq.lastIssue;
  q.nextFree = fq.nextFree;
  q.releasedAt = Number.isNaN(fq.releasedAt) ? undefined : fq.releasedAt;
  q.busy = fq.busy;
  q.covered = fq.covered;
  for (let r = 0; r < RES_SLOTS; r++)
    q.occupy(
      r,
      fq.res[r * RES_FIELDS + RES_FROM]!,
      fq.res[r * RES_FIELDS + RES_UNTIL]!,
      fq.res[r * RES_FIELDS + RES_BY]!,
      fq.res[r * RES_FIELDS + RES_OP]!,
    );
}

/** One link end: its words sent (the cycle each leaves) and its recvs (cycle of the first vector, vectors, words). */
export class FastLink {
  readonly leaves: IntList;
  /** Per recv, three numbers: its first vector's cycle, vectors, words per vector. */
  readonly recvs: IntList;
  /** Serialisation state (units-c2c.ts): the send buffer's leave cycles, oldest first, and the last finish. */
  readonly buffer: NumList;
  lastFinish = 0;
  received = 0;
  /** The lists grow in the run's arena (they live until the link check). */
  constructor(arena: Arena) {
    this.leaves = new IntList(arena);
    this.recvs = new IntList(arena);
    this.buffer = new NumList(0, arena);
  }
}

/**
 * The typed arrays of a run that keep no state between chips or runs, kept from one run to the next in the process:
 * a run of a large program would otherwise allocate tens of megabytes outside the heap each time, and that much
 * external memory makes V8 mark the whole heap (the program's objects: 0.3-0.5 s for a stamped llama2-70b) every
 * run or two in a process that simulates repeatedly (a benchmark, a sweep's worker). Holds nothing of a program.
 */
class Buffers {
  readonly segments: Segments;
  readonly bankClaims: BankClaims;
  readonly recent = new NumList(4096);
  readonly code = new FastCode(BLOCK);
  /** The block's rows (rows.ts), and the columns a shared list is encoded into a block at a time. */
  readonly rows = new Int32Array(BLOCK * ROW);
  readonly listBlock = new FastCode(BLOCK);
  readonly arena = new Arena();
  readonly chipArena = new Arena();
  readonly familyArena = new Arena();
  used = new Int32Array(0);
  /** The FastQueue objects a chip's run uses. */
  readonly pool: FastQueue[] = [];
  usedFrom = 0;
  usedTo = 0;
  constructor(
    readonly groups: number,
    banks: number,
  ) {
    this.segments = new Segments(groups);
    this.bankClaims = new BankClaims(banks);
  }
}

let kept: Buffers | undefined;

/** Working arrays one chip needs only while it runs, shared by all chips of a run (no allocation per chip). */
export class Scratch {
  readonly segments: Segments;
  /** Per (slice, bank) and port (0 read, 1 write): the port's access intervals on the bank (bank-claims.ts). */
  readonly bankClaims: BankClaims;
  /** Puts of the current chip (FastChip.recent). */
  readonly recent: NumList;
  /**
   * Every chip's deskew cycles in this run, chip after chip (FastUnits.deskewFrom, deskewTo; sorted per chip when it
   * ends), kept to the link check (links.ts) and the install: one list for the run instead of an array per chip.
   */
  readonly deskews: RunList;
  /** The link check's clock anchors (fast/links.ts), sized there. */
  readonly anchors: RunList;
  /** A block of the running queue's instructions, encoded as columns, then packed into `rows` (row = id -
   * FastChip.blockFirst). */
  readonly code: FastCode;
  readonly rows: Int32Array;
  /** Whole queues shared by an original and its copies, each checked and encoded once per family's turn
   * (shared-code.ts), in `familyArena`. */
  readonly shared: SharedCode;
  /** Each instruction's static check, done as it is encoded (the simulator leaves them to the first use). */
  readonly check: InstructionCheck;
  /** Memory for the run's typed arrays that live until the install (shared encodings, MXM rows), kept run to run. */
  readonly arena: Arena;
  /** The MXM planes' written rows that the install hands to the simulator (fresh each run). */
  readonly planeRows = new PlaneRows();
  /**
   * Memory for the typed arrays of one chip's run (reset as each chip starts, kept run to run): what only the chip
   * reads (its MXM rows' last takes and drains, its send buffers), and the lists that grow while it runs (its links'
   * words and recvs, a reference's logs), which move to `arena` in their exact lengths when it ends. Grown in the
   * run's arena, those lists' doublings and the chip-only rows were half of a cold run's memory outside the heap.
   */
  readonly chipArena: Arena;
  /**
   * Memory for what one family (an original and its stamped copies) shares while its chips run, one after the other
   * (run.ts): its lists' encodings and its reference's logs, dropped when its last chip ends (endFamily), so that the
   * next family reuses it. Kept for the whole run, they were ~27 MB outside the heap on a stamped llama2-70b (V8
   * answers each 64 MB of new memory outside the heap by marking the whole heap), and read from memory by every copy.
   */
  readonly familyArena: Arena;
  private readonly buffers: Buffers;
  /** Per family of chips (an original and its stamped copies, ChipProgram.copyOf, by its original's number), its
   * stream logs (chip-streams.ts); dropped with the run. */
  private readonly logs = new Map<number, FamilyLogs>();
  private readonly marks = [new Uint8Array(0), new Uint8Array(0)];
  /** The family of each chip (by program chip number) that has one: its original's number. */
  private readonly family = new Map<number, number>();
  /** The program's shared lists (Prepared.sharedLists): the size of the tables by list. */
  private readonly lists: number;
  constructor(sim: Simulator) {
    this.lists = sim.prepared.sharedLists;
    const m = sim.machine;
    const groups = 2 * m.streamsPerDirection;
    const banks = (sim.chips[0]?.sram.slices ?? 0) * m.mem.banksPerSlice * 2;
    if (!kept || kept.groups !== groups || kept.bankClaims.lists !== banks) kept = new Buffers(groups, banks);
    const b = kept;
    this.buffers = b;
    this.segments = b.segments;
    this.bankClaims = b.bankClaims;
    this.recent = b.recent;
    this.code = b.code;
    this.rows = b.rows;
    b.arena.reset();
    this.arena = b.arena;
    this.chipArena = b.chipArena;
    b.familyArena.reset();
    this.familyArena = b.familyArena;
    this.deskews = new RunList(b.arena);
    this.anchors = new RunList(b.arena);
    this.shared = new SharedCode(b.familyArena, b.listBlock, sim.prepared.sharedLists);
    this.check = new InstructionCheck(m, sim.program, sim.prepared.record);
    for (const pc of sim.prepared.chips) {
      const original = pc.source.copyOf?.chip;
      if (original === undefined) continue;
      this.family.set(pc.chip, original);
      this.family.set(original, original);
    }
  }

  /** The family of a chip (its original's number), or undefined when no other chip runs its queues. */
  familyOf(chip: number): number | undefined {
    return this.family.get(chip);
  }

  /** When the last chip of family `f` ended: its logs and shared encodings are dropped and their memory reused. */
  endFamily(f: number): void {
    this.logs.delete(f);
    this.shared.clear();
    this.familyArena.reset();
  }

  /** The family's stream logs of the chip (copy-log.ts), made by the first of the family to ask, its reference; or
   * undefined when no other chip runs its queues. */
  familyLogs(chip: number): FamilyLogs | undefined {
    const f = this.family.get(chip);
    if (f === undefined) return undefined;
    let logs = this.logs.get(f);
    if (!logs) {
      logs = new FamilyLogs(this.segments.groups, this.lists);
      logs.reference = chip;
      this.logs.set(f, logs);
    }
    return logs;
  }

  /** A zeroed mark per stream group (two of them, `which` 0 or 1; valid until the next call for the same one). */
  groupMarks(groups: number, which = 0): Uint8Array {
    const m = this.marks[which]!;
    if (m.length !== groups) this.marks[which] = new Uint8Array(groups);
    else m.fill(0);
    return this.marks[which]!;
  }

  /**
   * A chip's map of used words (fast/chip-units.ts), `size` 32-bit words, all zero but for words [usedFrom, usedTo),
   * which the last chip may have set (the caller clears them, and keeps the range up to date): hundreds of chips
   * that each write a few slices cost a few slices each, not a whole map.
   */
  usedMap(size: number): Int32Array {
    const b = this.buffers;
    if (b.used.length !== size) {
      b.used = new Int32Array(size);
      b.usedFrom = b.usedTo = 0;
    }
    return b.used;
  }

  /** The used map's range of words that may be set (kept with the map from run to run, as a run may stop anywhere). */
  get usedFrom(): number {
    return this.buffers.usedFrom;
  }
  set usedFrom(w: number) {
    this.buffers.usedFrom = w;
  }
  get usedTo(): number {
    return this.buffers.usedTo;
  }
  set usedTo(w: number) {
    this.buffers.usedTo = w;
  }

  /** The k-th FastQueue of the chip about to run, reset for `q` (objects used again chip after chip). */
  queue(k: number, q: QueueState, pq: PreparedQueue): FastQueue {
    const pool = this.buffers.pool;
    const fq = pool[k];
    if (!fq) {
      const made = new FastQueue(q, pq);
      pool.push(made);
      return made;
    }
    fq.reset(q, pq);
    return fq;
  }

  /** Empties the chip's working arrays for the next chip. */
  reset(): void {
    this.chipArena.reset();
    this.segments.reset();
    this.bankClaims.reset();
    this.recent.clear();
  }
}
