// What the allocator reads from a task graph, gathered once per `allocate` call for all its placement rounds: in, the
// tiled task graph and the machine; out, tensors and column tiles by dense index with their partners, writers,
// users, the task at which each temporary dies, and which weights may load wide. Guarantees: depends only on the
// graph and machine (never on a round's narrowing), so every round reads the same facts.
import { ELEM_BYTES } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { Interner } from "../../util/interner.ts";
import { offHeapInt32, offHeapUint8 } from "../../util/off-heap.ts";
import type { TaskGraph, TiledTensor } from "./task-ir.ts";
import { wideLoadAt } from "./task-ir.ts";

export interface AllocationFacts {
  readonly tensors: readonly TiledTensor[];
  /** Column tile j of tensor ti is tile `tileBase[ti] + j`; tileTensor maps a tile back to its tensor. */
  readonly tileBase: Int32Array;
  readonly tileTensor: Int32Array;
  /** Tiles some task reads or writes: only they get space (a weight copy on another chip holds its chip's tiles). */
  readonly used: Uint8Array;
  /** Tiles one task accesses together with tile k (they must not share a slice):
   * partnerOf[partnerStart[k] .. partnerStart[k + 1]). */
  readonly partnerStart: Int32Array;
  readonly partnerOf: Int32Array;
  /** Per tensor, the tasks (by index, in list order) that write it / that read or write it. */
  readonly writers: readonly (readonly number[])[];
  readonly users: readonly (readonly number[])[];
  /** Per task, the tensors it writes, in step order (the first write of a tensor places it). */
  readonly writes: readonly (readonly number[])[];
  /** Per task, the temporaries whose space is freed before / after its writes are placed, sorted by name. */
  readonly freeBefore: readonly (readonly number[] | undefined)[];
  readonly freeAfter: readonly (readonly number[] | undefined)[];
  /** Tensors placed before any task: every non-temporary, gathered tables last. */
  readonly pinnedOrder: readonly number[];
  /** Wide weight blocks: `lw` takes up to maxLoadWidth rows a cycle, one per stream group, so a block only `lw`
   * reads is spread over that many slice groups (row r in group r mod width) and its 320 rows load in 40 cycles
   * instead of 320. Only for tensors no task writes (params, constants, inputs and their copies: their images
   * come from the emitter) whose every read is a whole block straight into an `lw`; loaded wide unless narrowed. */
  readonly wideCandidate: Uint8Array;
  /** Wide candidates converted on the VXM on their way to the MXM (their width is capped by the ALUs). */
  readonly converted: Uint8Array;
  /** Weight blocks of tile k are `blockBase[k] ..`: block b of tile k (rows b * blockRows on) is `blockBase[k] + b`. */
  readonly blockBase: Int32Array;
  /** Per weight block, the MXM group (numbered densely in list order) whose `lw`s alone read it, else -1 (no
   * group's) or -2 (several groups': a rope's rotation, a sum's ones): the allocator keeps a group's own wide blocks
   * in one chunk (allocate-wide.ts); a shared block is loaded by every group that reads it, so no chunk keeps it
   * apart from them. */
  readonly loadGroup: Int32Array;
  /** Per such group number, the task (by index) of its first whole-block `lw`, and how many blocks it alone loads. */
  readonly loadGroupTask: readonly number[];
  readonly loadGroupBlocks: readonly number[];
  /** Tensors some `abc` reads (a matrix product's input). */
  readonly mxmInput: Uint8Array;
  /** The tensor of every `abc` read, once per reading step (allocate-round.ts weighs a chip's inputs by them). */
  readonly abcReads: readonly number[];
  /** Per tensor, the slice position of the SXM where a relayed copy's links attach, else -1: a copy that only
   * `recv` tasks write and only `send` tasks read (a chip on the way of a transfer), all on links of one SXM. */
  readonly relayAt: Int32Array;
}

const EMPTY: readonly number[] = [];
/** `loadGroup` of a block several groups load. */
const SHARED = -2;

