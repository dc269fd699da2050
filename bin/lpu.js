#!/usr/bin/env node
// The `lpu` command: registers tsx so Node can load the TypeScript sources, then hands over to cli/main.ts.
import { register } from "tsx/esm/api";

register();
await import("../cli/main.ts");
