// The JSON form's vocabulary (docs/isa.md, "The JSON form"), shared by its writer (json-write.ts) and its reader
// (json.ts): the format's name and version, and per op the fields of an instruction in their fixed order and kind.
import type { Instruction } from "../isa.ts";

export const JSON_FORMAT = "lpu-program";
export const JSON_VERSION = 1;

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** One field of an instruction in JSON, by kind. */
export type FieldKind =
  | "int0"
  | "int1"
  | "int"
  | "stream"
  | "type"
  | "token"
  | "bool"
  | "operand"
  | "unary"
  | "binary"
  | "sxmfn"
  | "map"
  | "opt1";

export const FIELDS: Readonly<Record<Instruction["op"], readonly (readonly [string, FieldKind])[]>> = {
  nop: [["cycles", "int1"]],
  sync: [["token", "token"]],
  notify: [["token", "token"]],
  deskew: [
    ["n", "opt1"],
    ["period", "opt1"],
  ],
  read: [
    ["addr", "int0"],
    ["stream", "stream"],
    ["n", "int1"],
    ["stride", "int"],
  ],
  write: [
    ["addr", "int0"],
    ["stream", "stream"],
    ["n", "int1"],
    ["stride", "int"],
  ],
  gather: [
    ["base", "int0"],
    ["stream", "stream"],
    ["map", "stream"],
    ["n", "int1"],
  ],
  scatter: [
    ["base", "int0"],
    ["stream", "stream"],
    ["map", "stream"],
    ["n", "int1"],
  ],
  vunary: [
    ["fn", "unary"],
    ["type", "type"],
    ["dst", "stream"],
    ["src", "stream"],
    ["n", "int1"],
  ],
  vbinary: [
    ["fn", "binary"],
    ["type", "type"],
    ["dst", "stream"],
    ["a", "stream"],
    ["b", "operand"],
    ["n", "int1"],
  ],
  convert: [
    ["from", "type"],
    ["to", "type"],
    ["dst", "stream"],
    ["src", "stream"],
    ["n", "int1"],
  ],
  vaccum: [
    ["type", "type"],
    ["dst", "stream"],
    ["src", "stream"],
    ["n", "int1"],
  ],
  lw: [
    ["type", "type"],
    ["src", "stream"],
    ["n", "int1"],
    ["row0", "int0"],
    ["width", "opt1"],
  ],
  iw: [],
  abc: [
    ["type", "type"],
    ["src", "stream"],
    ["n", "int1"],
    ["row0", "int0"],
    ["accumulate", "bool"],
  ],
  acc: [
    ["type", "type"],
    ["dst", "stream"],
    ["n", "int1"],
    ["row0", "int0"],
  ],
  sxm: [
    ["fn", "sxmfn"],
    ["type", "type"],
    ["dst", "stream"],
    ["src", "stream"],
    ["n", "int1"],
    ["amount", "int"],
    ["map", "map"],
  ],
  send: [
    ["type", "type"],
    ["src", "stream"],
    ["n", "int1"],
  ],
  recv: [
    ["type", "type"],
    ["dst", "stream"],
    ["n", "int1"],
  ],
};
