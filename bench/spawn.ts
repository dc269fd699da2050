// Runs `node --import tsx SCRIPT ARGS...` in a process of its own: its stdout comes back as text, its stderr goes
// straight to ours (progress and crash messages stay visible). A non-zero exit is a result, not an exception.
import { spawn } from "node:child_process";

export interface Exit {
  readonly stdout: string;
  /** null when the process ended normally with code 0. */
  readonly failure: string | null;
}

/** `limitS`: stop the process after this many wall-clock seconds (SIGKILL), reported as the failure. */
export function runTsx(script: string, args: readonly string[], limitS?: number): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let timedOut = false;
    const timer =
      limitS === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
          }, limitS * 1000);
    const chunks: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => chunks.push(b));
    child.on("error", (e) => resolve({ stdout: "", failure: e.message }));
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(chunks).toString("utf8");
      const failure =
        code === 0
          ? null
          : timedOut
            ? `was stopped after ${limitS} s (the case time limit, --case-limit)`
            : signal
              ? signal === "SIGABRT"
                ? "aborted (SIGABRT: how Node stops when the JavaScript heap limit, ~4 GB by default, is reached; its stderr above says which)"
                : `killed by ${signal}`
              : `exited with code ${code} (see its stderr above)`;
      resolve({ stdout, failure });
    });
  });
}
