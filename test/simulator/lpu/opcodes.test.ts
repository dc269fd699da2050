// The simulator copies a row's opcode from the program's columns as it is (simulator/lpu/code.ts): its OP_* numbers
// must be the columns' codes (arch/columns.ts OPCODES), or every instruction would run as another.
import { describe, expect, it } from "vitest";
import { OPCODES } from "../../../arch/columns.ts";
import * as code from "../../../simulator/lpu/code.ts";

describe("the simulator's opcode numbers", () => {
  it("are the program columns' opcode codes, one for every opcode", () => {
    const numbers = Object.entries(code)
      .filter(([name]) => /^OP_[A-Z]+$/.test(name))
      .map(([name, value]) => [name.slice(3).toLowerCase(), value]);
    expect(numbers.length).toBe(OPCODES.length);
    for (const [op, value] of numbers)
      expect(OPCODES.indexOf(op as (typeof OPCODES)[number]), op as string).toBe(value);
  });
});
