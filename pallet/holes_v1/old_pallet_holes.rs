//! Issue 8's eight holes, attacked on the first pallet (commit bc81133, before pallet-cmu v2).
//!
//! Each test performs one hole's attack with the old pallet's API and asserts the HARMFUL
//! outcome: a test that passes here means the attack worked on the old code. The tests that
//! prove each hole closed are in `pallet/src/tests.rs` on the v2 pallet (named per test below).
//!
//! This file does not build against the v2 pallet (it uses the old API: `RoleSet(u8)`,
//! `Verdict::Accept` without a weight, events without `by`). Run it with
//! `scripts/holes-on-old-pallet.sh`, which checks out bc81133 in a temporary worktree, copies
//! this file to `pallet/src/old_pallet_holes.rs` and declares it as a test module.

use crate::{mock::*, *};
use codec::Encode;
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
	BoundedVec,
};
use polkadot_sdk::{pallet_nfts, sp_runtime};
use sp_runtime::DispatchResult;

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

fn held(n: u8, reason: HoldReason) -> Balance {
	Balances::balance_on_hold(&RuntimeHoldReason::Cmu(reason), &account(n))
}

fn free(n: u8) -> Balance {
	Balances::balance(&account(n))
}

fn create() -> ModelId {
	let model = NextModelId::<Test>::get();
	assert_ok!(Cmu::create_model(origin(OWNER), cid("bafyspec"), hash(1), AccessPolicy::default()));
	model
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
		BoundedVec::new(),
		BoundedVec::try_from(verdicts.to_vec()).unwrap(),
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

fn last_cmu_event() -> Event<Test> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Cmu(e) = r.event { Some(e) } else { None })
		.last()
		.expect("a pallet-cmu event")
}

/// Whether the SCALE encoding of `event` contains `who`'s 32-byte account id.
fn names(event: &Event<Test>, who: u8) -> bool {
	event.encode().windows(32).any(|w| w == account(who).encode().as_slice())
}

/// Hole 1 (v2: `a_withdrawal_cannot_block_a_publish`). A contributor who sees a publish that
/// rejects their data withdraws first: the whole version fails, the good data is not settled.
#[test]
fn hole1_a_withdrawal_blocks_a_publish() {
	new_test_ext().execute_with(|| {
		let model = create();
		let good = submit(CONTRIBUTOR, model);
		let bad = submit(STRANGER, model);
		assert_ok!(Cmu::withdraw_contribution(origin(STRANGER), model, bad));
		assert_noop!(
			publish(
				OWNER,
				model,
				None,
				&[(good, Verdict::Accept), (bad, Verdict::Reject(RejectionReason::HarmsMetric))]
			),
			CmuError::ContributionNotPending
		);
		assert_eq!(Models::<Test>::get(model).unwrap().version_count, 0);
		assert_eq!(
			Contributions::<Test>::get(model, good).unwrap().status,
			ContributionStatus::Pending
		);
	});
}

/// Hole 2 (v2: `an_admin_cannot_take_rejected_deposits`,
/// `policy_is_admin_only_metadata_and_slash_destination_owner_only`). An Admin grants itself
/// Trainer, points the slash destination at itself and rejects what is pending: it takes the
/// contributor's deposit. It can also rewrite the spec and revoke history.
#[test]
fn hole2_an_admin_takes_rejected_deposits() {
	new_test_ext().execute_with(|| {
		let model = create();
		grant(model, ADMIN, RoleSet::ADMIN);
		assert_ok!(Cmu::grant_role(
			origin(ADMIN),
			model,
			account(ADMIN),
			RoleSet(RoleSet::TRAINER)
		));
		assert_ok!(Cmu::set_slash_destination(
			origin(ADMIN),
			model,
			SlashDestination::Account(account(ADMIN))
		));
		let c = submit(CONTRIBUTOR, model);
		let (admin_before, owner_before) = (free(ADMIN), free(OWNER));
		assert_ok!(publish(
			ADMIN,
			model,
			None,
			&[(c, Verdict::Reject(RejectionReason::InvalidSchema))]
		));
		// The Admin paid the version deposit (held) and received the contributor's deposit.
		assert_eq!(free(ADMIN), admin_before - VERSION_DEPOSIT + CONTRIBUTION_DEPOSIT);
		assert_eq!(free(OWNER), owner_before);
		assert_eq!(free(CONTRIBUTOR), INITIAL_BALANCE - CONTRIBUTION_DEPOSIT);
		// And it rewrites the spec and destroys history, which only the owner should do.
		assert_ok!(publish(ADMIN, model, Some(0), &[]));
		assert_ok!(Cmu::set_model_metadata(origin(ADMIN), model, cid("evil"), hash(6)));
		assert_ok!(Cmu::revoke_version(origin(ADMIN), model, 0));
	});
}

