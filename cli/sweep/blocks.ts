// `lpu sweep` flags -> the sweep's blocks of axes. The LPU block crosses --set lists, --arch, each --arch-set key
// and --chips; the GPU block crosses --set lists, --gpu and --gpus. Keys are taken in sorted order so the
// combination numbering does not depend on the order of the flags (shards of one sweep must agree on it).
import { resolveMachine } from "../../arch/derive.ts";
import { deriveGpu } from "../../arch/gpu/derive.ts";
import { type Axis, type Block, combinations, parseIntList, parseList } from "../../compiler/sweep/grid.ts";
import { UserError } from "../../util/diagnostics.ts";
import { ARCH_SET_PREFIX, errorLine, SET_PREFIX } from "./context.ts";

export interface SweepFlags {
  readonly chips?: string;
  readonly arch?: string;
  readonly archSet?: Record<string, string>;
  readonly gpus?: string;
  readonly gpu?: string;
  readonly set?: Record<string, string>;
}

function keyedAxes(flag: string, prefix: string, sets: Record<string, string> = {}): Axis[] {
  return Object.keys(sets)
    .sort()
    .map((k) => ({ name: `${prefix}${k}`, values: parseList(`${flag} ${k}`, sets[k]!) }));
}

export function sweepBlocks(f: SweepFlags): Block[] {
  if (f.chips === undefined && f.gpus === undefined)
    throw new UserError("nothing to sweep: give --chips (the LPU), --gpus (the GPU baseline), or both");
  if (f.chips === undefined && (f.arch !== undefined || Object.keys(f.archSet ?? {}).length > 0))
    throw new UserError("--arch and --arch-set vary the LPU: give --chips too");
  if (f.gpus === undefined && f.gpu !== undefined) throw new UserError("--gpu needs --gpus");
  const sets = keyedAxes("--set", SET_PREFIX, f.set);
  const blocks: Block[] = [];
  if (f.chips !== undefined)
    blocks.push({
      target: "lpu",
      axes: [
        ...sets,
        { name: "arch", values: parseList("--arch", f.arch ?? "tsp-v1") },
        ...keyedAxes("--arch-set", ARCH_SET_PREFIX, f.archSet),
        { name: "chips", values: parseIntList("--chips", f.chips) },
      ],
    });
  if (f.gpus !== undefined)
    blocks.push({
      target: "gpu",
      axes: [
        ...sets,
        { name: "gpu", values: parseList("--gpu", f.gpu ?? "h100-sxm") },
        { name: "gpus", values: parseIntList("--gpus", f.gpus) },
      ],
    });
  return blocks;
}

/**
 * Checks every machine of the sweep before any worker starts, so that a misspelt preset or key stops the sweep
 * at once instead of failing every row. Only the machine axes are expanded (a few combinations, cheap).
 */
export function checkMachines(blocks: readonly Block[]): void {
  for (const b of blocks) {
    const machineAxes = b.axes.filter(
      (a) => !a.name.startsWith(SET_PREFIX) && a.name !== "chips" && a.name !== "gpus",
    );
    for (const c of combinations([{ target: b.target, axes: machineAxes }])) {
      if (b.target === "lpu") {
        const archSets: Record<string, string> = {};
        for (const [k, v] of Object.entries(c.params))
          if (k.startsWith(ARCH_SET_PREFIX)) archSets[k.slice(ARCH_SET_PREFIX.length)] = v;
        resolveMachine(c.params.arch!, archSets);
      } else {
        const d = deriveGpu(c.params.gpu!);
        if (!d.preset) throw new UserError(errorLine(d.diagnostics));
      }
    }
  }
}
