// Placeholder for a command whose issue is still open: it says so and exits 1, so no script mistakes it for a result.
import type { Command } from "commander";
import { UserError } from "../../util/diagnostics.ts";
import { action } from "../common.ts";

export function notBuilt(program: Command, name: string, summary: string, issue: number): void {
  program
    .command(name)
    .description(`${summary} [not built yet: issue ${issue}]`)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(
      action(() => {
        throw new UserError(`'lpu ${name}' is not built yet (issue ${issue})`);
      }),
    );
}