export function allocationFacts(g: TaskGraph, machine: Machine): AllocationFacts {
  const tensors = g.tensors;
  const index = new Map<string, number>();
  for (let i = 0; i < tensors.length; i++) index.set(tensors[i]!.id, i);
  const tileBase = offHeapInt32(tensors.length + 1);
  for (let i = 0; i < tensors.length; i++) tileBase[i + 1] = tileBase[i]! + tensors[i]!.tiles;
  const tileTensor = offHeapInt32(tileBase[tensors.length]!);
  for (let i = 0; i < tensors.length; i++) tileTensor.fill(i, tileBase[i]!, tileBase[i + 1]!);
  /** The tile a step names, or -1 if it names no tile of a known tensor (nothing can be placed there). */
  const tileOf = (tensor: number | undefined, tile: number): number =>
    tensor !== undefined && tile >= 0 && tile < tensors[tensor]!.tiles ? tileBase[tensor]! + tile : -1;
  const blockBase = offHeapInt32(tileTensor.length + 1);
  for (let k = 0; k < tileTensor.length; k++) {
    const t = tensors[tileTensor[k]!]!;
    blockBase[k + 1] = blockBase[k]! + Math.ceil(t.rows / t.blockRows);
  }
  const loadGroup = offHeapInt32(blockBase[tileTensor.length]!).fill(-1);
  /** The load groups' names, numbered as each first owns a block. */
  const groups = new Interner();
  const loadGroupTask: number[] = [];
  const loadGroupBlocks: number[] = [];
  const firstLoad = (block: number, group: string, task: number) => {
    const owner = loadGroup[block]!;
    if (owner === SHARED) return;
    if (owner >= 0) {
      if (groups.names[owner] === group) return;
      loadGroup[block] = SHARED;
      loadGroupBlocks[owner]!--;
      return;
    }
    const n = groups.id(group);
    if (n === loadGroupTask.length) {
      // A group that owns a block for the first time.
      loadGroupTask.push(task);
      loadGroupBlocks.push(0);
    }
    loadGroup[block] = n;
    loadGroupBlocks[n]!++;
  };

  const used = offHeapUint8(tileTensor.length);
  // Every (tile, partner) pair as found, duplicates included; sorted into per-tile lists below.
  const pairA: number[] = [];
  const pairB: number[] = [];
  const writers: number[][] = tensors.map(() => []);
  const users: number[][] = tensors.map(() => []);
  const writes: (readonly number[])[] = [];
  const gathered = offHeapUint8(tensors.length);
  // A tensor read by a task of an MXM group is freed only when the group's last task in list order comes. The
  // group holds its plane from its first task to its last: were the space reused by a tensor that the group itself
  // reads later (e.g. a weight read by `lw` whose space goes to the activation `abc` takes), the group's input
  // would wait on its own weight load, and groups that hold planes while waiting can leave none for the tasks
  // they wait on (the scheduler's "every ready task waits for an MXM plane"). Freed then, a new tenant's writers
  // are the group's last task itself (its result may take the space, as before) or come after it, so none of
  // them is an input of the group.
  const groupLast = new Map<string, number>();
  g.tasks.forEach((task, i) => {
    if (task.mxmGroup) groupLast.set(task.mxmGroup, i);
  });
  // A lifetime ends at the last task that *uses* the tensor, writers included, and a new tenant's writers follow
  // every reader and writer of the old one: a tile that is written but never read (a split drops it, a head's
  // scores skip it) still has a writer, and the scheduler may place that writer late (nothing waits for it). Ended
  // at the last reader, its space went to a later tensor, and the late write landed on that tensor's value between
  // its write and its reads: wrong values, no hazard, exact cycles (test/compiler/passes/sram-reuse.test.ts).
  const lastUse = offHeapInt32(tensors.length).fill(-1);
  const usesLast = offHeapUint8(tensors.length); // whether the task at lastUse uses the tensor itself
  // Per tensor, whether some read is / is not a whole block straight into an `lw` (see `wideCandidate`).
  const wholeRead = offHeapUint8(tensors.length);
  const partRead = offHeapUint8(tensors.length);
  const converted = offHeapUint8(tensors.length);
  const mxmInput = offHeapUint8(tensors.length);
  const abcReads: number[] = [];
  const ids: number[] = [];
  for (let i = 0; i < g.tasks.length; i++) {
    const task = g.tasks[i]!;
    const steps = task.steps;
    const freeAt = task.mxmGroup ? groupLast.get(task.mxmGroup)! : i;
    const written: number[] = [];
    ids.length = 0;
    for (let si = 0; si < steps.length; si++) {
      const s = steps[si]!;
      if (s.kind !== "read" && s.kind !== "write" && s.kind !== "gather") continue;
      const ti = index.get(s.ref.tensor);
      const k = tileOf(ti, s.ref.tile);
      if (k >= 0) {
        used[k] = 1;
        if (!ids.includes(k)) ids.push(k);
      }
      if (ti === undefined) continue;
      if (s.kind === "gather") gathered[ti] = 1;
      else if (s.kind === "write") {
        written.push(ti);
        const ws = writers[ti]!;
        if (ws[ws.length - 1] !== i) ws.push(i);
      } else if (s.ref.stride === 1 && s.ref.row % tensors[ti]!.blockRows === 0 && wideLoadAt(steps, si)) {
        wholeRead[ti] = 1;
        if (task.mxmGroup && k >= 0)
          firstLoad(blockBase[k]! + Math.floor(s.ref.row / tensors[ti]!.blockRows), task.mxmGroup, i);
        // An 8-bit weight is converted on the VXM on its way to the MXM (its width is capped: `convertWidth` in
        // allocate-round.ts).
        if (steps[si + 1]!.kind === "convert") converted[ti] = 1;
      } else {
        partRead[ti] = 1;
        const next = steps[si + 1];
        if (next?.kind === "abc" && next.src === si) {
          mxmInput[ti] = 1;
          abcReads.push(ti);
        }
      }
      const us = users[ti]!;
      if (us[us.length - 1] !== i) us.push(i);
      const last = lastUse[ti]!;
      if (freeAt >= last) {
        usesLast[ti] = freeAt === i || (last === freeAt && usesLast[ti] === 1) ? 1 : 0;
        lastUse[ti] = freeAt;
      }
    }
    writes.push(written.length > 0 ? written : EMPTY);
    // Tensors one task accesses together must not share a slice: their MEM instructions run at fixed offsets from
    // one another, so two of them on one slice could collide at every start cycle. Tracked per column tile: a wide
    // tensor spreads its tiles over every slice group, so a tensor-level rule would leave its partners no group.
    for (const a of ids)
      for (const b of ids)
        if (a !== b) {
          pairA.push(a);
          pairB.push(b);
        }
  }
  const { start: partnerStart, of: partnerOf } = distinctLists(tileTensor.length, pairA, pairB);

  // Space freed at a task is free after its writes are placed, or before them when the task does not use the
  // tensor itself (the last task of an MXM group that read it earlier).
  const outputs = new Set(g.outputs.map((o) => o.tensor));
  const freeBefore: number[][] = [];
  const freeAfter: number[][] = [];
  for (let ti = 0; ti < tensors.length; ti++) {
    const i = lastUse[ti]!;
    const t = tensors[ti]!;
    if (i < 0 || t.role !== "temp" || outputs.has(t.id)) continue;
    const lists = usesLast[ti] === 1 ? freeAfter : freeBefore;
    let list = lists[i];
    if (!list) {
      list = [];
      lists[i] = list;
    }
    list.push(ti);
  }
  const byName = (a: number, b: number) => (tensors[a]!.id < tensors[b]!.id ? -1 : 1);
  for (const lists of [freeBefore, freeAfter]) for (const list of lists) list?.sort(byName);

  // Gathered tables last: a table's tiles, all its id ranges' on a chip, can cover every slice group, and the ids
  // every gather reads must avoid all of them (a task's MEM steps may not share a slice), so the ids go first
  // and the tables take the slices left.
  const pinnedOrder: number[] = [];
  for (const gatheredPass of [false, true])
    tensors.forEach((t, ti) => {
      if (t.role !== "temp" && (gathered[ti] === 1) === gatheredPass) pinnedOrder.push(ti);
    });

  const wideCandidate = offHeapUint8(tensors.length);
  if (machine.mxm.maxLoadWidth > 1)
    tensors.forEach((t, ti) => {
      const onlyWhole = wholeRead[ti] === 1 && partRead[ti] === 0;
      wideCandidate[ti] =
        onlyWhole && writers[ti]!.length === 0 && t.role !== "temp" && !outputs.has(t.id) ? 1 : 0;
    });
  const relayAt = offHeapInt32(tensors.length).fill(-1);
  tensors.forEach((_, ti) => {
    if (writers[ti]!.length === 0) return;
    let at = -1;
    for (const i of users[ti]!) {
      const receives = writes[i]!.includes(ti); // a task's own writes: a few tensors
      const link = g.tasks[i]!.steps.find((s) => s.kind === (receives ? "recv" : "send"));
      const pos = link?.kind === "recv" || link?.kind === "send" ? machine.c2c.attach[link.link] : undefined;
      if (pos === undefined || (at >= 0 && pos !== at)) return;
      at = pos;
    }
    relayAt[ti] = at;
  });
  return {
    tensors,
    tileBase,
    tileTensor,
    used,
    partnerStart,
    partnerOf,
    writers,
    users,
    writes,
    freeBefore,
    freeAfter,
    pinnedOrder,
    wideCandidate,
    converted,
    blockBase,
    loadGroup,
    loadGroupTask,
    loadGroupBlocks,
    mxmInput,
    abcReads,
    relayAt,
  };
}

