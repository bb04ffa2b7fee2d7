//! Weights for pallet-cmu.
//!
//! Hand estimates, NOT output of `frame-omni-bencher` (the bencher was not built: a
//! benchmarking build does not fit this project's 2-core build machine). Reads and writes are
//! counted from the code. Proof sizes are the sums of the storage items each call reads, key
//! plus `MaxEncodedLen` of the value with the CMU runtime's bounds (MaxCidLen 128, MaxMetrics
//! 16, MaxMetricKeyLen 32, MaxSettlementsPerVersion 64, 32-byte accounts, u128 balances):
//! Models 52 + 268 = 320 B, Versions 64 + 1,305 = 1,369 B, Contributions 64 + 245 = 309 B,
//! Roles (a Grant) 100 + 33 = 133 B, PendingPerAccount 100 + 4 = 104 B, Attestations
//! 112 + 151 = 263 B, ContributorStats 80 + 56 = 136 B, ModelCollection and NextModelId
//! 36 B each; pallet-nfts' item (owner, approvals, deposit) ~893 B and a mint 4,326 B as in
//! pallet-nfts' own weights; a hold (Balances Holds + System Account) ~300 B; an NFT
//! attribute ~500 B. The runtime test `weights_cover_the_max_encoded_len_of_what_they_read`
//! checks these proof sizes against the records' `MaxEncodedLen`. Compute (ref_time) is
//! estimated from similar polkadot-sdk pallets.
//!
//! The frame-benchmarking v2 benchmarks in `benchmarking.rs` are the source to regenerate this
//! file on a benchmarking machine:
//! `frame-omni-bencher v1 benchmark pallet --runtime <wasm> --pallet pallet_cmu --extrinsic '*'
//! --output pallet/src/weights.rs`. `publish_version` is linear in the number of settled
//! contributions `s` and constant in the length of the version history.

#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use core::marker::PhantomData;
use polkadot_sdk::frame_support::{
	traits::Get,
	weights::{constants::RocksDbWeight, Weight},
};

/// Weight functions needed for pallet-cmu.
pub trait WeightInfo {
	fn create_model() -> Weight;
	fn set_model_metadata() -> Weight;
	fn set_access_policy() -> Weight;
	fn set_slash_destination() -> Weight;
	fn grant_role() -> Weight;
	fn revoke_role() -> Weight;
	fn freeze_model() -> Weight;
	fn thaw_model() -> Weight;
	fn submit_contribution() -> Weight;
	fn withdraw_contribution() -> Weight;
	fn publish_version(s: u32) -> Weight;
	fn set_head() -> Weight;
	fn deprecate_version() -> Weight;
	fn revoke_version() -> Weight;
	fn retire_model() -> Weight;
	fn reject_contributions(s: u32) -> Weight;
	fn attest_version() -> Weight;
}

