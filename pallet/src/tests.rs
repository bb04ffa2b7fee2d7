//! Unit tests for pallet-cmu on the mock runtime.

use crate::{mock::*, *};
use codec::{Decode, Encode};
use frame_support::{
	assert_noop, assert_ok,
	traits::{
		fungible::{Inspect, InspectHold},
		GetStorageVersion, Hooks, OnRuntimeUpgrade, StorageVersion,
	},
	BoundedVec,
};
use polkadot_sdk::{pallet_nfts, sp_runtime};
use sp_runtime::{DispatchError, DispatchResult, TokenError};

type CmuError = Error<Test>;

fn origin(n: u8) -> RuntimeOrigin {
	RuntimeOrigin::signed(account(n))
}

fn cid(text: &str) -> CidOf<Test> {
	BoundedVec::try_from(text.as_bytes().to_vec()).unwrap()
}

fn hash(n: u8) -> Hash32 {
	[n; 32]
}

fn metrics(auc_e9: i64) -> MetricsOf<Test> {
	BoundedVec::try_from(vec![Metric {
		key: BoundedVec::try_from(b"val_auc".to_vec()).unwrap(),
		value: auc_e9,
	}])
	.unwrap()
}

fn settlements(items: &[(ContributionId, Verdict)]) -> SettlementsOf<Test> {
	BoundedVec::try_from(items.to_vec()).unwrap()
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

fn cmu_events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Cmu(e) = r.event { Some(e) } else { None })
		.collect()
}

fn held(n: u8, reason: HoldReason) -> Balance {
	Balances::balance_on_hold(&RuntimeHoldReason::Cmu(reason), &account(n))
}

fn free(n: u8) -> Balance {
	Balances::balance(&account(n))
}

/// Creates a model owned by `OWNER` with the given policy and returns its id.
fn create_with(policy: AccessPolicy) -> ModelId {
	let model = NextModelId::<Test>::get();
	assert_ok!(Cmu::create_model(origin(OWNER), cid("bafyspec"), hash(1), policy));
	model
}

fn create() -> ModelId {
	create_with(AccessPolicy::default())
}

fn publish(
	trainer: u8,
	model: ModelId,
	parent: Option<VersionId>,
	verdicts: &[(ContributionId, Verdict)],
) -> DispatchResult {
	// A permissioned model's versions are encrypted and carry their key envelope.
	let envelope = Models::<Test>::get(model)
		.filter(|info| info.policy.visibility == Visibility::Permissioned)
		.map(|_| cid("bafyenvelope"));
	publish_with_envelope(trainer, model, parent, verdicts, envelope)
}

fn publish_with_envelope(
	trainer: u8,
	model: ModelId,
	parent: Option<VersionId>,
	verdicts: &[(ContributionId, Verdict)],
	envelope: Option<CidOf<Test>>,
) -> DispatchResult {
	Cmu::publish_version(
		origin(trainer),
		model,
		parent,
		cid("bafyartifact"),
		hash(7),
		hash(8),
		cid("bafycard"),
		metrics(900_000_000),
		settlements(verdicts),
		envelope,
	)
}

fn submit(who: u8, model: ModelId) -> ContributionId {
	let id = Models::<Test>::get(model).unwrap().contribution_count;
	assert_ok!(Cmu::submit_contribution(origin(who), model, cid("bafydata"), hash(id as u8), 10));
	id
}

fn grant(model: ModelId, who: u8, roles: impl Into<RoleSet>) {
	assert_ok!(Cmu::grant_role(origin(OWNER), model, account(who), roles.into()));
}

fn transfer_nft(model: ModelId, from: u8, to: u8) {
	let collection = ModelCollection::<Test>::get().unwrap();
	assert_ok!(Nfts::transfer(origin(from), collection, model, account(to)));
}

// ---------------------------------------------------------------- models

#[test]
fn create_model_mints_nft_holds_deposit_and_records_info() {
	new_test_ext().execute_with(|| {
		let model = create();
		assert_eq!(model, 0);
		assert_eq!(Cmu::model_owner(model), Some(account(OWNER)));
		let info = Models::<Test>::get(model).unwrap();
		assert_eq!(info.head, None);
		assert_eq!(info.version_count, 0);
		assert!(!info.frozen);
		assert_eq!(info.metadata.spec_hash, hash(1));
		assert_eq!(info.created_at, 1);
		assert_eq!(held(OWNER, HoldReason::ModelDeposit), MODEL_DEPOSIT);
		assert_eq!(
			last_event(),
			RuntimeEvent::Cmu(Event::ModelCreated {
				model,
				owner: account(OWNER),
				spec_cid: cid("bafyspec"),
				deposit: MODEL_DEPOSIT
			})
		);
		// The second model gets the next id in the same collection.
		assert_eq!(create(), 1);
		assert_eq!(Cmu::model_owner(1), Some(account(OWNER)));
	});
}

#[test]
fn create_model_refusals() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Cmu::create_model(origin(OWNER), cid(""), hash(1), AccessPolicy::default()),
			CmuError::EmptyCid
		);
		// Account 42 has no funds: the NFT item deposit cannot be paid and nothing is kept.
		assert!(Cmu::create_model(
			RuntimeOrigin::signed(account(42)),
			cid("x"),
			hash(1),
			AccessPolicy::default()
		)
		.is_err());
		assert_eq!(NextModelId::<Test>::get(), 0);
		assert!(Models::<Test>::get(0).is_none());
	});
}

#[test]
fn users_cannot_create_collections_or_mint_into_the_model_collection() {
	new_test_ext().execute_with(|| {
		let model = create();
		let collection = ModelCollection::<Test>::get().unwrap();
		assert!(
			Nfts::mint(origin(STRANGER), collection, model + 1, account(STRANGER), None).is_err()
		);
		assert!(Nfts::create(
			origin(STRANGER),
			account(STRANGER),
			pallet_nfts::CollectionConfigFor::<Test>::default()
		)
		.is_err());
	});
}

#[test]
fn policy_is_admin_only_metadata_and_slash_destination_owner_only() {
	new_test_ext().execute_with(|| {
		let model = create();
		grant(model, ADMIN, Role::Admin);
		assert_noop!(
			Cmu::set_model_metadata(origin(ADMIN), model, cid("bafynew"), hash(9)),
			CmuError::NotOwner
		);
		assert_ok!(Cmu::set_model_metadata(origin(OWNER), model, cid("bafynew"), hash(9)));
		assert_eq!(Models::<Test>::get(model).unwrap().metadata.spec_cid, cid("bafynew"));
		assert_eq!(
			last_event(),
			RuntimeEvent::Cmu(Event::ModelMetadataSet {
				model,
				spec_cid: cid("bafynew"),
				spec_hash: hash(9),
				by: account(OWNER)
			})
		);
		let policy = AccessPolicy {
			visibility: Visibility::Permissioned,
			contributions: ContributionMode::RoleRequired,
		};
		assert_ok!(Cmu::set_access_policy(origin(ADMIN), model, policy));
		assert_eq!(Models::<Test>::get(model).unwrap().policy, policy);
		assert_eq!(
			last_event(),
			RuntimeEvent::Cmu(Event::AccessPolicySet { model, policy, by: account(ADMIN) })
		);
		assert_ok!(Cmu::set_slash_destination(origin(OWNER), model, SlashDestination::Burn));
		assert_eq!(Models::<Test>::get(model).unwrap().slash_destination, SlashDestination::Burn);

		assert_noop!(
			Cmu::set_model_metadata(origin(STRANGER), model, cid("x"), hash(2)),
			CmuError::NotOwner
		);
		assert_noop!(
			Cmu::set_model_metadata(origin(OWNER), model, cid(""), hash(2)),
			CmuError::EmptyCid
		);
		assert_noop!(
			Cmu::set_access_policy(origin(TRAINER), model, AccessPolicy::default()),
			CmuError::NotAdmin
		);
		assert_noop!(
			Cmu::set_slash_destination(origin(STRANGER), model, SlashDestination::ModelOwner),
			CmuError::NotOwner
		);
		assert_noop!(
			Cmu::set_access_policy(origin(OWNER), 99, AccessPolicy::default()),
			CmuError::UnknownModel
		);
	});
}

#[test]
fn freeze_and_thaw() {
	new_test_ext().execute_with(|| {
		let model = create();
		assert_ok!(Cmu::freeze_model(origin(OWNER), model));
		assert_eq!(
			last_event(),
			RuntimeEvent::Cmu(Event::ModelFrozen { model, by: account(OWNER) })
		);
		assert_noop!(Cmu::freeze_model(origin(OWNER), model), CmuError::AlreadyFrozen);
		assert_noop!(
			Cmu::submit_contribution(origin(CONTRIBUTOR), model, cid("d"), hash(1), 1),
			CmuError::ModelFrozen
		);
		assert_noop!(publish(OWNER, model, None, &[]), CmuError::ModelFrozen);
		assert_noop!(Cmu::thaw_model(origin(STRANGER), model), CmuError::NotAdmin);
		assert_ok!(Cmu::thaw_model(origin(OWNER), model));
		assert_eq!(
			last_event(),
			RuntimeEvent::Cmu(Event::ModelThawed { model, by: account(OWNER) })
		);
		assert_noop!(Cmu::thaw_model(origin(OWNER), model), CmuError::NotFrozen);
		assert_ok!(publish(OWNER, model, None, &[]));
	});
}

#[test]
fn frozen_model_still_lets_contributors_withdraw() {
	new_test_ext().execute_with(|| {
		let model = create();
		let c = submit(CONTRIBUTOR, model);
		assert_ok!(Cmu::freeze_model(origin(OWNER), model));
		assert_ok!(Cmu::withdraw_contribution(origin(CONTRIBUTOR), model, c));
		assert_eq!(held(CONTRIBUTOR, HoldReason::ContributionDeposit), 0);
	});
}

// ---------------------------------------------------------------- roles

#[test]
fn grant_and_revoke_roles() {
	new_test_ext().execute_with(|| {
		let model = create();
		grant(model, TRAINER, Role::Trainer | Role::Reader);
		assert_eq!(
			Cmu::roles_of(model, &account(TRAINER)),
			RoleSet::from(Role::Trainer | Role::Reader)
		);
		assert_ok!(Cmu::revoke_role(
			origin(OWNER),
			model,
			account(TRAINER),
			RoleSet::from(Role::Reader)
		));
		assert_eq!(Cmu::roles_of(model, &account(TRAINER)), RoleSet::from(Role::Trainer));
		assert_eq!(
			last_event(),
			RuntimeEvent::Cmu(Event::RoleRevoked {
				model,
				who: account(TRAINER),
				revoked: RoleSet::from(Role::Reader),
				roles: RoleSet::from(Role::Trainer),
				by: account(OWNER)
			})
		);
		// Revoking everything removes the storage entry.
		assert_ok!(Cmu::revoke_role(origin(OWNER), model, account(TRAINER), RoleSet::all()));
		assert!(!Roles::<Test>::contains_key(model, account(TRAINER)));
	});
}

