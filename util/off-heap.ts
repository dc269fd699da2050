// Buffers for the compiler's large, long-lived typed arrays (the scheduler's reservation tables, its instruction
// rows, the program's columns): in, a byte count; out, a zeroed buffer that V8 does not count as the isolate's
// external memory. V8 starts a collection of the whole heap whenever the isolate's (non-shared) array buffers
// grow by 64 MB past what they were at the last one ("external memory pressure"). A large schedule keeps growing
// such buffers, one per 64 MB started a full collection, and each marked a heap that grows with the program too:
// the whole fp16 llama2-70b (17 M instructions) ran 42 full collections, most during its schedule over a 2.4-2.7 GB
// heap, 2-3 s each (docs/performance.md, "Profiles: compile, fourteenth round"). A SharedArrayBuffer's memory is
// not counted there (V8 tracks shared backing stores apart from the isolate's external memory): its buffers are
// freed like any other once unreachable, at the next collection the heap's own growth starts. They are never
// shared with another thread here; typed arrays over them read and write as over an ArrayBuffer.

/** Whether there is a SharedArrayBuffer (a page that is not cross-origin isolated has none: there an ordinary
 * buffer does offHeapBuffer's job, and nothing grows in place). */
export const HAS_SHARED = typeof SharedArrayBuffer === "function";

/** A zeroed buffer of `bytes` bytes outside V8's external-memory trigger (see above). */
export function offHeapBuffer(bytes: number): ArrayBufferLike {
  return HAS_SHARED ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
}

/** A growable SharedArrayBuffer (ES2024; Node 20 has it, this project's TypeScript library does not type it). */
export interface GrowableBuffer extends SharedArrayBuffer {
  grow(bytes: number): void;
}

/** An empty buffer outside V8's external-memory trigger that grows in place up to `maxBytes` (address space
 * reserved, none of it resident until written); only where HAS_SHARED. */
export function growableOffHeap(maxBytes: number): GrowableBuffer {
  const Growable = SharedArrayBuffer as unknown as new (
    bytes: number,
    o: { maxByteLength: number },
  ) => GrowableBuffer;
  return new Growable(0, { maxByteLength: maxBytes });
}

/** A zeroed Int32Array of `n` elements on an offHeapBuffer. */
export function offHeapInt32(n: number): Int32Array {
  return new Int32Array(offHeapBuffer(4 * n));
}

/** A zeroed Uint8Array of `n` elements on an offHeapBuffer. */
export function offHeapUint8(n: number): Uint8Array {
  return new Uint8Array(offHeapBuffer(n));
}

/** A zeroed Uint32Array of `n` elements on an offHeapBuffer. */
export function offHeapUint32(n: number): Uint32Array {
  return new Uint32Array(offHeapBuffer(4 * n));
}

/** A zeroed Float64Array of `n` elements on an offHeapBuffer. */
export function offHeapFloat64(n: number): Float64Array {
  return new Float64Array(offHeapBuffer(8 * n));
}
