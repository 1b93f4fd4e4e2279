import assert from "node:assert/strict";
import { network } from "hardhat";
import { before, describe, it } from "mocha";
import { type GasRow, measureGas } from "../../scripts/gas/measureGas.js";

// Gas is deterministic for a given build, so these budgets are regression tests, not timings.
const connection = await network.create();

describe("gas budgets (docs/benchmarks.md)", () => {
  let rows: GasRow[] = [];
  const gas = (name: string) => {
    const row = rows.find((r) => r.name === name);
    assert.ok(row, `no measurement named ${name}`);
    return row.gas;
  };
  before(async () => {
    rows = await measureGas(connection);
  });

  it("deposit costs under 80k gas", () => {
    assert.ok(gas("deposit") < 80_000n, `deposit: ${gas("deposit")}`);
  });

  it("postBatch costs under 150k gas, payout included", () => {
    assert.ok(gas("postBatch (10 receipts)") < 150_000n);
    assert.ok(gas("postBatch (10,000,000 receipts)") < 150_000n);
  });

  it("postBatch gas does not grow with the receipt count (only the count's calldata bytes differ)", () => {
    const delta = gas("postBatch (10,000,000 receipts)") - gas("postBatch (10 receipts)");
    // 10 is one non-zero calldata byte, 10,000,000 is three: 2 × (16 − 4) = 24 gas.
    assert.equal(delta, 24n);
  });

  it("a first claim to a fresh address with a 20-element proof costs under 95k gas", () => {
    assert.ok(gas("claim (first, fresh address)") < 95_000n, `${gas("claim (first, fresh address)")}`);
  });

  it("a later claim with a 20-element proof costs under 65k gas", () => {
    assert.ok(gas("claim (later)") < 65_000n, `${gas("claim (later)")}`);
  });
});