#[test]
fn role_management_refusals() {
	new_test_ext().execute_with(|| {
		let model = create();
		grant(model, ADMIN, Role::Admin);
		// Admins manage the lower roles ...
		assert_ok!(Cmu::grant_role(
			origin(ADMIN),
			model,
			account(TRAINER),
			RoleSet::from(Role::Trainer)
		));
		// ... but not Admins, and never the owner.
		assert_noop!(
			Cmu::grant_role(origin(ADMIN), model, account(STRANGER), RoleSet::from(Role::Admin)),
			CmuError::OnlyOwnerManagesAdmins
		);
		assert_noop!(
			Cmu::revoke_role(origin(ADMIN), model, account(ADMIN), RoleSet::from(Role::Admin)),
			CmuError::OnlyOwnerManagesAdmins
		);
		assert_noop!(
			Cmu::revoke_role(origin(ADMIN), model, account(OWNER), RoleSet::from(Role::Trainer)),
			CmuError::CannotTargetOwner
		);
		assert_noop!(
			Cmu::grant_role(origin(OWNER), model, account(OWNER), RoleSet::from(Role::Trainer)),
			CmuError::CannotTargetOwner
		);
		assert_noop!(
			Cmu::grant_role(origin(TRAINER), model, account(STRANGER), RoleSet::from(Role::Reader)),
			CmuError::NotAdmin
		);
		assert_noop!(
			Cmu::grant_role(origin(OWNER), model, account(STRANGER), RoleSet::none()),
			CmuError::InvalidRoles
		);
		// Undefined bits do not even decode.
		assert!(RoleSet::decode(&mut &[0b1_0000u8][..]).is_err());
		assert_eq!(RoleSet::decode(&mut &[0b0101u8][..]), Ok((Role::Admin | Role::Trainer).into()));
		assert_eq!(RoleSet::from(Role::Reader).encode(), vec![0b1000u8]);
		assert_noop!(
			Cmu::grant_role(origin(OWNER), 99, account(STRANGER), RoleSet::from(Role::Reader)),
			CmuError::UnknownModel
		);
	});
}

/// Every role-gated call against every kind of caller.
#[test]
fn role_call_matrix() {
	#[derive(Clone, Copy, Debug)]
	enum Caller {
		Owner,
		Admin,
		Trainer,
		Contributor,
		Reader,
		Stranger,
	}
	let callers = [
		Caller::Owner,
		Caller::Admin,
		Caller::Trainer,
		Caller::Contributor,
		Caller::Reader,
		Caller::Stranger,
	];
	let account_of = |c: Caller| match c {
		Caller::Owner => OWNER,
		Caller::Admin => ADMIN,
		Caller::Trainer => TRAINER,
		Caller::Contributor => CONTRIBUTOR,
		Caller::Reader => 7,
		Caller::Stranger => STRANGER,
	};
	// (call name, callers allowed, error for the others)
	type Call = fn(u8, ModelId) -> DispatchResult;
	let calls: Vec<(&str, Call, &[u8], DispatchError)> = vec![
		(
			"set_model_metadata",
			|w, m| Cmu::set_model_metadata(origin(w), m, cid("n"), hash(3)),
			&[OWNER],
			CmuError::NotOwner.into(),
		),
		(
			"set_access_policy",
			|w, m| {
				Cmu::set_access_policy(
					origin(w),
					m,
					AccessPolicy {
						contributions: ContributionMode::RoleRequired,
						..Default::default()
					},
				)
			},
			&[OWNER, ADMIN],
			CmuError::NotAdmin.into(),
		),
		(
			"set_slash_destination",
			|w, m| Cmu::set_slash_destination(origin(w), m, SlashDestination::Burn),
			&[OWNER],
			CmuError::NotOwner.into(),
		),
		(
			"grant_role",
			|w, m| Cmu::grant_role(origin(w), m, account(8), RoleSet::from(Role::Reader)),
			&[OWNER, ADMIN],
			CmuError::NotAdmin.into(),
		),
		(
			"revoke_role",
			|w, m| Cmu::revoke_role(origin(w), m, account(7), RoleSet::from(Role::Reader)),
			&[OWNER, ADMIN],
			CmuError::NotAdmin.into(),
		),
		(
			"freeze_model",
			|w, m| Cmu::freeze_model(origin(w), m),
			&[OWNER, ADMIN],
			CmuError::NotAdmin.into(),
		),
		(
			"set_head",
			|w, m| Cmu::set_head(origin(w), m, 0, 1),
			&[OWNER, ADMIN],
			CmuError::NotAdmin.into(),
		),
		(
			"deprecate_version",
			|w, m| Cmu::deprecate_version(origin(w), m, 0),
			&[OWNER, ADMIN],
			CmuError::NotAdmin.into(),
		),
		(
			"revoke_version",
			|w, m| Cmu::revoke_version(origin(w), m, 0),
			&[OWNER],
			CmuError::NotOwner.into(),
		),
		(
			"publish_version",
			|w, m| {
				let head = Models::<Test>::get(m).unwrap().head;
				publish(w, m, head, &[])
			},
			&[OWNER, TRAINER],
			CmuError::NotTrainer.into(),
		),
		(
			"thaw_model",
			|w, m| {
				Cmu::freeze_model(origin(OWNER), m)?;
				Cmu::thaw_model(origin(w), m)
			},
			&[OWNER, ADMIN],
			CmuError::NotAdmin.into(),
		),
		(
			"retire_model",
			|w, m| Cmu::retire_model(origin(w), m),
			&[OWNER],
			CmuError::NotOwner.into(),
		),
		(
			"reject_contributions",
			|w, m| {
				let c = Models::<Test>::get(m).unwrap().contribution_count;
				Cmu::submit_contribution(origin(STRANGER), m, cid("d"), hash(5), 3)?;
				Cmu::reject_contributions(
					origin(w),
					m,
					BoundedVec::try_from(vec![(c, RejectionReason::Duplicate)]).unwrap(),
				)
			},
			&[OWNER, TRAINER],
			CmuError::NotTrainer.into(),
		),
		(
			"submit_contribution (role required)",
			|w, m| {
				Cmu::set_access_policy(
					origin(OWNER),
					m,
					AccessPolicy {
						contributions: ContributionMode::RoleRequired,
						..Default::default()
					},
				)?;
				Cmu::submit_contribution(origin(w), m, cid("d"), hash(5), 3)
			},
			&[OWNER, CONTRIBUTOR],
			CmuError::NotContributor.into(),
		),
	];
	for (name, call, allowed, error) in calls {
		for caller in callers {
			new_test_ext().execute_with(|| {
				let model = create();
				grant(model, ADMIN, Role::Admin);
				grant(model, TRAINER, Role::Trainer);
				grant(model, CONTRIBUTOR, Role::Contributor);
				grant(model, 7, Role::Reader);
				// Two versions, head at 1, so set_head/deprecate/revoke of version 0 can succeed.
				assert_ok!(publish(OWNER, model, None, &[]));
				assert_ok!(publish(OWNER, model, Some(0), &[]));
				let who = account_of(caller);
				let result = call(who, model);
				if allowed.contains(&who) {
					assert_eq!(result, Ok(()), "{name} by {caller:?} should succeed");
				} else {
					assert_eq!(result, Err(error), "{name} by {caller:?} should fail");
				}
			});
		}
	}
}

#[test]
fn transfer_moves_implicit_roles_and_voids_grants() {
	new_test_ext().execute_with(|| {
		let model = create();
		grant(model, TRAINER, Role::Trainer);
		transfer_nft(model, OWNER, NEW_OWNER);
		assert_eq!(Cmu::model_owner(model), Some(account(NEW_OWNER)));
		// The new owner holds everything implicitly; the old owner nothing.
		assert_eq!(Cmu::roles_of(model, &account(NEW_OWNER)), RoleSet::all());
		assert_eq!(Cmu::roles_of(model, &account(OWNER)), RoleSet::none());
		assert_noop!(Cmu::freeze_model(origin(OWNER), model), CmuError::NotAdmin);
		assert_ok!(Cmu::freeze_model(origin(NEW_OWNER), model));
		assert_ok!(Cmu::thaw_model(origin(NEW_OWNER), model));
		// Grants made under the previous owner stop counting: the buyer gets a clean model.
		assert_eq!(Cmu::roles_of(model, &account(TRAINER)), RoleSet::none());
		assert_noop!(publish(TRAINER, model, None, &[]), CmuError::NotTrainer);
		// The new owner re-grants what they want; the grant records them.
		assert_ok!(Cmu::grant_role(
			origin(NEW_OWNER),
			model,
			account(TRAINER),
			RoleSet::from(Role::Trainer)
		));
		assert_eq!(
			Roles::<Test>::get(model, account(TRAINER)),
			Some(Grant { roles: Role::Trainer.into(), owner: account(NEW_OWNER) })
		);
		assert_ok!(publish(TRAINER, model, None, &[]));
		// The old owner's model deposit stays held from the old owner (who paid it).
		assert_eq!(held(OWNER, HoldReason::ModelDeposit), MODEL_DEPOSIT);
		assert_eq!(Models::<Test>::get(model).unwrap().depositor, account(OWNER));
	});
}

/// Hole 3: a seller plants an Admin and a Trainer, then sells; the planted accounts are
/// powerless under the buyer.
#[test]
fn planted_grants_are_powerless_after_a_sale() {
	new_test_ext().execute_with(|| {
		let model = create();
		grant(model, ADMIN, Role::Admin);
		grant(model, TRAINER, Role::Trainer | Role::Contributor);
		transfer_nft(model, OWNER, NEW_OWNER);
		assert_noop!(Cmu::freeze_model(origin(ADMIN), model), CmuError::NotAdmin);
		assert_noop!(
			Cmu::set_access_policy(origin(ADMIN), model, AccessPolicy::default()),
			CmuError::NotAdmin
		);
		assert_noop!(
			Cmu::grant_role(origin(ADMIN), model, account(STRANGER), Role::Trainer.into()),
			CmuError::NotAdmin
		);
		assert_noop!(publish(TRAINER, model, None, &[]), CmuError::NotTrainer);
		let c = submit(CONTRIBUTOR, model);
		assert_noop!(
			Cmu::reject_contributions(
				origin(TRAINER),
				model,
				BoundedVec::try_from(vec![(c, RejectionReason::HarmsMetric)]).unwrap()
			),
			CmuError::NotTrainer
		);
		// Granting again under the new owner starts from nothing, not from the old grant.
		assert_ok!(Cmu::grant_role(
			origin(NEW_OWNER),
			model,
			account(TRAINER),
			Role::Reader.into()
		));
		assert_eq!(Cmu::roles_of(model, &account(TRAINER)), Role::Reader.into());
	});
}

