//! Configuration of every pallet in the runtime.

use crate::{
	AccountId, Aura, AuraId, Balance, Balances, Block, CollatorSelection, ConsensusHook, Nonce,
	OriginCaller, PalletInfo, ParachainInfo, Runtime, RuntimeCall, RuntimeEvent,
	RuntimeFreezeReason, RuntimeHoldReason, RuntimeOrigin, RuntimeTask, Session, SessionKeys,
	Signature, System, MILLI_UNIT, SLOT_DURATION, SS58_PREFIX, UNIT, VERSION,
};
use pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier};
use polkadot_sdk::{
	cumulus_pallet_aura_ext, cumulus_pallet_parachain_system,
	cumulus_primitives_core::relay_chain::MAX_POV_SIZE,
	frame_support::{
		derive_impl,
		dispatch::DispatchClass,
		parameter_types,
		traits::{
			AsEnsureOriginWithArg, ConstBool, ConstU128, ConstU32, ConstU64, ConstU8,
			VariantCountOf,
		},
		weights::{
			constants::{RocksDbWeight, WEIGHT_REF_TIME_PER_SECOND},
			ConstantMultiplier, IdentityFee, Weight,
		},
		PalletId,
	},
	frame_system::{self, limits, EnsureNever, EnsureRoot},
	pallet_aura, pallet_authorship, pallet_balances, pallet_collator_selection, pallet_nfts,
	pallet_session, pallet_sudo, pallet_timestamp, pallet_transaction_payment, pallet_utility,
	sp_runtime::{
		traits::{One, Verify},
		Perbill,
	},
	staging_parachain_info as parachain_info,
};

/// Share of a block that normal (non-operational) transactions may fill.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);
/// Largest block, in bytes.
const MAX_BLOCK_LENGTH: u32 = 5 * 1024 * 1024;
/// Blocks per day at the nominal 6 s block time (used for time-based limits only).
const DAYS: u32 = 24 * 60 * 60 / 6;

parameter_types! {
	/// Two seconds of computation (what a relay-chain validator grants one parachain block)
	/// and a proof no larger than the relay chain accepts; 5 MiB per block.
	pub RuntimeBlockWeights: limits::BlockWeights = limits::BlockWeights::with_sensible_defaults(
		Weight::from_parts(2 * WEIGHT_REF_TIME_PER_SECOND, MAX_POV_SIZE as u64),
		NORMAL_DISPATCH_RATIO,
	);
	pub RuntimeBlockLength: limits::BlockLength = limits::BlockLength::builder()
		.max_length(MAX_BLOCK_LENGTH)
		.modify_max_length_for_class(DispatchClass::Normal, |max| {
			*max = NORMAL_DISPATCH_RATIO * MAX_BLOCK_LENGTH
		})
		.build();
	pub const Version: polkadot_sdk::sp_version::RuntimeVersion = VERSION;
	pub const SS58Prefix: u16 = SS58_PREFIX;
}

#[derive_impl(frame_system::config_preludes::ParaChainDefaultConfig)]
impl frame_system::Config for Runtime {
	// A new runtime is scheduled through the relay chain, which must accept it first.
	type OnSetCode = cumulus_pallet_parachain_system::ParachainSetCode<Self>;
	type Block = Block;
	type Nonce = Nonce;
	type AccountId = AccountId;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	// Mortal transactions may name any of the last 4096 blocks.
	type BlockHashCount = ConstU32<4096>;
	type DbWeight = RocksDbWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type SystemWeightInfo = frame_system::weights::SubstrateWeight<Runtime>;
	type ExtensionsWeightInfo = frame_system::SubstrateExtensionsWeight<Runtime>;
	type MaxConsumers = ConstU32<16>;
}

impl pallet_timestamp::Config for Runtime {
	type Moment = u64;
	// Aura checks that the timestamp falls in the slot of the block's seal.
	type OnTimestampSet = Aura;
	// Aura decides when blocks may be made; async backing builds several per slot.
	type MinimumPeriod = ConstU64<0>;
	type WeightInfo = pallet_timestamp::weights::SubstrateWeight<Runtime>;
}

impl pallet_balances::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type Balance = Balance;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<MILLI_UNIT>;
	type AccountStore = System;
	type ReserveIdentifier = [u8; 8];
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxLocks = ConstU32<16>;
	// pallet-nfts uses anonymous reserves; named ones are not used.
	type MaxReserves = ConstU32<16>;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type DoneSlashHandler = ();
}

