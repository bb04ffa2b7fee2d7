//! frame-benchmarking v2 benchmarks for pallet-cmu, each at its worst case.
//!
//! - Admin calls are made by an Admin that is not the owner (the grant is read as well).
//! - `create_model` is the very first model (it also creates the collection); the id probes
//!   it may need on top are added to its weight in the call (`MAX_MODEL_ID_PROBES` x 2 reads).
//! - `publish_version` and `reject_contributions` settle `s` contributions, every one a
//!   rejection under `AcceptedContributors` (held deposits moved through the sharing walk),
//!   by a Trainer that is not the owner; `publish_version` also has `h`, the length of the
//!   history before the call: its weight is independent of `h` (nothing walks the history).
//!   Its model is `Permissioned`, so the call also records a key envelope.
//! - `set_version_envelope` rekeys an encrypted head, by an Admin that is not the owner.

use super::*;
use crate::Pallet as Cmu;
use alloc::vec;
use frame_benchmarking::v2::*;
use frame_support::{
	pallet_prelude::*,
	traits::fungible::{Inspect, Mutate},
};
use frame_system::RawOrigin;
use sp_runtime::traits::{Saturating, StaticLookup, Zero};

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	// Every deposit plus a wide margin for the NFT deposits this pallet does not know.
	let deposits = T::ModelDeposit::get()
		.saturating_add(T::VersionDeposit::get())
		.saturating_add(T::ContributionDeposit::get())
		.saturating_add(T::AttestationDeposit::get())
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
	model_with_policy::<T>(owner, versions, AccessPolicy::default())
}

/// A model owned by `owner` under `policy` with `versions` published versions (encrypted
/// ones, with an envelope, when `policy` is permissioned).
fn model_with_policy<T: Config>(
	owner: &T::AccountId,
	versions: u32,
	policy: AccessPolicy,
) -> ModelId {
	let model = NextModelId::<T>::get();
	Cmu::<T>::create_model(
		RawOrigin::Signed(owner.clone()).into(),
		bounded_cid::<T>(b's'),
		[1; 32],
		policy,
	)
	.expect("model created");
	for v in 0..versions {
		publish::<T>(owner, model, v.checked_sub(1), vec![]);
	}
	model
}

/// Grants `roles` on `model` to a fresh funded account, under `owner`.
fn granted<T: Config>(
	owner: &T::AccountId,
	model: ModelId,
	name: &'static str,
	roles: RoleSet,
) -> T::AccountId {
	let who = funded::<T>(name, 0);
	Roles::<T>::insert(model, &who, Grant { roles, owner: owner.clone() });
	who
}

