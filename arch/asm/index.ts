// The assembly API: `.lasm` text <-> Program, Program <-> JSON. See docs/isa.md for the syntax and the JSON form.
import type { Diagnostic } from "../../util/diagnostics.ts";
import type { Program } from "../isa.ts";
import { assemble } from "./assemble.ts";

export { programFromJson } from "./json.ts";
export { programToJson, programToJsonChunks } from "./json-write.ts";
export { printAsm, printAsmBytes, printInstruction } from "./print.ts";

/** Parses assembly text; `program` is present only when there are no errors (warnings may remain). */
export function parseAsm(text: string, file: string): { program?: Program; diagnostics: Diagnostic[] } {
  return assemble(text, file);
}