parameter_types! {
	/// Fees are not adjusted by congestion on this chain.
	pub FeeMultiplier: Multiplier = Multiplier::one();
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	// Fees are burned.
	type OnChargeTransaction = FungibleAdapter<Balances, ()>;
	// One picosecond of execution costs one planck (10^-12 CMU).
	type WeightToFee = IdentityFee<Balance>;
	// One byte costs a millionth of a CMU.
	type LengthToFee = ConstantMultiplier<Balance, ConstU128<{ UNIT / 1_000_000 }>>;
	type FeeMultiplierUpdate = ConstFeeMultiplier<FeeMultiplier>;
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

impl pallet_utility::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type PalletsOrigin = OriginCaller;
	type WeightInfo = pallet_utility::weights::SubstrateWeight<Runtime>;
}

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	pub const NftsMetadataDepositBase: Balance = UNIT / 10;
	pub const NftsAttributeDepositBase: Balance = UNIT / 10;
	pub const NftsDepositPerByte: Balance = UNIT / 1_000;
	pub NftsFeatures: pallet_nfts::PalletFeatures = pallet_nfts::PalletFeatures::all_enabled();
}

impl pallet_nfts::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type CollectionId = u32;
	// Model ids are the item ids of the model collection.
	type ItemId = pallet_cmu::ModelId;
	type Currency = Balances;
	type ForceOrigin = EnsureRoot<AccountId>;
	// Only pallet-cmu creates collections (through `nonfungibles_v2::Create`, which bypasses
	// this origin); users cannot create their own. Root still can, with `force_create`.
	type CreateOrigin = AsEnsureOriginWithArg<EnsureNever<AccountId>>;
	type Locker = ();
	// pallet-cmu holds its own model deposit; the collection and its items cost nothing extra.
	type CollectionDeposit = ConstU128<0>;
	type ItemDeposit = ConstU128<0>;
	type MetadataDepositBase = NftsMetadataDepositBase;
	type AttributeDepositBase = NftsAttributeDepositBase;
	type DepositPerByte = NftsDepositPerByte;
	type StringLimit = ConstU32<256>;
	type KeyLimit = ConstU32<64>;
	type ValueLimit = ConstU32<256>;
	type ApprovalsLimit = ConstU32<20>;
	type ItemAttributesApprovalsLimit = ConstU32<20>;
	type MaxTips = ConstU32<10>;
	type MaxDeadlineDuration = ConstU32<{ 365 * DAYS }>;
	type MaxAttributesPerCall = ConstU32<10>;
	type Features = NftsFeatures;
	type OffchainSignature = Signature;
	type OffchainPublic = <Signature as Verify>::Signer;
	#[cfg(feature = "runtime-benchmarks")]
	type Helper = ();
	type WeightInfo = pallet_nfts::weights::SubstrateWeight<Runtime>;
	type BlockNumberProvider = System;
}

parameter_types! {
	/// Derives the account that owns the model collection.
	pub const CmuPalletId: PalletId = PalletId(*b"cmu/mdls");
	/// Held from a model's creator while the model exists.
	pub const ModelDeposit: Balance = 10 * UNIT;
	/// Held from the trainer for every version it publishes.
	pub const VersionDeposit: Balance = UNIT;
	/// Held from a contributor until the contribution is settled or withdrawn.
	pub const ContributionDeposit: Balance = 5 * UNIT;
	/// Held from an attester for as long as the attestation exists.
	pub const AttestationDeposit: Balance = UNIT / 10;
}