/// Hole 3 (v2: `planted_grants_are_powerless_after_a_sale`). The seller plants an Admin and a
/// Trainer, then sells: the planted accounts keep their power under the buyer.
#[test]
fn hole3_planted_grants_survive_a_sale() {
	new_test_ext().execute_with(|| {
		let model = create();
		grant(model, ADMIN, RoleSet::ADMIN);
		grant(model, TRAINER, RoleSet::TRAINER | RoleSet::CONTRIBUTOR);
		transfer_nft(model, OWNER, NEW_OWNER);
		assert_eq!(Cmu::model_owner(model), Some(account(NEW_OWNER)));
		assert_ok!(Cmu::freeze_model(origin(ADMIN), model));
		assert_ok!(Cmu::thaw_model(origin(ADMIN), model));
		assert_ok!(Cmu::set_access_policy(origin(ADMIN), model, AccessPolicy::default()));
		assert_ok!(Cmu::grant_role(
			origin(ADMIN),
			model,
			account(STRANGER),
			RoleSet(RoleSet::TRAINER)
		));
		let c = submit(CONTRIBUTOR, model);
		assert_ok!(publish(
			TRAINER,
			model,
			None,
			&[(c, Verdict::Reject(RejectionReason::Duplicate))]
		));
	});
}

/// Hole 3, the revival case (v2: `an_old_grant_does_not_revive_when_its_holder_sells_the_model_on`).
/// An Admin who becomes owner and sells again gets the old Admin grant back.
#[test]
fn hole3_an_old_grant_revives_after_selling_on() {
	new_test_ext().execute_with(|| {
		let model = create();
		grant(model, ADMIN, RoleSet::ADMIN);
		transfer_nft(model, OWNER, ADMIN);
		transfer_nft(model, ADMIN, NEW_OWNER);
		assert!(Cmu::roles_of(model, &account(ADMIN)).contains(RoleSet::ADMIN));
		assert_ok!(Cmu::freeze_model(origin(ADMIN), model));
	});
}

/// Hole 4 (v2: `a_burned_nft_retires_the_model`, `retire_model_stops_a_model_cleanly`). The
/// owner burns the NFT: nobody can manage the model, the model deposit stays held with no call
/// that releases it, and the model still takes contributions and versions from old grants.
#[test]
fn hole4_a_burned_nft_orphans_the_model() {
	new_test_ext().execute_with(|| {
		let model = create();
		grant(model, TRAINER, RoleSet::TRAINER);
		let collection = ModelCollection::<Test>::get().unwrap();
		assert_ok!(Nfts::burn(origin(OWNER), collection, model));
		assert_eq!(Cmu::model_owner(model), None);
		assert_noop!(Cmu::freeze_model(origin(OWNER), model), CmuError::NotAdmin);
		assert_noop!(
			Cmu::set_access_policy(origin(OWNER), model, AccessPolicy::default()),
			CmuError::NotAdmin
		);
		assert_eq!(held(OWNER, HoldReason::ModelDeposit), MODEL_DEPOSIT);
		// The orphan still takes deposits, and a planted trainer still publishes.
		let c = submit(CONTRIBUTOR, model);
		assert_eq!(held(CONTRIBUTOR, HoldReason::ContributionDeposit), CONTRIBUTION_DEPOSIT);
		assert_ok!(publish(
			TRAINER,
			model,
			None,
			&[(c, Verdict::Reject(RejectionReason::Duplicate))]
		));
		// The rejected deposit had no owner to go to: it was burned.
		assert_eq!(held(CONTRIBUTOR, HoldReason::ContributionDeposit), 0);
		assert_eq!(free(CONTRIBUTOR), INITIAL_BALANCE - CONTRIBUTION_DEPOSIT);
		// The model deposit is still held; the old pallet has no call to give it back.
		assert_eq!(held(OWNER, HoldReason::ModelDeposit), MODEL_DEPOSIT);
	});
}

/// Hole 5 (v2: `create_model_is_never_stuck_on_a_taken_id`). Root force-mints the item id that
/// `NextModelId` points at: every later `create_model` fails, for everyone, for good.
#[test]
fn hole5_root_bricks_create_model() {
	new_test_ext().execute_with(|| {
		assert_eq!(create(), 0);
		let collection = ModelCollection::<Test>::get().unwrap();
		assert_ok!(Balances::force_set_balance(RuntimeOrigin::root(), Cmu::account_id(), 1_000));
		assert_ok!(Nfts::force_mint(
			RuntimeOrigin::root(),
			collection,
			1,
			account(STRANGER),
			Default::default()
		));
		for who in [OWNER, CONTRIBUTOR, NEW_OWNER] {
			assert_noop!(
				Cmu::create_model(origin(who), cid("s"), hash(1), AccessPolicy::default()),
				pallet_nfts::Error::<Test>::AlreadyExists
			);
		}
		assert_eq!(NextModelId::<Test>::get(), 1);
	});
}

