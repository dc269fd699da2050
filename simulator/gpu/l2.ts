// L2 residency by tensor, least recently used first out, write-back: which bytes of a kernel's reads come from L2
// and which from HBM, and which dirty bytes an insertion pushes out to HBM. Tracks whole tensors (a partly
// resident tensor keeps its most recent bytes), not cache lines: enough to tell activations, which stay, from
// streamed weights and KV caches, which do not.

export class L2 {
  /** Map order is recency order: the first entry is the least recently used. */
  private readonly entries = new Map<string, { bytes: number; dirty: number }>();
  private used = 0;

  constructor(readonly capacity: number) {}

  /** Reads `bytes` of `tensor`: returns the bytes that hit; the tensor becomes most recent. */
  read(tensor: string, bytes: number): { hit: number; writeback: number } {
    const e = this.entries.get(tensor);
    const hit = Math.min(e?.bytes ?? 0, bytes);
    const writeback = this.insert(tensor, Math.max(bytes, e?.bytes ?? 0), e?.dirty ?? 0);
    return { hit, writeback };
  }

  /** Writes `bytes` of `tensor` (write-allocate); returns dirty bytes pushed out to HBM. */
  write(tensor: string, bytes: number): number {
    const e = this.entries.get(tensor);
    return this.insert(tensor, Math.max(bytes, e?.bytes ?? 0), (e?.dirty ?? 0) + bytes);
  }

  resident(tensor: string): number {
    return this.entries.get(tensor)?.bytes ?? 0;
  }

  private insert(tensor: string, bytes: number, dirty: number): number {
    const old = this.entries.get(tensor);
    if (old) {
      this.used -= old.bytes;
      this.entries.delete(tensor);
    }
    const keep = Math.min(bytes, this.capacity);
    let writeback = 0;
    for (const [name, e] of this.entries) {
      if (this.used + keep <= this.capacity) break;
      this.entries.delete(name);
      this.used -= e.bytes;
      writeback += e.dirty;
    }
    // Dirty bytes beyond what fits were written straight through.
    writeback += Math.max(0, dirty - keep);
    this.entries.set(tensor, { bytes: keep, dirty: Math.min(dirty, keep) });
    this.used += keep;
    return writeback;
  }
}
