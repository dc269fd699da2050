// docs/tutorial.md, executed: every `$ lpu ...` line of its ```sh blocks runs as ./bin/lpu.js runs it, must end
// with the exit status the line names (`# exit 1`, else 0), and must print the output lines shown under it.
// So a renamed command, a changed flag or a changed number in the output fails here, and the tutorial cannot go stale.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import { registerCommands } from "../../cli/commands/index.ts";
import { UserError } from "../../util/diagnostics.ts";

const ROOT = join(import.meta.dirname, "../..");
const TUTORIAL = "docs/tutorial.md";
const LPU = join(ROOT, "bin/lpu.js");
const TIMEOUT_MS = 60_000;

/**
 * The markdown conventions, also stated at the top of the tutorial:
 * - in a ```sh block, a line `$ lpu ARGS` is a command; `$ mkdir -p DIR` is the only other one allowed;
 * - a trailing `# exit N` says the command must exit with status N (default 0);
 * - the lines after a command, up to the next command or the end of the block, are an excerpt of its output
 *   (stdout, then stderr): each run of lines between lines that are just `...` must appear, line for line and
 *   in that order, in the actual output (trailing spaces ignored);
 * - commands run one after another in document order (a later one may read a file an earlier one wrote), all in
 *   one scratch folder that links to programs/, so `-o out/...` files never land in the working tree.
 */
interface DocCommand {
  readonly line: number;
  readonly text: string;
  readonly argv: readonly string[];
  readonly exit: number;
  readonly chunks: readonly (readonly string[])[];
}

interface DocBlock {
  readonly line: number;
  readonly commands: readonly DocCommand[];
}

interface Parsed {
  readonly blocks: readonly DocBlock[];
  readonly problems: readonly string[];
}

const SHELL_SYNTAX = /[|&;<>`"'\\$*?(){}]/;

function parseTutorial(markdown: string): Parsed {
  const lines = markdown.split("\n");
  const blocks: DocBlock[] = [];
  const problems: string[] = [];
  let fence:
    | { line: number; lang: string; indent: number; body: { line: number; text: string }[] }
    | undefined;
  lines.forEach((raw, i) => {
    const text = raw.trimEnd();
    // A fence may be indented (a block inside a list item); its lines lose that indentation.
    const m = /^( *)(```+)\s*(\S*)/.exec(text);
    if (m) {
      if (!fence) fence = { line: i + 1, lang: m[3]!, indent: m[1]!.length, body: [] };
      else {
        if (fence.lang === "sh") blocks.push(parseBlock(fence.line, fence.body, problems));
        else if (fence.body.some((l) => l.text.startsWith("$ ")))
          problems.push(
            `line ${fence.line}: a \`$ \` command in a \`\`\`${fence.lang} block (only sh blocks run)`,
          );
        fence = undefined;
      }
      return;
    }
    if (fence) {
      const cut = Math.min(fence.indent, text.length - text.trimStart().length);
      fence.body.push({ line: i + 1, text: text.slice(cut) });
    } else if (text.trimStart().startsWith("$ lpu"))
      problems.push(`line ${i + 1}: a \`$ lpu\` command outside a code block (it would not run)`);
  });
  if (fence) problems.push(`line ${fence.line}: a code block is never closed`);
  return { blocks: blocks.filter((b) => b.commands.length > 0), problems };
}

