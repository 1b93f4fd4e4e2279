import { buildModule } from "@nomicfoundation/ignition-core";
import { addBasisContracts } from "./basisContracts.js";

/**
 * Basis on a public chain (Base, Base Sepolia): the credit token already exists and is passed as the
 * `creditToken` parameter (an 18-decimal ERC-20 with EIP-2612 permit).
 */
export default buildModule("Basis", (m) => {
  const creditToken = m.getParameter<string>("creditToken");
  return addBasisContracts(m, creditToken);
});
