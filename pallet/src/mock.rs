//! A mock runtime for pallet-cmu's unit tests: System, Balances, Nfts and Cmu.

use crate as pallet_cmu;
use polkadot_sdk::{frame_support, frame_system, pallet_balances, pallet_nfts, sp_io, sp_runtime};

use frame_support::{
	construct_runtime, derive_impl, parameter_types,
	traits::{AsEnsureOriginWithArg, ConstU32, ConstU64},
	PalletId,
};
use sp_runtime::{
	traits::{IdentifyAccount, IdentityLookup, Verify},
	BuildStorage, MultiSignature,
};

type Block = frame_system::mocking::MockBlock<Test>;

construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Nfts: pallet_nfts,
		Cmu: pallet_cmu,
	}
);

pub type Signature = MultiSignature;
pub type AccountPublic = <Signature as Verify>::Signer;
pub type AccountId = <AccountPublic as IdentifyAccount>::AccountId;
pub type Balance = u64;

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type AccountId = AccountId;
	type Lookup = IdentityLookup<Self::AccountId>;
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
}

parameter_types! {
	pub storage NftFeatures: pallet_nfts::PalletFeatures = pallet_nfts::PalletFeatures::all_enabled();
	pub const CmuPalletId: PalletId = PalletId(*b"cmu/mdls");
}

impl pallet_nfts::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type CollectionId = u32;
	type ItemId = u32;
	type Currency = Balances;
	// Users cannot create collections; pallet-cmu creates its own through the trait.
	type CreateOrigin = AsEnsureOriginWithArg<frame_system::EnsureNever<Self::AccountId>>;
	type ForceOrigin = frame_system::EnsureRoot<Self::AccountId>;
	type Locker = ();
	type CollectionDeposit = ConstU64<0>;
	type ItemDeposit = ConstU64<1>;
	type MetadataDepositBase = ConstU64<1>;
	type AttributeDepositBase = ConstU64<1>;
	type DepositPerByte = ConstU64<1>;
	type StringLimit = ConstU32<50>;
	type KeyLimit = ConstU32<50>;
	// Fits a CID of `MaxCidLen` bytes: pallet-cmu writes CIDs as item attributes.
	type ValueLimit = ConstU32<64>;
	type ApprovalsLimit = ConstU32<10>;
	type ItemAttributesApprovalsLimit = ConstU32<2>;
	type MaxTips = ConstU32<10>;
	type MaxDeadlineDuration = ConstU64<10000>;
	type MaxAttributesPerCall = ConstU32<2>;
	type Features = NftFeatures;
	type OffchainSignature = Signature;
	type OffchainPublic = AccountPublic;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type Helper = ();
	type BlockNumberProvider = frame_system::Pallet<Test>;
}

pub const MODEL_DEPOSIT: Balance = 10;
pub const VERSION_DEPOSIT: Balance = 5;
pub const CONTRIBUTION_DEPOSIT: Balance = 100;
pub const MAX_PENDING: u32 = 8;
pub const MAX_SETTLEMENTS: u32 = 8;
pub const MAX_PENDING_PER_ACCOUNT: u32 = 4;
pub const ATTESTATION_DEPOSIT: Balance = 3;

impl pallet_cmu::Config for Test {
	type RuntimeHoldReason = RuntimeHoldReason;
	type Currency = Balances;
	type NftCollectionId = u32;
	type NftCollectionConfig = pallet_nfts::CollectionConfigFor<Test>;
	type NftItemConfig = pallet_nfts::ItemConfig;
	type Nfts = Nfts;
	type PalletId = CmuPalletId;
	type ModelDeposit = ConstU64<MODEL_DEPOSIT>;
	type VersionDeposit = ConstU64<VERSION_DEPOSIT>;
	type ContributionDeposit = ConstU64<CONTRIBUTION_DEPOSIT>;
	type AttestationDeposit = ConstU64<ATTESTATION_DEPOSIT>;
	type MaxCidLen = ConstU32<64>;
	type MaxMetrics = ConstU32<4>;
	type MaxMetricKeyLen = ConstU32<16>;
	type MaxSettlementsPerVersion = ConstU32<MAX_SETTLEMENTS>;
	type MaxPendingContributions = ConstU32<MAX_PENDING>;
	type MaxPendingPerAccount = ConstU32<MAX_PENDING_PER_ACCOUNT>;
	type WeightInfo = ();
}

/// A test account: 32 bytes of `n`.
pub fn account(n: u8) -> AccountId {
	AccountId::new([n; 32])
}

pub const OWNER: u8 = 1;
pub const ADMIN: u8 = 2;
pub const TRAINER: u8 = 3;
pub const CONTRIBUTOR: u8 = 4;
pub const STRANGER: u8 = 5;
pub const NEW_OWNER: u8 = 6;
pub const INITIAL_BALANCE: Balance = 10_000;

/// Test externalities with accounts 1..=9 funded with `INITIAL_BALANCE`.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=9).map(|n| (account(n), INITIAL_BALANCE)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
