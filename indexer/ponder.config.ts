// Ponder reads `<root>/ponder.config.ts`; the configuration lives at the repository root.
export { default } from "../ponder.config.js";
