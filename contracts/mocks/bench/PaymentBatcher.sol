// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IPaymentRouter} from "../../interfaces/IPaymentRouter.sol";

/// @title PaymentBatcher
/// @notice Benchmark and test helper only (never deployed outside the local chain): pays many router orders in
/// one transaction, so the indexer's backfill can be measured over hundreds of thousands of real
/// `PaymentSettled` events without hundreds of thousands of transactions. The batcher is the payer of every
/// payment (it holds the tokens); order references are `keccak256(salt, i)` and the merchants rotate over
/// `merchantCount` addresses derived from the salt, so rollups see many merchants.
contract PaymentBatcher {
    /// @notice Pays `count` orders of `amount` each through `router`, orders `first` to `first + count - 1`.
    function payMany(
        IPaymentRouter router,
        IERC20 token,
        uint256 amount,
        uint256 first,
        uint256 count,
        uint256 merchantCount,
        bytes32 salt
    ) external {
        token.approve(address(router), amount * count);
        for (uint256 i = first; i < first + count; ++i) {
            address merchant = merchantOf(salt, i % merchantCount);
            router.pay(keccak256(abi.encode(salt, i)), merchant, address(token), amount);
        }
    }

    /// @notice The `index`-th merchant address of a batch run.
    function merchantOf(bytes32 salt, uint256 index) public pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encode(salt, "merchant", index)))));
    }
}