/// Weights for pallet-cmu using the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: polkadot_sdk::frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Proof: ModelCollection, NextModelId, Models (36+36+320), the pallet-nfts mint (4,326, as pallet-nfts'
	/// own `mint`), the spec attribute (~500) and the hold (~300). Id probes are added in the call.
	fn create_model() -> Weight {
		Weight::from_parts(95_000_000, 5_600)
			.saturating_add(T::DbWeight::get().reads(10_u64))
			.saturating_add(T::DbWeight::get().writes(10_u64))
	}
	/// Proof: Models (320), ModelCollection (36), the NFT item (893), the spec attribute and collection (~600).
	fn set_model_metadata() -> Weight {
		Weight::from_parts(30_000_000, 2_000)
			.saturating_add(T::DbWeight::get().reads(6_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Proof: Models (320), ModelCollection (36), the NFT item (893), the caller's Grant (133).
	fn set_access_policy() -> Weight {
		Weight::from_parts(27_000_000, 1_500)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Proof: Models (320), ModelCollection (36), the NFT item (893).
	fn set_slash_destination() -> Weight {
		Weight::from_parts(27_000_000, 1_300)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Proof: Models (320), ModelCollection (36), the NFT item (893), two Grants (2 x 133).
	fn grant_role() -> Weight {
		Weight::from_parts(30_000_000, 1_600)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Proof: As `grant_role`.
	fn revoke_role() -> Weight {
		Weight::from_parts(30_000_000, 1_600)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Proof: Models (320), ModelCollection (36), the NFT item (893), the caller's Grant (133), the
	/// transfer-lock attribute and collection (~700).
	fn freeze_model() -> Weight {
		Weight::from_parts(40_000_000, 2_200)
			.saturating_add(T::DbWeight::get().reads(7_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Proof: As `freeze_model`.
	fn thaw_model() -> Weight {
		Weight::from_parts(40_000_000, 2_200)
			.saturating_add(T::DbWeight::get().reads(7_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Proof: Models (320), ModelCollection (36), the NFT item (893), the caller's Grant (133),
	/// PendingPerAccount (104), the hold and account (~300).
	fn submit_contribution() -> Weight {
		Weight::from_parts(60_000_000, 1_900)
			.saturating_add(T::DbWeight::get().reads(8_u64))
			.saturating_add(T::DbWeight::get().writes(6_u64))
	}
	/// Proof: Models (320), Contributions (309), PendingPerAccount (104), the contributor's and
	/// (last withdrawal from a retired model) the depositor's hold and account (~600).
	fn withdraw_contribution() -> Weight {
		Weight::from_parts(65_000_000, 1_400)
			.saturating_add(T::DbWeight::get().reads(7_u64))
			.saturating_add(T::DbWeight::get().writes(8_u64))
	}
	/// Proof: Base: Models (320), ModelCollection (36), the NFT item (893), the trainer's Grant (133), the
	/// version hold (~300), two head attributes and the collection (~1,100). Per settlement:
	/// Contributions (309), PendingPerAccount (104), ContributorStats (136), the contributor's
	/// hold and account (~300), the receiving account (128).
	fn publish_version(s: u32) -> Weight {
		Weight::from_parts(80_000_000, 2_900)
			.saturating_add(Weight::from_parts(50_000_000, 1_000).saturating_mul(s.into()))
			.saturating_add(T::DbWeight::get().reads(9_u64))
			.saturating_add(T::DbWeight::get().writes(7_u64))
			.saturating_add(T::DbWeight::get().reads((6_u64).saturating_mul(s.into())))
			.saturating_add(T::DbWeight::get().writes((7_u64).saturating_mul(s.into())))
	}
	/// Proof: Models (320), ModelCollection (36), the NFT item (893), the caller's Grant (133),
	/// Versions (1,369), two head attributes and the collection (~1,100).
	fn set_head() -> Weight {
		Weight::from_parts(35_000_000, 3_900)
			.saturating_add(T::DbWeight::get().reads(8_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	/// Proof: Models (320), ModelCollection (36), the NFT item (893), the caller's Grant (133),
	/// Versions (1,369).
	fn deprecate_version() -> Weight {
		Weight::from_parts(30_000_000, 2_800)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Proof: Models (320), ModelCollection (36), the NFT item (893), Versions (1,369).
	fn revoke_version() -> Weight {
		Weight::from_parts(30_000_000, 2_700)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Proof: Models (320), ModelCollection (36), the NFT item (893), the depositor's hold and account
	/// (~300).
	fn retire_model() -> Weight {
		Weight::from_parts(40_000_000, 1_600)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Proof: Base: Models (320), ModelCollection (36), the NFT item (893), the trainer's Grant (133).
	/// Per rejection: as a settlement of `publish_version`.
	fn reject_contributions(s: u32) -> Weight {
		Weight::from_parts(30_000_000, 1_400)
			.saturating_add(Weight::from_parts(50_000_000, 1_000).saturating_mul(s.into()))
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
			.saturating_add(T::DbWeight::get().reads((6_u64).saturating_mul(s.into())))
			.saturating_add(T::DbWeight::get().writes((7_u64).saturating_mul(s.into())))
	}
	/// Proof: Models (320), Versions (1,369), Attestations (263), the attester's hold and account (~300).
	fn attest_version() -> Weight {
		Weight::from_parts(50_000_000, 2_300)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
}

/// For tests: RocksDB weights.
impl WeightInfo for () {
	/// Proof: ModelCollection, NextModelId, Models (36+36+320), the pallet-nfts mint (4,326, as pallet-nfts'
	/// own `mint`), the spec attribute (~500) and the hold (~300). Id probes are added in the call.
	fn create_model() -> Weight {
		Weight::from_parts(95_000_000, 5_600)
			.saturating_add(RocksDbWeight::get().reads(10_u64))
			.saturating_add(RocksDbWeight::get().writes(10_u64))
	}
	/// Proof: Models (320), ModelCollection (36), the NFT item (893), the spec attribute and collection (~600).
	fn set_model_metadata() -> Weight {
		Weight::from_parts(30_000_000, 2_000)
			.saturating_add(RocksDbWeight::get().reads(6_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	/// Proof: Models (320), ModelCollection (36), the NFT item (893), the caller's Grant (133).
	fn set_access_policy() -> Weight {
		Weight::from_parts(27_000_000, 1_500)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	/// Proof: Models (320), ModelCollection (36), the NFT item (893).
	fn set_slash_destination() -> Weight {
		Weight::from_parts(27_000_000, 1_300)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	/// Proof: Models (320), ModelCollection (36), the NFT item (893), two Grants (2 x 133).
	fn grant_role() -> Weight {
		Weight::from_parts(30_000_000, 1_600)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	/// Proof: As `grant_role`.
	fn revoke_role() -> Weight {
		Weight::from_parts(30_000_000, 1_600)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	/// Proof: Models (320), ModelCollection (36), the NFT item (893), the caller's Grant (133), the
	/// transfer-lock attribute and collection (~700).
	fn freeze_model() -> Weight {
		Weight::from_parts(40_000_000, 2_200)
			.saturating_add(RocksDbWeight::get().reads(7_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	/// Proof: As `freeze_model`.
	fn thaw_model() -> Weight {
		Weight::from_parts(40_000_000, 2_200)
			.saturating_add(RocksDbWeight::get().reads(7_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	/// Proof: Models (320), ModelCollection (36), the NFT item (893), the caller's Grant (133),
	/// PendingPerAccount (104), the hold and account (~300).
	fn submit_contribution() -> Weight {
		Weight::from_parts(60_000_000, 1_900)
			.saturating_add(RocksDbWeight::get().reads(8_u64))
			.saturating_add(RocksDbWeight::get().writes(6_u64))
	}
	/// Proof: Models (320), Contributions (309), PendingPerAccount (104), the contributor's and
	/// (last withdrawal from a retired model) the depositor's hold and account (~600).
	fn withdraw_contribution() -> Weight {
		Weight::from_parts(65_000_000, 1_400)
			.saturating_add(RocksDbWeight::get().reads(7_u64))
			.saturating_add(RocksDbWeight::get().writes(8_u64))
	}
	/// Proof: Base: Models (320), ModelCollection (36), the NFT item (893), the trainer's Grant (133), the
	/// version hold (~300), two head attributes and the collection (~1,100). Per settlement:
	/// Contributions (309), PendingPerAccount (104), ContributorStats (136), the contributor's
	/// hold and account (~300), the receiving account (128).
	fn publish_version(s: u32) -> Weight {
		Weight::from_parts(80_000_000, 2_900)
			.saturating_add(Weight::from_parts(50_000_000, 1_000).saturating_mul(s.into()))
			.saturating_add(RocksDbWeight::get().reads(9_u64))
			.saturating_add(RocksDbWeight::get().writes(7_u64))
			.saturating_add(RocksDbWeight::get().reads((6_u64).saturating_mul(s.into())))
			.saturating_add(RocksDbWeight::get().writes((7_u64).saturating_mul(s.into())))
	}
	/// Proof: Models (320), ModelCollection (36), the NFT item (893), the caller's Grant (133),
	/// Versions (1,369), two head attributes and the collection (~1,100).
	fn set_head() -> Weight {
		Weight::from_parts(35_000_000, 3_900)
			.saturating_add(RocksDbWeight::get().reads(8_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	/// Proof: Models (320), ModelCollection (36), the NFT item (893), the caller's Grant (133),
	/// Versions (1,369).
	fn deprecate_version() -> Weight {
		Weight::from_parts(30_000_000, 2_800)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	/// Proof: Models (320), ModelCollection (36), the NFT item (893), Versions (1,369).
	fn revoke_version() -> Weight {
		Weight::from_parts(30_000_000, 2_700)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	/// Proof: Models (320), ModelCollection (36), the NFT item (893), the depositor's hold and account
	/// (~300).
	fn retire_model() -> Weight {
		Weight::from_parts(40_000_000, 1_600)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	/// Proof: Base: Models (320), ModelCollection (36), the NFT item (893), the trainer's Grant (133).
	/// Per rejection: as a settlement of `publish_version`.
	fn reject_contributions(s: u32) -> Weight {
		Weight::from_parts(30_000_000, 1_400)
			.saturating_add(Weight::from_parts(50_000_000, 1_000).saturating_mul(s.into()))
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
			.saturating_add(RocksDbWeight::get().reads((6_u64).saturating_mul(s.into())))
			.saturating_add(RocksDbWeight::get().writes((7_u64).saturating_mul(s.into())))
	}
	/// Proof: Models (320), Versions (1,369), Attestations (263), the attester's hold and account (~300).
	fn attest_version() -> Weight {
		Weight::from_parts(50_000_000, 2_300)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
}
