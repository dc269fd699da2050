// The phase a task's start must have for its spaced reads (placement.ts `find`): in, a task's geometry on a plane;
// out, the parity of the starts that give its 16-bit input's two byte planes the phases of their direction.

import type { Geometry } from "./geometry.ts";

/**
 * The parity a task's start must have so that its spaced reads (an `abc`'s 16-bit input, one word every 4 cycles
 * from each byte plane's slice) take the phases of their direction, or -1 for any start. A 16-bit tile's two byte
 * planes sit on neighbouring slices, read one cycle apart: a plane west of them reads the farther slice first, a
 * plane east of them the other, so the skews differ in sign. On the first slice a reader going one way takes even
 * phases, one going the other odd ones; then two readers each way fill the 4 phases of both slices (bert-base's
 * projections: four planes read one input tile at once). Taken first come first served, two readers from one side
 * in neighbouring phases left neither phase the other side needs on the second slice, and its readers waited for
 * the whole run (256 cycles).
 */
export function spacedParity(geo: Geometry): number {
  for (const a of geo.instances) {
    if (a.unit !== "mem" || a.byte !== 0 || a.spacing % 2 !== 0 || a.timing.n < 2) continue;
    for (const b of geo.instances) {
      if (b.step !== a.step || b.unit !== "mem" || b.byte !== 1) continue;
      const [lo, hi] = a.index! < b.index! ? [a, b] : [b, a];
      const skew = hi.rel - lo.rel;
      if ((skew & 1) === 0) return -1;
      return ((skew > 0 ? 0 : 1) - lo.rel) & 1;
    }
  }
  return -1;
}
