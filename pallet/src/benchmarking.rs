//! frame-benchmarking v2 benchmarks for pallet-cmu.
//!
//! `publish_version` has two components: `s`, the contributions settled, and `h`, the length
//! of the version history before the call. Its weight is linear in `s` and independent of
//! `h`: storage is keyed by (model, version), and nothing walks the history.

use super::*;
use crate::Pallet as Cmu;
use alloc::vec;
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::Inspect;
use frame_support::{pallet_prelude::*, traits::fungible::Mutate};
use frame_system::RawOrigin;
use sp_runtime::traits::{Saturating, StaticLookup};

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	// Every deposit plus a wide margin for the NFT deposits this pallet does not know.
	let deposits = T::ModelDeposit::get()
		.saturating_add(T::VersionDeposit::get())
		.saturating_add(T::ContributionDeposit::get())
		.saturating_add(T::Currency::minimum_balance());
	T::Currency::set_balance(&who, deposits.saturating_mul(1_000_000u32.into()));
	who
}

fn bounded_cid<T: Config>(fill: u8) -> CidOf<T> {
	BoundedVec::try_from(vec![fill; T::MaxCidLen::get() as usize]).expect("fits the bound")
}

fn full_metrics<T: Config>() -> MetricsOf<T> {
	let metric = Metric {
		key: BoundedVec::try_from(vec![b'm'; T::MaxMetricKeyLen::get() as usize]).expect("fits"),
		value: i64::MAX,
	};
	BoundedVec::try_from(vec![metric; T::MaxMetrics::get() as usize]).expect("fits the bound")
}

/// A model owned by `owner` with `versions` published versions.
fn model_with_versions<T: Config>(owner: &T::AccountId, versions: u32) -> ModelId {
	let model = NextModelId::<T>::get();
	Cmu::<T>::create_model(
		RawOrigin::Signed(owner.clone()).into(),
		bounded_cid::<T>(b's'),
		[1; 32],
		AccessPolicy::default(),
	)
	.expect("model created");
	for v in 0..versions {
		publish::<T>(owner, model, v.checked_sub(1), vec![]);
	}
	model
}

fn publish<T: Config>(
	trainer: &T::AccountId,
	model: ModelId,
	parent: Option<VersionId>,
	settlements: alloc::vec::Vec<(ContributionId, Verdict)>,
) {
	Cmu::<T>::publish_version(
		RawOrigin::Signed(trainer.clone()).into(),
		model,
		parent,
		bounded_cid::<T>(b'a'),
		[2; 32],
		[3; 32],
		full_metrics::<T>(),
		BoundedVec::try_from(settlements).expect("fits the bound"),
	)
	.expect("version published");
}

