// The state of the MXM planes and of the groups on them that placement reads and moves forward (placement.ts), and
// the origin of a chain's dropped constant terms: types and one constant, no logic.

export interface PlaneState {
  owner?: string;
  stagingFree: number;
  arrayFree: number;
  /** Per slot of ACC_SLOT accumulator rows: the cycle from which a product may overwrite them (their last drain's
   * end; 0: never used). A group takes the slots freed first (placement-acc.ts accRows), so a group's first product
   * need not wait for the previous group's drain. */
  accFree: number[];
}

export interface GroupState {
  plane: number;
  /** The plane's state (private to the group when resources are relaxed). */
  state: PlaneState;
  lwEnd: number;
  weightsReady: number;
  resultsReady: number;
  /** The first accumulator row of the group's products (its steps' rows are offset by it); -1 until its first
   * product is placed. */
  accBase: number;
}

/** A group's state when it takes plane `plane` (with `state`, the plane's or its own): no weight load or product
 * placed yet. */
export function newGroup(plane: number, state: PlaneState): GroupState {
  return { plane, state, lwEnd: 0, weightsReady: 0, resultsReady: 0, accBase: -1 };
}

/** Accumulator rows are handed to groups in slots of this many (a prefill's 64-row tasks take one). */
export const ACC_SLOT = 64;

/** "No input": the origin of a chain's dropped constant terms (originOf). Minus infinity in the argument; a small
 * integer here so that cycle arithmetic stays in small integers (a double would box every cycle computed from it),
 * far enough below 0 that a cycle counted from it stays negative (no program comes near 2^28 cycles): a negative
 * cycle in a chain means that it follows from no input. */
export const NO_INPUT = -(2 ** 29);
