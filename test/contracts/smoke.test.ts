import assert from "node:assert/strict";
import { describe, it } from "mocha";
import { loadBasis } from "./fixture.js";

describe("deployment", () => {
  it("wires the vault to the registry", async () => {
    const { creditVault, settlementRegistry } = await loadBasis();
    assert.equal((await creditVault.read.settlementRegistry()).toLowerCase(), settlementRegistry.address.toLowerCase());
  });
});
