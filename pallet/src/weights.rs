//! Weights for pallet-cmu.
//!
//! Measured by `frame-omni-bencher` (frame-benchmarking-cli 64.0.0) running the
//! frame-benchmarking v2 benchmarks of `benchmarking.rs` in the CMU runtime's wasm
//! (`--features runtime-benchmarks`); regenerate with `scripts/bench-weights.sh`, which builds
//! the bencher and the wasm and renders this file through `pallet/weight-template.hbs`.
//!
//! DATE: 2026-11-30, STEPS: `50`, REPEAT: `20`, LOW RANGE:
//! `[]`, HIGH RANGE: `[]`
//! WORST CASE MAP SIZE: `1000000`
//! HOSTNAME: `vm`, CPU: `AMD EPYC`
//! WASM-EXECUTION: `Compiled`, DB CACHE: `1024`
//!
//! Proof sizes are the bencher's estimates: for every storage item a call reads, the key plus
//! the value's `MaxEncodedLen` (the runtime test `weights_cover_the_max_encoded_len_of_what_they_read`
//! checks them against the records). Reads and writes are charged at the runtime's
//! `DbWeight`. A component named `h` (the length of a model's history before
//! `publish_version`) is not an argument of the weight function: the measured time does not
//! grow with it (docs/pallet.md), so its fitted slope is charged at h's benchmarked maximum,
//! the history length at which the `s` sweep was measured.

// Executed command:
// /root/.cache/cmu/bencher/bin/frame-omni-bencher
// v1
// benchmark
// pallet
// --json-file
// /root/.cache/cmu/logs/bench-weights-20261130-220433-22665.json
// --runtime
// /root/.cache/cmu/target-bench-wasm/debug/wbuild/cmu-runtime/cmu_runtime.compact.compressed.wasm
// --genesis-builder-preset
// development
// --pallet
// pallet_cmu
// --extrinsic
// *
// --steps
// 50
// --repeat
// 20
// --template
// /work/main/pallet/weight-template.hbs
// --output
// /work/main/pallet/src/weights.rs

#![cfg_attr(rustfmt, rustfmt_skip)]
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
	fn publish_version(s: u32, ) -> Weight;
	fn set_head() -> Weight;
	fn deprecate_version() -> Weight;
	fn revoke_version() -> Weight;
	fn retire_model() -> Weight;
	fn reject_contributions(s: u32, ) -> Weight;
	fn attest_version() -> Weight;
	fn set_encryption_key() -> Weight;
	fn set_version_envelope() -> Weight;
}

