// Text written as bytes into a growing buffer, a piece at a time: what the printer writes a large program with, so
// no string is made per line (a compiled program prints millions of lines; their strings, the batches they were
// joined into and the collector's work on them were most of the cost of writing one). In: strings and whole numbers;
// out: UTF-8 bytes, taken in pieces. Guarantee: the bytes are those of the same strings (and String(n)) joined.

const ENCODER = new TextEncoder();

export class TextBuffer {
  private buf: Uint8Array;
  private at = 0;

  constructor(capacity = 1 << 16) {
    this.buf = new Uint8Array(capacity);
  }

  /** Bytes written since the last take. */
  get length(): number {
    return this.at;
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(2 * this.buf.length, this.at + n));
    grown.set(this.buf.subarray(0, this.at));
    this.buf = grown;
  }

  /** A string; ASCII a byte a character, anything else as UTF-8. */
  str(s: string): void {
    const n = s.length;
    this.room(n);
    const buf = this.buf;
    let at = this.at;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.bytes(ENCODER.encode(s));
        return;
      }
      buf[at++] = c;
    }
    this.at = at;
  }

  /** Bytes as they are (a string encoded once and written many times). */
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }

  /** One ASCII character by its code. */
  char(c: number): void {
    this.room(1);
    this.buf[this.at++] = c;
  }

  /** A number as String(n) writes it: digits for a safe integer, String(n) otherwise. */
  num(n: number): void {
    if (!Number.isSafeInteger(n)) {
      this.str(String(n));
      return;
    }
    this.room(17);
    const buf = this.buf;
    if (n < 0) {
      buf[this.at++] = 45; // '-'
      n = -n;
    }
    let digits = 1;
    for (let p = 10; p <= n; p *= 10) digits++;
    let at = this.at + digits;
    this.at = at;
    do {
      buf[--at] = 48 + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
  }

  /** The bytes written since the last take, and the buffer emptied: a view of the buffer, valid until the next
   * write (copy it to keep it). */
  take(): Uint8Array {
    const out = this.buf.subarray(0, this.at);
    this.at = 0;
    return out;
  }
}
