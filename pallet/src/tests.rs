//! Unit tests for pallet-cmu on the mock runtime.

use crate::{mock::*, *};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
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
	Cmu::publish_version(
		origin(trainer),
		model,
		parent,
		cid("bafyartifact"),
		hash(7),
		hash(8),
		metrics(900_000_000),
		settlements(verdicts),
	)
}

fn submit(who: u8, model: ModelId) -> ContributionId {
	let id = Models::<Test>::get(model).unwrap().contribution_count;
	assert_ok!(Cmu::submit_contribution(origin(who), model, cid("bafydata"), hash(id as u8), 10));
	id
}

fn grant(model: ModelId, who: u8, roles: u8) {
	assert_ok!(Cmu::grant_role(origin(OWNER), model, account(who), RoleSet(roles)));
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
fn metadata_policy_and_slash_destination_are_admin_only() {
	new_test_ext().execute_with(|| {
		let model = create();
		grant(model, ADMIN, RoleSet::ADMIN);
		assert_ok!(Cmu::set_model_metadata(origin(ADMIN), model, cid("bafynew"), hash(9)));
		assert_eq!(Models::<Test>::get(model).unwrap().metadata.spec_cid, cid("bafynew"));
		let policy = AccessPolicy {
			visibility: Visibility::Permissioned,
			contributions: ContributionMode::RoleRequired,
		};
		assert_ok!(Cmu::set_access_policy(origin(OWNER), model, policy));
		assert_eq!(Models::<Test>::get(model).unwrap().policy, policy);
		assert_ok!(Cmu::set_slash_destination(origin(ADMIN), model, SlashDestination::Burn));
		assert_eq!(Models::<Test>::get(model).unwrap().slash_destination, SlashDestination::Burn);

		assert_noop!(
			Cmu::set_model_metadata(origin(STRANGER), model, cid("x"), hash(2)),
			CmuError::NotAdmin
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
			CmuError::NotAdmin
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
		assert_eq!(last_event(), RuntimeEvent::Cmu(Event::ModelFrozen { model }));
		assert_noop!(Cmu::freeze_model(origin(OWNER), model), CmuError::AlreadyFrozen);
		assert_noop!(
			Cmu::submit_contribution(origin(CONTRIBUTOR), model, cid("d"), hash(1), 1),
			CmuError::ModelFrozen
		);
		assert_noop!(publish(OWNER, model, None, &[]), CmuError::ModelFrozen);
		assert_noop!(Cmu::thaw_model(origin(STRANGER), model), CmuError::NotAdmin);
		assert_ok!(Cmu::thaw_model(origin(OWNER), model));
		assert_eq!(last_event(), RuntimeEvent::Cmu(Event::ModelThawed { model }));
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
		grant(model, TRAINER, RoleSet::TRAINER | RoleSet::READER);
		assert_eq!(
			Cmu::roles_of(model, &account(TRAINER)),
			RoleSet(RoleSet::TRAINER | RoleSet::READER)
		);
		assert_ok!(Cmu::revoke_role(
			origin(OWNER),
			model,
			account(TRAINER),
			RoleSet(RoleSet::READER)
		));
		assert_eq!(Cmu::roles_of(model, &account(TRAINER)), RoleSet(RoleSet::TRAINER));
		assert_eq!(
			last_event(),
			RuntimeEvent::Cmu(Event::RoleRevoked {
				model,
				who: account(TRAINER),
				revoked: RoleSet(RoleSet::READER),
				roles: RoleSet(RoleSet::TRAINER),
				by: account(OWNER)
			})
		);
		// Revoking everything removes the storage entry.
		assert_ok!(Cmu::revoke_role(origin(OWNER), model, account(TRAINER), RoleSet(RoleSet::ALL)));
		assert!(!Roles::<Test>::contains_key(model, account(TRAINER)));
	});
}

#[test]
fn role_management_refusals() {
	new_test_ext().execute_with(|| {
		let model = create();
		grant(model, ADMIN, RoleSet::ADMIN);
		// Admins manage the lower roles ...
		assert_ok!(Cmu::grant_role(
			origin(ADMIN),
			model,
			account(TRAINER),
			RoleSet(RoleSet::TRAINER)
		));
		// ... but not Admins, and never the owner.
		assert_noop!(
			Cmu::grant_role(origin(ADMIN), model, account(STRANGER), RoleSet(RoleSet::ADMIN)),
			CmuError::OnlyOwnerManagesAdmins
		);
		assert_noop!(
			Cmu::revoke_role(origin(ADMIN), model, account(ADMIN), RoleSet(RoleSet::ADMIN)),
			CmuError::OnlyOwnerManagesAdmins
		);
		assert_noop!(
			Cmu::revoke_role(origin(ADMIN), model, account(OWNER), RoleSet(RoleSet::TRAINER)),
			CmuError::CannotTargetOwner
		);
		assert_noop!(
			Cmu::grant_role(origin(OWNER), model, account(OWNER), RoleSet(RoleSet::TRAINER)),
			CmuError::CannotTargetOwner
		);
		assert_noop!(
			Cmu::grant_role(origin(TRAINER), model, account(STRANGER), RoleSet(RoleSet::READER)),
			CmuError::NotAdmin
		);
		assert_noop!(
			Cmu::grant_role(origin(OWNER), model, account(STRANGER), RoleSet(0)),
			CmuError::InvalidRoles
		);
		assert_noop!(
			Cmu::grant_role(origin(OWNER), model, account(STRANGER), RoleSet(0b1_0000)),
			CmuError::InvalidRoles
		);
		assert_noop!(
			Cmu::grant_role(origin(OWNER), 99, account(STRANGER), RoleSet(RoleSet::READER)),
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
			&[OWNER, ADMIN],
			CmuError::NotAdmin.into(),
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
			&[OWNER, ADMIN],
			CmuError::NotAdmin.into(),
		),
		(
			"grant_role",
			|w, m| Cmu::grant_role(origin(w), m, account(8), RoleSet(RoleSet::READER)),
			&[OWNER, ADMIN],
			CmuError::NotAdmin.into(),
		),
		(
			"revoke_role",
			|w, m| Cmu::revoke_role(origin(w), m, account(7), RoleSet(RoleSet::READER)),
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
			&[OWNER, ADMIN],
			CmuError::NotAdmin.into(),
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
				grant(model, ADMIN, RoleSet::ADMIN);
				grant(model, TRAINER, RoleSet::TRAINER);
				grant(model, CONTRIBUTOR, RoleSet::CONTRIBUTOR);
				grant(model, 7, RoleSet::READER);
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
fn transfer_moves_implicit_roles_and_keeps_explicit_grants() {
	new_test_ext().execute_with(|| {
		let model = create();
		grant(model, TRAINER, RoleSet::TRAINER);
		transfer_nft(model, OWNER, NEW_OWNER);
		assert_eq!(Cmu::model_owner(model), Some(account(NEW_OWNER)));
		// The new owner holds everything implicitly; the old owner nothing.
		assert_eq!(Cmu::roles_of(model, &account(NEW_OWNER)), RoleSet::all());
		assert_eq!(Cmu::roles_of(model, &account(OWNER)), RoleSet::none());
		assert_noop!(Cmu::freeze_model(origin(OWNER), model), CmuError::NotAdmin);
		assert_ok!(Cmu::freeze_model(origin(NEW_OWNER), model));
		assert_ok!(Cmu::thaw_model(origin(NEW_OWNER), model));
		// Explicit grants stay with the model.
		assert_ok!(publish(TRAINER, model, None, &[]));
		// The new owner can revoke them and appoint admins.
		assert_ok!(Cmu::revoke_role(
			origin(NEW_OWNER),
			model,
			account(TRAINER),
			RoleSet(RoleSet::TRAINER)
		));
		assert_ok!(Cmu::grant_role(
			origin(NEW_OWNER),
			model,
			account(OWNER),
			RoleSet(RoleSet::ADMIN)
		));
		// An explicit grant to the new owner made before the transfer no longer matters, and
		// the old owner's model deposit stays held from the old owner (who paid it).
		assert_eq!(held(OWNER, HoldReason::ModelDeposit), MODEL_DEPOSIT);
		assert_eq!(Models::<Test>::get(model).unwrap().depositor, account(OWNER));
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
		for _ in 0..MAX_PENDING {
			submit(CONTRIBUTOR, model);
		}
		assert_noop!(
			Cmu::submit_contribution(origin(CONTRIBUTOR), model, cid("d"), hash(1), 1),
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
		// A withdrawn contribution cannot be settled.
		assert_noop!(
			publish(OWNER, model, None, &[(c, Verdict::Accept)]),
			CmuError::ContributionNotPending
		);
	});
}

// ---------------------------------------------------------------- versions

#[test]
fn publish_version_appends_settles_and_moves_head() {
	new_test_ext().execute_with(|| {
		let model = create();
		grant(model, TRAINER, RoleSet::TRAINER);
		assert_ok!(publish(TRAINER, model, None, &[]));
		let good = submit(CONTRIBUTOR, model);
		let bad = submit(STRANGER, model);
		let total_before: Balance = (1..=9).map(|n| Balances::total_balance(&account(n))).sum();
		let owner_before = free(OWNER);

		assert_ok!(publish(
			TRAINER,
			model,
			Some(0),
			&[(good, Verdict::Accept), (bad, Verdict::Reject(RejectionReason::InvalidSchema))]
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
			version: 1,
			reason: RejectionReason::InvalidSchema,
			slashed: CONTRIBUTION_DEPOSIT
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
		grant(model, TRAINER, RoleSet::TRAINER);
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
			publish(OWNER, model, None, &[(a, Verdict::Accept), (99, Verdict::Accept)]),
			CmuError::UnknownContribution
		);
		assert_noop!(
			publish(OWNER, model, None, &[(a, Verdict::Accept), (a, Verdict::Accept)]),
			CmuError::DuplicateSettlement
		);
		assert_ok!(publish(OWNER, model, None, &[(a, Verdict::Accept)]));
		assert_noop!(
			publish(OWNER, model, Some(0), &[(b, Verdict::Accept), (a, Verdict::Accept)]),
			CmuError::ContributionNotPending
		);
		assert_eq!(held(CONTRIBUTOR, HoldReason::ContributionDeposit), CONTRIBUTION_DEPOSIT);
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
				metrics(1),
				settlements(&[])
			),
			CmuError::EmptyCid
		);
		// A trainer without funds for the version deposit.
		assert_ok!(Cmu::grant_role(origin(OWNER), model, account(42), RoleSet(RoleSet::TRAINER)));
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
			RuntimeEvent::Cmu(Event::HeadSet { model, from: Some(1), to: 0, reason: 3 })
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
		assert_eq!(last_event(), RuntimeEvent::Cmu(Event::VersionRevoked { model, version: 0 }));
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

// ---------------------------------------------------------------- invariants

/// Checks the invariants that every sequence of calls must keep.
fn check_invariants() {
	for (model, info) in Models::<Test>::iter() {
		// The head is an existing, non-revoked version.
		if let Some(head) = info.head {
			let record = Versions::<Test>::get(model, head).expect("head exists");
			assert_ne!(record.status, VersionStatus::Revoked);
		} else {
			assert_eq!(info.version_count, 0);
		}
		// Every version's parent exists and is older.
		for (version, record) in Versions::<Test>::iter_prefix(model) {
			assert!(version < info.version_count);
			if let Some(parent) = record.parent {
				assert!(parent < version);
				let parent = Versions::<Test>::get(model, parent).expect("parent exists");
				assert!(parent.created_at <= record.created_at);
			}
		}
		// The pending index matches the records.
		let pending = Contributions::<Test>::iter_prefix(model)
			.filter(|(_, c)| c.status == ContributionStatus::Pending)
			.count() as u32;
		assert_eq!(pending, info.pending_contributions);
		assert_eq!(PendingContributions::<Test>::iter_prefix(model).count() as u32, pending);
		// A contribution is settled at most once and by a version that lists accepted ones.
		for (id, c) in Contributions::<Test>::iter_prefix(model) {
			match (c.status, c.settled_in) {
				(ContributionStatus::Accepted, Some(v)) => {
					let version = Versions::<Test>::get(model, v).unwrap();
					assert_eq!(version.contributions.iter().filter(|x| **x == id).count(), 1);
				}
				(ContributionStatus::Rejected(_), Some(v)) => {
					assert!(!Versions::<Test>::get(model, v).unwrap().contributions.contains(&id));
				}
				(ContributionStatus::Pending | ContributionStatus::Withdrawn, None) => {}
				other => panic!("inconsistent contribution {id}: {other:?}"),
			}
		}
	}
	// Held contribution deposits equal the pending contributions' deposits, per account.
	for n in 1..=9u8 {
		let expected: Balance = Contributions::<Test>::iter()
			.filter(|(_, _, c)| {
				c.contributor == account(n) && c.status == ContributionStatus::Pending
			})
			.map(|(_, _, c)| c.deposit)
			.sum();
		assert_eq!(held(n, HoldReason::ContributionDeposit), expected, "account {n}");
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
			1 => (who, model, 0u8..3).prop_map(|(w, m, d)| Op::SetSlash(w, m, d)),
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
				RoleSet(RoleSet::TRAINER)
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
				Cmu::grant_role(origin(w), m(model), account((roles % 6) + 1), RoleSet(roles))
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
							Verdict::Accept
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
					_ => SlashDestination::Account(account(9)),
				};
				Cmu::set_slash_destination(origin(w), m(model), destination)
			}
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
					let burns_allowed = matches!(op, Op::Publish(..));
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
		for _ in 0..64 {
			let ops = proptest::collection::vec(op(), 80).new_tree(&mut runner).unwrap().current();
			new_test_ext().execute_with(|| {
				setup();
				for op in ops {
					let is_publish = matches!(op, Op::Publish(..));
					let before = Contributions::<Test>::iter()
						.filter(|(_, _, c)| c.settled_in.is_some())
						.count();
					let ok = apply(op);
					let after = Contributions::<Test>::iter()
						.filter(|(_, _, c)| c.settled_in.is_some())
						.count();
					if is_publish {
						if ok {
							published += 1
						} else {
							refused += 1
						}
					}
					settled += after - before;
				}
			});
		}
		assert!(published > 100, "published {published}");
		assert!(settled > 100, "settled {settled}");
		assert!(refused > 20, "refused {refused}");
	}
}
