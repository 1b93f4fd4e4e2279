#!/usr/bin/env node
// The `basis-worker` command: runs worker/main.ts through tsx's loader (the project ships TypeScript).
import { register } from "tsx/esm/api";

register();
await import("./main.ts");
