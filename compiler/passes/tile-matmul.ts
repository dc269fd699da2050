// A matmul (kernel op) -> MXM tasks: per output column tile and accumulator-sized row chunk, a chain over K tiles
// split over the chips partition chose and over each chip's idle MXM planes, fp32 partial sums added on chip 0.
// A column split (partition.ts's nSplits) goes to tile-columns.ts. Guarantees every output tile is written once,
// but for a zero tile no task reads (zero-tiles.ts).
import { ELEM_BYTES, type ElemType } from "../../arch/isa.ts";
import { sliceGroups } from "./allocate-groups.ts";
import { partId } from "./in-place.ts";
import type { KOp } from "./kernel-ir.ts";
import { type Lent, lentTiles, roomFor } from "./lent-tiles.ts";
import { groupRows, productPlaneSplits } from "./product-groups.ts";
import { sumHeads } from "./stages.ts";
import type { Step, TiledTensor } from "./task-ir.ts";
import { lowerColumns, partsOf } from "./tile-columns.ts";
import { accumulatorType, bufferRows, type TileContext } from "./tile-context.ts";

type Matmul = Extract<KOp, { kind: "matmul" }>;

/**
 * K tiles k0 .. k1 - 1 of the chip's tiles ck0 .. ck1 - 1 that split s of `splits` takes: even contiguous shares, or
 * with `lone` the last tile alone on the last split and the others shared evenly over the rest. A ones weight's
 * partial last tile at the end of a split's chain was loaded there after the full tiles' reinstalls, so after the
 * input's arrival (llama2-7b, one layer: 17,944 -> 17,203 cycles with it alone: its norms' sums end sooner).
 */
export function planeRange(
  ck0: number,
  ck1: number,
  s: number,
  splits: number,
  lone: boolean,
): [number, number] {
  if (lone && s === splits - 1) return [ck1 - 1, ck1];
  const [n, parts] = lone ? [ck1 - 1 - ck0, splits - 1] : [ck1 - ck0, splits];
  return [ck0 + Math.floor((s * n) / parts), ck0 + Math.floor(((s + 1) * n) / parts)];
}

/**
 * out[m, n] = sum_k a[m, k] * b[n, k]. Per output column tile j and row chunk: for each K tile i, LW the rows n
 * of b's column tile i (one weight row per output lane), IW, ABC a's column tile i; then ACC, convert, the fused
 * epilogue, write. The K tiles are split over the chips partition chose (each chip a contiguous range), and on
 * each chip over its idle MXM planes; each split drains an fp32 partial sum; remote chips send theirs to chip 0
 * over a link (add their local partials first), and chip 0 adds them all up.
 */
