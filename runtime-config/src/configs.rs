//! Configuration of every pallet in the runtime.

use crate::{
	AccountId, Balance, Balances, Block, Nonce, OriginCaller, PalletInfo, Runtime, RuntimeCall,
	RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason, RuntimeOrigin, RuntimeTask, Signature,
	System, MILLI_UNIT, SS58_PREFIX, UNIT, VERSION,
};
use pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier};
use polkadot_sdk::{
	frame_support::{
		derive_impl,
		dispatch::DispatchClass,
		parameter_types,
		traits::{AsEnsureOriginWithArg, ConstU128, ConstU32, ConstU64, ConstU8, VariantCountOf},
		weights::{
			constants::{RocksDbWeight, WEIGHT_REF_TIME_PER_SECOND},
			ConstantMultiplier, IdentityFee, Weight,
		},
		PalletId,
	},
	frame_system::{self, limits, EnsureNever, EnsureRoot},
	pallet_balances, pallet_nfts, pallet_sudo, pallet_timestamp, pallet_transaction_payment,
	pallet_utility,
	sp_runtime::{
		traits::{One, Verify},
		Perbill,
	},
};

/// Share of a block that normal (non-operational) transactions may fill.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);
/// Largest block, in bytes.
const MAX_BLOCK_LENGTH: u32 = 5 * 1024 * 1024;
/// Blocks per day at the nominal 6 s block time (used for time-based limits only).
const DAYS: u32 = 24 * 60 * 60 / 6;

parameter_types! {
	/// Two seconds of computation and 5 MiB per block.
	pub RuntimeBlockWeights: limits::BlockWeights = limits::BlockWeights::with_sensible_defaults(
		Weight::from_parts(2 * WEIGHT_REF_TIME_PER_SECOND, u64::MAX),
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

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
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
	type OnTimestampSet = ();
	// The dev chain advances time by a fixed step per block; any positive step is valid.
	type MinimumPeriod = ConstU64<1>;
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
