// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title DevCreditToken
/// @notice An 18-decimal ERC-20 with EIP-2612 permit for local chains and tests only. Anyone may mint:
/// never deploy it to a public network.
contract DevCreditToken is ERC20, ERC20Permit {
    constructor() ERC20("Basis Dev Credit", "bCREDIT") ERC20Permit("Basis Dev Credit") {}

    /// @notice Mints `amount` to `to`. Unrestricted: a faucet for local development.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
