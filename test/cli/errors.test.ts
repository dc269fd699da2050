import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const LPU = new URL("../../bin/lpu.js", import.meta.url).pathname;

function lpu(args: string[]): { code: number; stderr: string } {
  try {
    execFileSync(LPU, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return { code: 0, stderr: "" };
  } catch (e) {
    const err = e as { status: number; stderr: string };
    return { code: err.status, stderr: err.stderr };
  }
}

describe("the command line's error boundary", () => {
  it("a bad flag value is a user error: a message, exit 1, no stack trace", () => {
    const r = lpu(["gpu", "programs/tiny-gpt.model", "--runs", "0"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--runs takes a positive whole number, got '0'");
    expect(r.stderr).not.toContain("    at ");
  });
  it("a missing file is a user error that names the file", () => {
    const r = lpu(["check", "no-such.model"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no-such.model");
    expect(r.stderr).not.toContain("    at ");
  });
});

describe("lpu step's exit status", () => {
  it("a hazard inside a window that ends before the program does still exits 1", () => {
    const r = lpu(["step", "programs/asm/tutorial/vector-add-late.lasm", "--cycles", "12"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("LPU4001");
  });
});