/// Weights for pallet-cmu using the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: polkadot_sdk::frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `Cmu::ModelCollection` (r:1 w:1)
	/// Proof: `Cmu::ModelCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::NextCollectionId` (r:1 w:1)
	/// Proof: `Nfts::NextCollectionId` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Collection` (r:1 w:1)
	/// Proof: `Nfts::Collection` (`max_values`: None, `max_size`: Some(84), added: 2559, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::NextModelId` (r:1 w:1)
	/// Proof: `Cmu::NextModelId` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:1)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::Models` (r:1 w:1)
	/// Proof: `Cmu::Models` (`max_values`: None, `max_size`: Some(288), added: 2763, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::ItemConfigOf` (r:1 w:1)
	/// Proof: `Nfts::ItemConfigOf` (`max_values`: None, `max_size`: Some(48), added: 2523, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(139), added: 2614, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Attribute` (r:1 w:1)
	/// Proof: `Nfts::Attribute` (`max_values`: None, `max_size`: Some(479), added: 2954, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::CollectionRoleOf` (r:0 w:1)
	/// Proof: `Nfts::CollectionRoleOf` (`max_values`: None, `max_size`: Some(69), added: 2544, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::CollectionConfigOf` (r:0 w:1)
	/// Proof: `Nfts::CollectionConfigOf` (`max_values`: None, `max_size`: Some(73), added: 2548, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Account` (r:0 w:1)
	/// Proof: `Nfts::Account` (`max_values`: None, `max_size`: Some(88), added: 2563, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::CollectionAccount` (r:0 w:1)
	/// Proof: `Nfts::CollectionAccount` (`max_values`: None, `max_size`: Some(68), added: 2543, mode: `MaxEncodedLen`)
	fn create_model() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `115`
		//  Estimated: `4326`
		// Minimum execution time: 84_256_000 picoseconds.
		Weight::from_parts(87_771_000, 4326)
			.saturating_add(T::DbWeight::get().reads(10_u64))
			.saturating_add(T::DbWeight::get().writes(14_u64))
	}
	/// Storage: `Cmu::Models` (r:1 w:1)
	/// Proof: `Cmu::Models` (`max_values`: None, `max_size`: Some(288), added: 2763, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::ModelCollection` (r:1 w:0)
	/// Proof: `Cmu::ModelCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Collection` (r:1 w:1)
	/// Proof: `Nfts::Collection` (`max_values`: None, `max_size`: Some(84), added: 2559, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Attribute` (r:1 w:1)
	/// Proof: `Nfts::Attribute` (`max_values`: None, `max_size`: Some(479), added: 2954, mode: `MaxEncodedLen`)
	fn set_model_metadata() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `976`
		//  Estimated: `4326`
		// Minimum execution time: 31_457_000 picoseconds.
		Weight::from_parts(33_089_000, 4326)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `Cmu::Models` (r:1 w:1)
	/// Proof: `Cmu::Models` (`max_values`: None, `max_size`: Some(288), added: 2763, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::ModelCollection` (r:1 w:0)
	/// Proof: `Cmu::ModelCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::Roles` (r:1 w:0)
	/// Proof: `Cmu::Roles` (`max_values`: None, `max_size`: Some(101), added: 2576, mode: `MaxEncodedLen`)
	fn set_access_policy() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `800`
		//  Estimated: `4326`
		// Minimum execution time: 17_756_000 picoseconds.
		Weight::from_parts(18_748_000, 4326)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `Cmu::Models` (r:1 w:1)
	/// Proof: `Cmu::Models` (`max_values`: None, `max_size`: Some(288), added: 2763, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::ModelCollection` (r:1 w:0)
	/// Proof: `Cmu::ModelCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	fn set_slash_destination() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `675`
		//  Estimated: `4326`
		// Minimum execution time: 14_422_000 picoseconds.
		Weight::from_parts(15_423_000, 4326)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `Cmu::Models` (r:1 w:0)
	/// Proof: `Cmu::Models` (`max_values`: None, `max_size`: Some(288), added: 2763, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::ModelCollection` (r:1 w:0)
	/// Proof: `Cmu::ModelCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::Roles` (r:2 w:1)
	/// Proof: `Cmu::Roles` (`max_values`: None, `max_size`: Some(101), added: 2576, mode: `MaxEncodedLen`)
	fn grant_role() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `800`
		//  Estimated: `6142`
		// Minimum execution time: 20_450_000 picoseconds.
		Weight::from_parts(21_582_000, 6142)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `Cmu::Models` (r:1 w:0)
	/// Proof: `Cmu::Models` (`max_values`: None, `max_size`: Some(288), added: 2763, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::ModelCollection` (r:1 w:0)
	/// Proof: `Cmu::ModelCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::Roles` (r:2 w:1)
	/// Proof: `Cmu::Roles` (`max_values`: None, `max_size`: Some(101), added: 2576, mode: `MaxEncodedLen`)
	fn revoke_role() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `893`
		//  Estimated: `6142`
		// Minimum execution time: 21_833_000 picoseconds.
		Weight::from_parts(23_135_000, 6142)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `Cmu::Models` (r:1 w:1)
	/// Proof: `Cmu::Models` (`max_values`: None, `max_size`: Some(288), added: 2763, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::ModelCollection` (r:1 w:0)
	/// Proof: `Cmu::ModelCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::Roles` (r:1 w:0)
	/// Proof: `Cmu::Roles` (`max_values`: None, `max_size`: Some(101), added: 2576, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Attribute` (r:1 w:1)
	/// Proof: `Nfts::Attribute` (`max_values`: None, `max_size`: Some(479), added: 2954, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Collection` (r:1 w:1)
	/// Proof: `Nfts::Collection` (`max_values`: None, `max_size`: Some(84), added: 2559, mode: `MaxEncodedLen`)
	fn freeze_model() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `982`
		//  Estimated: `4326`
		// Minimum execution time: 37_396_000 picoseconds.
		Weight::from_parts(39_489_000, 4326)
			.saturating_add(T::DbWeight::get().reads(6_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `Cmu::Models` (r:1 w:1)
	/// Proof: `Cmu::Models` (`max_values`: None, `max_size`: Some(288), added: 2763, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::ModelCollection` (r:1 w:0)
	/// Proof: `Cmu::ModelCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::Roles` (r:1 w:0)
	/// Proof: `Cmu::Roles` (`max_values`: None, `max_size`: Some(101), added: 2576, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Attribute` (r:1 w:1)
	/// Proof: `Nfts::Attribute` (`max_values`: None, `max_size`: Some(479), added: 2954, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Collection` (r:1 w:1)
	/// Proof: `Nfts::Collection` (`max_values`: None, `max_size`: Some(84), added: 2559, mode: `MaxEncodedLen`)
	fn thaw_model() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `996`
		//  Estimated: `4326`
		// Minimum execution time: 30_265_000 picoseconds.
		Weight::from_parts(32_008_000, 4326)
			.saturating_add(T::DbWeight::get().reads(6_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `Cmu::Models` (r:1 w:1)
	/// Proof: `Cmu::Models` (`max_values`: None, `max_size`: Some(288), added: 2763, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::ModelCollection` (r:1 w:0)
	/// Proof: `Cmu::ModelCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::Roles` (r:1 w:0)
	/// Proof: `Cmu::Roles` (`max_values`: None, `max_size`: Some(101), added: 2576, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::PendingPerAccount` (r:1 w:1)
	/// Proof: `Cmu::PendingPerAccount` (`max_values`: None, `max_size`: Some(72), added: 2547, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(139), added: 2614, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::Contributions` (r:0 w:1)
	/// Proof: `Cmu::Contributions` (`max_values`: None, `max_size`: Some(277), added: 2752, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::PendingContributions` (r:0 w:1)
	/// Proof: `Cmu::PendingContributions` (`max_values`: None, `max_size`: Some(32), added: 2507, mode: `MaxEncodedLen`)
	fn submit_contribution() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `1007`
		//  Estimated: `4326`
		// Minimum execution time: 59_969_000 picoseconds.
		Weight::from_parts(62_814_000, 4326)
			.saturating_add(T::DbWeight::get().reads(7_u64))
			.saturating_add(T::DbWeight::get().writes(6_u64))
	}
	/// Storage: `Cmu::Models` (r:1 w:1)
	/// Proof: `Cmu::Models` (`max_values`: None, `max_size`: Some(288), added: 2763, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::Contributions` (r:1 w:1)
	/// Proof: `Cmu::Contributions` (`max_values`: None, `max_size`: Some(277), added: 2752, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:2 w:2)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:2 w:2)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(139), added: 2614, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::PendingPerAccount` (r:1 w:1)
	/// Proof: `Cmu::PendingPerAccount` (`max_values`: None, `max_size`: Some(72), added: 2547, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::PendingContributions` (r:0 w:1)
	/// Proof: `Cmu::PendingContributions` (`max_values`: None, `max_size`: Some(32), added: 2507, mode: `MaxEncodedLen`)
	fn withdraw_contribution() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `1153`
		//  Estimated: `6218`
		// Minimum execution time: 81_201_000 picoseconds.
		Weight::from_parts(84_075_000, 6218)
			.saturating_add(T::DbWeight::get().reads(7_u64))
			.saturating_add(T::DbWeight::get().writes(8_u64))
	}
	/// Storage: `Cmu::Models` (r:1 w:1)
	/// Proof: `Cmu::Models` (`max_values`: None, `max_size`: Some(288), added: 2763, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::ModelCollection` (r:1 w:0)
	/// Proof: `Cmu::ModelCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::Roles` (r:1 w:0)
	/// Proof: `Cmu::Roles` (`max_values`: None, `max_size`: Some(101), added: 2576, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::Contributions` (r:64 w:64)
	/// Proof: `Cmu::Contributions` (`max_values`: None, `max_size`: Some(277), added: 2752, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::PendingPerAccount` (r:64 w:64)
	/// Proof: `Cmu::PendingPerAccount` (`max_values`: None, `max_size`: Some(72), added: 2547, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::ContributorStats` (r:64 w:64)
	/// Proof: `Cmu::ContributorStats` (`max_values`: None, `max_size`: Some(104), added: 2579, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:66 w:66)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:65 w:65)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(139), added: 2614, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Collection` (r:1 w:1)
	/// Proof: `Nfts::Collection` (`max_values`: None, `max_size`: Some(84), added: 2559, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Attribute` (r:2 w:2)
	/// Proof: `Nfts::Attribute` (`max_values`: None, `max_size`: Some(479), added: 2954, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::Versions` (r:0 w:1)
	/// Proof: `Cmu::Versions` (`max_values`: None, `max_size`: Some(1337), added: 3812, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::VersionEnvelopes` (r:0 w:1)
	/// Proof: `Cmu::VersionEnvelopes` (`max_values`: None, `max_size`: Some(162), added: 2637, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::PendingContributions` (r:0 w:64)
	/// Proof: `Cmu::PendingContributions` (`max_values`: None, `max_size`: Some(32), added: 2507, mode: `MaxEncodedLen`)
	/// The range of component `s` is `[0, 64]`.
	/// The range of component `h` is `[1, 200]`.
	fn publish_version(s: u32, ) -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `1561 + s * (472 ±0)`
		//  Estimated: `6898 + s * (2752 ±0)`
		// Minimum execution time: 128_251_000 picoseconds.
		Weight::from_parts(111_938_373, 6898)
			// Standard Error: 89_443
			.saturating_add(Weight::from_parts(52_614_569, 0).saturating_mul(s.into()))
			// Standard Error: 28_961 (h, charged at h = 200)
			.saturating_add(Weight::from_parts(147_012, 0).saturating_mul(200_u64))
			.saturating_add(T::DbWeight::get().reads(10_u64))
			.saturating_add(T::DbWeight::get().reads((5_u64).saturating_mul(s.into())))
			.saturating_add(T::DbWeight::get().writes(9_u64))
			.saturating_add(T::DbWeight::get().writes((6_u64).saturating_mul(s.into())))
			.saturating_add(Weight::from_parts(0, 2752).saturating_mul(s.into()))
	}
	/// Storage: `Cmu::Models` (r:1 w:1)
	/// Proof: `Cmu::Models` (`max_values`: None, `max_size`: Some(288), added: 2763, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::ModelCollection` (r:1 w:0)
	/// Proof: `Cmu::ModelCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::Roles` (r:1 w:0)
	/// Proof: `Cmu::Roles` (`max_values`: None, `max_size`: Some(101), added: 2576, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::Versions` (r:1 w:0)
	/// Proof: `Cmu::Versions` (`max_values`: None, `max_size`: Some(1337), added: 3812, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Collection` (r:1 w:1)
	/// Proof: `Nfts::Collection` (`max_values`: None, `max_size`: Some(84), added: 2559, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Attribute` (r:2 w:2)
	/// Proof: `Nfts::Attribute` (`max_values`: None, `max_size`: Some(479), added: 2954, mode: `MaxEncodedLen`)
	fn set_head() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `2352`
		//  Estimated: `6898`
		// Minimum execution time: 57_636_000 picoseconds.
		Weight::from_parts(61_011_000, 6898)
			.saturating_add(T::DbWeight::get().reads(8_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	/// Storage: `Cmu::Models` (r:1 w:0)
	/// Proof: `Cmu::Models` (`max_values`: None, `max_size`: Some(288), added: 2763, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::ModelCollection` (r:1 w:0)
	/// Proof: `Cmu::ModelCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::Roles` (r:1 w:0)
	/// Proof: `Cmu::Roles` (`max_values`: None, `max_size`: Some(101), added: 2576, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::Versions` (r:1 w:1)
	/// Proof: `Cmu::Versions` (`max_values`: None, `max_size`: Some(1337), added: 3812, mode: `MaxEncodedLen`)
	fn deprecate_version() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `1943`
		//  Estimated: `4802`
		// Minimum execution time: 23_866_000 picoseconds.
		Weight::from_parts(25_307_000, 4802)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `Cmu::Models` (r:1 w:0)
	/// Proof: `Cmu::Models` (`max_values`: None, `max_size`: Some(288), added: 2763, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::ModelCollection` (r:1 w:0)
	/// Proof: `Cmu::ModelCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::Versions` (r:1 w:1)
	/// Proof: `Cmu::Versions` (`max_values`: None, `max_size`: Some(1337), added: 3812, mode: `MaxEncodedLen`)
	fn revoke_version() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `1818`
		//  Estimated: `4802`
		// Minimum execution time: 20_521_000 picoseconds.
		Weight::from_parts(21_833_000, 4802)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `Cmu::Models` (r:1 w:1)
	/// Proof: `Cmu::Models` (`max_values`: None, `max_size`: Some(288), added: 2763, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::ModelCollection` (r:1 w:0)
	/// Proof: `Cmu::ModelCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(139), added: 2614, mode: `MaxEncodedLen`)
	fn retire_model() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `890`
		//  Estimated: `4326`
		// Minimum execution time: 45_147_000 picoseconds.
		Weight::from_parts(47_170_000, 4326)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `Cmu::Models` (r:1 w:1)
	/// Proof: `Cmu::Models` (`max_values`: None, `max_size`: Some(288), added: 2763, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::ModelCollection` (r:1 w:0)
	/// Proof: `Cmu::ModelCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::Roles` (r:1 w:0)
	/// Proof: `Cmu::Roles` (`max_values`: None, `max_size`: Some(101), added: 2576, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::Contributions` (r:64 w:64)
	/// Proof: `Cmu::Contributions` (`max_values`: None, `max_size`: Some(277), added: 2752, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::PendingPerAccount` (r:64 w:64)
	/// Proof: `Cmu::PendingPerAccount` (`max_values`: None, `max_size`: Some(72), added: 2547, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::ContributorStats` (r:64 w:64)
	/// Proof: `Cmu::ContributorStats` (`max_values`: None, `max_size`: Some(104), added: 2579, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:65 w:65)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:64 w:64)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(139), added: 2614, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::PendingContributions` (r:0 w:64)
	/// Proof: `Cmu::PendingContributions` (`max_values`: None, `max_size`: Some(32), added: 2507, mode: `MaxEncodedLen`)
	/// The range of component `s` is `[0, 64]`.
	fn reject_contributions(s: u32, ) -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `1018 + s * (472 ±0)`
		//  Estimated: `4326 + s * (2752 ±0)`
		// Minimum execution time: 16_564_000 picoseconds.
		Weight::from_parts(17_081_766, 4326)
			// Standard Error: 66_425
			.saturating_add(Weight::from_parts(51_516_255, 0).saturating_mul(s.into()))
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().reads((5_u64).saturating_mul(s.into())))
			.saturating_add(T::DbWeight::get().writes(2_u64))
			.saturating_add(T::DbWeight::get().writes((6_u64).saturating_mul(s.into())))
			.saturating_add(Weight::from_parts(0, 2752).saturating_mul(s.into()))
	}
	/// Storage: `Cmu::Models` (r:1 w:0)
	/// Proof: `Cmu::Models` (`max_values`: None, `max_size`: Some(288), added: 2763, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::Versions` (r:1 w:1)
	/// Proof: `Cmu::Versions` (`max_values`: None, `max_size`: Some(1337), added: 3812, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::Attestations` (r:1 w:1)
	/// Proof: `Cmu::Attestations` (`max_values`: None, `max_size`: Some(231), added: 2706, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(139), added: 2614, mode: `MaxEncodedLen`)
	fn attest_version() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `1643`
		//  Estimated: `4802`
		// Minimum execution time: 57_826_000 picoseconds.
		Weight::from_parts(60_911_000, 4802)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	/// Storage: `Cmu::EncryptionKeys` (r:1 w:1)
	/// Proof: `Cmu::EncryptionKeys` (`max_values`: None, `max_size`: Some(80), added: 2555, mode: `MaxEncodedLen`)
	fn set_encryption_key() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `111`
		//  Estimated: `3545`
		// Minimum execution time: 7_881_000 picoseconds.
		Weight::from_parts(8_413_000, 3545)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `Cmu::Models` (r:1 w:0)
	/// Proof: `Cmu::Models` (`max_values`: None, `max_size`: Some(288), added: 2763, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::ModelCollection` (r:1 w:0)
	/// Proof: `Cmu::ModelCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::Roles` (r:1 w:0)
	/// Proof: `Cmu::Roles` (`max_values`: None, `max_size`: Some(101), added: 2576, mode: `MaxEncodedLen`)
	/// Storage: `Cmu::VersionEnvelopes` (r:1 w:1)
	/// Proof: `Cmu::VersionEnvelopes` (`max_values`: None, `max_size`: Some(162), added: 2637, mode: `MaxEncodedLen`)
	fn set_version_envelope() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `922`
		//  Estimated: `4326`
		// Minimum execution time: 21_111_000 picoseconds.
		Weight::from_parts(22_233_000, 4326)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
}