fn publish<T: Config>(
	trainer: &T::AccountId,
	model: ModelId,
	parent: Option<VersionId>,
	settlements: alloc::vec::Vec<(ContributionId, Verdict)>,
) {
	let permissioned =
		Models::<T>::get(model).expect("model").policy.visibility == Visibility::Permissioned;
	Cmu::<T>::publish_version(
		RawOrigin::Signed(trainer.clone()).into(),
		model,
		parent,
		bounded_cid::<T>(b'a'),
		[2; 32],
		[3; 32],
		bounded_cid::<T>(b'c'),
		full_metrics::<T>(),
		BoundedVec::try_from(settlements).expect("fits the bound"),
		permissioned.then(|| bounded_cid::<T>(b'e')),
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

/// `s` pending contributions from distinct accounts, under the sharing slash destination.
fn pending_for_rejection<T: Config>(
	owner: &T::AccountId,
	model: ModelId,
	s: u32,
) -> alloc::vec::Vec<ContributionId> {
	Cmu::<T>::set_slash_destination(
		RawOrigin::Signed(owner.clone()).into(),
		model,
		SlashDestination::AcceptedContributors,
	)
	.expect("owner sets the destination");
	(0..s).map(|i| submit::<T>(&funded::<T>("contributor", i), model)).collect()
}

fn permissioned() -> AccessPolicy {
	AccessPolicy { visibility: Visibility::Permissioned, ..AccessPolicy::default() }
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
		let admin = granted::<T>(&owner, model, "admin", Role::Admin.into());
		let policy = AccessPolicy {
			visibility: Visibility::Permissioned,
			contributions: ContributionMode::RoleRequired,
		};
		#[extrinsic_call]
		_(RawOrigin::Signed(admin), model, policy);
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
		let admin = granted::<T>(&owner, model, "admin", Role::Admin.into());
		let who = funded::<T>("trainer", 0);
		let lookup = T::Lookup::unlookup(who.clone());
		#[extrinsic_call]
		_(RawOrigin::Signed(admin), model, lookup, RoleSet::from(Role::Trainer | Role::Reader));
		assert_eq!(Cmu::<T>::roles_of(model, &who), RoleSet::from(Role::Trainer | Role::Reader));
	}

	#[benchmark]
	fn revoke_role() {
		let owner = funded::<T>("owner", 0);
		let model = model_with_versions::<T>(&owner, 0);
		let admin = granted::<T>(&owner, model, "admin", Role::Admin.into());
		let who = granted::<T>(&owner, model, "trainer", (Role::Trainer | Role::Reader).into());
		let lookup = T::Lookup::unlookup(who.clone());
		#[extrinsic_call]
		_(RawOrigin::Signed(admin), model, lookup, RoleSet::from(Role::Trainer));
		assert_eq!(Cmu::<T>::roles_of(model, &who), RoleSet::from(Role::Reader));
	}

	#[benchmark]
	fn freeze_model() {
		let owner = funded::<T>("owner", 0);
		let model = model_with_versions::<T>(&owner, 0);
		let admin = granted::<T>(&owner, model, "admin", Role::Admin.into());
		#[extrinsic_call]
		_(RawOrigin::Signed(admin), model);
		assert!(Models::<T>::get(model).unwrap().frozen);
	}

	#[benchmark]
	fn thaw_model() {
		let owner = funded::<T>("owner", 0);
		let model = model_with_versions::<T>(&owner, 0);
		let admin = granted::<T>(&owner, model, "admin", Role::Admin.into());
		Cmu::<T>::freeze_model(RawOrigin::Signed(owner.clone()).into(), model).unwrap();
		#[extrinsic_call]
		_(RawOrigin::Signed(admin), model);
		assert!(!Models::<T>::get(model).unwrap().frozen);
	}

	#[benchmark]
	fn submit_contribution() {
		let owner = funded::<T>("owner", 0);
		let model = model_with_versions::<T>(&owner, 1);
		// Worst case: the model requires the Contributor role, so the grant is read.
		Cmu::<T>::set_access_policy(
			RawOrigin::Signed(owner.clone()).into(),
			model,
			AccessPolicy { contributions: ContributionMode::RoleRequired, ..Default::default() },
		)
		.unwrap();
		let contributor = granted::<T>(&owner, model, "contributor", Role::Contributor.into());
		#[extrinsic_call]
		_(RawOrigin::Signed(contributor), model, bounded_cid::<T>(b'd'), [4; 32], 1_000);
		assert_eq!(Models::<T>::get(model).unwrap().pending_contributions, 1);
	}

	/// The last withdrawal from a retired model: it also releases the model deposit.
	#[benchmark]
	fn withdraw_contribution() {
		let owner = funded::<T>("owner", 0);
		let model = model_with_versions::<T>(&owner, 1);
		let contributor = funded::<T>("contributor", 0);
		let id = submit::<T>(&contributor, model);
		Cmu::<T>::retire_model(RawOrigin::Signed(owner).into(), model).unwrap();
		#[extrinsic_call]
		_(RawOrigin::Signed(contributor), model, id);
		assert_eq!(
			Contributions::<T>::get(model, id).unwrap().status,
			ContributionStatus::Withdrawn
		);
		assert!(Models::<T>::get(model).unwrap().deposit.is_zero());
	}

	/// `s` settlements, every one a rejection shared under `AcceptedContributors`, by a
	/// Trainer that is not the owner, on top of a history of `h` versions.
	#[benchmark]
	fn publish_version(s: Linear<0, { T::MaxSettlementsPerVersion::get() }>, h: Linear<1, 200>) {
		let owner = funded::<T>("owner", 0);
		let model = model_with_policy::<T>(&owner, h, permissioned());
		let trainer = granted::<T>(&owner, model, "trainer", Role::Trainer.into());
		let settlements: alloc::vec::Vec<_> = pending_for_rejection::<T>(&owner, model, s)
			.into_iter()
			.map(|id| (id, Verdict::Reject(RejectionReason::HarmsMetric)))
			.collect();
		let head = Models::<T>::get(model).unwrap().head;
		#[extrinsic_call]
		_(
			RawOrigin::Signed(trainer),
			model,
			head,
			bounded_cid::<T>(b'a'),
			[2; 32],
			[3; 32],
			bounded_cid::<T>(b'c'),
			full_metrics::<T>(),
			BoundedVec::try_from(settlements).unwrap(),
			Some(bounded_cid::<T>(b'e')),
		);
		let info = Models::<T>::get(model).unwrap();
		assert_eq!(info.head, Some(h));
		assert_eq!(info.pending_contributions, 0);
		assert!(VersionEnvelopes::<T>::contains_key(model, h));
	}

	#[benchmark]
	fn set_head() {
		let owner = funded::<T>("owner", 0);
		let model = model_with_versions::<T>(&owner, 2);
		let admin = granted::<T>(&owner, model, "admin", Role::Admin.into());
		#[extrinsic_call]
		_(RawOrigin::Signed(admin), model, 0, 1);
		assert_eq!(Models::<T>::get(model).unwrap().head, Some(0));
	}

	#[benchmark]
	fn deprecate_version() {
		let owner = funded::<T>("owner", 0);
		let model = model_with_versions::<T>(&owner, 2);
		let admin = granted::<T>(&owner, model, "admin", Role::Admin.into());
		#[extrinsic_call]
		_(RawOrigin::Signed(admin), model, 0);
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

	/// Retiring with nothing pending: the model deposit is released too.
	#[benchmark]
	fn retire_model() {
		let owner = funded::<T>("owner", 0);
		let model = model_with_versions::<T>(&owner, 1);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), model);
		let info = Models::<T>::get(model).unwrap();
		assert!(info.retired && info.deposit.is_zero());
	}

	/// `s` rejections without a version, shared under `AcceptedContributors` (all to the
	/// owner), by a Trainer that is not the owner.
	#[benchmark]
	fn reject_contributions(s: Linear<0, { T::MaxSettlementsPerVersion::get() }>) {
		let owner = funded::<T>("owner", 0);
		let model = model_with_versions::<T>(&owner, 1);
		let trainer = granted::<T>(&owner, model, "trainer", Role::Trainer.into());
		let rejections: alloc::vec::Vec<_> = pending_for_rejection::<T>(&owner, model, s)
			.into_iter()
			.map(|id| (id, RejectionReason::Duplicate))
			.collect();
		#[extrinsic_call]
		_(RawOrigin::Signed(trainer), model, BoundedVec::try_from(rejections).unwrap());
		assert_eq!(Models::<T>::get(model).unwrap().pending_contributions, 0);
	}

	#[benchmark]
	fn attest_version() {
		let owner = funded::<T>("owner", 0);
		let model = model_with_versions::<T>(&owner, 1);
		let verifier = funded::<T>("verifier", 0);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(verifier.clone()),
			model,
			0,
			AttestationOutcome::Mismatch,
			bounded_cid::<T>(b'r'),
		);
		assert_eq!(Versions::<T>::get(model, 0).unwrap().mismatches, 1);
	}

	/// Clearing a key, the heavier branch: it reads the key to refuse clearing one that is
	/// not set, then removes it (setting one is a single write).
	#[benchmark]
	fn set_encryption_key() {
		let who = funded::<T>("holder", 0);
		EncryptionKeys::<T>::insert(&who, [7; 32]);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), None);
		assert_eq!(EncryptionKeys::<T>::get(&who), None);
	}

	/// Rekeying an encrypted head, by an Admin that is not the owner.
	#[benchmark]
	fn set_version_envelope() {
		let owner = funded::<T>("owner", 0);
		let model = model_with_policy::<T>(&owner, 1, permissioned());
		let admin = granted::<T>(&owner, model, "admin", Role::Admin.into());
		#[extrinsic_call]
		_(RawOrigin::Signed(admin), model, bounded_cid::<T>(b'f'));
		assert_eq!(VersionEnvelopes::<T>::get(model, 0), Some(bounded_cid::<T>(b'f')));
	}

	impl_benchmark_test_suite!(Cmu, crate::mock::new_test_ext(), crate::mock::Test);
}