/// Hole 3, the revival case: an Admin who becomes owner and sells again does not get the old
/// grant back.
#[test]
fn an_old_grant_does_not_revive_when_its_holder_sells_the_model_on() {
	new_test_ext().execute_with(|| {
		let model = create();
		grant(model, ADMIN, Role::Admin);
		transfer_nft(model, OWNER, ADMIN);
		assert_eq!(Cmu::roles_of(model, &account(ADMIN)), RoleSet::all());
		transfer_nft(model, ADMIN, NEW_OWNER);
		assert_eq!(Cmu::roles_of(model, &account(ADMIN)), RoleSet::none());
		assert_noop!(Cmu::freeze_model(origin(ADMIN), model), CmuError::NotAdmin);
		assert_noop!(Cmu::set_head(origin(ADMIN), model, 0, 0), CmuError::NotAdmin);
	});
}

#[test]
fn rejected_deposits_go_to_the_owner_at_settlement_time() {
	new_test_ext().execute_with(|| {
		let model = create();
		let c = submit(CONTRIBUTOR, model);
		transfer_nft(model, OWNER, NEW_OWNER);
		let before = free(NEW_OWNER);
		assert_ok!(publish(
			NEW_OWNER,
			model,
			None,
			&[(c, Verdict::Reject(RejectionReason::HarmsMetric))]
		));
		// The new owner also paid the version deposit.
		assert_eq!(free(NEW_OWNER), before + CONTRIBUTION_DEPOSIT - VERSION_DEPOSIT);
	});
}

// ---------------------------------------------------------------- contributions

#[test]
fn submit_contribution_holds_deposit_and_records_it() {
	new_test_ext().execute_with(|| {
		let model = create();
		let before = free(CONTRIBUTOR);
		let c = submit(CONTRIBUTOR, model);
		assert_eq!(free(CONTRIBUTOR), before - CONTRIBUTION_DEPOSIT);
		assert_eq!(held(CONTRIBUTOR, HoldReason::ContributionDeposit), CONTRIBUTION_DEPOSIT);
		let record = Contributions::<Test>::get(model, c).unwrap();
		assert_eq!(record.status, ContributionStatus::Pending);
		assert_eq!(record.rows, 10);
		assert!(PendingContributions::<Test>::contains_key(model, c));
		assert_eq!(Models::<Test>::get(model).unwrap().pending_contributions, 1);
		assert_eq!(Cmu::pending_contributions(model).len(), 1);
	});
}

#[test]
fn submit_contribution_refusals() {
	new_test_ext().execute_with(|| {
		let model = create();
		assert_noop!(
			Cmu::submit_contribution(origin(CONTRIBUTOR), 99, cid("d"), hash(1), 1),
			CmuError::UnknownModel
		);
		assert_noop!(
			Cmu::submit_contribution(origin(CONTRIBUTOR), model, cid(""), hash(1), 1),
			CmuError::EmptyCid
		);
		assert_noop!(
			Cmu::submit_contribution(origin(CONTRIBUTOR), model, cid("d"), hash(1), 0),
			CmuError::ZeroRows
		);
		// Not enough funds to hold the deposit.
		assert_noop!(
			Cmu::submit_contribution(
				RuntimeOrigin::signed(account(42)),
				model,
				cid("d"),
				hash(1),
				1
			),
			TokenError::FundsUnavailable
		);
		for who in [CONTRIBUTOR, STRANGER] {
			for _ in 0..MAX_PENDING_PER_ACCOUNT {
				submit(who, model);
			}
		}
		assert_eq!(Models::<Test>::get(model).unwrap().pending_contributions, MAX_PENDING);
		assert_noop!(
			Cmu::submit_contribution(origin(7), model, cid("d"), hash(1), 1),
			CmuError::TooManyPendingContributions
		);
	});
}

#[test]
fn withdraw_contribution_releases_deposit_once() {
	new_test_ext().execute_with(|| {
		let model = create();
		let c = submit(CONTRIBUTOR, model);
		assert_noop!(
			Cmu::withdraw_contribution(origin(STRANGER), model, c),
			CmuError::NotContributionOwner
		);
		assert_noop!(
			Cmu::withdraw_contribution(origin(CONTRIBUTOR), model, 9),
			CmuError::UnknownContribution
		);
		assert_noop!(Cmu::withdraw_contribution(origin(CONTRIBUTOR), 9, c), CmuError::UnknownModel);
		assert_ok!(Cmu::withdraw_contribution(origin(CONTRIBUTOR), model, c));
		assert_eq!(free(CONTRIBUTOR), INITIAL_BALANCE);
		assert_eq!(held(CONTRIBUTOR, HoldReason::ContributionDeposit), 0);
		assert_eq!(
			Contributions::<Test>::get(model, c).unwrap().status,
			ContributionStatus::Withdrawn
		);
		assert_noop!(
			Cmu::withdraw_contribution(origin(CONTRIBUTOR), model, c),
			CmuError::ContributionNotPending
		);
		// A withdrawn contribution is skipped by a settlement, never settled.
		assert_ok!(publish(OWNER, model, None, &[(c, Verdict::Accept(1))]));
		assert_eq!(
			Contributions::<Test>::get(model, c).unwrap().status,
			ContributionStatus::Withdrawn
		);
		assert!(Versions::<Test>::get(model, 0).unwrap().contributions.is_empty());
	});
}

// ---------------------------------------------------------------- versions

#[test]
fn publish_version_appends_settles_and_moves_head() {
	new_test_ext().execute_with(|| {
		let model = create();
		grant(model, TRAINER, Role::Trainer);
		assert_ok!(publish(TRAINER, model, None, &[]));
		let good = submit(CONTRIBUTOR, model);
		let bad = submit(STRANGER, model);
		let total_before: Balance = (1..=9).map(|n| Balances::total_balance(&account(n))).sum();
		let owner_before = free(OWNER);

		assert_ok!(publish(
			TRAINER,
			model,
			Some(0),
			&[(good, Verdict::Accept(1)), (bad, Verdict::Reject(RejectionReason::InvalidSchema))]
		));
		let info = Models::<Test>::get(model).unwrap();
		assert_eq!(info.head, Some(1));
		assert_eq!(info.pending_contributions, 0);
		let v1 = Versions::<Test>::get(model, 1).unwrap();
		assert_eq!(v1.parent, Some(0));
		assert_eq!(v1.trainer, account(TRAINER));
		assert_eq!(v1.contributions.to_vec(), vec![good]);
		assert_eq!(v1.status, VersionStatus::Active);
		assert_eq!(v1.metrics[0].value, 900_000_000);

		// Accepted: deposit back. Rejected: deposit moved to the owner.
		assert_eq!(free(CONTRIBUTOR), INITIAL_BALANCE);
		assert_eq!(free(STRANGER), INITIAL_BALANCE - CONTRIBUTION_DEPOSIT);
		assert_eq!(free(OWNER), owner_before + CONTRIBUTION_DEPOSIT);
		assert_eq!(held(STRANGER, HoldReason::ContributionDeposit), 0);
		assert_eq!(
			Contributions::<Test>::get(model, bad).unwrap().status,
			ContributionStatus::Rejected(RejectionReason::InvalidSchema)
		);
		assert_eq!(Contributions::<Test>::get(model, bad).unwrap().settled_in, Some(1));
		// Balances only moved between accounts: no money created or lost.
		let total_after: Balance = (1..=9).map(|n| Balances::total_balance(&account(n))).sum();
		assert_eq!(total_before, total_after);
		assert_eq!(held(TRAINER, HoldReason::VersionDeposit), 2 * VERSION_DEPOSIT);

		let events = cmu_events();
		assert!(events.contains(&Event::ContributionAccepted {
			model,
			contribution: good,
			version: 1,
			released: CONTRIBUTION_DEPOSIT
		}));
		assert!(events.contains(&Event::ContributionRejected {
			model,
			contribution: bad,
			version: Some(1),
			reason: RejectionReason::InvalidSchema,
			slashed: CONTRIBUTION_DEPOSIT,
			by: account(TRAINER)
		}));
		assert!(matches!(
			events.last(),
			Some(Event::VersionPublished {
				version: 1,
				parent: Some(0),
				accepted: 1,
				rejected: 1,
				..
			})
		));
	});
}

#[test]
fn stale_parent_is_refused_so_trainers_never_fork() {
	new_test_ext().execute_with(|| {
		let model = create();
		grant(model, TRAINER, Role::Trainer);
		assert_ok!(publish(TRAINER, model, None, &[]));
		// Two trainers built on version 0; the first wins, the second must rebase.
		assert_ok!(publish(OWNER, model, Some(0), &[]));
		assert_noop!(publish(TRAINER, model, Some(0), &[]), CmuError::StaleParent);
		assert_noop!(publish(TRAINER, model, None, &[]), CmuError::StaleParent);
		assert_noop!(publish(TRAINER, model, Some(7), &[]), CmuError::StaleParent);
		assert_ok!(publish(TRAINER, model, Some(1), &[]));
		assert_eq!(Models::<Test>::get(model).unwrap().head, Some(2));
	});
}

#[test]
fn a_failed_publish_settles_nothing() {
	new_test_ext().execute_with(|| {
		let model = create();
		let a = submit(CONTRIBUTOR, model);
		let b = submit(CONTRIBUTOR, model);
		// The second settlement is for an unknown contribution: the whole call is reverted.
		assert_noop!(
			publish(OWNER, model, None, &[(a, Verdict::Accept(1)), (99, Verdict::Accept(1))]),
			CmuError::UnknownContribution
		);
		assert_noop!(
			publish(OWNER, model, None, &[(a, Verdict::Accept(1)), (a, Verdict::Accept(1))]),
			CmuError::DuplicateSettlement
		);
		assert_ok!(publish(OWNER, model, None, &[(a, Verdict::Accept(1))]));
		// Both calls above left `b` pending and its deposit held.
		assert_eq!(held(CONTRIBUTOR, HoldReason::ContributionDeposit), CONTRIBUTION_DEPOSIT);
		assert_eq!(
			Contributions::<Test>::get(model, b).unwrap().status,
			ContributionStatus::Pending
		);
	});
}

#[test]
fn publish_version_refusals() {
	new_test_ext().execute_with(|| {
		let model = create();
		assert_noop!(publish(OWNER, 99, None, &[]), CmuError::UnknownModel);
		assert_noop!(publish(STRANGER, model, None, &[]), CmuError::NotTrainer);
		assert_noop!(
			Cmu::publish_version(
				origin(OWNER),
				model,
				None,
				cid(""),
				hash(1),
				hash(2),
				cid("card"),
				metrics(1),
				settlements(&[]),
				None
			),
			CmuError::EmptyCid
		);
		assert_noop!(
			Cmu::publish_version(
				origin(OWNER),
				model,
				None,
				cid("artifact"),
				hash(1),
				hash(2),
				cid(""),
				metrics(1),
				settlements(&[]),
				None
			),
			CmuError::EmptyCid
		);
		// A trainer without funds for the version deposit.
		assert_ok!(Cmu::grant_role(
			origin(OWNER),
			model,
			account(42),
			RoleSet::from(Role::Trainer)
		));
		assert!(publish(42, model, None, &[]).is_err());
		assert_eq!(Models::<Test>::get(model).unwrap().version_count, 0);
	});
}

