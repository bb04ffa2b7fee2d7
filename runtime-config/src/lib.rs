//! # The CMU runtime
//!
//! A Cumulus parachain runtime for Collaborative Model Update:
//! - the parachain itself: `ParachainSystem` (validation data from the relay chain, runtime
//!   upgrades through the relay chain), `ParachainInfo` (the para id), and block production
//!   by `Aura` (with `AuraExt`) among collators chosen by `CollatorSelection` and rotated by
//!   `Session`, `Authorship` crediting the author;
//! - accounts and fees (`System`, `Timestamp`, `Balances`, `TransactionPayment`), `Utility`
//!   for atomic batches, `Sudo` (its key is set only by the development preset);
//! - `Nfts` holding every model as an NFT and `Cmu` (pallet-cmu) for roles, versions and
//!   contributions.
//!
//! The dev chain (chopsticks) runs it from genesis and supplies mock relay-chain validation
//! data and Aura digests; `polkadot-omni-node` runs it as a single dev node or as a collator
//! of a relay chain (see the README, "Deployment").

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
	cumulus_pallet_aura_ext, cumulus_pallet_parachain_system, frame_executive,
	frame_metadata_hash_extension, frame_support, frame_system, pallet_aura, pallet_authorship,
	pallet_balances, pallet_collator_selection, pallet_nfts, pallet_session, pallet_sudo,
	pallet_timestamp, pallet_transaction_payment, pallet_utility, sp_consensus_aura, sp_core,
	sp_runtime, sp_version, staging_parachain_info as parachain_info,
};
use sp_runtime::{
	generic, impl_opaque_keys,
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
/// The key a collator signs Aura blocks with (sr25519, in its session keys).
pub type AuraId = sp_consensus_aura::sr25519::AuthorityId;

impl_opaque_keys! {
	/// The keys a collator registers with `Session::set_keys`: only its Aura key.
	pub struct SessionKeys {
		/// Signs the blocks this collator authors.
		pub aura: Aura,
	}
}

/// Aura slot length: one block every 6 s, one per relay-chain slot.
pub const SLOT_DURATION: u64 = 6_000;
/// Length of a relay-chain slot (Polkadot, Kusama and the test relay chains).
pub const RELAY_CHAIN_SLOT_DURATION_MILLIS: u32 = 6_000;
/// Parachain blocks per relay-chain slot.
pub const BLOCK_PROCESSING_VELOCITY: u32 = 1;
/// Blocks that may be built on a parent the relay chain has not included yet (async backing).
pub const UNINCLUDED_SEGMENT_CAPACITY: u32 = 3;
/// The para id of the development and local testnet presets (a system-free id on a test
/// relay chain; a real network assigns one on registration).
pub const DEV_PARA_ID: u32 = 1000;

/// Decides whether a collator may author on top of blocks the relay chain has not included:
/// at most [`BLOCK_PROCESSING_VELOCITY`] blocks per relay slot and
/// [`UNINCLUDED_SEGMENT_CAPACITY`] unincluded blocks.
pub type ConsensusHook = cumulus_pallet_aura_ext::FixedVelocityConsensusHook<
	Runtime,
	RELAY_CHAIN_SLOT_DURATION_MILLIS,
	BLOCK_PROCESSING_VELOCITY,
	UNINCLUDED_SEGMENT_CAPACITY,
>;

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
/// `transaction_version` whenever call indices or transaction encoding change. 200 was the
/// first parachain runtime (the solo runtime ended at 101); 201 carries bencher weights for
/// the encryption calls.
#[cfg(not(feature = "upgrade-test"))]
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: Cow::Borrowed("cmu"),
	impl_name: Cow::Borrowed("cmu"),
	authoring_version: 1,
	spec_version: 201,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 3,
	system_version: 1,
};

/// The same runtime one `spec_version` later (feature `upgrade-test`): the new code the
/// runtime upgrade test (tests/test_runtime_upgrade.py) installs with `System::set_code`.
#[cfg(feature = "upgrade-test")]
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: Cow::Borrowed("cmu"),
	impl_name: Cow::Borrowed("cmu"),
	authoring_version: 1,
	spec_version: 202,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 3,
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

	// Hooks and inherents run in pallet index order (not declaration order): the relay
	// chain's validation data first, and Session rotates authorities before Aura reads them.
	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type ParachainSystem = cumulus_pallet_parachain_system;

	#[runtime::pallet_index(2)]
	pub type Timestamp = pallet_timestamp;

	#[runtime::pallet_index(3)]
	pub type ParachainInfo = parachain_info;

	#[runtime::pallet_index(10)]
	pub type Balances = pallet_balances;

	#[runtime::pallet_index(11)]
	pub type TransactionPayment = pallet_transaction_payment;

	#[runtime::pallet_index(20)]
	pub type Authorship = pallet_authorship;

	#[runtime::pallet_index(21)]
	pub type CollatorSelection = pallet_collator_selection;

	#[runtime::pallet_index(22)]
	pub type Session = pallet_session;

	#[runtime::pallet_index(23)]
	pub type Aura = pallet_aura;

	#[runtime::pallet_index(24)]
	pub type AuraExt = cumulus_pallet_aura_ext;

	#[runtime::pallet_index(30)]
	pub type Utility = pallet_utility;

	#[runtime::pallet_index(31)]
	pub type Sudo = pallet_sudo;

	#[runtime::pallet_index(40)]
	pub type Nfts = pallet_nfts;

	#[runtime::pallet_index(50)]
	pub type Cmu = pallet_cmu;
}

// The validation function the relay chain's validators run on every block of this parachain
// (only in the wasm). Aura's block executor checks the author's seal before executing.
cumulus_pallet_parachain_system::register_validate_block! {
	Runtime = Runtime,
	BlockExecutor = cumulus_pallet_aura_ext::BlockExecutor::<Runtime, Executive>,
}
