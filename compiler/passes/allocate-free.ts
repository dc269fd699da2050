// Freed SRAM space for the allocator: in, blocks released by dead temporaries, each on one numbered list (a chip's
// slice group, never overlapping); out, first-fit lookups and takes. Guarantees: each list stays sorted by address,
// a block released at an address already listed goes after it (as a stable sort would), a partial take keeps the
// block's upper part.

export interface FreeBlock {
  readonly addr: number;
  readonly words: number;
  /** The tensor whose release freed the block: its readers and writers must precede a new tenant's writers. */
  readonly owner: number;
  /** The previous tenants as `tensor/tile`, for the scheduler's write-after-read check. */
  readonly tenants: readonly string[];
  /** When the block was freed: the task index of its owner's last use (a smaller one freed earlier). */
  readonly freed: number;
}

export class FreeLists {
  private readonly lists: (FreeBlock[] | undefined)[] = [];
  /** Per list, the largest block's words (0 when empty): a list without a block that fits is skipped unread. */
  private readonly largest: number[] = [];

  /** The blocks of list `list`, by address. */
  blocks(list: number): readonly FreeBlock[] {
    return this.lists[list] ?? [];
  }

  /** The words of the largest block of list `list` (0 when it has none). */
  maxWords(list: number): number {
    return this.largest[list] ?? 0;
  }

  release(list: number, block: FreeBlock): void {
    let blocks = this.lists[list];
    if (!blocks) {
      blocks = [];
      this.lists[list] = blocks;
    }
    this.largest[list] = Math.max(this.largest[list] ?? 0, block.words);
    let lo = 0;
    for (let hi = blocks.length; lo < hi; ) {
      const mid = (lo + hi) >> 1;
      if (blocks[mid]!.addr <= block.addr) lo = mid + 1;
      else hi = mid;
    }
    if (lo === blocks.length) blocks.push(block);
    else blocks.splice(lo, 0, block);
  }

  /** The index of the lowest block of at least `words` words that `accept` takes, or -1; `accept` is asked about
   * at most `tries` blocks that fit (the scan stops there rather than walking the rest of a long list). */
  firstFit(
    list: number,
    words: number,
    accept?: (b: FreeBlock) => boolean,
    tries = Number.POSITIVE_INFINITY,
  ): number {
    const blocks = this.lists[list];
    if (!blocks || this.maxWords(list) < words) return -1;
    for (let i = 0, tried = 0; i < blocks.length; i++) {
      const b = blocks[i]!;
      if (b.words < words) continue;
      if (!accept || accept(b)) return i;
      if (++tried >= tries) break;
    }
    return -1;
  }

  /** The index of the block of at least `words` words freed earliest (the lowest such on a tie), or -1. Reusing it
   * orders the new tenant after the users of the oldest dead tensor, the ones most likely to precede it anyway. */
  oldestFit(list: number, words: number): number {
    const blocks = this.lists[list];
    if (!blocks || this.maxWords(list) < words) return -1;
    let best = -1;
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i]!;
      if (b.words >= words && (best < 0 || b.freed < blocks[best]!.freed)) best = i;
    }
    return best;
  }

  /** Takes the lowest `words` words of block i (found by `firstFit`); returns the block as it was. */
  take(list: number, i: number, words: number): FreeBlock {
    const blocks = this.lists[list]!;
    const b = blocks[i]!;
    if (b.words === words) blocks.splice(i, 1);
    else blocks[i] = { ...b, addr: b.addr + words, words: b.words - words };
    if (b.words === this.largest[list]) {
      let most = 0;
      for (const o of blocks) most = Math.max(most, o.words);
      this.largest[list] = most;
    }
    return b;
  }
}