export function lowerMatmul(cx: TileContext, op: Matmul): void {
  const { p, machine, lanes, byId, rowsOf } = cx;
  const columns = p.nSplits?.get(op.id);
  if (columns) {
    lowerColumns(cx, op, columns);
    return;
  }
  const a0 = byId.get(op.a)!;
  const b0 = byId.get(op.b)!;
  const out = byId.get(op.out)!;
  const [kFirst, kEnd] = op.kTiles ?? [0, Math.ceil(a0.cols / lanes)];
  const kTiles = kEnd - kFirst;
  const chips = p.matmulChips.get(op.id) ?? 1;
  // A one-tile product (a lane move, a head's scores) pays a group's install and drain per pass: whole rows.
  const whole = Math.min(a0.blockRows, out.blockRows, machine.mxm.accumulatorRows);
  const chunk = groupRows(kTiles, whole, op.rowChunks);
  const acc = accumulatorType(a0.type);
  const lay = op.bLayout;
  const [n0, n1] = lay?.kind === "band" || lay?.kind === "window" ? lay.nTiles : [0, out.tiles];
  // The MXM groups and each one's planes: product-groups.ts, the rule pack.ts and the spread's time line count by.
  const shape = { layout: lay, outTiles: out.tiles, rows: a0.rows, kTiles, rowChunks: op.rowChunks === true };
  const sendRows = bufferRows(machine, acc);
  const bounds = p.kSplits?.get(op.id);
  // Whether chip c of the split is in the node of its chip 0 (a split may run past a node's end).
  const base = p.stageOf.get(op.id)?.base ?? 0;
  const node = Math.min(machine.system.chipsPerNode, machine.system.localLinksPerChip + 1);
  const sameNode = (c: number) => Math.floor((base + c) / node) === Math.floor(base / node);
  const range = (c: number) =>
    bounds
      ? ([bounds[c]!, bounds[c + 1]!] as const)
      : ([
          kFirst + Math.floor((c * kTiles) / chips),
          kFirst + Math.floor(((c + 1) * kTiles) / chips),
        ] as const);
  const nodeHead = sumHeads(base, chips, node, (c) => range(c)[1] - range(c)[0]);
  // `a` held in parts by the same ranges as this split's K tiles (in-place.ts): chip c reads its own part.
  const inParts = partsOf(p).has(a0.id);
  // Down kept in place over uneven K ranges: the heavier chips lend K tiles to the lighter ones (lent-tiles.ts).
  // Not an expert's down (its weight rows of a stacked one, spread-experts.ts): lent, mixtral's layer took 21,530
  // cycles, not 21,063, and its prefill of 64 stopped in the scheduler (a K split's sum task conflicting with itself;
  // not traced).
  const tileBytes = lanes * lanes * ELEM_BYTES[b0.type];
  const lent =
    inParts && bounds && !lay && (b0.source?.batches ?? 1) === 1
      ? lentTiles(
          base,
          chips,
          node,
          (c) => range(c)[1] - range(c)[0],
          out.tiles,
          roomFor(cx, base, tileBytes),
        )
      : new Map<number, Lent>();
  /** Chip c's K tiles for output tile j: its range, less its first tile where lent for j. */
  const rangeFor = (c: number, j: number): readonly [number, number] => {
    const [k0, k1] = range(c);
    const l = lent.get(c);
    return l?.lends(j) ? [k0 + 1, k1] : [k0, k1];
  };
  const lentTo = new Map<number, number[]>();
  for (const [c, l] of [...lent].sort((x, y) => x[0] - y[0]))
    lentTo.set(l.to, [...(lentTo.get(l.to) ?? []), c]);
  const diagonal = lay?.kind === "diagonal" ? lay : undefined;
  const splitsOn = (c: number, j?: number) => {
    const [k0, k1] = j === undefined ? range(c) : rangeFor(c, j);
    return productPlaneSplits(machine.mxm.planes, shape, whole, k1 - k0);
  };
  const single = chips === 1 && splitsOn(0) === 1;
  // Partial sums per chip and split; what chip 0 adds up.
  const partial = new Map<string, TiledTensor>();
  for (let c = 0; c < chips && !single; c++) {
    for (let s = 0; s < splitsOn(c); s++)
      partial.set(`${c}/${s}`, cx.temp(out, `${out.id}.c${c}.part${s}`, acc, c));
    for (const h of lentTo.get(c) ?? [])
      partial.set(`${c}/l${h}`, cx.temp(out, `${out.id}.c${c}.lent${h}`, acc, c));
  }
  // b's first row for output tile j (a window's b is stored whole), and its column tile for a's column tile i.
  // A window with `lanes` over a computed weight (loaded one row a cycle: allocate-facts.ts `wideCandidate`) loads
  // only those rows of each tile, into the plane's rows they take in the tile. A stored one (a value cache) keeps
  // its whole tile: a part of a block would load one row a cycle too, slower than the whole block's wide load.
  const only = lay?.kind === "window" && b0.role === "temp" ? lay.lanes : undefined;
  const bRow0 = (j: number) =>
    lay?.kind === "band" ? (j - n0) * lanes : only ? Math.max(j * lanes, only[0]) : j * lanes;
  const bTile = (i: number, j: number) =>
    lay?.kind === "band" ? i - kFirst : diagonal ? i - j + diagonal.below : i;
  // The output tiles outside a band or window are zeros, each a task that reads finite values (zeroTile): a's first
  // K tile (one the product reads, so one that is made) for fewer of them than out's type has slice groups, each
  // later one the zero tile that many before it.
  const zerosPerSource = sliceGroups(machine, ELEM_BYTES[out.type]).length - 1;
  const zeros: number[] = [];
  const unread = cx.unreadZeros.get(out.id);
  for (let j = 0; j < out.tiles; j++) {
    if (unread?.has(j)) continue;
    if (j < n0 || j >= n1) {
      const z = zeros.push(j) - 1;
      const [from, tile] = z < zerosPerSource ? [a0, kFirst] : [out, zeros[z - zerosPerSource]!];
      zeroTile(cx, op, from, tile, out, j, chunk, acc);
      continue;
    }
    const nRows = only ? Math.min((j + 1) * lanes, only[1]) - bRow0(j) : Math.min(lanes, b0.rows - bRow0(j));
    const planeRow0 = only ? bRow0(j) - j * lanes : 0;
    for (let m0 = 0; m0 < a0.rows; m0 += chunk) {
      const mn = Math.min(chunk, a0.rows - m0);
      const toSum: TiledTensor[] = [];
      const sumAfter: string[] = [];
      /** Per node after chip 0's, by its head chip (`nodeHead`): the sums of its chips, in chip order. */
      const remote = new Map<number, TiledTensor[]>();
      for (let c = 0; c < chips; c++) {
        const a = inParts ? byId.get(partId(a0.id, c))! : cx.onChip(a0, c);
        const b = cx.onChip(b0, c);
        const [ck0, ck1] = rangeFor(c, j);
        const splits = splitsOn(c, j);
        // A oneValue weight's partial last tile (its zero padding lanes differ from the full tiles) on a plane of
        // its own: each plane's chain then loads once, before its input comes (tile-context.ts kChain).
        const lone = b0.oneValue === true && ck1 * lanes > b0.cols && ck1 - ck0 > splits && splits > 1;
        const local: TiledTensor[] = [];
        const weights = (i: number) => rowsOf(b.id, bTile(i, j), bRow0(j), nRows);
        for (let s = 0; s < splits; s++) {
          let [k0, k1] = planeRange(ck0, ck1, s, splits, lone);
          if (diagonal) {
            k0 = Math.max(k0, j - diagonal.below);
            k1 = Math.min(k1, j + diagonal.above + 1);
          }
          const group = `${op.id}.n${j}.m${m0}${chips > 1 ? `.c${c}` : ""}${splits > 1 ? `.s${s}` : ""}`;
          const prev = cx.kChain(op.id, group, a, b.type, [k0, k1], weights, [m0, mn], c, planeRow0);
          const steps: Step[] = [{ kind: "acc", type: acc, n: mn, row0: 0 }];
          if (single) cx.finish(steps, 0, acc, out, j, m0, mn, op.epilogue ?? []);
          else {
            const part = partial.get(`${c}/${s}`)!;
            steps.push({ kind: "write", ref: rowsOf(part.id, j, m0, mn), type: acc, src: 0 });
            local.push(part);
          }
          cx.push({ id: `${group}.acc`, op: op.id, mxmGroup: group, mxmGroupEnd: true, steps }, [prev!], c);
        }
        // The K tiles lent to this chip for output tile j: one group each, on the lender's part of `a` moved here
        // (stages.ts: a local link), its weight tile stored here.
        for (const h of lentTo.get(c) ?? []) {
          const l = lent.get(h)!;
          if (!l.lends(j)) continue;
          const a = cx.onChip(byId.get(partId(a0.id, h))!, c);
          const group = `${op.id}.n${j}.m${m0}.c${c}.l${h}`;
          const k = range(h)[0];
          const prev = cx.kChain(op.id, group, a, b.type, [k, k + 1], weights, [m0, mn], c, planeRow0);
          const part = partial.get(`${c}/l${h}`)!;
          const steps: Step[] = [
            { kind: "acc", type: acc, n: mn, row0: 0 },
            { kind: "write", ref: rowsOf(part.id, j, m0, mn), type: acc, src: 0 },
          ];
          local.push(part);
          cx.push({ id: `${group}.acc`, op: op.id, mxmGroup: group, mxmGroupEnd: true, steps }, [prev!], c);
        }
        if (single) continue;
        if (c === 0) {
          toSum.push(...local);
          continue;
        }
        // A remote chip: add its partials, then send the sum to chip 0 in buffer-sized pieces (over a local
        // link; from another node, chip 0's sum reads it and stages.ts moves it over the gateway chips).
        let send = local[0]!;
        if (local.length > 1) {
          send = cx.temp(out, `${out.id}.c${c}.sum.n${j}.m${m0}`, acc, c);
          cx.push(
            {
              id: `${op.id}.n${j}.m${m0}.c${c}.sum`,
              op: op.id,
              steps: sumSteps(cx, local, j, m0, mn, acc, send),
            },
            [],
            c,
          );
        }
        if (!sameNode(c)) {
          // Summed first on its node's head (stages.ts `sumHeads`), which sends one sum to chip 0: one partial sum
          // per node crosses the gateways, not one per chip (eight of them, 104 words each, were 16,000 cycles on
          // one llama2-70b-fp8 gateway).
          const head = nodeHead(c);
          const parts = remote.get(head) ?? remote.set(head, []).get(head)!;
          parts.push(send);
          continue;
        }
        const got = cx.temp(out, `${out.id}.from${c}.n${j}.m${m0}`, acc, 0);
        sumAfter.push(...cx.toChip0(op.id, send, got, acc, [j, m0, mn], c, sendRows));
        toSum.push(got);
      }
      if (single) continue;
      // Each node's sum goes to chip 0 along its head's position (`sumHeads`), relayed by stages.ts, and chip 0
      // adds them all: no head waits for the nodes beyond it.
      for (const [head, parts] of [...remote].sort((x, y) => y[0] - x[0])) {
        let sum = parts[0]!;
        if (parts.length > 1) {
          // The head reads its node's other sums (moved over local links by stages.ts) and adds them.
          sum = cx.temp(out, `${out.id}.node${head}.n${j}.m${m0}`, acc, head);
          const id = `${op.id}.n${j}.m${m0}.node${head}`;
          cx.push({ id, op: op.id, steps: sumSteps(cx, parts, j, m0, mn, acc, sum) }, [], head);
        }
        toSum.push(sum);
      }
      const steps: Step[] = toSum.map((pt) => ({ kind: "read", ref: rowsOf(pt.id, j, m0, mn), type: acc }));
      let sum = 0;
      for (let s = 1; s < toSum.length; s++) {
        steps.push({ kind: "vbinary", fn: "add", type: acc, a: sum, b: s, n: mn });
        sum = steps.length - 1;
      }
      cx.finish(steps, sum, acc, out, j, m0, mn, op.epilogue ?? []);
      cx.push({ id: `${op.id}.n${j}.m${m0}.sum`, op: op.id, steps }, sumAfter, 0);
    }
  }
}