#[test]
fn slash_destinations() {
	new_test_ext().execute_with(|| {
		let model = create();
		let issuance = Balances::total_issuance();
		assert_ok!(Cmu::set_slash_destination(origin(OWNER), model, SlashDestination::Burn));
		let c = submit(CONTRIBUTOR, model);
		assert_ok!(publish(
			OWNER,
			model,
			None,
			&[(c, Verdict::Reject(RejectionReason::Duplicate))]
		));
		assert_eq!(Balances::total_issuance(), issuance - CONTRIBUTION_DEPOSIT);

		assert_ok!(Cmu::set_slash_destination(
			origin(OWNER),
			model,
			SlashDestination::Account(account(9))
		));
		let c = submit(CONTRIBUTOR, model);
		assert_ok!(publish(
			OWNER,
			model,
			Some(0),
			&[(c, Verdict::Reject(RejectionReason::Unreachable))]
		));
		assert_eq!(free(9), INITIAL_BALANCE + CONTRIBUTION_DEPOSIT);

		// The owner rejecting their own contribution gets their own deposit back.
		assert_ok!(Cmu::set_slash_destination(origin(OWNER), model, SlashDestination::ModelOwner));
		let before = free(OWNER);
		let c = submit(OWNER, model);
		assert_ok!(publish(
			OWNER,
			model,
			Some(1),
			&[(c, Verdict::Reject(RejectionReason::HashMismatch))]
		));
		assert_eq!(free(OWNER), before - VERSION_DEPOSIT);
	});
}

#[test]
fn set_head_rolls_back_and_forward() {
	new_test_ext().execute_with(|| {
		let model = create();
		assert_ok!(publish(OWNER, model, None, &[]));
		assert_ok!(publish(OWNER, model, Some(0), &[]));
		assert_ok!(Cmu::set_head(origin(OWNER), model, 0, 3));
		assert_eq!(
			last_event(),
			RuntimeEvent::Cmu(Event::HeadSet {
				model,
				from: Some(1),
				to: 0,
				reason: 3,
				by: account(OWNER)
			})
		);
		// Trainers now build on the rolled-back head; the new version's parent is 0.
		assert_noop!(publish(OWNER, model, Some(1), &[]), CmuError::StaleParent);
		assert_ok!(Cmu::set_head(origin(OWNER), model, 1, 4));
		assert_noop!(Cmu::set_head(origin(OWNER), model, 1, 4), CmuError::AlreadyHead);
		assert_noop!(Cmu::set_head(origin(OWNER), model, 5, 4), CmuError::UnknownVersion);
		assert_ok!(Cmu::revoke_version(origin(OWNER), model, 0));
		assert_noop!(Cmu::set_head(origin(OWNER), model, 0, 4), CmuError::VersionRevoked);
		assert_ok!(Cmu::freeze_model(origin(OWNER), model));
		assert_noop!(Cmu::set_head(origin(OWNER), model, 0, 4), CmuError::ModelFrozen);
	});
}

#[test]
fn deprecate_and_revoke_versions() {
	new_test_ext().execute_with(|| {
		let model = create();
		assert_ok!(publish(OWNER, model, None, &[]));
		assert_ok!(publish(OWNER, model, Some(0), &[]));
		assert_noop!(Cmu::revoke_version(origin(OWNER), model, 1), CmuError::CannotRevokeHead);
		assert_ok!(Cmu::deprecate_version(origin(OWNER), model, 0));
		assert_eq!(Versions::<Test>::get(model, 0).unwrap().status, VersionStatus::Deprecated);
		assert_noop!(Cmu::deprecate_version(origin(OWNER), model, 0), CmuError::VersionNotActive);
		// A deprecated version may still become head.
		assert_ok!(Cmu::set_head(origin(OWNER), model, 0, 1));
		assert_ok!(Cmu::set_head(origin(OWNER), model, 1, 1));
		assert_ok!(Cmu::revoke_version(origin(OWNER), model, 0));
		assert_eq!(
			last_event(),
			RuntimeEvent::Cmu(Event::VersionRevoked { model, version: 0, by: account(OWNER) })
		);
		assert_noop!(Cmu::revoke_version(origin(OWNER), model, 0), CmuError::VersionRevoked);
		assert_noop!(Cmu::deprecate_version(origin(OWNER), model, 0), CmuError::VersionNotActive);
		assert_noop!(Cmu::deprecate_version(origin(OWNER), model, 8), CmuError::UnknownVersion);
		assert_noop!(Cmu::revoke_version(origin(OWNER), model, 8), CmuError::UnknownVersion);
	});
}

#[test]
fn lineage_walks_parents_newest_first() {
	new_test_ext().execute_with(|| {
		let model = create();
		assert_eq!(Cmu::lineage(model, None, 10), vec![]);
		assert_ok!(publish(OWNER, model, None, &[]));
		for parent in 0..4 {
			assert_ok!(publish(OWNER, model, Some(parent), &[]));
		}
		// Roll back to 2 and branch: 5's parent is 2.
		assert_ok!(Cmu::set_head(origin(OWNER), model, 2, 0));
		assert_ok!(publish(OWNER, model, Some(2), &[]));
		let ids: Vec<_> = Cmu::lineage(model, None, 10).into_iter().map(|(v, _)| v).collect();
		assert_eq!(ids, vec![5, 2, 1, 0]);
		let ids: Vec<_> = Cmu::lineage(model, Some(4), 2).into_iter().map(|(v, _)| v).collect();
		assert_eq!(ids, vec![4, 3]);
	});
}

#[test]
fn unsigned_origins_are_refused() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Cmu::create_model(RuntimeOrigin::none(), cid("x"), hash(1), AccessPolicy::default()),
			DispatchError::BadOrigin
		);
		assert_noop!(Cmu::freeze_model(RuntimeOrigin::root(), 0), DispatchError::BadOrigin);
	});
}

// ---------------------------------------------------------------- issue 8: holes

fn rejections(items: &[(ContributionId, RejectionReason)]) -> RejectionsOf<Test> {
	BoundedVec::try_from(items.to_vec()).unwrap()
}

fn nft_attribute(model: ModelId, key: &[u8]) -> Option<Vec<u8>> {
	let collection = ModelCollection::<Test>::get()?;
	let key: BoundedVec<u8, _> = BoundedVec::try_from(key.to_vec()).unwrap();
	pallet_nfts::Attribute::<Test>::get((
		collection,
		Some(model),
		pallet_nfts::AttributeNamespace::Pallet,
		key,
	))
	.map(|(value, _)| value.into_inner())
}

/// Hole 1: a contributor who withdraws before the settlement is included cannot fail it.
#[test]
fn a_withdrawal_cannot_block_a_publish() {
	new_test_ext().execute_with(|| {
		let model = create();
		let good = submit(CONTRIBUTOR, model);
		let bad = submit(STRANGER, model);
		// The trainer's call names `bad` as rejected; `bad`'s owner withdraws first.
		assert_ok!(Cmu::withdraw_contribution(origin(STRANGER), model, bad));
		assert_ok!(publish(
			OWNER,
			model,
			None,
			&[(good, Verdict::Accept(1)), (bad, Verdict::Reject(RejectionReason::HarmsMetric))]
		));
		assert!(cmu_events().contains(&Event::SettlementSkipped {
			model,
			contribution: bad,
			version: Some(0),
			status: ContributionStatus::Withdrawn,
		}));
		assert_eq!(
			Contributions::<Test>::get(model, good).unwrap().status,
			ContributionStatus::Accepted
		);
		assert_eq!(
			Contributions::<Test>::get(model, bad).unwrap().status,
			ContributionStatus::Withdrawn
		);
		assert_eq!(free(STRANGER), INITIAL_BALANCE);
		assert!(matches!(
			cmu_events().last(),
			Some(Event::VersionPublished { accepted: 1, rejected: 0, .. })
		));
	});
}

/// Hole 2: an Admin who makes itself Trainer cannot point the slashes at itself.
#[test]
fn an_admin_cannot_take_rejected_deposits() {
	new_test_ext().execute_with(|| {
		let model = create();
		grant(model, ADMIN, Role::Admin);
		assert_ok!(Cmu::grant_role(origin(ADMIN), model, account(ADMIN), Role::Trainer.into()));
		assert_noop!(
			Cmu::set_slash_destination(
				origin(ADMIN),
				model,
				SlashDestination::Account(account(ADMIN))
			),
			CmuError::NotOwner
		);
		let c = submit(CONTRIBUTOR, model);
		let (admin_before, owner_before) = (free(ADMIN), free(OWNER));
		assert_ok!(Cmu::reject_contributions(
			origin(ADMIN),
			model,
			rejections(&[(c, RejectionReason::InvalidSchema)])
		));
		assert_eq!(free(ADMIN), admin_before);
		assert_eq!(free(OWNER), owner_before + CONTRIBUTION_DEPOSIT);
		// Nor can it rewrite the spec or destroy history.
		assert_ok!(publish(ADMIN, model, None, &[]));
		assert_ok!(publish(ADMIN, model, Some(0), &[]));
		assert_noop!(
			Cmu::set_model_metadata(origin(ADMIN), model, cid("evil"), hash(6)),
			CmuError::NotOwner
		);
		assert_noop!(Cmu::revoke_version(origin(ADMIN), model, 0), CmuError::NotOwner);
		assert_ok!(Cmu::deprecate_version(origin(ADMIN), model, 0));
		assert_eq!(
			last_event(),
			RuntimeEvent::Cmu(Event::VersionDeprecated { model, version: 0, by: account(ADMIN) })
		);
	});
}

/// Hole 4: the owner burns the NFT; the model is retired, deposits come back, history stays.
#[test]
fn a_burned_nft_retires_the_model() {
	new_test_ext().execute_with(|| {
		let model = create();
		grant(model, TRAINER, Role::Trainer);
		assert_ok!(publish(TRAINER, model, None, &[]));
		let c = submit(CONTRIBUTOR, model);
		let collection = ModelCollection::<Test>::get().unwrap();
		assert_ok!(Nfts::burn(origin(OWNER), collection, model));
		assert_eq!(Cmu::model_owner(model), None);
		assert_eq!(Cmu::roles_of(model, &account(TRAINER)), RoleSet::none());
		assert_noop!(publish(TRAINER, model, Some(0), &[]), CmuError::ModelRetired);
		assert_noop!(
			Cmu::submit_contribution(origin(STRANGER), model, cid("d"), hash(1), 1),
			CmuError::ModelRetired
		);
		assert_noop!(Cmu::freeze_model(origin(OWNER), model), CmuError::ModelRetired);
		// Retiring while something is pending marks the model retired; the deposit waits.
		assert_ok!(Cmu::retire_model(origin(STRANGER), model));
		assert!(Models::<Test>::get(model).unwrap().retired);
		assert_eq!(held(OWNER, HoldReason::ModelDeposit), MODEL_DEPOSIT);
		assert_noop!(Cmu::retire_model(origin(STRANGER), model), CmuError::ContributionsPending);
		check_invariants();
		// Nothing is trapped: the contributor withdraws, and the last withdrawal gives the
		// creator's deposit back.
		assert_ok!(Cmu::withdraw_contribution(origin(CONTRIBUTOR), model, c));
		assert_eq!(held(OWNER, HoldReason::ModelDeposit), 0);
		assert_eq!(held(CONTRIBUTOR, HoldReason::ContributionDeposit), 0);
		check_invariants();
		assert_eq!(
			last_event(),
			RuntimeEvent::Cmu(Event::ModelDepositReleased {
				model,
				depositor: account(OWNER),
				amount: MODEL_DEPOSIT
			})
		);
		assert_noop!(Cmu::retire_model(origin(STRANGER), model), CmuError::AlreadyRetired);
		// History stays.
		assert!(Versions::<Test>::get(model, 0).is_some());
		assert_eq!(Cmu::lineage(model, None, 10).len(), 1);
	});
}

