// Invariant helpers. A broken internal invariant throws with a stack; mistakes in user input are Diagnostics instead.

/** The typed form of `default: throw`: a switch over a tagged union ends here, so a new kind is a type error. */
export function assertNever(value: never, what = "value"): never {
  throw new Error(`internal error: unexpected ${what}: ${JSON.stringify(value)}`);
}

/** Throws when an internal invariant does not hold. Not for user errors. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`internal error: ${message}`);
}