/** Per key k < n, the distinct values paired with it (in no particular order), as compressed lists:
 * of[start[k] .. start[k + 1]). */
export function distinctLists(
  n: number,
  keys: readonly number[],
  values: readonly number[],
): { start: Int32Array; of: Int32Array } {
  const count = offHeapInt32(n + 1);
  for (const k of keys) count[k + 1]!++;
  for (let k = 0; k < n; k++) count[k + 1]! += count[k]!;
  const all = offHeapInt32(keys.length);
  const fill = count.slice(0, n);
  for (let i = 0; i < keys.length; i++) all[fill[keys[i]!]!++] = values[i]!;
  // Drop repeats within each key's run: a value seen in this run carries the run's stamp.
  const stamp = offHeapInt32(n).fill(-1);
  const start = offHeapInt32(n + 1);
  const of = offHeapInt32(keys.length);
  let m = 0;
  for (let k = 0; k < n; k++) {
    for (let i = count[k]!; i < count[k + 1]!; i++) {
      const v = all[i]!;
      if (stamp[v] === k) continue;
      stamp[v] = k;
      of[m++] = v;
    }
    start[k + 1] = m;
  }
  return { start, of: of.slice(0, m) };
}

/** SRAM bytes of a tensor's placed rows (what the narrowing loop sorts wide tensors by). */
export function tensorBytes(t: TiledTensor): number {
  return t.rows * t.tiles * ELEM_BYTES[t.type];
}