fn submit<T: Config>(who: &T::AccountId, model: ModelId) -> ContributionId {
	let id = Models::<T>::get(model).expect("model").contribution_count;
	Cmu::<T>::submit_contribution(
		RawOrigin::Signed(who.clone()).into(),
		model,
		bounded_cid::<T>(b'd'),
		[4; 32],
		1_000,
	)
	.expect("contribution submitted");
	id
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn create_model() {
		let owner = funded::<T>("owner", 0);
		// The first model also creates the collection: measure that worst case.
		#[extrinsic_call]
		_(
			RawOrigin::Signed(owner.clone()),
			bounded_cid::<T>(b's'),
			[1; 32],
			AccessPolicy::default(),
		);
		assert_eq!(Cmu::<T>::model_owner(0), Some(owner));
	}

	#[benchmark]
	fn set_model_metadata() {
		let owner = funded::<T>("owner", 0);
		let model = model_with_versions::<T>(&owner, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), model, bounded_cid::<T>(b'n'), [9; 32]);
		assert_eq!(Models::<T>::get(model).unwrap().metadata.spec_hash, [9; 32]);
	}

	#[benchmark]
	fn set_access_policy() {
		let owner = funded::<T>("owner", 0);
		let model = model_with_versions::<T>(&owner, 0);
		let policy = AccessPolicy {
			visibility: Visibility::Permissioned,
			contributions: ContributionMode::RoleRequired,
		};
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), model, policy);
		assert_eq!(Models::<T>::get(model).unwrap().policy, policy);
	}

	#[benchmark]
	fn set_slash_destination() {
		let owner = funded::<T>("owner", 0);
		let model = model_with_versions::<T>(&owner, 0);
		let treasury = funded::<T>("treasury", 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), model, SlashDestination::Account(treasury.clone()));
		assert_eq!(
			Models::<T>::get(model).unwrap().slash_destination,
			SlashDestination::Account(treasury)
		);
	}

	#[benchmark]
	fn grant_role() {
		let owner = funded::<T>("owner", 0);
		let model = model_with_versions::<T>(&owner, 0);
		let who = funded::<T>("trainer", 0);
		let lookup = T::Lookup::unlookup(who.clone());
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), model, lookup, RoleSet(RoleSet::TRAINER));
		assert_eq!(Roles::<T>::get(model, &who), RoleSet(RoleSet::TRAINER));
	}

	#[benchmark]
	fn revoke_role() {
		let owner = funded::<T>("owner", 0);
		let model = model_with_versions::<T>(&owner, 0);
		let who = funded::<T>("trainer", 0);
		Roles::<T>::insert(model, &who, RoleSet(RoleSet::TRAINER | RoleSet::READER));
		let lookup = T::Lookup::unlookup(who.clone());
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), model, lookup, RoleSet(RoleSet::TRAINER));
		assert_eq!(Roles::<T>::get(model, &who), RoleSet(RoleSet::READER));
	}

	#[benchmark]
	fn freeze_model() {
		let owner = funded::<T>("owner", 0);
		let model = model_with_versions::<T>(&owner, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), model);
		assert!(Models::<T>::get(model).unwrap().frozen);
	}

	#[benchmark]
	fn thaw_model() {
		let owner = funded::<T>("owner", 0);
		let model = model_with_versions::<T>(&owner, 0);
		Cmu::<T>::freeze_model(RawOrigin::Signed(owner.clone()).into(), model).unwrap();
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), model);
		assert!(!Models::<T>::get(model).unwrap().frozen);
	}

	#[benchmark]
	fn submit_contribution() {
		let owner = funded::<T>("owner", 0);
		let model = model_with_versions::<T>(&owner, 1);
		let contributor = funded::<T>("contributor", 0);
		// Worst case: the model requires the Contributor role, so the role is checked.
		Cmu::<T>::set_access_policy(
			RawOrigin::Signed(owner.clone()).into(),
			model,
			AccessPolicy { contributions: ContributionMode::RoleRequired, ..Default::default() },
		)
		.unwrap();
		Roles::<T>::insert(model, &contributor, RoleSet(RoleSet::CONTRIBUTOR));
		#[extrinsic_call]
		_(RawOrigin::Signed(contributor), model, bounded_cid::<T>(b'd'), [4; 32], 1_000);
		assert_eq!(Models::<T>::get(model).unwrap().pending_contributions, 1);
	}

	#[benchmark]
	fn withdraw_contribution() {
		let owner = funded::<T>("owner", 0);
		let model = model_with_versions::<T>(&owner, 1);
		let contributor = funded::<T>("contributor", 0);
		let id = submit::<T>(&contributor, model);
		#[extrinsic_call]
		_(RawOrigin::Signed(contributor), model, id);
		assert_eq!(
			Contributions::<T>::get(model, id).unwrap().status,
			ContributionStatus::Withdrawn
		);
	}

	/// `s` settlements (every other one rejected, the slash path is the costlier) on top of a
	/// history of `h` versions.
	#[benchmark]
	fn publish_version(s: Linear<0, { T::MaxSettlementsPerVersion::get() }>, h: Linear<1, 200>) {
		let owner = funded::<T>("owner", 0);
		let model = model_with_versions::<T>(&owner, h);
		let trainer = funded::<T>("trainer", 0);
		Roles::<T>::insert(model, &trainer, RoleSet(RoleSet::TRAINER));
		let mut settlements = vec![];
		for i in 0..s {
			let contributor = funded::<T>("contributor", i);
			let id = submit::<T>(&contributor, model);
			let verdict = if i % 2 == 0 {
				Verdict::Reject(RejectionReason::HarmsMetric)
			} else {
				Verdict::Accept
			};
			settlements.push((id, verdict));
		}
		let head = Models::<T>::get(model).unwrap().head;
		#[extrinsic_call]
		_(
			RawOrigin::Signed(trainer),
			model,
			head,
			bounded_cid::<T>(b'a'),
			[2; 32],
			[3; 32],
			full_metrics::<T>(),
			BoundedVec::try_from(settlements).unwrap(),
		);
		let info = Models::<T>::get(model).unwrap();
		assert_eq!(info.head, Some(h));
		assert_eq!(info.pending_contributions, 0);
	}

	#[benchmark]
	fn set_head() {
		let owner = funded::<T>("owner", 0);
		let model = model_with_versions::<T>(&owner, 2);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), model, 0, 1);
		assert_eq!(Models::<T>::get(model).unwrap().head, Some(0));
	}

	#[benchmark]
	fn deprecate_version() {
		let owner = funded::<T>("owner", 0);
		let model = model_with_versions::<T>(&owner, 2);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), model, 0);
		assert_eq!(Versions::<T>::get(model, 0).unwrap().status, VersionStatus::Deprecated);
	}

	#[benchmark]
	fn revoke_version() {
		let owner = funded::<T>("owner", 0);
		let model = model_with_versions::<T>(&owner, 2);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), model, 0);
		assert_eq!(Versions::<T>::get(model, 0).unwrap().status, VersionStatus::Revoked);
	}

	impl_benchmark_test_suite!(Cmu, crate::mock::new_test_ext(), crate::mock::Test);
}
