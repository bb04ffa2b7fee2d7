//! Weights for pallet-cmu.
//!
//! These are conservative hand estimates (storage reads and writes counted from the code,
//! compute from similar polkadot-sdk pallets), NOT output of `frame-omni-bencher`: building
//! a benchmarking node does not fit this project's 2-core build machine. The frame-benchmarking
//! v2 benchmarks in `benchmarking.rs` are the source to regenerate this file with
//! `frame-omni-bencher v1 benchmark pallet --runtime <wasm> --pallet pallet_cmu --extrinsic '*'`
//! on a real benchmarking machine. `publish_version` is linear in the number of settled
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
}

/// Weights for pallet-cmu using the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: polkadot_sdk::frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn create_model() -> Weight {
		Weight::from_parts(95_000_000, 4_000)
			.saturating_add(T::DbWeight::get().reads(9_u64))
			.saturating_add(T::DbWeight::get().writes(8_u64))
	}
	fn set_model_metadata() -> Weight {
		Weight::from_parts(28_000_000, 3_600)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn set_access_policy() -> Weight {
		Weight::from_parts(27_000_000, 3_600)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn set_slash_destination() -> Weight {
		Weight::from_parts(27_000_000, 3_600)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn grant_role() -> Weight {
		Weight::from_parts(30_000_000, 3_600)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn revoke_role() -> Weight {
		Weight::from_parts(30_000_000, 3_600)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn freeze_model() -> Weight {
		Weight::from_parts(26_000_000, 3_600)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn thaw_model() -> Weight {
		Weight::from_parts(26_000_000, 3_600)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn submit_contribution() -> Weight {
		Weight::from_parts(60_000_000, 4_000)
			.saturating_add(T::DbWeight::get().reads(6_u64))
			.saturating_add(T::DbWeight::get().writes(5_u64))
	}
	fn withdraw_contribution() -> Weight {
		Weight::from_parts(55_000_000, 4_000)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(5_u64))
	}
	fn publish_version(s: u32) -> Weight {
		Weight::from_parts(70_000_000, 4_500)
			.saturating_add(Weight::from_parts(45_000_000, 2_600).saturating_mul(s.into()))
			.saturating_add(T::DbWeight::get().reads(7_u64))
			.saturating_add(T::DbWeight::get().writes(5_u64))
			.saturating_add(T::DbWeight::get().reads((4_u64).saturating_mul(s.into())))
			.saturating_add(T::DbWeight::get().writes((5_u64).saturating_mul(s.into())))
	}
	fn set_head() -> Weight {
		Weight::from_parts(30_000_000, 3_600)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn deprecate_version() -> Weight {
		Weight::from_parts(30_000_000, 3_600)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn revoke_version() -> Weight {
		Weight::from_parts(30_000_000, 3_600)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
}

/// For tests: RocksDB weights.
impl WeightInfo for () {
	fn create_model() -> Weight {
		Weight::from_parts(95_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads(9_u64))
			.saturating_add(RocksDbWeight::get().writes(8_u64))
	}
	fn set_model_metadata() -> Weight {
		Weight::from_parts(28_000_000, 3_600)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn set_access_policy() -> Weight {
		Weight::from_parts(27_000_000, 3_600)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn set_slash_destination() -> Weight {
		Weight::from_parts(27_000_000, 3_600)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn grant_role() -> Weight {
		Weight::from_parts(30_000_000, 3_600)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn revoke_role() -> Weight {
		Weight::from_parts(30_000_000, 3_600)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn freeze_model() -> Weight {
		Weight::from_parts(26_000_000, 3_600)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn thaw_model() -> Weight {
		Weight::from_parts(26_000_000, 3_600)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn submit_contribution() -> Weight {
		Weight::from_parts(60_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads(6_u64))
			.saturating_add(RocksDbWeight::get().writes(5_u64))
	}
	fn withdraw_contribution() -> Weight {
		Weight::from_parts(55_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(5_u64))
	}
	fn publish_version(s: u32) -> Weight {
		Weight::from_parts(70_000_000, 4_500)
			.saturating_add(Weight::from_parts(45_000_000, 2_600).saturating_mul(s.into()))
			.saturating_add(RocksDbWeight::get().reads(7_u64))
			.saturating_add(RocksDbWeight::get().writes(5_u64))
			.saturating_add(RocksDbWeight::get().reads((4_u64).saturating_mul(s.into())))
			.saturating_add(RocksDbWeight::get().writes((5_u64).saturating_mul(s.into())))
	}
	fn set_head() -> Weight {
		Weight::from_parts(30_000_000, 3_600)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn deprecate_version() -> Weight {
		Weight::from_parts(30_000_000, 3_600)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn revoke_version() -> Weight {
		Weight::from_parts(30_000_000, 3_600)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
}
