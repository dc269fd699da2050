// The encoded rows of queues that several chips run (an original and its stamped copies, ChipProgram.copyOf): each
// list of instructions is checked and encoded once per fast run (once per family's turn: run.ts runs a family's chips
// together and then drops its encodings), with its issue cycles as the original gives them, and every chip that runs
// it reads those rows and adds its own shift (chip-run.ts). In: a prepared queue whose source (its program columns)
// is shared. Out: the whole queue as rows (rows.ts; row k = instruction k), or a Bail when an instruction has a static
// fault or a number beyond 32 bits (the exact engine then checks every chip's own copy and reports).
//
// What a row depends on besides the instruction: the queue's unit kind (fixed by its name, the same for every chip
// that runs the list) and whether its link is wired on the chip that runs it (a send or recv on an unwired link is a
// fault), so a list has one encoding per wiring. The issue cycle's shift is left out of the row, and the rest of an
// instruction's check (static-faults.ts) depends on nothing of the chip: a copy's check is its original's. Every
// instruction is still issued and run on each chip's own state; only the reading of its columns is shared.
import type { Machine } from "../../../arch/machine.ts";
import type { Interner } from "../../../util/interner.ts";
import type { Arena, FastCode } from "../code.ts";
import * as code from "../code.ts";
import { encode } from "../encode.ts";
import { encodeChecked } from "../encode-checked.ts";
import type { PreparedQueue } from "../prepare.ts";
import type { InstructionCheck } from "../static-faults.ts";
import { Bail } from "./bail.ts";
import * as rowsOf from "./rows.ts";

// What the encoding of a list reads per instruction, as this module's own constants (fast/chip-run.ts: an imported
// binding is read through its module's import cell at each use; docs/performance.md, nineteenth round).
const { clearRows } = code;
const { packRows, ROW } = rowsOf;

export class SharedCode {
  /** By list (PreparedQueue.list), its rows on a queue whose link is not wired [2 * list] and is wired
   * [2 * list + 1]. Sized for every shared list at the start and cleared in place: an array grown by a store far
   * past its end (a later family's lists are numbered high) turns sparse, and the issue loop that reads it (inlined
   * in chip-run.ts) then met arrays of another kind family after family, and each time went back to the
   * interpreter until V8 compiled it again. */
  private readonly byList: (Int32Array | undefined)[];
  /** Instructions encoded here (each list once per wiring), for benchmarks. */
  encoded = 0;
  /** The rows' memory, used again by the next run (fast/chip-state.ts), and the columns each block of a list is
   * encoded into before it is packed into rows. */
  constructor(
    private readonly arena: Arena,
    private readonly block: FastCode,
    lists: number,
  ) {
    this.byList = new Array<Int32Array | undefined>(2 * lists).fill(undefined);
  }

  /** Forgets every encoding (their memory is about to be reused: Scratch.endFamily). A list a later family runs
   * too is encoded again. */
  clear(): void {
    this.byList.fill(undefined);
  }

  /** The rows of `pq`'s instructions, encoded on first use. */
  rows(pq: PreparedQueue, m: Machine, tokens: Interner, maps: Interner, check: InstructionCheck): Int32Array {
    const k = 2 * pq.list + (pq.wired ? 1 : 0);
    let rows = this.byList[k];
    if (!rows) {
      if (pq.list < 0) throw new Error("internal error: a queue that shares no list");
      rows = encodeList(pq, m, tokens, maps, check, this.arena, this.block);
      this.encoded += pq.source.count;
      this.byList[k] = rows;
    }
    return rows;
  }
}

function encodeList(
  pq: PreparedQueue,
  m: Machine,
  tokens: Interner,
  maps: Interner,
  check: InstructionCheck,
  arena: Arena,
  code: FastCode,
): Int32Array {
  const source = pq.source;
  const { buf, at } = arena.take(4 * ROW * source.count, false);
  const rows = new Int32Array(buf, at, ROW * source.count);
  let fits = true;
  let packed = true;
  for (let first = 0; first < source.count; first += code.count) {
    const count = Math.min(code.count, source.count - first);
    clearRows(code, 0, count);
    for (let j = 0; j < count; j++) {
      const k = first + j;
      if (encodeChecked(code, j, pq.serial, pq.kind, pq.wired, source, k, m, tokens)) continue;
      // As chip-run.ts encodeBlock: the full check (of this queue's own instruction, its shift included) and encode.
      clearRows(code, j, j + 1);
      check.check(pq, pq.base + k, source, k, pq.shift);
      if (!encode(code, j, pq.serial, source, k, 0, m, tokens, maps)) fits = false;
    }
    if (!packRows(code, count, rows, first)) packed = false;
  }
  if (check.faults.length > 0) throw new Bail("a fault visible before the run");
  if (!fits) throw new Bail("a number beyond 32-bit integers");
  if (!packed) throw new Bail("a stream group beyond a row's 10 bits");
  return rows;
}