#[test]
fn retire_model_stops_a_model_cleanly() {
	new_test_ext().execute_with(|| {
		let model = create();
		assert_noop!(Cmu::retire_model(origin(STRANGER), model), CmuError::NotOwner);
		assert_ok!(Cmu::freeze_model(origin(OWNER), model));
		assert_noop!(Cmu::retire_model(origin(OWNER), model), CmuError::ModelFrozen);
		assert_ok!(Cmu::thaw_model(origin(OWNER), model));
		assert_ok!(Cmu::retire_model(origin(OWNER), model));
		assert_eq!(held(OWNER, HoldReason::ModelDeposit), 0);
		assert_eq!(Models::<Test>::get(model).unwrap().deposit, 0);
		assert!(cmu_events().contains(&Event::ModelRetired { model, by: account(OWNER) }));
		assert_noop!(publish(OWNER, model, None, &[]), CmuError::ModelRetired);
		assert_noop!(
			Cmu::set_access_policy(origin(OWNER), model, AccessPolicy::default()),
			CmuError::ModelRetired
		);
		assert_noop!(Cmu::retire_model(origin(OWNER), model), CmuError::AlreadyRetired);
	});
}

/// Hole 5: Root force-mints the id `NextModelId` points at; `create_model` skips it.
#[test]
fn create_model_is_never_stuck_on_a_taken_id() {
	new_test_ext().execute_with(|| {
		assert_eq!(create(), 0);
		let collection = ModelCollection::<Test>::get().unwrap();
		// Root's force-mint takes the item deposit from the collection owner.
		assert_ok!(Balances::force_set_balance(RuntimeOrigin::root(), Cmu::account_id(), 1_000));
		let force_mint = |id: ModelId| {
			assert_ok!(Nfts::force_mint(
				RuntimeOrigin::root(),
				collection,
				id,
				account(STRANGER),
				Default::default()
			));
		};
		force_mint(1);
		force_mint(2);
		assert_ok!(Cmu::create_model(origin(OWNER), cid("s"), hash(1), AccessPolicy::default()));
		assert_eq!(Cmu::model_owner(3), Some(account(OWNER)));
		assert!(Models::<Test>::contains_key(3));
		assert!(!Models::<Test>::contains_key(1));
		assert_eq!(NextModelId::<Test>::get(), 4);
		assert!(cmu_events().contains(&Event::ModelIdsSkipped { from: 1, to: 2 }));
		// A burned model's id is never reused either.
		assert_ok!(Nfts::burn(origin(OWNER), collection, 3));
		NextModelId::<Test>::put(3);
		assert_ok!(Cmu::create_model(origin(OWNER), cid("s"), hash(1), AccessPolicy::default()));
		assert_eq!(Cmu::model_owner(4), Some(account(OWNER)));
		assert_eq!(NextModelId::<Test>::get(), 5);
		// Bounded: a long run of taken ids fails instead of looping.
		for id in 5..5 + MAX_MODEL_ID_PROBES {
			force_mint(id);
		}
		assert_noop!(
			Cmu::create_model(origin(OWNER), cid("s"), hash(1), AccessPolicy::default()),
			CmuError::NoFreeModelId
		);
	});
}

/// Hole 6: one account cannot fill the pending list; a Trainer clears junk without training.
#[test]
fn one_account_cannot_fill_the_pending_list() {
	new_test_ext().execute_with(|| {
		let model = create();
		for _ in 0..MAX_PENDING_PER_ACCOUNT {
			submit(STRANGER, model);
		}
		assert_noop!(
			Cmu::submit_contribution(origin(STRANGER), model, cid("d"), hash(1), 1),
			CmuError::TooManyPendingFromAccount
		);
		assert_eq!(
			PendingPerAccount::<Test>::get(model, account(STRANGER)),
			MAX_PENDING_PER_ACCOUNT
		);
		// Everyone else still gets in, and withdrawing frees a slot.
		submit(CONTRIBUTOR, model);
		assert_ok!(Cmu::withdraw_contribution(origin(STRANGER), model, 0));
		submit(STRANGER, model);
	});
}

#[test]
fn reject_contributions_clears_junk_without_a_version() {
	new_test_ext().execute_with(|| {
		let model = create();
		grant(model, TRAINER, Role::Trainer);
		let junk: Vec<_> = (0..3).map(|_| submit(STRANGER, model)).collect();
		let kept = submit(CONTRIBUTOR, model);
		assert_ok!(Cmu::withdraw_contribution(origin(STRANGER), model, junk[2]));
		let owner_before = free(OWNER);
		assert_noop!(
			Cmu::reject_contributions(
				origin(TRAINER),
				model,
				rejections(&[
					(junk[0], RejectionReason::Duplicate),
					(junk[0], RejectionReason::Duplicate)
				])
			),
			CmuError::DuplicateSettlement
		);
		assert_noop!(
			Cmu::reject_contributions(origin(CONTRIBUTOR), model, rejections(&[])),
			CmuError::NotTrainer
		);
		assert_ok!(Cmu::reject_contributions(
			origin(TRAINER),
			model,
			rejections(&[
				(junk[0], RejectionReason::Duplicate),
				(junk[1], RejectionReason::InvalidSchema),
				(junk[2], RejectionReason::InvalidSchema),
			])
		));
		let info = Models::<Test>::get(model).unwrap();
		assert_eq!(info.version_count, 0);
		assert_eq!(info.pending_contributions, 1);
		assert_eq!(free(OWNER), owner_before + 2 * CONTRIBUTION_DEPOSIT);
		let record = Contributions::<Test>::get(model, junk[1]).unwrap();
		assert_eq!(record.status, ContributionStatus::Rejected(RejectionReason::InvalidSchema));
		assert_eq!(record.settled_in, None);
		assert_eq!(PendingPerAccount::<Test>::get(model, account(STRANGER)), 0);
		assert_eq!(
			Contributions::<Test>::get(model, kept).unwrap().status,
			ContributionStatus::Pending
		);
		let events = cmu_events();
		assert!(events.contains(&Event::ContributionRejected {
			model,
			contribution: junk[0],
			version: None,
			reason: RejectionReason::Duplicate,
			slashed: CONTRIBUTION_DEPOSIT,
			by: account(TRAINER),
		}));
		assert!(events.contains(&Event::SettlementSkipped {
			model,
			contribution: junk[2],
			version: None,
			status: ContributionStatus::Withdrawn,
		}));
		let totals = Cmu::contributor_totals(&account(STRANGER));
		assert_eq!((totals.rejected, totals.slashed), (2, 2 * CONTRIBUTION_DEPOSIT));
	});
}

/// Hole 7: a frozen model refuses every change but withdrawals, and its NFT cannot move.
#[test]
fn freeze_stops_every_change_but_withdrawals() {
	new_test_ext().execute_with(|| {
		let model = create();
		grant(model, TRAINER, Role::Trainer);
		assert_ok!(publish(OWNER, model, None, &[]));
		assert_ok!(publish(OWNER, model, Some(0), &[]));
		let c = submit(CONTRIBUTOR, model);
		let d = submit(CONTRIBUTOR, model);
		assert_ok!(Cmu::freeze_model(origin(OWNER), model));
		let reject = rejections(&[(c, RejectionReason::Duplicate)]);
		let match_ = AttestationOutcome::Match;
		let frozen: Vec<(&str, DispatchResult)> = vec![
			("metadata", Cmu::set_model_metadata(origin(OWNER), model, cid("n"), hash(2))),
			("policy", Cmu::set_access_policy(origin(OWNER), model, AccessPolicy::default())),
			("slash", Cmu::set_slash_destination(origin(OWNER), model, SlashDestination::Burn)),
			("grant", Cmu::grant_role(origin(OWNER), model, account(7), Role::Reader.into())),
			(
				"revoke",
				Cmu::revoke_role(origin(OWNER), model, account(TRAINER), Role::Trainer.into()),
			),
			("submit", Cmu::submit_contribution(origin(STRANGER), model, cid("d"), hash(1), 1)),
			("publish", publish(TRAINER, model, Some(1), &[])),
			("reject", Cmu::reject_contributions(origin(TRAINER), model, reject)),
			("set_head", Cmu::set_head(origin(OWNER), model, 0, 0)),
			("deprecate", Cmu::deprecate_version(origin(OWNER), model, 0)),
			("revoke_version", Cmu::revoke_version(origin(OWNER), model, 0)),
			("retire", Cmu::retire_model(origin(OWNER), model)),
			("attest", Cmu::attest_version(origin(STRANGER), model, 0, match_, cid("r"))),
		];
		for (name, result) in frozen {
			assert_eq!(result, Err(CmuError::ModelFrozen.into()), "{name}");
		}
		assert_ok!(Cmu::withdraw_contribution(origin(CONTRIBUTOR), model, d));
		// The NFT cannot be sold or burned out from under the dispute.
		let collection = ModelCollection::<Test>::get().unwrap();
		assert_noop!(
			Nfts::transfer(origin(OWNER), collection, model, account(NEW_OWNER)),
			pallet_nfts::Error::<Test>::ItemLocked
		);
		assert!(Nfts::burn(origin(OWNER), collection, model).is_err());
		assert_ok!(Cmu::thaw_model(origin(OWNER), model));
		transfer_nft(model, OWNER, NEW_OWNER);
	});
}

// ---------------------------------------------------------------- rewards, attestations, NFT

