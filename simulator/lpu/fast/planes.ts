// An MXM plane's state in a chip's fast run (fast/chip-units.ts), split off from chip-state.ts: FastPlane (what the run
// leaves a plane, with its per-row arrays carved from the chip's arena) and PlaneRows (the fresh slabs that hold the
// rows an abc wrote, which run.ts installs into the simulator's planes: MxmPlane.useWrittenRows).
import type { Arena } from "../code.ts";

/** An MXM plane's state as the run leaves it (chip.ts MxmPlane), with the last abc take per accumulator row. */
export class FastPlane {
  stagingType = -1;
  weightsType = -1;
  installedBy = -1;
  usableFrom = 0;
  /** The last abc take per row (read only where rowType says an abc wrote the row). */
  lastTake: Int32Array | undefined;
  /** Per row, the type code of the last abc's result (255: never written) and the cycle it is ready: the last take
   * plus its latency (NaN: never written), as MxmPlane's rowType and readyAt. */
  rowType: Uint8Array | undefined;
  ready: Float64Array | undefined;
  /** The last cycle an acc issued so far drains each row (NO_DRAIN: none): an abc taking a row at or before it
   * could change that drain's check, which is left to the exact engine. Per row, so that a group writing its own
   * rows while another group's rows drain (the scheduler's accumulator row slots) stays on the fast path. */
  drained: Int32Array | undefined;
  /** The rows any abc of the chip's run wrote lie in [lowRow, highRow) (keepRows looks there only). */
  lowRow = 0;
  highRow = 0;
  /** After the chip's run: the rows an abc wrote, with their ready cycles and types (keepRows), for the install. */
  written: WrittenRows | undefined;

  /**
   * The per-row arrays, on the first abc, from the chip's arena (Scratch.chipArena: only the chip's run reads them;
   * 32-bit cycles for the last takes and drains: the fast path gives way on a cycle beyond them).
   */
  carveRows(rows: number, arena: Arena): void {
    const { buf, at } = arena.take(16 * rows + ((rows + 7) & ~7), false);
    this.lastTake = new Int32Array(buf, at, rows);
    this.drained = new Int32Array(buf, at + 4 * rows, rows).fill(NO_DRAIN);
    this.ready = new Float64Array(buf, at + 8 * rows, rows).fill(Number.NaN);
    this.rowType = new Uint8Array(buf, at + 16 * rows, rows).fill(255);
    this.lowRow = rows;
    this.highRow = 0;
    this.written = undefined;
  }

  /**
   * When the chip's run ends (its arena is reused by the next chip): the rows an abc wrote, in fresh memory that the
   * install hands to the simulator's plane (MxmPlane.useWrittenRows). A stamped llama2-70b's ~2,000 planes write ~43
   * of their 1,024 rows each: as whole rows they were 19 MB outside the heap a run (V8 marks the whole heap for each
   * 64 MB of new memory outside it), written rows alone ~1 MB.
   */
  keepRows(planeRows: PlaneRows): void {
    const types = this.rowType;
    const ready = this.ready;
    if (!types || !ready) return;
    // Only the span the abcs wrote (a plane's 1,024 rows, twice, on each of ~2,000 planes were ~1% of a stamped
    // llama2-70b's run); the rows outside it keep the type carveRows gave them (255: never written).
    const high = this.highRow;
    let count = 0;
    for (let r = this.lowRow; r < high; r++) if (types[r] !== 255) count++;
    const w = planeRows.take(count);
    let k = 0;
    for (let r = this.lowRow; r < high; r++)
      if (types[r] !== 255) {
        w.rows[k] = r;
        w.ready[k] = ready[r]!;
        w.types[k] = types[r]!;
        k++;
      }
    this.written = w;
  }
}

/** FastPlane.drained of a row no acc drained (below every cycle of a fast run). */
export const NO_DRAIN = -0x80000000;

/** The rows of an MXM plane that an abc wrote: row numbers, in increasing order, their ready cycles and types. */
export interface WrittenRows {
  readonly rows: Int32Array;
  readonly ready: Float64Array;
  readonly types: Uint8Array;
}

/**
 * Fresh memory for the MXM planes' written rows (FastPlane.keepRows), which the install gives the simulator's
 * planes as they are: slabs of many planes' rows, so that thousands of planes cost a few allocations outside the
 * heap, not one each. A run that gives way drops them.
 */
export class PlaneRows {
  private static readonly SLAB = 1 << 18;
  private buf: ArrayBuffer | undefined;
  private used = 0;

  take(count: number): WrittenRows {
    const pad = (x: number) => (x + 7) & ~7;
    const bytes = 8 * count + pad(4 * count) + pad(count);
    if (!this.buf || this.used + bytes > this.buf.byteLength) {
      this.buf = new ArrayBuffer(Math.max(bytes, PlaneRows.SLAB));
      this.used = 0;
    }
    const at = this.used;
    this.used += bytes;
    return {
      ready: new Float64Array(this.buf, at, count),
      rows: new Int32Array(this.buf, at + 8 * count, count),
      types: new Uint8Array(this.buf, at + 8 * count + pad(4 * count), count),
    };
  }
}
