import { buildModule } from "@nomicfoundation/ignition-core";
import { addBasisContracts } from "./basisContracts.js";

/** Basis on a local chain: deploys the dev credit token (open mint) and the three contracts. */
export default buildModule("BasisLocal", (m) => {
  const creditToken = m.contract("DevCreditToken");
  return { creditToken, ...addBasisContracts(m, creditToken) };
});
