// After `tile` (part of that pass's output): tile's tasks carry chips relative to their op's pipeline stage; this
// puts them on physical chips and adds the link transfers the stages need. In: the task graph and the partition.
// Out: every task and tensor on its chip; a task that reads a tensor living on another chip reads a local copy
// instead, written by `recv` tasks fed by `send` tasks on the way there (a temporary) or loaded with the same
// seeded values (a weight or input). Identity for a program on one stage at chip 0 (byte-identical output).
//
// The wiring assumed (emit writes it into the program's wires): inside a node of `chipsPerNode` chips, local link
// k of the chip at position a goes to position k (k < a) or k + 1 (tile.ts `linkTo`); between nodes, the first
// global link of every chip goes to the second global link of the chip at the same position in the next node, so
// the nodes form a line with a wire per position (two of each chip's global links). A transfer to another node
// crosses at one position: the destination's going east, the source's going west (`route`).
import { ELEM_BYTES } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { invariant } from "../../util/assert.ts";
import { partId } from "./in-place.ts";
import type { PartitionedGraph } from "./partition.ts";
import type { Step, Task, TaskGraph, TiledTensor } from "./task-ir.ts";
import { partsOf } from "./tile-columns.ts";

/** The first two global links of a chip (after its local links): toward the next node and the previous one, at the
 * chip's position; the next two (where the machine has them): a node's last chip to the next node's first and back. */
export function globalLinks(m: Machine): {
  east: number;
  west: number;
  gateEast?: number;
  gateWest?: number;
} {
  const l = m.system.localLinksPerChip;
  const gates = m.system.globalLinksPerChip >= 4 ? { gateEast: l + 2, gateWest: l + 3 } : {};
  return { east: l, west: l + 1, ...gates };
}

/** Whether chips `from` and `to` are a node's last chip and the next node's first (either way round), of nodes of
 * several chips: wired directly by their third and fourth global links (`globalLinks`). */
export function gatewayPair(from: number, to: number, size: number): boolean {
  if (size < 2 || Math.abs(from - to) !== 1) return false;
  return Math.floor(from / size) !== Math.floor(to / size);
}

/** The chips of a node that can all reach each other directly: a partition's node. */
export function nodeSize(m: Machine): number {
  return Math.min(m.system.chipsPerNode, m.system.localLinksPerChip + 1);
}

/**
 * The chips a transfer visits from `from` to `to`, both ends included: inside a node directly; to another node along
 * one position's wires (each chip is wired to the chip at its position in the neighbouring nodes). Going east, to
 * the destination's position inside the source's node first, then along it; going west, along the source's position,
 * then to the destination: every node passed is whole either way (a model may leave the last node partly empty), and
 * every chip on the way lies in the nodes from the source's to the destination's, so a group of whole nodes (a
 * stamped unit) routes inside itself. A node's last chip and the next node's first are wired directly as well
 * (`gatewayPair`: a pipeline's consecutive stages). With one wire between nodes (a node's last chip to the next node's first),
 * every transfer between nodes queued on it: llama2-70b-fp8's copies of a 26-tile row to the chips of the next node
 * took about 2,000 cycles over three hops, its column splits' tiles came back over three more.
 */
export function route(m: Machine, from: number, to: number): number[] {
  return routeOver(nodeSize(m), globalLinks(m).gateEast !== undefined, from, to);
}

/** `route` on nodes of `size` chips, with (`gateways`) or without the direct wire of a node's last chip and the next
 * node's first: the one rule stages.ts routes by and the spread's estimate prices (spread-timeline.ts). */
export function routeOver(size: number, gateways: boolean, from: number, to: number): number[] {
  const [nf, nt] = [Math.floor(from / size), Math.floor(to / size)];
  if (nf === nt) return from === to ? [from] : [from, to];
  if (gateways && gatewayPair(from, to, size)) return [from, to];
  const step = nt > nf ? 1 : -1;
  const pos = nt > nf ? to % size : from % size;
  const path = [from];
  if (nf * size + pos !== from) path.push(nf * size + pos);
  for (let n = nf + step; n !== nt + step; n += step) path.push(n * size + pos);
  if (path[path.length - 1] !== to) path.push(to);
  return path;
}