#[test]
fn accepted_contributors_share_slashed_deposits_pro_rata() {
	new_test_ext().execute_with(|| {
		let model = create();
		assert_ok!(Cmu::set_slash_destination(
			origin(OWNER),
			model,
			SlashDestination::AcceptedContributors
		));
		let a = submit(CONTRIBUTOR, model);
		let b = submit(7, model);
		let x = submit(STRANGER, model);
		let y = submit(STRANGER, model);
		let issuance = Balances::total_issuance();
		let owner_before = free(OWNER);
		let reject = Verdict::Reject(RejectionReason::HarmsMetric);
		assert_ok!(publish(
			OWNER,
			model,
			None,
			&[(a, Verdict::Accept(1)), (x, reject), (b, Verdict::Accept(2)), (y, reject)]
		));
		// 200 slashed: a gets floor(200 * 1/3) = 66, b floor(200 * 2/3) = 133, the owner 1.
		assert_eq!(free(CONTRIBUTOR), INITIAL_BALANCE + 66);
		assert_eq!(free(7), INITIAL_BALANCE + 133);
		assert_eq!(free(STRANGER), INITIAL_BALANCE - 2 * CONTRIBUTION_DEPOSIT);
		assert_eq!(free(OWNER), owner_before + 1 - VERSION_DEPOSIT);
		assert_eq!(Balances::total_issuance(), issuance);
		assert_eq!(held(STRANGER, HoldReason::ContributionDeposit), 0);
		let record = Contributions::<Test>::get(model, b).unwrap();
		assert_eq!((record.reward_weight, record.reward), (2, 133));
		let events = cmu_events();
		assert!(events.contains(&Event::ContributionRewarded {
			model,
			contribution: a,
			version: 0,
			contributor: account(CONTRIBUTOR),
			amount: 66
		}));
		assert!(events.contains(&Event::SlashesShared {
			model,
			version: Some(0),
			total: 200,
			to_contributors: 199,
			to_owner: 1
		}));
		assert_eq!(
			Cmu::contributor_totals(&account(7)),
			ContributorTotals { accepted: 1, rejected: 0, returned: 100, rewards: 133, slashed: 0 }
		);
		assert_eq!(
			Cmu::contributor_totals(&account(STRANGER)),
			ContributorTotals { accepted: 0, rejected: 2, returned: 0, rewards: 0, slashed: 200 }
		);

		// Every weight zero (or nobody accepted): everything to the owner.
		let a = submit(CONTRIBUTOR, model);
		let x = submit(STRANGER, model);
		let owner_before = free(OWNER);
		assert_ok!(publish(OWNER, model, Some(0), &[(a, Verdict::Accept(0)), (x, reject)]));
		assert_eq!(free(OWNER), owner_before + CONTRIBUTION_DEPOSIT - VERSION_DEPOSIT);
		assert_eq!(free(CONTRIBUTOR), INITIAL_BALANCE + 66);
	});
}

#[test]
fn a_contributor_both_accepted_and_rejected_in_one_version_gets_its_own_deposit_back() {
	new_test_ext().execute_with(|| {
		let model = create();
		assert_ok!(Cmu::set_slash_destination(
			origin(OWNER),
			model,
			SlashDestination::AcceptedContributors
		));
		let good = submit(CONTRIBUTOR, model);
		let bad = submit(CONTRIBUTOR, model);
		assert_ok!(publish(
			OWNER,
			model,
			None,
			&[(good, Verdict::Accept(5)), (bad, Verdict::Reject(RejectionReason::Duplicate))]
		));
		assert_eq!(free(CONTRIBUTOR), INITIAL_BALANCE);
		assert_eq!(held(CONTRIBUTOR, HoldReason::ContributionDeposit), 0);
	});
}

#[test]
fn attest_version_counts_once_per_account() {
	new_test_ext().execute_with(|| {
		let model = create();
		grant(model, TRAINER, Role::Trainer);
		assert_ok!(publish(TRAINER, model, None, &[]));
		let attest = |who: u8, outcome| {
			Cmu::attest_version(origin(who), model, 0, outcome, cid("bafyreport"))
		};
		assert_ok!(attest(STRANGER, AttestationOutcome::Match));
		assert_ok!(attest(OWNER, AttestationOutcome::Match));
		assert_ok!(attest(7, AttestationOutcome::Mismatch));
		assert_noop!(attest(STRANGER, AttestationOutcome::Mismatch), CmuError::AlreadyAttested);
		assert_noop!(attest(TRAINER, AttestationOutcome::Match), CmuError::CannotAttestOwnVersion);
		assert_noop!(
			Cmu::attest_version(origin(STRANGER), model, 5, AttestationOutcome::Match, cid("r")),
			CmuError::UnknownVersion
		);
		assert_noop!(
			Cmu::attest_version(origin(8), model, 0, AttestationOutcome::Match, cid("")),
			CmuError::EmptyCid
		);
		assert_noop!(
			Cmu::attest_version(
				RuntimeOrigin::signed(account(42)),
				model,
				0,
				AttestationOutcome::Match,
				cid("r")
			),
			TokenError::FundsUnavailable
		);
		let version = Versions::<Test>::get(model, 0).unwrap();
		assert_eq!((version.matches, version.mismatches), (2, 1));
		assert_eq!(held(STRANGER, HoldReason::AttestationDeposit), ATTESTATION_DEPOSIT);
		assert_eq!(Cmu::attestation_of(model, 0, &account(7)), Some(AttestationOutcome::Mismatch));
		assert_eq!(
			last_event(),
			RuntimeEvent::Cmu(Event::VersionAttested {
				model,
				version: 0,
				attester: account(7),
				outcome: AttestationOutcome::Mismatch,
				report_cid: cid("bafyreport"),
				deposit: ATTESTATION_DEPOSIT,
				matches: 2,
				mismatches: 1
			})
		);
	});
}

#[test]
fn publish_version_records_the_card_cid() {
	new_test_ext().execute_with(|| {
		let model = create();
		assert_ok!(publish(OWNER, model, None, &[]));
		assert_eq!(Versions::<Test>::get(model, 0).unwrap().card_cid, cid("bafycard"));
		assert!(matches!(
			cmu_events().last(),
			Some(Event::VersionPublished { card_cid, .. }) if *card_cid == cid("bafycard")
		));
	});
}

#[test]
fn the_nft_carries_spec_and_head_attributes() {
	new_test_ext().execute_with(|| {
		let model = create();
		assert_eq!(nft_attribute(model, attribute_keys::SPEC_CID), Some(b"bafyspec".to_vec()));
		assert_eq!(nft_attribute(model, attribute_keys::HEAD_VERSION), None);
		assert_ok!(publish(OWNER, model, None, &[]));
		assert_ok!(Cmu::publish_version(
			origin(OWNER),
			model,
			Some(0),
			cid("bafyv1"),
			hash(1),
			hash(2),
			cid("bafycard1"),
			metrics(1),
			settlements(&[]),
			None
		));
		assert_eq!(nft_attribute(model, attribute_keys::HEAD_VERSION), Some(b"1".to_vec()));
		assert_eq!(
			nft_attribute(model, attribute_keys::HEAD_ARTIFACT_CID),
			Some(b"bafyv1".to_vec())
		);
		assert_ok!(Cmu::set_head(origin(OWNER), model, 0, 0));
		assert_eq!(nft_attribute(model, attribute_keys::HEAD_VERSION), Some(b"0".to_vec()));
		assert_eq!(
			nft_attribute(model, attribute_keys::HEAD_ARTIFACT_CID),
			Some(b"bafyartifact".to_vec())
		);
		assert_ok!(Cmu::set_model_metadata(origin(OWNER), model, cid("bafyspec2"), hash(3)));
		assert_eq!(nft_attribute(model, attribute_keys::SPEC_CID), Some(b"bafyspec2".to_vec()));
	});
}

#[test]
fn integrity_test_and_storage_version() {
	new_test_ext().execute_with(|| {
		<Cmu as Hooks<u64>>::integrity_test();
		assert_eq!(Cmu::in_code_storage_version(), StorageVersion::new(1));
	});
}

// ---------------------------------------------------------------- migration

#[test]
fn migration_v0_to_v1_converts_old_records() {
	use frame_support::{storage::unhashed, traits::fungible::MutateHold};
	new_test_ext().execute_with(|| {
		// A v0 chain: one frozen model with head 1, a Trainer grant, two versions, an
		// accepted and a pending contribution, all written in the old layouts.
		let model = create();
		let collection = ModelCollection::<Test>::get().unwrap();
		let key: BoundedVec<u8, _> =
			BoundedVec::try_from(attribute_keys::SPEC_CID.to_vec()).unwrap();
		pallet_nfts::Attribute::<Test>::remove((
			collection,
			Some(model),
			pallet_nfts::AttributeNamespace::Pallet,
			key,
		));
		let old_model = migrations::v0::ModelInfo::<Test> {
			metadata: ModelMetadata { spec_cid: cid("bafyspec"), spec_hash: hash(1) },
			policy: AccessPolicy::default(),
			slash_destination: SlashDestination::ModelOwner,
			frozen: true,
			head: Some(1),
			version_count: 2,
			contribution_count: 2,
			pending_contributions: 1,
			created_at: 1,
			depositor: account(OWNER),
			deposit: MODEL_DEPOSIT,
		};
		unhashed::put(&Models::<Test>::hashed_key_for(model), &old_model);
		let grant_bits: u8 = 0b0100;
		unhashed::put(&Roles::<Test>::hashed_key_for(model, account(TRAINER)), &grant_bits);
		for (v, parent, used) in [(0u32, None, vec![]), (1, Some(0), vec![0u32])] {
			let old = migrations::v0::VersionRecord::<Test> {
				parent,
				artifact_cid: cid(&format!("bafyv{v}")),
				artifact_hash: hash(2),
				recipe_hash: hash(3),
				metrics: metrics(5),
				trainer: account(TRAINER),
				created_at: 1,
				contributions: BoundedVec::try_from(used).unwrap(),
				status: VersionStatus::Active,
				deposit: VERSION_DEPOSIT,
			};
			unhashed::put(&Versions::<Test>::hashed_key_for(model, v), &old);
		}
		for (c, status, settled_in) in
			[(0u32, ContributionStatus::Accepted, Some(1)), (1, ContributionStatus::Pending, None)]
		{
			let old = migrations::v0::ContributionRecord::<Test> {
				contributor: account(CONTRIBUTOR),
				data_cid: cid("bafydata"),
				data_hash: hash(4),
				rows: 10,
				deposit: CONTRIBUTION_DEPOSIT,
				status,
				settled_in,
				submitted_at: 1,
			};
			unhashed::put(&Contributions::<Test>::hashed_key_for(model, c), &old);
		}
		PendingContributions::<Test>::insert(model, 1, ());
		assert_ok!(Balances::hold(
			&RuntimeHoldReason::Cmu(HoldReason::ContributionDeposit),
			&account(CONTRIBUTOR),
			CONTRIBUTION_DEPOSIT
		));
		StorageVersion::new(0).put::<Cmu>();

		migrations::v1::MigrateV0ToV1::<Test>::on_runtime_upgrade();

		assert_eq!(Cmu::on_chain_storage_version(), StorageVersion::new(1));
		let info = Models::<Test>::get(model).unwrap();
		assert!(info.frozen && !info.retired);
		assert_eq!(info.head, Some(1));
		assert_eq!(
			Roles::<Test>::get(model, account(TRAINER)),
			Some(Grant { roles: Role::Trainer.into(), owner: account(OWNER) })
		);
		let v1 = Versions::<Test>::get(model, 1).unwrap();
		assert_eq!(v1.card_cid, cid(""));
		assert_eq!((v1.matches, v1.mismatches, v1.parent), (0, 0, Some(0)));
		assert_eq!(v1.contributions.to_vec(), vec![0]);
		let c = Contributions::<Test>::get(model, 1).unwrap();
		assert_eq!((c.status, c.reward_weight, c.reward), (ContributionStatus::Pending, 0, 0));
		assert_eq!(PendingPerAccount::<Test>::get(model, account(CONTRIBUTOR)), 1);
		assert_eq!(nft_attribute(model, attribute_keys::SPEC_CID), Some(b"bafyspec".to_vec()));
		assert_eq!(nft_attribute(model, attribute_keys::HEAD_VERSION), Some(b"1".to_vec()));
		assert_eq!(
			nft_attribute(model, attribute_keys::HEAD_ARTIFACT_CID),
			Some(b"bafyv1".to_vec())
		);
		Cmu::do_try_state().unwrap();
		// The frozen model's NFT got its transfer lock, so it cannot move and thawing works.
		assert_noop!(
			Nfts::transfer(origin(OWNER), collection, model, account(NEW_OWNER)),
			pallet_nfts::Error::<Test>::ItemLocked
		);
		assert_ok!(Cmu::thaw_model(origin(OWNER), model));
		// Running it again changes nothing: the on-chain version is already 1.
		migrations::v1::MigrateV0ToV1::<Test>::on_runtime_upgrade();
		assert_eq!(Versions::<Test>::get(model, 1).unwrap(), v1);
	});
}

