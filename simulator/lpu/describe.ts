// Short readable text for instructions and stream words, for the event log of `lpu step` and for state().

import { mnemonicOf } from "../../arch/asm/names.ts";
import type { ElemType, Instruction, StreamRef } from "../../arch/isa.ts";
import { decode } from "./values.ts";

function s(ref: StreamRef): string {
  return `s${ref.id}${ref.dir}`;
}

export function describeInstruction(inst: Instruction): string {
  const m = mnemonicOf(inst);
  switch (inst.op) {
    case "nop":
      return `nop ${inst.cycles}`;
    case "sync":
    case "notify":
      return `${m} ${inst.token}`;
    case "deskew":
      return (inst.n ?? 1) > 1 ? `deskew ${inst.n} every ${inst.period}` : m;
    case "iw":
      return m;
    case "read":
    case "write":
      return `${m} ${inst.addr}, ${s(inst.stream)}, ${inst.n}, ${inst.stride}`;
    case "gather":
    case "scatter":
      return `${m} ${inst.base}, ${s(inst.stream)}, ${s(inst.map)}, ${inst.n}`;
    case "vunary":
      return `${m}.${inst.type} ${s(inst.dst)}, ${s(inst.src)}, ${inst.n}`;
    case "vbinary":
      return `${m}.${inst.type} ${s(inst.dst)}, ${s(inst.a)}, ${typeof inst.b === "number" ? inst.b : s(inst.b)}, ${inst.n}`;
    case "convert":
      return `convert.${inst.to}.${inst.from} ${s(inst.dst)}, ${s(inst.src)}, ${inst.n}`;
    case "vaccum":
      return `accum.${inst.type} ${s(inst.dst)}, ${s(inst.src)}, ${inst.n}`;
    case "lw":
      return `lw.${inst.type} ${s(inst.src)}, ${inst.n}, ${inst.row0}${(inst.width ?? 1) !== 1 ? `, width=${inst.width}` : ""}`;
    case "abc":
      return `abc.${inst.type} ${s(inst.src)}, ${inst.n}, ${inst.row0}${inst.accumulate ? ", acc" : ""}`;
    case "acc":
      return `acc.${inst.type} ${s(inst.dst)}, ${inst.n}, ${inst.row0}`;
    case "sxm": {
      const arg =
        inst.fn === "permute" || inst.fn === "distribute"
          ? `${inst.map}, `
          : inst.fn === "transpose"
            ? ""
            : `${inst.amount}, `;
      return `${m}.${inst.type} ${s(inst.dst)}, ${s(inst.src)}, ${arg}${inst.n}`;
    }
    case "send":
      return `send.${inst.type} ${s(inst.src)}, ${inst.n}`;
    case "recv":
      return `recv.${inst.type} ${s(inst.dst)}, ${inst.n}`;
  }
}

/** The first lanes of a word as numbers: `[1, 2, 3, 4, ...]`. */
export function previewWord(
  planes: readonly Uint8Array[],
  type: ElemType | undefined,
  lanes: number,
  count = 4,
): string {
  const t: ElemType = type ?? "int8";
  const values =
    planes.length >= (t === "fp32" || t === "int32" ? 4 : t === "fp16" || t === "bf16" ? 2 : 1)
      ? decode(t, planes, lanes)
      : decode("uint8", planes, lanes);
  const shown = Array.from(values.subarray(0, Math.min(count, lanes)), (v) => String(v));
  return `[${shown.join(", ")}${lanes > count ? ", ..." : ""}]${type ? ` ${type}` : ""}`;
}