/**
 * Per chip c of a K split over chips base .. base + chips - 1 (nodes of `node` chips) in a later node than chip 0's,
 * the chip of the split (relative) that adds its node's partial sums and sends that one sum to chip 0. A node's
 * head takes a position no farther node's head took where its K tiles allow (fewer K tiles outweigh a free
 * position), so the sums cross the nodes between on wires of their own, relayed, not added
 * (stages.ts `route`: west along the head's position, then a local hop). Chained instead (each head adding the sum
 * of the nodes beyond it, all at one position), llama2-70b-fp8's down over four nodes paid an add and its SRAM trip
 * at every head: about 510 cycles a hop for the last tile's sum, 390 relayed. The head is, farthest node first, a
 * chip with the fewest K tiles (`kTiles`) at a free position: its adds take VXM ALUs that its fp8 weight loads
 * convert on, so a loaded head's own products end later (chip 17 of that down: 700 cycles); on a tie chip 0's
 * position (the sum then enters chip 0 straight from its wire), then the nearest after it.
 */
export function sumHeads(
  base: number,
  chips: number,
  node: number,
  kTiles: (c: number) => number,
): (c: number) => number {
  const first = Math.floor(base / node);
  const last = Math.floor((base + chips - 1) / node);
  const pos0 = base % node;
  const taken = new Set<number>();
  const head = new Map<number, number>();
  for (let n = last; n > first; n--) {
    const [lo, hi] = [Math.max(base, n * node), Math.min(base + chips, (n + 1) * node)];
    let best = -1;
    let key = Number.POSITIVE_INFINITY;
    for (let at = lo; at < hi; at++) {
      const pos = at % node;
      const k = kTiles(at - base) * 2 * node + (taken.has(pos) ? node : 0) + ((pos - pos0 + node) % node);
      if (k < key) [best, key] = [at, k];
    }
    taken.add(best % node);
    head.set(n, best - base);
  }
  return (c) => head.get(Math.floor((base + c) / node))!;
}

/** The link of chip `from` wired to the neighbouring chip `to` (one hop of `route`). */
export function linkBetween(m: Machine, from: number, to: number): number {
  const size = nodeSize(m);
  const [nf, nt] = [Math.floor(from / size), Math.floor(to / size)];
  if (nf === nt) {
    const [a, b] = [from % size, to % size];
    return b < a ? b : b - 1;
  }
  const g = globalLinks(m);
  if (gatewayPair(from, to, size) && g.gateEast !== undefined) return to > from ? g.gateEast : g.gateWest!;
  invariant(Math.abs(nf - nt) === 1 && from % size === to % size, `chips ${from} and ${to} are not wired`);
  return to > from ? g.east : g.west;
}

/**
 * The products split by output columns and gathered on their first chip (tile-columns.ts; not kept in parts): per
 * output, tile j -> the part that chip c of the split wrote it to (`partId(out, c)`, c > 0) before sending it to the
 * first chip. A reader on a third chip takes the tile from there (`nearest`): the same values, one hop sooner than
 * through the gathering chip (llama2-70b-fp8's q: its heads' chips waited for every tile to reach chip 0 first).
 */
function madeOnParts(p: PartitionedGraph): Map<string, (tile: number) => string | undefined> {
  const kept = partsOf(p);
  const made = new Map<string, (tile: number) => string | undefined>();
  for (const op of p.kernel.ops) {
    const n = p.nSplits?.get(op.id);
    if (op.kind !== "matmul" || !n || kept.has(op.out)) continue;
    made.set(op.out, (tile) => {
      for (let c = 1; c + 1 < n.length; c++) if (tile >= n[c]! && tile < n[c + 1]!) return partId(op.out, c);
      return undefined;
    });
  }
  return made;
}