// ---------------------------------------------------------------- invariants

/// Checks the invariants that every sequence of calls must keep: the pallet's `try_state`,
/// plus held deposits of every test account (also those with nothing pending).
fn check_invariants() {
	Cmu::do_try_state().expect("pallet invariants hold");
	for n in 1..=9u8 {
		let expected: Balance = Contributions::<Test>::iter()
			.filter(|(_, _, c)| {
				c.contributor == account(n) && c.status == ContributionStatus::Pending
			})
			.map(|(_, _, c)| c.deposit)
			.sum();
		assert_eq!(held(n, HoldReason::ContributionDeposit), expected, "account {n}");
		let attested: Balance = Attestations::<Test>::iter()
			.filter(|((_, _, who), _)| *who == account(n))
			.map(|(_, a)| a.deposit)
			.sum();
		assert_eq!(held(n, HoldReason::AttestationDeposit), attested, "account {n}");
	}
}

mod properties {
	use super::*;
	use proptest::{prelude::*, strategy::ValueTree};

	#[derive(Clone, Debug)]
	enum Op {
		Create(u8),
		Grant(u8, u8, u8),
		Submit(u8, u8),
		Withdraw(u8, u8, u8),
		/// (caller, model, build on a stale parent, which pending ones to settle, verdict seed)
		Publish(u8, u8, bool, u8, u8),
		SetHead(u8, u8, u8),
		Deprecate(u8, u8, u8),
		Revoke(u8, u8, u8),
		Freeze(u8, u8),
		Thaw(u8, u8),
		Transfer(u8, u8),
		SetSlash(u8, u8, u8),
		/// (caller, model, which pending ones to reject, reason seed)
		Reject(u8, u8, u8, u8),
		Retire(u8, u8),
		/// (caller, model, version, match)
		Attest(u8, u8, u8, bool),
		/// The owner burns the model's NFT.
		Burn(u8),
	}

	fn op() -> impl Strategy<Value = Op> {
		// Accounts 1..=3 own or train the two models made in `setup`; 4..=6 are outsiders.
		let who = prop_oneof![3 => 1u8..=3, 1 => 4u8..=6];
		let model = 0u8..3;
		let small = 0u8..6;
		prop_oneof![
			1 => who.clone().prop_map(Op::Create),
			2 => (who.clone(), model.clone(), 1u8..16).prop_map(|(w, m, r)| Op::Grant(w, m, r)),
			6 => (1u8..=6, model.clone()).prop_map(|(w, m)| Op::Submit(w, m)),
			2 => (1u8..=6, model.clone(), small.clone()).prop_map(|(w, m, c)| Op::Withdraw(w, m, c)),
			6 => (who.clone(), model.clone(), proptest::bool::weighted(0.2), any::<u8>(), any::<u8>())
				.prop_map(|(w, m, stale, mask, seed)| Op::Publish(w, m, stale, mask, seed)),
			2 => (who.clone(), model.clone(), small.clone()).prop_map(|(w, m, v)| Op::SetHead(w, m, v)),
			1 => (who.clone(), model.clone(), small.clone()).prop_map(|(w, m, v)| Op::Deprecate(w, m, v)),
			1 => (who.clone(), model.clone(), small.clone()).prop_map(|(w, m, v)| Op::Revoke(w, m, v)),
			1 => (who.clone(), model.clone()).prop_map(|(w, m)| Op::Freeze(w, m)),
			1 => (who.clone(), model.clone()).prop_map(|(w, m)| Op::Thaw(w, m)),
			1 => (model.clone(), 1u8..=6).prop_map(|(m, to)| Op::Transfer(m, to)),
			3 => (who.clone(), model.clone(), 0u8..4).prop_map(|(w, m, d)| Op::SetSlash(w, m, d)),
			2 => (who.clone(), model.clone(), any::<u8>(), any::<u8>())
				.prop_map(|(w, m, mask, seed)| Op::Reject(w, m, mask, seed)),
			1 => (who.clone(), model.clone()).prop_map(|(w, m)| Op::Retire(w, m)),
			2 => (1u8..=6, model.clone(), small, any::<bool>())
				.prop_map(|(w, m, v, ok)| Op::Attest(w, m, v, ok)),
			1 => model.prop_map(Op::Burn),
		]
	}

	fn reason(code: u8) -> RejectionReason {
		match code % 5 {
			0 => RejectionReason::InvalidSchema,
			1 => RejectionReason::HashMismatch,
			2 => RejectionReason::Unreachable,
			3 => RejectionReason::HarmsMetric,
			_ => RejectionReason::Duplicate,
		}
	}

	/// Two models (owned by 1 and 2), account 3 trains both.
	fn setup() {
		for owner in [1u8, 2] {
			let model = NextModelId::<Test>::get();
			assert_ok!(Cmu::create_model(
				origin(owner),
				cid("s"),
				hash(owner),
				AccessPolicy::default()
			));
			assert_ok!(Cmu::grant_role(
				origin(owner),
				model,
				account(3),
				RoleSet::from(Role::Trainer)
			));
		}
	}

	/// Applies `op`; returns whether the call succeeded. Many random calls fail by design:
	/// the invariants must hold either way.
	fn apply(op: Op) -> bool {
		let m = |x: u8| x as ModelId;
		let result = match op {
			Op::Create(w) => {
				Cmu::create_model(origin(w), cid("s"), hash(w), AccessPolicy::default())
			}
			Op::Grant(w, model, roles) => {
				let roles = RoleSet(enumflags2::BitFlags::from_bits_truncate(roles));
				Cmu::grant_role(origin(w), m(model), account((roles.bits() % 6) + 1), roles)
			}
			Op::Submit(w, model) => {
				Cmu::submit_contribution(origin(w), m(model), cid("d"), hash(w), 5)
			}
			Op::Withdraw(w, model, c) => Cmu::withdraw_contribution(origin(w), m(model), c as u32),
			Op::Publish(w, model, stale, mask, seed) => {
				let head = Models::<Test>::get(m(model)).and_then(|info| info.head);
				let parent = if stale { Some(head.map_or(0, |h| h + 1)) } else { head };
				let verdicts: Vec<_> = Cmu::pending_contributions(m(model))
					.into_iter()
					.map(|(id, _)| id)
					.filter(|id| mask & (1 << (id % 8)) != 0)
					.take(MAX_SETTLEMENTS as usize)
					.map(|id| {
						let code = seed.wrapping_add(id as u8);
						let verdict = if code % 3 == 0 {
							Verdict::Reject(reason(code))
						} else {
							Verdict::Accept((code % 4) as u32)
						};
						(id, verdict)
					})
					.collect();
				publish(w, m(model), parent, &verdicts)
			}
			Op::SetHead(w, model, v) => Cmu::set_head(origin(w), m(model), v as u32, 0),
			Op::Deprecate(w, model, v) => Cmu::deprecate_version(origin(w), m(model), v as u32),
			Op::Revoke(w, model, v) => Cmu::revoke_version(origin(w), m(model), v as u32),
			Op::Freeze(w, model) => Cmu::freeze_model(origin(w), m(model)),
			Op::Thaw(w, model) => Cmu::thaw_model(origin(w), m(model)),
			Op::Transfer(model, to) => {
				match (ModelCollection::<Test>::get(), Cmu::model_owner(m(model))) {
					(Some(collection), Some(owner)) => Nfts::transfer(
						RuntimeOrigin::signed(owner),
						collection,
						m(model),
						account(to),
					),
					_ => Ok(()),
				}
			}
			Op::SetSlash(w, model, d) => {
				let destination = match d {
					0 => SlashDestination::ModelOwner,
					1 => SlashDestination::Burn,
					2 => SlashDestination::Account(account(9)),
					_ => SlashDestination::AcceptedContributors,
				};
				Cmu::set_slash_destination(origin(w), m(model), destination)
			}
			Op::Reject(w, model, mask, seed) => {
				let rejections: Vec<_> = Cmu::pending_contributions(m(model))
					.into_iter()
					.map(|(id, _)| id)
					.filter(|id| mask & (1 << (id % 8)) != 0)
					.take(MAX_SETTLEMENTS as usize)
					.map(|id| (id, reason(seed.wrapping_add(id as u8))))
					.collect();
				Cmu::reject_contributions(
					origin(w),
					m(model),
					BoundedVec::try_from(rejections).unwrap(),
				)
			}
			Op::Retire(w, model) => Cmu::retire_model(origin(w), m(model)),
			Op::Attest(w, model, v, ok) => {
				let outcome =
					if ok { AttestationOutcome::Match } else { AttestationOutcome::Mismatch };
				Cmu::attest_version(origin(w), m(model), v as u32, outcome, cid("report"))
			}
			Op::Burn(model) => match (ModelCollection::<Test>::get(), Cmu::model_owner(m(model))) {
				(Some(collection), Some(owner)) => {
					Nfts::burn(RuntimeOrigin::signed(owner), collection, m(model))
				}
				_ => Ok(()),
			},
		};
		result.is_ok()
	}

