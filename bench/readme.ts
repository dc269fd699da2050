// `npm run bench:readme -- FILE.json`: a results file written by `npm run bench -- --json FILE.json` -> the Markdown
// table for the README's performance section on stdout, machine and date first (bench/render.ts). No figure is typed
// by hand: paste the output as it is.
import { readFileSync } from "node:fs";
import { formatMarkdown, parseReport } from "./render.ts";

const [file, ...rest] = process.argv.slice(2);
if (!file || rest.length > 0 || file === "--help") {
  process.stderr.write(
    "usage: npm run bench:readme -- FILE.json   (FILE.json from npm run bench -- --json FILE.json)\n",
  );
  process.exit(file === "--help" ? 0 : 1);
}
let text: string;
try {
  text = readFileSync(file, "utf8");
} catch (e) {
  process.stderr.write(`bench:readme: cannot read '${file}': ${(e as NodeJS.ErrnoException).code}\n`);
  process.exit(1);
}
try {
  process.stdout.write(formatMarkdown(parseReport(text, file)));
} catch (e) {
  process.stderr.write(`bench:readme: ${(e as Error).message}\n`);
  process.exit(1);
}