/** A task writing rows `row .. end - 1` of a tile. */
interface Written {
  readonly id: string;
  readonly row: number;
  readonly end: number;
}

/** The ids of the writers whose rows meet `row .. end - 1`. */
function overlapping(ws: readonly Written[], row: number, end: number): string[] {
  return ws.filter((w) => w.row < end && row < w.end).map((w) => w.id);
}

export function placeStages(g: TaskGraph, p: PartitionedGraph, m: Machine): TaskGraph {
  const moved = g.tasks.some((t) => (p.stageOf.get(t.op)?.base ?? 0) !== 0);
  if (!moved && !g.tasks.some((t) => t.steps.some((s) => s.kind === "read" && /@c\d+$/.test(s.ref.tensor))))
    return g;
  const chipOfTask = (t: Task) => (p.stageOf.get(t.op)?.base ?? 0) + t.chip;
  const byId = new Map(g.tensors.map((t) => [t.id, t]));
  const writers = new Map<string, Written[]>(); // `${tensor}/${tile}` -> writer tasks and their rows
  const firstWriterChip = new Map<string, number>();
  const firstReaderChip = new Map<string, number>();
  for (const t of g.tasks)
    for (const s of t.steps) {
      if (s.kind === "write") {
        const k = `${s.ref.tensor}/${s.ref.tile}`;
        const w = { id: t.id, row: s.ref.row, end: s.ref.row + (s.ref.stride === 0 ? 1 : s.ref.n) };
        writers.set(k, [...(writers.get(k) ?? []), w]);
        if (!firstWriterChip.has(s.ref.tensor)) firstWriterChip.set(s.ref.tensor, chipOfTask(t));
      }
      if ((s.kind === "read" || s.kind === "gather") && !firstReaderChip.has(s.ref.tensor))
        firstReaderChip.set(s.ref.tensor, chipOfTask(t));
    }
  // tile's per-chip copy `x@cN` of a computed tensor has no writer: read the original, moved here by links.
  const alias = (id: string): string => {
    const base = id.replace(/@c\d+$/, "");
    return base !== id && byId.get(id)!.role === "temp" && !firstWriterChip.has(id) && byId.has(base)
      ? base
      : id;
  };
  const madeOn = madeOnParts(p);
  const homeOf = new Map<string, number>();
  for (const t of g.tensors)
    homeOf.set(t.id, firstWriterChip.get(t.id) ?? firstReaderChip.get(t.id) ?? p.chipOf.get(t.id) ?? 0);

  const tensors = new Map<string, TiledTensor>();
  for (const t of g.tensors) if (alias(t.id) === t.id) tensors.set(t.id, { ...t, chip: homeOf.get(t.id)! });
  const copyOf = (id: string, chip: number): string => {
    if (homeOf.get(id) === chip) return id;
    const cid = `${id}@p${chip}`;
    if (!tensors.has(cid)) tensors.set(cid, { ...tensors.get(id)!, id: cid, chip });
    return cid;
  };

  const taskById = new Map(g.tasks.map((t) => [t.id, t]));
  const recvOfSend = new Map<string, number>();
  for (const t of g.tasks)
    for (const s of t.steps) if (s.kind === "recv") recvOfSend.set(s.from, chipOfTask(t));
  const out: Task[] = [];
  /** Writer tasks of tile `tile` of the copy of tensor `id` on `chip` (made on first request), with their rows: a
   * reader waits for the pieces holding its rows only, so a row chunk goes on while later rows still cross. */
  const arrived = new Map<string, Written[]>();
  const fetch = (id: string, tile: number, chip: number): Written[] => {
    const home = homeOf.get(id)!;
    if (home === chip) return writers.get(`${id}/${tile}`) ?? [];
    const key = `${id}/${tile}/${chip}`;
    const got = arrived.get(key);
    if (got) return got;
    const t = tensors.get(id)!;
    if (t.role !== "temp") {
      copyOf(id, chip); // a weight or input: the emitter loads the same values on this chip
      arrived.set(key, []);
      return [];
    }
    const path = route(m, home, chip);
    const from = path[path.length - 2]!;
    const prev = fetch(id, tile, from);
    const src = copyOf(id, from);
    const dst = copyOf(id, chip);
    const rowsPerSend = Math.max(1, Math.floor(m.c2c.bufferWords / ELEM_BYTES[t.type]));
    const recvs: Written[] = [];
    for (let r0 = 0; r0 < t.rows; r0 += rowsPerSend) {
      const n = Math.min(rowsPerSend, t.rows - r0);
      const base = `move.${id}.t${tile}.r${r0}.c${from}-c${chip}`;
      const ref = (tensor: string) => ({ tensor, tile, row: r0, n, stride: 1 as const });
      out.push({
        id: `${base}.send`,
        chip: from,
        op: `move.${id}`,
        steps: [
          { kind: "read", ref: ref(src), type: t.type },
          { kind: "send", type: t.type, src: 0, n, link: linkBetween(m, from, chip) },
        ],
        after: overlapping(prev, r0, r0 + n),
      });
      out.push({
        id: `${base}.recv`,
        chip,
        op: `move.${id}`,
        steps: [
          { kind: "recv", type: t.type, n, link: linkBetween(m, chip, from), from: `${base}.send` },
          { kind: "write", ref: ref(dst), type: t.type, src: 0 },
        ],
        after: [`${base}.send`],
      });
      recvs.push({ id: `${base}.recv`, row: r0, end: r0 + n });
    }
    arrived.set(key, recvs);
    return recvs;
  };

  /** The tensor to read tile `tile` of `id` from on `chip`: a gathered column split's part where the tile was
   * made, when its route is no longer than from the gathering chip (tile-columns.ts sends each tile there first). */
  const nearest = (id: string, tile: number, chip: number): string => {
    const part = madeOn.get(id)?.(tile);
    if (part === undefined || homeOf.get(id) === chip || !homeOf.has(part)) return id;
    const hops = (from: number) => route(m, from, chip).length;
    return hops(homeOf.get(part)!) <= hops(homeOf.get(id)!) ? part : id;
  };

  for (const task of g.tasks) {
    const chip = chipOfTask(task);
    const after = new Set(task.after);
    const steps: Step[] = task.steps.map((s) => {
      switch (s.kind) {
        case "read":
        case "gather": {
          const id = nearest(alias(s.ref.tensor), s.ref.tile, chip);
          const end =
            s.kind === "gather" ? Number.POSITIVE_INFINITY : s.ref.row + (s.ref.stride === 0 ? 1 : s.ref.n);
          for (const w of overlapping(fetch(id, s.ref.tile, chip), s.ref.row, end)) after.add(w);
          return { ...s, ref: { ...s.ref, tensor: copyOf(id, chip) } };
        }
        case "write":
          invariant(homeOf.get(s.ref.tensor) === chip, `${task.id} writes ${s.ref.tensor} on another chip`);
          return s;
        case "send": {
          const to = recvOfSend.get(task.id);
          invariant(to !== undefined, `${task.id} sends to no receiver`);
          return { ...s, link: linkBetween(m, chip, to) };
        }
        case "recv": {
          const from = taskById.get(s.from);
          invariant(from, `${task.id} receives from an unknown task`);
          return { ...s, link: linkBetween(m, chip, chipOfTask(from)) };
        }
        default:
          return s;
      }
    });
    out.push({ ...task, chip, steps, after: [...after] });
  }
  let chips = p.chips;
  for (const t of tensors.values()) chips = Math.max(chips, t.chip + 1);
  for (const t of out) chips = Math.max(chips, t.chip + 1);
  return {
    ...g,
    chips,
    tasks: out,
    tensors: [...tensors.values()].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0)),
  };
}