function parseBlock(
  line: number,
  body: readonly { line: number; text: string }[],
  problems: string[],
): DocBlock {
  const commands: DocCommand[] = [];
  let current: { line: number; text: string; argv: string[]; exit: number; out: string[] } | undefined;
  const finish = () => {
    if (!current) return;
    const chunks = splitChunks(current.out);
    if (chunks.length === 0 && current.argv[0] === "lpu")
      problems.push(`line ${current.line}: '${current.text}' shows no output, so nothing would check it`);
    commands.push({ line: current.line, text: current.text, argv: current.argv, exit: current.exit, chunks });
  };
  for (const l of body) {
    if (l.text.startsWith("$ ")) {
      finish();
      const m = /^\$ (.*?)(?:\s+#\s*exit\s+(\d+))?$/.exec(l.text)!;
      const cmd = m[1]!.trim();
      const argv = cmd.split(/\s+/);
      if (SHELL_SYNTAX.test(cmd))
        problems.push(`line ${l.line}: '${cmd}' uses shell syntax the test cannot run`);
      else if (argv[0] !== "lpu" && !(argv[0] === "mkdir" && argv[1] === "-p" && argv.length === 3))
        problems.push(`line ${l.line}: '${cmd}' is neither an lpu command nor 'mkdir -p DIR'`);
      current = { line: l.line, text: cmd, argv, exit: m[2] === undefined ? 0 : Number(m[2]), out: [] };
    } else if (current) current.out.push(l.text);
    else if (l.text.trim() !== "") problems.push(`line ${l.line}: output before any command in a sh block`);
  }
  finish();
  return { line, commands };
}

/** Splits shown output at lines that are just `...`, dropping blank lines at the edges of each piece. */
function splitChunks(out: readonly string[]): string[][] {
  const chunks: string[][] = [[]];
  for (const l of out) {
    if (l.trim() === "...") chunks.push([]);
    else chunks[chunks.length - 1]!.push(l);
  }
  return chunks
    .map((c) => {
      let a = 0;
      let b = c.length;
      while (a < b && c[a]!.trim() === "") a++;
      while (b > a && c[b - 1]!.trim() === "") b--;
      return c.slice(a, b);
    })
    .filter((c) => c.length > 0);
}

/** The first shown piece that is not in `actual` (in order, line for line), or undefined if all are. */
function missingChunk(actual: string, chunks: readonly (readonly string[])[]): readonly string[] | undefined {
  const lines = actual.split("\n").map((l) => l.trimEnd());
  let from = 0;
  for (const chunk of chunks) {
    let found = -1;
    for (let i = from; i + chunk.length <= lines.length && found < 0; i++)
      if (chunk.every((c, k) => lines[i + k] === c)) found = i;
    if (found < 0) return chunk;
    from = found + chunk.length;
  }
  return undefined;
}

interface Ran {
  readonly code: number | null;
  readonly output: string;
}

/** `node bin/lpu.js ARGS` in `cwd`: the real command, for the few that start worker threads. */
function spawnLpu(args: readonly string[], cwd: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LPU, ...args], { cwd, env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString("utf8");
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString("utf8");
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output: stdout + stderr });
    });
  });
}

/**
 * The same command in this process (a node start per command would make this file slow): the program is built as
 * cli/main.ts builds it, with commander's exits turned into exceptions and stdout/stderr captured. Commands run
 * one at a time, since the capture and the working directory are process-wide. A test below checks that this
 * prints what the real ./bin/lpu.js prints.
 */
async function inProcessLpu(args: readonly string[], cwd: string): Promise<Ran> {
  const program = new Command("lpu")
    .description("lpu (in-process for docs/tutorial.md)")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerCommands(program);
  for (const c of program.commands) c.exitOverride();
  let stdout = "";
  let stderr = "";
  const out = process.stdout.write;
  const err = process.stderr.write;
  const savedCode = process.exitCode;
  const savedCwd = process.cwd();
  process.exitCode = undefined;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    return true;
  }) as typeof process.stderr.write;
  let code: number;
  try {
    process.chdir(cwd);
    await program.parseAsync(["node", "lpu", ...args]);
    code = Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) code = e.exitCode;
    else if (e instanceof UserError) {
      stderr += `lpu: ${e.message}\n(run with --help for usage)\n`;
      code = 1;
    } else throw e;
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    process.exitCode = savedCode;
    process.chdir(savedCwd);
  }
  return { code, output: stdout + stderr };
}

/** Commands that start worker threads run as a real process; everything else in this one. */
const SPAWNED = new Set(["gpu", "sweep"]);

async function runCommand(c: DocCommand, cwd: string): Promise<Ran> {
  if (c.argv[0] === "mkdir") {
    mkdirSync(join(cwd, c.argv[2]!), { recursive: true });
    return { code: 0, output: "" };
  }
  const args = c.argv.slice(1);
  return SPAWNED.has(args[0]!) ? spawnLpu(args, cwd) : inProcessLpu(args, cwd);
}

function excerpt(text: string, max = 60): string {
  const lines = text.split("\n");
  return lines.length <= max
    ? text
    : `${lines.slice(0, max).join("\n")}\n... (${lines.length - max} more lines)`;
}

