//! # The CMU runtime
//!
//! A FRAME runtime for Collaborative Model Update: accounts and fees (`System`, `Timestamp`,
//! `Balances`, `TransactionPayment`), `Utility` for atomic batches, `Sudo` for the dev chain,
//! `Nfts` holding every model as an NFT and `Cmu` (pallet-cmu) for roles, versions and
//! contributions.
//!
//! It has no consensus pallet: the dev chain (chopsticks) authors blocks itself, and a
//! production deployment runs it with `polkadot-omni-node` (see the README).

#![cfg_attr(not(feature = "std"), no_std)]
// `#[frame_support::runtime]` expands deeply.
#![recursion_limit = "256"]

extern crate alloc;

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

mod apis;
#[cfg(feature = "std")]
pub mod chain_spec;
pub mod configs;
pub mod genesis;

use alloc::{borrow::Cow, vec::Vec};
use polkadot_sdk::{
	frame_executive, frame_metadata_hash_extension, frame_support, frame_system, pallet_balances,
	pallet_nfts, pallet_sudo, pallet_timestamp, pallet_transaction_payment, pallet_utility,
	sp_core, sp_runtime, sp_version,
};
use sp_runtime::{
	generic,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiAddress, MultiSignature,
};
use sp_version::RuntimeVersion;

pub use genesis::{DEVELOPMENT_PRESET, PRESET_NAMES};

/// Signature scheme of transactions (sr25519 by default for dev keys).
pub type Signature = MultiSignature;
/// An account: the public key behind a [`Signature`].
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// Balances of the native token, CMU, with [`TOKEN_DECIMALS`] decimals.
pub type Balance = u128;
/// Block numbers.
pub type BlockNumber = u32;
/// Per-account transaction counter.
pub type Nonce = u32;
/// Block and state hashes.
pub type Hash = sp_core::H256;
/// How transactions name an account (ss58 address, index or raw bytes).
pub type Address = MultiAddress<AccountId, ()>;
/// Block header.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;

/// Checks applied to every signed transaction, in encoding order.
///
/// `CheckMetadataHash` is present with mode `Disabled` by default, which both
/// py-substrate-interface 1.8.1 and polkadot.js 16 sign; the hash itself is only embedded when
/// the runtime is built with the `metadata-hash` feature.
pub type TxExtension = (
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	frame_metadata_hash_extension::CheckMetadataHash<Runtime>,
);

/// An extrinsic as it arrives from outside, before its signature is checked.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
/// What the signer signs.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;
/// A block of this runtime.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// Dispatches blocks and transactions to the pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

/// Storage migrations run on a runtime upgrade (each checks the on-chain storage version).
pub type Migrations = (pallet_cmu::migrations::v1::MigrateV0ToV1<Runtime>,);

/// One CMU in its smallest unit (12 decimals).
pub const UNIT: Balance = 1_000_000_000_000;
/// A thousandth of a CMU.
pub const MILLI_UNIT: Balance = UNIT / 1_000;
/// Decimals of the native token.
pub const TOKEN_DECIMALS: u8 = 12;
/// Symbol of the native token.
pub const TOKEN_SYMBOL: &str = "CMU";
/// The generic substrate SS58 prefix: addresses start with `5`.
pub const SS58_PREFIX: u16 = 42;

/// The runtime's identity. Bump `spec_version` on every change to its logic and
/// `transaction_version` whenever call indices or transaction encoding change.
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: Cow::Borrowed("cmu"),
	impl_name: Cow::Borrowed("cmu"),
	authoring_version: 1,
	spec_version: 101,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 2,
	system_version: 1,
};

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;

	#[runtime::pallet_index(2)]
	pub type Balances = pallet_balances;

	#[runtime::pallet_index(3)]
	pub type TransactionPayment = pallet_transaction_payment;

	#[runtime::pallet_index(4)]
	pub type Utility = pallet_utility;

	#[runtime::pallet_index(5)]
	pub type Sudo = pallet_sudo;

	#[runtime::pallet_index(10)]
	pub type Nfts = pallet_nfts;

	#[runtime::pallet_index(20)]
	pub type Cmu = pallet_cmu;
}