impl pallet_cmu::Config for Runtime {
	type RuntimeHoldReason = RuntimeHoldReason;
	type Currency = Balances;
	type NftCollectionId = u32;
	type NftCollectionConfig = pallet_nfts::CollectionConfigFor<Runtime>;
	type NftItemConfig = pallet_nfts::ItemConfig;
	type Nfts = crate::Nfts;
	type PalletId = CmuPalletId;
	type ModelDeposit = ModelDeposit;
	type VersionDeposit = VersionDeposit;
	type ContributionDeposit = ContributionDeposit;
	type AttestationDeposit = AttestationDeposit;
	// CIDv1 base32 sha2-256 strings are 59 bytes; leave room for other codecs.
	type MaxCidLen = ConstU32<128>;
	type MaxMetrics = ConstU32<16>;
	type MaxMetricKeyLen = ConstU32<32>;
	type MaxSettlementsPerVersion = ConstU32<64>;
	type MaxPendingContributions = ConstU32<256>;
	// One account fills at most an eighth of a model's pending slots.
	type MaxPendingPerAccount = ConstU32<32>;
	type WeightInfo = pallet_cmu::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// Weight reserved in each block for messages from the relay chain (none are handled yet).
	pub ReservedDmpWeight: Weight = RuntimeBlockWeights::get().max_block.saturating_div(4);
	/// Weight reserved in each block for messages from other parachains (none are handled yet).
	pub ReservedXcmpWeight: Weight = RuntimeBlockWeights::get().max_block.saturating_div(4);
}

impl cumulus_pallet_parachain_system::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type OnSystemEvent = ();
	type SelfParaId = ParachainInfo;
	// CMU sends and receives no XCM: these are parachain-system's required ends, closed.
	type OutboundXcmpMessageSource = ();
	type DmpQueue = ();
	type ReservedDmpWeight = ReservedDmpWeight;
	type XcmpMessageHandler = ();
	type ReservedXcmpWeight = ReservedXcmpWeight;
	type CheckAssociatedRelayNumber =
		cumulus_pallet_parachain_system::RelayNumberMonotonicallyIncreases;
	type ConsensusHook = ConsensusHook;
	type WeightInfo = cumulus_pallet_parachain_system::weights::SubstrateWeight<Runtime>;
	// Build on the newest relay block.
	type RelayParentOffset = ConstU32<0>;
	// V3 candidate scheduling is not enabled on relay chains yet.
	type SchedulingSignatureVerifier = ();
}

impl parachain_info::Config for Runtime {}

impl cumulus_pallet_aura_ext::Config for Runtime {}

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = ConstU32<100>;
	// With async backing a collator may build more than one block in a slot.
	type AllowMultipleBlocksPerSlot = ConstBool<true>;
	type SlotDuration = ConstU64<SLOT_DURATION>;
}

impl pallet_authorship::Config for Runtime {
	type FindAuthor = pallet_session::FindAccountFromAuthorIndex<Self, Aura>;
	// Collator selection counts authored blocks, to kick candidates that stop authoring.
	type EventHandler = (CollatorSelection,);
}

parameter_types! {
	/// Sessions last 6 hours (3,600 blocks of 6 s).
	pub const SessionPeriod: u32 = 6 * 60 * 10;
	/// The first session ends at block `SessionPeriod`.
	pub const SessionOffset: u32 = 0;
}

impl pallet_session::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorId = AccountId;
	// A collator's validator id is its account.
	type ValidatorIdOf = pallet_collator_selection::IdentityCollator;
	type ShouldEndSession = pallet_session::PeriodicSessions<SessionPeriod, SessionOffset>;
	type NextSessionRotation = pallet_session::PeriodicSessions<SessionPeriod, SessionOffset>;
	type SessionManager = CollatorSelection;
	type SessionHandler =
		<SessionKeys as polkadot_sdk::sp_runtime::traits::OpaqueKeys>::KeyTypeIdProviders;
	type Keys = SessionKeys;
	type DisablingStrategy = ();
	type WeightInfo = pallet_session::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	// Registering session keys costs no deposit beyond the transaction fee.
	type KeyDeposit = ();
}

parameter_types! {
	/// Holds candidacy bonds and collects the share of fees paid to collators.
	pub const PotId: PalletId = PalletId(*b"PotStake");
}

impl pallet_collator_selection::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	// Root (sudo on the dev chain, governance on a real network) sets the invulnerables.
	type UpdateOrigin = EnsureRoot<AccountId>;
	type PotId = PotId;
	type MaxCandidates = ConstU32<100>;
	type MinEligibleCollators = ConstU32<1>;
	type MaxInvulnerables = ConstU32<20>;
	// A candidate that authored nothing for two sessions is removed.
	type KickThreshold = ConstU32<{ 2 * 6 * 60 * 10 }>;
	type ValidatorId = AccountId;
	type ValidatorIdOf = pallet_collator_selection::IdentityCollator;
	type ValidatorRegistration = Session;
	type WeightInfo = pallet_collator_selection::weights::SubstrateWeight<Runtime>;
}
