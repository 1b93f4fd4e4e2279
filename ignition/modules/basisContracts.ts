import type { ArgumentType, IgnitionModuleBuilder } from "@nomicfoundation/ignition-core";

/**
 * Adds the three Basis contracts to an Ignition module and wires them together:
 * RewardDistributor(token) → CreditVault(token, distributor, treasury) →
 * SettlementRegistry(vault, settler, attester) → vault.setSettlementRegistry(registry).
 *
 * Parameters (all optional, defaulting to the deployer, account 0):
 * `admin`, `settler`, `attester`, `proposer`, `treasury`; `rewardTimelock` in seconds (default 1 day).
 */
export function addBasisContracts(m: IgnitionModuleBuilder, token: ArgumentType) {
  const deployer = m.getAccount(0);
  const admin = m.getParameter("admin", deployer);
  const settler = m.getParameter("settler", deployer);
  const attester = m.getParameter("attester", deployer);
  const proposer = m.getParameter("proposer", deployer);
  const treasury = m.getParameter("treasury", deployer);
  const rewardTimelock = m.getParameter("rewardTimelock", 86_400n);

  const rewardDistributor = m.contract("RewardDistributor", [token, admin, proposer, rewardTimelock]);
  const creditVault = m.contract("CreditVault", [token, admin, rewardDistributor, treasury]);
  const settlementRegistry = m.contract("SettlementRegistry", [creditVault, admin, settler, attester]);
  m.call(creditVault, "setSettlementRegistry", [settlementRegistry]);

  return { creditVault, settlementRegistry, rewardDistributor };
}
