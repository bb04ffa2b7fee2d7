//! The pallet's invariants, checked by `try_state` (try-runtime) and by the tests after every
//! step of their random call sequences.

use crate::*;
use alloc::collections::btree_map::BTreeMap;
use frame_support::{
	ensure,
	traits::{fungible::InspectHold, Get},
};
use sp_runtime::{traits::Zero, TryRuntimeError};

impl<T: Config> Pallet<T> {
	/// Checks every invariant of pallet-cmu's storage.
	pub fn do_try_state() -> Result<(), TryRuntimeError> {
		let mut held: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		for (model, info) in Models::<T>::iter() {
			ensure!(model < NextModelId::<T>::get(), "a model id at or past NextModelId");
			match info.head {
				Some(head) => {
					let record =
						Versions::<T>::get(model, head).ok_or("the head does not exist")?;
					ensure!(record.status != VersionStatus::Revoked, "the head is revoked");
				}
				None => ensure!(info.version_count == 0, "versions but no head"),
			}
			ensure!(!(info.frozen && info.retired), "a model both frozen and retired");
			ensure!(
				info.deposit.is_zero() || !info.retired || info.pending_contributions > 0,
				"a retired model with nothing pending still holds its deposit"
			);
			ensure!(
				info.retired || !info.deposit.is_zero() || T::ModelDeposit::get().is_zero(),
				"a model's deposit was released before it was retired"
			);
			for (version, _) in VersionEnvelopes::<T>::iter_prefix(model) {
				ensure!(
					Versions::<T>::contains_key(model, version),
					"a key envelope for a version that does not exist"
				);
			}
			for (version, record) in Versions::<T>::iter_prefix(model) {
				ensure!(version < info.version_count, "a version id past version_count");
				if let Some(parent) = record.parent {
					ensure!(parent < version, "a parent newer than its child");
					let parent = Versions::<T>::get(model, parent).ok_or("a missing parent")?;
					ensure!(parent.created_at <= record.created_at, "a parent created later");
				}
				let (mut matches, mut mismatches) = (0u32, 0u32);
				for (_, attestation) in Attestations::<T>::iter_prefix((model, version)) {
					match attestation.outcome {
						AttestationOutcome::Match => matches += 1,
						AttestationOutcome::Mismatch => mismatches += 1,
					}
				}
				ensure!(
					record.matches == matches && record.mismatches == mismatches,
					"attestation counts differ from the attestations"
				);
			}
			let mut pending = 0u32;
			let mut per_account: BTreeMap<T::AccountId, u32> = BTreeMap::new();
			for (id, c) in Contributions::<T>::iter_prefix(model) {
				ensure!(id < info.contribution_count, "a contribution id past contribution_count");
				let indexed = PendingContributions::<T>::contains_key(model, id);
				match (c.status, c.settled_in) {
					(ContributionStatus::Pending, None) => {
						ensure!(indexed, "a pending contribution missing from the index");
						pending += 1;
						*per_account.entry(c.contributor.clone()).or_default() += 1;
						let sum = held.entry(c.contributor.clone()).or_default();
						*sum += c.deposit;
					}
					(ContributionStatus::Accepted, Some(v)) => {
						let version =
							Versions::<T>::get(model, v).ok_or("settled by no version")?;
						ensure!(
							version.contributions.iter().filter(|x| **x == id).count() == 1,
							"an accepted contribution not listed once by its version"
						);
					}
					(ContributionStatus::Rejected(_), Some(v)) => {
						let version =
							Versions::<T>::get(model, v).ok_or("settled by no version")?;
						ensure!(
							!version.contributions.contains(&id),
							"a rejected contribution listed as used"
						);
					}
					(ContributionStatus::Rejected(_), None)
					| (ContributionStatus::Withdrawn, None) => {}
					_ => return Err("a contribution whose status and settlement disagree".into()),
				}
				if c.status != ContributionStatus::Pending {
					ensure!(!indexed, "a settled contribution still in the pending index");
				}
			}
			ensure!(pending == info.pending_contributions, "pending count differs from records");
			ensure!(
				PendingContributions::<T>::iter_key_prefix(model).count() as u32 == pending,
				"the pending index has extra entries"
			);
			ensure!(
				PendingPerAccount::<T>::iter_prefix(model).count() == per_account.len(),
				"per-account pending counts have extra entries"
			);
			for (who, count) in per_account {
				ensure!(
					PendingPerAccount::<T>::get(model, &who) == count,
					"a per-account pending count differs from the records"
				);
				ensure!(count <= T::MaxPendingPerAccount::get(), "an account over its pending cap");
			}
		}
		// Held contribution deposits equal the pending contributions' deposits, per account.
		for (who, expected) in held {
			let on_hold =
				T::Currency::balance_on_hold(&HoldReason::ContributionDeposit.into(), &who);
			ensure!(on_hold == expected, "held contribution deposits differ from pending ones");
		}
		Ok(())
	}
}