/// For tests: RocksDB weights.
impl WeightInfo for () {
	fn create_model() -> Weight {
		Weight::from_parts(87_771_000, 4326)
			.saturating_add(RocksDbWeight::get().reads(10_u64))
			.saturating_add(RocksDbWeight::get().writes(14_u64))
	}
	fn set_model_metadata() -> Weight {
		Weight::from_parts(33_089_000, 4326)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	fn set_access_policy() -> Weight {
		Weight::from_parts(18_748_000, 4326)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn set_slash_destination() -> Weight {
		Weight::from_parts(15_423_000, 4326)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn grant_role() -> Weight {
		Weight::from_parts(21_582_000, 6142)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn revoke_role() -> Weight {
		Weight::from_parts(23_135_000, 6142)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn freeze_model() -> Weight {
		Weight::from_parts(39_489_000, 4326)
			.saturating_add(RocksDbWeight::get().reads(6_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	fn thaw_model() -> Weight {
		Weight::from_parts(32_008_000, 4326)
			.saturating_add(RocksDbWeight::get().reads(6_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	fn submit_contribution() -> Weight {
		Weight::from_parts(62_814_000, 4326)
			.saturating_add(RocksDbWeight::get().reads(7_u64))
			.saturating_add(RocksDbWeight::get().writes(6_u64))
	}
	fn withdraw_contribution() -> Weight {
		Weight::from_parts(84_075_000, 6218)
			.saturating_add(RocksDbWeight::get().reads(7_u64))
			.saturating_add(RocksDbWeight::get().writes(8_u64))
	}
	fn publish_version(s: u32, ) -> Weight {
		Weight::from_parts(111_938_373, 6898)
			.saturating_add(Weight::from_parts(52_614_569, 0).saturating_mul(s.into()))
			.saturating_add(Weight::from_parts(147_012, 0).saturating_mul(200_u64))
			.saturating_add(RocksDbWeight::get().reads(10_u64))
			.saturating_add(RocksDbWeight::get().reads((5_u64).saturating_mul(s.into())))
			.saturating_add(RocksDbWeight::get().writes(9_u64))
			.saturating_add(RocksDbWeight::get().writes((6_u64).saturating_mul(s.into())))
			.saturating_add(Weight::from_parts(0, 2752).saturating_mul(s.into()))
	}
	fn set_head() -> Weight {
		Weight::from_parts(61_011_000, 6898)
			.saturating_add(RocksDbWeight::get().reads(8_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	fn deprecate_version() -> Weight {
		Weight::from_parts(25_307_000, 4802)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn revoke_version() -> Weight {
		Weight::from_parts(21_833_000, 4802)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn retire_model() -> Weight {
		Weight::from_parts(47_170_000, 4326)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	fn reject_contributions(s: u32, ) -> Weight {
		Weight::from_parts(17_081_766, 4326)
			.saturating_add(Weight::from_parts(51_516_255, 0).saturating_mul(s.into()))
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().reads((5_u64).saturating_mul(s.into())))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
			.saturating_add(RocksDbWeight::get().writes((6_u64).saturating_mul(s.into())))
			.saturating_add(Weight::from_parts(0, 2752).saturating_mul(s.into()))
	}
	fn attest_version() -> Weight {
		Weight::from_parts(60_911_000, 4802)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	fn set_encryption_key() -> Weight {
		Weight::from_parts(8_413_000, 3545)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn set_version_envelope() -> Weight {
		Weight::from_parts(22_233_000, 4326)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
}
