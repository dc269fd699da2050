// Hub reservations for `allocate`: in, the allocation facts and slice tables; out, per tile a slice group that its
// partners placed before it avoid, for every hub (a tile one or more tasks access together with at least as many other
// tiles on its chip as its type has slice groups). Guarantees: hubs that share a task get disjoint groups; a round
// without reservations is unchanged (they are used only after a plain allocation failed on a slice clash).
import { ELEM_BYTES } from "../../arch/isa.ts";
import { offHeapUint32 } from "../../util/off-heap.ts";
import type { AllocationFacts } from "./allocate-facts.ts";
import type { SliceTables } from "./allocate-groups.ts";

/**
 * A tile takes a slice group that none of its partners (the tiles some task accesses together with it) holds, and
 * the allocator places tiles greedily in program order. A tile read by many tasks, each with tiles of its own (a
 * layernorm's broadcast rsqrt copy, read by 15 tasks each with a column tile of g, b, x - mean and the output), is
 * placed after most of its partners, which took groups round-robin: with as many partners as groups they can cover
 * every group, and the tile finds none (LPU5005 with the chip nearly empty). Each task's own tiles are few, so a
 * place exists: reserving a group for such a hub before anything is placed, as if the hub stood there, makes its
 * partners placed earlier avoid that group, and the hub takes it (or any group its placed partners left free) when
 * its turn comes. Hubs are chosen round-robin per chip and plane count, skipping groups that overlap a partner hub's
 * reservation. Undefined when no tile is a hub.
 */
export function hubReservations(facts: AllocationFacts, tables: SliceTables): Uint32Array | undefined {
  const { tensors, tileTensor, partnerStart, partnerOf, used } = facts;
  const maskWords = tables.maskWords;
  const reserved = offHeapUint32(tileTensor.length * maskWords);
  /** Per (chip, plane count) the next group to try, by key chip * 8 + planes. */
  const cursor = new Map<number, number>();
  let any = false;
  for (let k = 0; k < tileTensor.length; k++) {
    if (used[k] === 0) continue;
    const t = tensors[tileTensor[k]!]!;
    const table = tables.of(ELEM_BYTES[t.type]);
    const count = table.groups.length;
    let partners = 0;
    for (let q = partnerStart[k]!; q < partnerStart[k + 1]!; q++)
      if (tensors[tileTensor[partnerOf[q]!]!]!.chip === t.chip) partners++;
    if (partners < count) continue;
    const key = t.chip * 8 + table.planes;
    const start = cursor.get(key) ?? 0;
    for (let n = 0; n < count; n++) {
      const gi = (start + n) % count;
      let taken = false;
      for (let q = partnerStart[k]!; q < partnerStart[k + 1]! && !taken; q++) {
        const p = partnerOf[q]!;
        for (let w = 0; w < maskWords; w++)
          if ((reserved[p * maskWords + w]! & table.mask[gi * maskWords + w]!) !== 0) taken = true;
      }
      if (taken) continue;
      for (let w = 0; w < maskWords; w++) reserved[k * maskWords + w] = table.mask[gi * maskWords + w]!;
      cursor.set(key, (gi + 1) % count);
      any = true;
      break;
    }
  }
  return any ? reserved : undefined;
}