/// Hole 6 (v2: `one_account_cannot_fill_the_pending_list`,
/// `reject_contributions_clears_junk_without_a_version`). One account fills every pending
/// slot of an Open model and shuts everyone else out; the only way to clear the junk is to
/// publish a version (the old pallet has no rejection without a version).
#[test]
fn hole6_one_account_fills_the_pending_list() {
	new_test_ext().execute_with(|| {
		let model = create();
		let junk: Vec<_> = (0..MAX_PENDING).map(|_| submit(STRANGER, model)).collect();
		assert_noop!(
			Cmu::submit_contribution(origin(CONTRIBUTOR), model, cid("d"), hash(1), 1),
			CmuError::TooManyPendingContributions
		);
		let verdicts: Vec<_> =
			junk.iter().map(|&c| (c, Verdict::Reject(RejectionReason::Duplicate))).collect();
		assert_ok!(publish(OWNER, model, None, &verdicts));
		assert_eq!(Models::<Test>::get(model).unwrap().version_count, 1);
	});
}

/// Hole 7 (v2: `freeze_stops_every_change_but_withdrawals`). A frozen model still takes
/// deprecations, revocations, spec, policy, slash-destination and role changes, and its NFT
/// can be sold during the freeze.
#[test]
fn hole7_freeze_leaves_changes_and_sales_open() {
	new_test_ext().execute_with(|| {
		let model = create();
		assert_ok!(publish(OWNER, model, None, &[]));
		assert_ok!(publish(OWNER, model, Some(0), &[]));
		assert_ok!(publish(OWNER, model, Some(1), &[]));
		assert_ok!(Cmu::freeze_model(origin(OWNER), model));
		assert_ok!(Cmu::deprecate_version(origin(OWNER), model, 0));
		assert_ok!(Cmu::revoke_version(origin(OWNER), model, 1));
		assert_ok!(Cmu::set_model_metadata(origin(OWNER), model, cid("n"), hash(2)));
		assert_ok!(Cmu::set_access_policy(origin(OWNER), model, AccessPolicy::default()));
		assert_ok!(Cmu::set_slash_destination(origin(OWNER), model, SlashDestination::Burn));
		assert_ok!(Cmu::grant_role(origin(OWNER), model, account(7), RoleSet(RoleSet::READER)));
		assert_ok!(Cmu::revoke_role(origin(OWNER), model, account(7), RoleSet(RoleSet::READER)));
		transfer_nft(model, OWNER, NEW_OWNER);
		assert!(Models::<Test>::get(model).unwrap().frozen);
	});
}

/// Hole 8 (v2: `policy_is_admin_only_metadata_and_slash_destination_owner_only`,
/// `freeze_and_thaw`, `set_head_rolls_back_and_forward`, `deprecate_and_revoke_versions`,
/// `an_admin_cannot_take_rejected_deposits`). The events of metadata, policy, slash
/// destination, freeze/thaw, head, deprecate and revoke do not name who acted.
#[test]
fn hole8_events_do_not_name_who_acted() {
	new_test_ext().execute_with(|| {
		let model = create();
		grant(model, ADMIN, RoleSet::ADMIN);
		// The check can see an actor: `RoleGranted` already names it (`by`).
		assert!(names(&last_cmu_event(), OWNER));
		assert_ok!(publish(OWNER, model, None, &[]));
		assert_ok!(publish(OWNER, model, Some(0), &[]));
		assert_ok!(publish(OWNER, model, Some(1), &[]));
		let actions: Vec<(&str, DispatchResult)> = vec![
			// (Not `hash(ADMIN)`: its 32 bytes would equal the Admin's account id.)
			("metadata", Cmu::set_model_metadata(origin(ADMIN), model, cid("n"), hash(0xab))),
			("policy", Cmu::set_access_policy(origin(ADMIN), model, AccessPolicy::default())),
			("slash", Cmu::set_slash_destination(origin(ADMIN), model, SlashDestination::Burn)),
			("freeze", Cmu::freeze_model(origin(ADMIN), model)),
			("thaw", Cmu::thaw_model(origin(ADMIN), model)),
			("head", Cmu::set_head(origin(ADMIN), model, 1, 0)),
			("deprecate", Cmu::deprecate_version(origin(ADMIN), model, 0)),
			("revoke", Cmu::revoke_version(origin(ADMIN), model, 2)),
		];
		// Each action above emitted exactly one event; none of them names the Admin.
		let events: Vec<Event<Test>> = System::events()
			.into_iter()
			.filter_map(|r| if let RuntimeEvent::Cmu(e) = r.event { Some(e) } else { None })
			.collect();
		let emitted = &events[events.len() - actions.len()..];
		for ((name, result), event) in actions.iter().zip(emitted) {
			assert!(result.is_ok(), "{name}: {result:?}");
			assert!(!names(event, ADMIN), "{name}: {event:?} names the Admin");
		}
	});
}