/** Output tile j of a band matmul, outside its band: exactly 0 (x - x of finite values: tile `tile` of `from`, a
 * or an earlier zero tile of out) through the epilogue, so the tile holds what the full product would. allocate
 * puts the tiles one task accesses on distinct slices, so the tile read must avoid the slices of every zero tile
 * that reads it: as many as out's type has slice groups, and out's tiles alone can cover every slice of the chip
 * (a 1024-wide head's p . V over a cache, in an 8192-wide fp32 row: 22 zero tiles, 22 groups of 4 slices; LPU5005
 * with the SRAM nearly empty). So a's tile serves one fewer than that, and each later zero tile reads the one that
 * many before it (written, finite; one more VXM pass on its chain). Every program in programs/ has fewer (at most
 * 12 in an fp32 row, 25 in a 16-bit one): all read a's tile 0, as before. A bound out's own tiles need, not a
 * guarantee: the epilogue's operands' tiles j are read beside them. */
function zeroTile(
  cx: TileContext,
  op: Matmul,
  from: TiledTensor,
  tile: number,
  out: TiledTensor,
  j: number,
  chunk: number,
  acc: ElemType,
): void {
  for (let m0 = 0; m0 < out.rows; m0 += chunk) {
    const mn = Math.min(chunk, out.rows - m0);
    const steps: Step[] = [{ kind: "read", ref: cx.rowsOf(from.id, tile, m0, mn), type: from.type }];
    if (from.type !== acc) steps.push({ kind: "convert", from: from.type, to: acc, src: 0, n: mn });
    steps.push({ kind: "vbinary", fn: "sub", type: acc, a: steps.length - 1, b: steps.length - 1, n: mn });
    cx.finish(steps, steps.length - 1, acc, out, j, m0, mn, op.epilogue ?? []);
    cx.push({ id: `${op.id}.n${j}.m${m0}.zero`, op: op.id, steps });
  }
}

/** Reads partial sums of rows m0.. of tile j, adds them, writes `into`. */
function sumSteps(
  cx: TileContext,
  parts: readonly TiledTensor[],
  j: number,
  m0: number,
  mn: number,
  acc: ElemType,
  into: TiledTensor,
): Step[] {
  const steps: Step[] = parts.map((pt) => ({ kind: "read", ref: cx.rowsOf(pt.id, j, m0, mn), type: acc }));
  let sum = 0;
  for (let s = 1; s < parts.length; s++) {
    steps.push({ kind: "vbinary", fn: "add", type: acc, a: sum, b: s, n: mn });
    sum = steps.length - 1;
  }
  steps.push({ kind: "write", ref: cx.rowsOf(into.id, j, m0, mn), type: acc, src: sum });
  return steps;
}