const markdown = readFileSync(join(ROOT, TUTORIAL), "utf8");
const parsed = parseTutorial(markdown);
const scratch = mkdtempSync(join(tmpdir(), "lpu-tutorial-"));
symlinkSync(join(ROOT, "programs"), join(scratch, "programs"), "dir");
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the markdown conventions the test relies on", () => {
  it("a shown excerpt must appear line for line and in order: a changed line or a swapped order is caught", () => {
    const out = "a\nb\nc\nd\n";
    expect(missingChunk(out, [["a", "b"], ["d"]])).toBeUndefined();
    expect(missingChunk(out, [["a", "c"]])).toEqual(["a", "c"]);
    expect(missingChunk(out, [["d"], ["a"]])).toEqual(["a"]);
    expect(missingChunk("cycles  16  \n", [["cycles  16"]])).toBeUndefined();
  });
  it("commands, exit statuses and excerpts are read from sh blocks only (indented ones too); commands without output are flagged", () => {
    const md = [
      "```sh",
      "$ lpu run a.lasm   # exit 1",
      "x",
      "...",
      "y",
      "$ lpu step b.lasm",
      "```",
      "```text",
      "$ lpu nothing",
      "```",
      "- a list item:",
      "  ```sh",
      "  $ lpu run c.lasm",
      "  cycles  1",
      "  ```",
    ].join("\n");
    const p = parseTutorial(md);
    expect(p.blocks[0]!.commands.map((c) => [c.argv, c.exit, c.chunks])).toEqual([
      [["lpu", "run", "a.lasm"], 1, [["x"], ["y"]]],
      [["lpu", "step", "b.lasm"], 0, []],
    ]);
    expect(p.blocks[1]!.commands.map((c) => [c.argv, c.chunks])).toEqual([
      [["lpu", "run", "c.lasm"], [["cycles  1"]]],
    ]);
    expect(p.problems).toEqual([
      "line 6: 'lpu step b.lasm' shows no output, so nothing would check it",
      "line 8: a `$ ` command in a ```text block (only sh blocks run)",
    ]);
  });
});

describe("the in-process runner", () => {
  it("prints what ./bin/lpu.js prints, with the same exit status (a good run, a hazard, a bad flag)", async () => {
    const cases = [
      ["run", "programs/asm/vector-add.lasm"],
      ["run", "programs/asm/tutorial/vector-add-late.lasm"],
      ["step", "programs/asm/vector-add.lasm", "--cycles", "zero"],
      ["stepp", "programs/asm/vector-add.lasm"],
    ];
    const real = await Promise.all(cases.map((args) => spawnLpu(args, scratch)));
    for (const [i, args] of cases.entries())
      expect(await inProcessLpu(args, scratch), args.join(" ")).toEqual(real[i]);
  });
});

describe(`${TUTORIAL}: every command runs and prints what the tutorial shows`, () => {
  it("the tutorial follows the conventions and has commands for every part (asm, hazards, chips, compiler, GPU)", () => {
    expect(parsed.problems).toEqual([]);
    const subcommands = new Set(parsed.blocks.flatMap((b) => b.commands.map((c) => c.argv[1])));
    for (const sub of ["step", "run", "compile", "explain", "compare", "trace"])
      expect(subcommands).toContain(sub);
  });

  describe("blocks, in order", () => {
    for (const block of parsed.blocks) {
      const first = block.commands[0]!;
      it(`${TUTORIAL}:${block.line}: $ ${first.text}${block.commands.length > 1 ? ` (+${block.commands.length - 1})` : ""}`, async () => {
        for (const c of block.commands) {
          const ran = await runCommand(c, scratch);
          const where = `${TUTORIAL}:${c.line}: $ ${c.text}`;
          expect(
            ran.code,
            `${where}\nexit status ${ran.code}, expected ${c.exit}; it printed:\n${excerpt(ran.output)}`,
          ).toBe(c.exit);
          const missing = missingChunk(ran.output, c.chunks);
          expect(
            missing,
            `${where}\nthe tutorial shows these lines, which the command no longer prints (in this order):\n${missing?.join("\n")}\n\nit printed:\n${excerpt(ran.output)}`,
          ).toBeUndefined();
        }
      });
    }
  });
});