	proptest! {
		#![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]
		#[test]
		fn random_call_sequences_keep_invariants(ops in proptest::collection::vec(op(), 1..80)) {
			new_test_ext().execute_with(|| {
				setup();
				let mut burned = 0;
				for op in ops {
					let issuance = Balances::total_issuance();
					let burns_allowed = matches!(op, Op::Publish(..) | Op::Reject(..));
					apply(op);
					check_invariants();
					// Only a settlement to `Burn` may shrink issuance; nothing ever mints.
					let now = Balances::total_issuance();
					assert!(now <= issuance);
					if !burns_allowed {
						assert_eq!(now, issuance);
					}
					burned += issuance - now;
				}
				assert_eq!(burned % CONTRIBUTION_DEPOSIT, 0);
			});
		}
	}

	/// The generator must reach the interesting paths, or the property proves little.
	#[test]
	fn random_sequences_exercise_settlement_and_races() {
		let mut runner = proptest::test_runner::TestRunner::deterministic();
		let (mut published, mut settled, mut refused) = (0, 0, 0);
		let (mut rejected_alone, mut attested, mut shared, mut retired) = (0, 0, 0, 0);
		for _ in 0..96 {
			let ops = proptest::collection::vec(op(), 80).new_tree(&mut runner).unwrap().current();
			new_test_ext().execute_with(|| {
				setup();
				for op in ops {
					let (is_publish, is_reject, is_attest, is_retire) = (
						matches!(op, Op::Publish(..)),
						matches!(op, Op::Reject(..)),
						matches!(op, Op::Attest(..)),
						matches!(op, Op::Retire(..)),
					);
					let settled_count = || {
						Contributions::<Test>::iter()
							.filter(|(_, _, c)| c.status != ContributionStatus::Pending)
							.filter(|(_, _, c)| c.status != ContributionStatus::Withdrawn)
							.count()
					};
					let before = settled_count();
					System::reset_events();
					let ok = apply(op);
					let after = settled_count();
					if is_publish {
						if ok {
							published += 1
						} else {
							refused += 1
						}
					}
					if is_reject && ok && after > before {
						rejected_alone += 1;
					}
					attested += (is_attest && ok) as u32;
					retired += (is_retire && ok) as u32;
					shared += cmu_events()
						.iter()
						.filter(|e| matches!(e, Event::SlashesShared { .. }))
						.count();
					settled += after - before;
				}
			});
		}
		assert!(published > 100, "published {published}");
		assert!(settled > 100, "settled {settled}");
		assert!(refused > 20, "refused {refused}");
		assert!(rejected_alone > 10, "reject_contributions {rejected_alone}");
		assert!(attested > 10, "attested {attested}");
		assert!(shared > 5, "slashes shared {shared}");
		assert!(retired > 2, "retired {retired}");
	}
}

// ---------------------------------------------------------------- encryption

fn permissioned() -> AccessPolicy {
	AccessPolicy { visibility: Visibility::Permissioned, ..AccessPolicy::default() }
}

#[test]
fn set_encryption_key_binds_the_key_to_the_signer_and_can_be_cleared() {
	new_test_ext().execute_with(|| {
		System::set_block_number(1);
		// Attack first: nobody sets or clears a key for another account, and an all-zero
		// (low-order) key or clearing a key that is not there is refused.
		assert_noop!(
			Cmu::set_encryption_key(RuntimeOrigin::none(), Some([3; 32])),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Cmu::set_encryption_key(origin(STRANGER), Some([0; 32])),
			CmuError::InvalidEncryptionKey
		);
		assert_noop!(Cmu::set_encryption_key(origin(STRANGER), None), CmuError::NoEncryptionKey);

		assert_ok!(Cmu::set_encryption_key(origin(TRAINER), Some([3; 32])));
		assert_eq!(EncryptionKeys::<Test>::get(account(TRAINER)), Some([3; 32]));
		assert_eq!(EncryptionKeys::<Test>::get(account(STRANGER)), None);
		assert_eq!(
			last_event(),
			RuntimeEvent::Cmu(Event::EncryptionKeySet {
				who: account(TRAINER),
				key: Some([3; 32])
			})
		);
		// Replacing is allowed (a new key after a lost one).
		assert_ok!(Cmu::set_encryption_key(origin(TRAINER), Some([4; 32])));
		assert_eq!(EncryptionKeys::<Test>::get(account(TRAINER)), Some([4; 32]));

		assert_ok!(Cmu::set_encryption_key(origin(TRAINER), None));
		assert_eq!(EncryptionKeys::<Test>::get(account(TRAINER)), None);
		assert_eq!(
			last_event(),
			RuntimeEvent::Cmu(Event::EncryptionKeySet { who: account(TRAINER), key: None })
		);
		// The bound: the call is its index, the option tag and exactly 32 key bytes.
		let call = crate::Call::<Test>::set_encryption_key { key: Some([5; 32]) };
		assert_eq!(call.encode().len(), 1 + 1 + 32);
		check_invariants();
	});
}

#[test]
fn envelope_rules_follow_the_models_visibility() {
	new_test_ext().execute_with(|| {
		System::set_block_number(1);
		let public = create();
		let private = create_with(permissioned());
		grant(private, TRAINER, Role::Trainer);
		// Attack first: a permissioned version without an envelope would be published in
		// the clear or unreadable; an envelope on a public model is a mistake; an empty CID.
		assert_noop!(
			publish_with_envelope(TRAINER, private, None, &[], None),
			CmuError::EnvelopeRequired
		);
		assert_noop!(
			publish_with_envelope(OWNER, public, None, &[], Some(cid("bafyenv"))),
			CmuError::EnvelopeNotAllowed
		);
		assert_noop!(
			publish_with_envelope(TRAINER, private, None, &[], Some(cid(""))),
			CmuError::EmptyCid
		);
		assert_noop!(
			publish_with_envelope(STRANGER, private, None, &[], Some(cid("bafyenv"))),
			CmuError::NotTrainer
		);

		assert_ok!(publish_with_envelope(OWNER, public, None, &[], None));
		assert_eq!(VersionEnvelopes::<Test>::get(public, 0), None);
		assert!(!cmu_events().iter().any(|e| matches!(e, Event::VersionEnvelopeSet { .. })));

		assert_ok!(publish_with_envelope(TRAINER, private, None, &[], Some(cid("bafyenv0"))));
		assert_eq!(VersionEnvelopes::<Test>::get(private, 0), Some(cid("bafyenv0")));
		assert_eq!(Cmu::envelope_of(private, 0), Some(cid("bafyenv0")));
		assert!(cmu_events().contains(&Event::VersionEnvelopeSet {
			model: private,
			version: 0,
			envelope_cid: cid("bafyenv0"),
			by: account(TRAINER),
		}));

		// Visibility changes take effect from the next version.
		assert_ok!(Cmu::set_access_policy(origin(OWNER), public, permissioned()));
		assert_noop!(
			publish_with_envelope(OWNER, public, Some(0), &[], None),
			CmuError::EnvelopeRequired
		);
		assert_ok!(publish_with_envelope(OWNER, public, Some(0), &[], Some(cid("bafyenv1"))));
		assert_eq!(VersionEnvelopes::<Test>::get(public, 0), None);
		assert_eq!(VersionEnvelopes::<Test>::get(public, 1), Some(cid("bafyenv1")));
		assert_ok!(Cmu::set_access_policy(origin(OWNER), private, AccessPolicy::default()));
		assert_noop!(
			publish_with_envelope(TRAINER, private, Some(0), &[], Some(cid("bafyenv"))),
			CmuError::EnvelopeNotAllowed
		);
		assert_ok!(publish_with_envelope(TRAINER, private, Some(0), &[], None));
		assert_eq!(VersionEnvelopes::<Test>::get(private, 0), Some(cid("bafyenv0")));
		assert_eq!(VersionEnvelopes::<Test>::get(private, 1), None);
		check_invariants();
	});
}

#[test]
fn set_version_envelope_rekeys_the_head_for_owner_and_admins_only() {
	new_test_ext().execute_with(|| {
		System::set_block_number(1);
		let model = create_with(permissioned());
		grant(model, ADMIN, Role::Admin);
		grant(model, TRAINER, Role::Trainer);
		grant(model, 7, Role::Reader);
		assert_noop!(
			Cmu::set_version_envelope(origin(OWNER), model, cid("bafynew")),
			CmuError::NoHead
		);
		assert_ok!(publish(TRAINER, model, None, &[]));
		assert_ok!(publish(TRAINER, model, Some(0), &[]));

		// Attack first: no role but Admin (and the owner) may rewrite who can read the head;
		// nor can anyone on an unknown model, with an empty CID, or while the model is frozen.
		for who in [TRAINER, CONTRIBUTOR, 7, STRANGER] {
			assert_noop!(
				Cmu::set_version_envelope(origin(who), model, cid("bafyevil")),
				CmuError::NotAdmin
			);
		}
		assert_noop!(
			Cmu::set_version_envelope(RuntimeOrigin::none(), model, cid("bafyevil")),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Cmu::set_version_envelope(origin(OWNER), 99, cid("bafynew")),
			CmuError::UnknownModel
		);
		assert_noop!(Cmu::set_version_envelope(origin(ADMIN), model, cid("")), CmuError::EmptyCid);
		assert_ok!(Cmu::freeze_model(origin(OWNER), model));
		assert_noop!(
			Cmu::set_version_envelope(origin(ADMIN), model, cid("bafynew")),
			CmuError::ModelFrozen
		);
		assert_ok!(Cmu::thaw_model(origin(OWNER), model));

		assert_ok!(Cmu::set_version_envelope(origin(ADMIN), model, cid("bafyrekeyed")));
		// Only the head's envelope changes; the older version keeps the one it was sealed with.
		assert_eq!(VersionEnvelopes::<Test>::get(model, 1), Some(cid("bafyrekeyed")));
		assert_eq!(VersionEnvelopes::<Test>::get(model, 0), Some(cid("bafyenvelope")));
		assert_eq!(
			last_event(),
			RuntimeEvent::Cmu(Event::VersionEnvelopeSet {
				model,
				version: 1,
				envelope_cid: cid("bafyrekeyed"),
				by: account(ADMIN),
			})
		);
		assert_ok!(Cmu::set_version_envelope(origin(OWNER), model, cid("bafyrekeyed2")));
		assert_eq!(VersionEnvelopes::<Test>::get(model, 1), Some(cid("bafyrekeyed2")));

		// A head published in the clear (while the model was Public) has nothing to rekey.
		let public = create();
		assert_ok!(publish(OWNER, public, None, &[]));
		assert_ok!(Cmu::set_access_policy(origin(OWNER), public, permissioned()));
		assert_noop!(
			Cmu::set_version_envelope(origin(OWNER), public, cid("bafynew")),
			CmuError::HeadNotEncrypted
		);
		// The bound: a CID longer than MaxCidLen does not even decode into the call.
		let long = vec![
			b'x';
			<<Test as Config>::MaxCidLen as frame_support::traits::Get<u32>>::get()
				as usize + 1
		];
		let encoded = (model, long).encode();
		assert!(<(ModelId, CidOf<Test>)>::decode(&mut &encoded[..]).is_err());
		check_invariants();
	});
}
