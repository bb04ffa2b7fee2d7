//! The version linked list: publishing, moving the head, deprecating, revoking and
//! attesting.

use crate::{runtime_api::MAX_LINEAGE_PAGE, *};
use frame_support::{pallet_prelude::*, traits::fungible::MutateHold};

impl<T: Config> Pallet<T> {
	/// Writes the head version and its artifact CID as attributes of the model's NFT.
	fn set_head_attributes(
		model: ModelId,
		version: VersionId,
		artifact_cid: &[u8],
	) -> DispatchResult {
		Self::set_nft_attribute(
			model,
			attribute_keys::HEAD_VERSION,
			alloc::format!("{version}").as_bytes(),
		)?;
		Self::set_nft_attribute(model, attribute_keys::HEAD_ARTIFACT_CID, artifact_cid)
	}

	pub(crate) fn do_publish_version(
		trainer: T::AccountId,
		model: ModelId,
		new: NewVersion<T>,
	) -> DispatchResult {
		let (mut info, owner) = Self::live_model(model)?;
		ensure!(
			Self::roles_under(model, &trainer, &owner).has(Role::Trainer),
			Error::<T>::NotTrainer
		);
		ensure!(info.head == new.expected_parent, Error::<T>::StaleParent);
		ensure!(!new.artifact_cid.is_empty(), Error::<T>::EmptyCid);
		ensure!(!new.card_cid.is_empty(), Error::<T>::EmptyCid);
		Self::check_envelope(info.policy.visibility, new.envelope_cid.as_ref())?;

		let version = info.version_count;
		info.version_count = version.checked_add(1).ok_or(Error::<T>::Overflow)?;

		let settlement = Self::settle(
			model,
			&mut info,
			&owner,
			&trainer,
			Some(version),
			new.settlements.into_iter(),
		)?;
		let used: UsedContributionsOf<T> = settlement
			.accepted
			.iter()
			.map(|(id, _)| *id)
			.collect::<alloc::vec::Vec<_>>()
			.try_into()
			// Cannot fail: `accepted` is at most as long as `settlements`, with the same bound.
			.map_err(|_| Error::<T>::Overflow)?;

		let deposit = T::VersionDeposit::get();
		T::Currency::hold(&HoldReason::VersionDeposit.into(), &trainer, deposit)?;
		Self::set_head_attributes(model, version, &new.artifact_cid)?;

		let accepted = used.len() as u32;
		Versions::<T>::insert(
			model,
			version,
			VersionRecord {
				parent: new.expected_parent,
				artifact_cid: new.artifact_cid.clone(),
				artifact_hash: new.artifact_hash,
				recipe_hash: new.recipe_hash,
				card_cid: new.card_cid.clone(),
				metrics: new.metrics,
				trainer: trainer.clone(),
				created_at: frame_system::Pallet::<T>::block_number(),
				contributions: used,
				status: VersionStatus::Active,
				deposit,
				matches: 0,
				mismatches: 0,
			},
		);
		info.head = Some(version);
		Models::<T>::insert(model, info);
		if let Some(envelope_cid) = new.envelope_cid {
			Self::record_envelope(model, version, envelope_cid, trainer.clone());
		}
		Self::deposit_event(Event::VersionPublished {
			model,
			version,
			parent: new.expected_parent,
			trainer,
			artifact_cid: new.artifact_cid,
			artifact_hash: new.artifact_hash,
			accepted,
			rejected: settlement.rejected,
			card_cid: new.card_cid,
		});
		Ok(())
	}

	pub(crate) fn do_set_head(
		who: &T::AccountId,
		model: ModelId,
		version: VersionId,
		reason: u8,
	) -> DispatchResult {
		let (mut info, _) = Self::admin_model(who, model)?;
		let record = Versions::<T>::get(model, version).ok_or(Error::<T>::UnknownVersion)?;
		ensure!(record.status != VersionStatus::Revoked, Error::<T>::VersionRevoked);
		ensure!(info.head != Some(version), Error::<T>::AlreadyHead);
		Self::set_head_attributes(model, version, &record.artifact_cid)?;
		let from = info.head.replace(version);
		Models::<T>::insert(model, info);
		Self::deposit_event(Event::HeadSet { model, from, to: version, reason, by: who.clone() });
		Ok(())
	}

	pub(crate) fn do_deprecate_version(
		who: &T::AccountId,
		model: ModelId,
		version: VersionId,
	) -> DispatchResult {
		Self::admin_model(who, model)?;
		Versions::<T>::try_mutate(model, version, |maybe| -> DispatchResult {
			let record = maybe.as_mut().ok_or(Error::<T>::UnknownVersion)?;
			ensure!(record.status == VersionStatus::Active, Error::<T>::VersionNotActive);
			record.status = VersionStatus::Deprecated;
			Ok(())
		})?;
		Self::deposit_event(Event::VersionDeprecated { model, version, by: who.clone() });
		Ok(())
	}

	pub(crate) fn do_revoke_version(
		who: &T::AccountId,
		model: ModelId,
		version: VersionId,
	) -> DispatchResult {
		let info = Self::owner_model(who, model)?;
		Versions::<T>::try_mutate(model, version, |maybe| -> DispatchResult {
			let record = maybe.as_mut().ok_or(Error::<T>::UnknownVersion)?;
			ensure!(record.status != VersionStatus::Revoked, Error::<T>::VersionRevoked);
			ensure!(info.head != Some(version), Error::<T>::CannotRevokeHead);
			record.status = VersionStatus::Revoked;
			Ok(())
		})?;
		Self::deposit_event(Event::VersionRevoked { model, version, by: who.clone() });
		Ok(())
	}

	pub(crate) fn do_attest_version(
		who: T::AccountId,
		model: ModelId,
		version: VersionId,
		outcome: AttestationOutcome,
		report_cid: CidOf<T>,
	) -> DispatchResult {
		let info = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
		ensure!(!info.frozen, Error::<T>::ModelFrozen);
		let mut record = Versions::<T>::get(model, version).ok_or(Error::<T>::UnknownVersion)?;
		ensure!(!report_cid.is_empty(), Error::<T>::EmptyCid);
		ensure!(record.trainer != who, Error::<T>::CannotAttestOwnVersion);
		ensure!(
			!Attestations::<T>::contains_key((model, version, &who)),
			Error::<T>::AlreadyAttested
		);
		match outcome {
			AttestationOutcome::Match => {
				record.matches = record.matches.checked_add(1).ok_or(Error::<T>::Overflow)?
			}
			AttestationOutcome::Mismatch => {
				record.mismatches = record.mismatches.checked_add(1).ok_or(Error::<T>::Overflow)?
			}
		}
		let deposit = T::AttestationDeposit::get();
		T::Currency::hold(&HoldReason::AttestationDeposit.into(), &who, deposit)?;
		Attestations::<T>::insert(
			(model, version, &who),
			AttestationRecord {
				outcome,
				report_cid: report_cid.clone(),
				deposit,
				at: frame_system::Pallet::<T>::block_number(),
			},
		);
		let (matches, mismatches) = (record.matches, record.mismatches);
		Versions::<T>::insert(model, version, record);
		Self::deposit_event(Event::VersionAttested {
			model,
			version,
			attester: who,
			outcome,
			report_cid,
			deposit,
			matches,
			mismatches,
		});
		Ok(())
	}

	/// The lineage of `model` from `from` (default: the head) towards the first version,
	/// at most `limit` entries (capped at 1,000), newest first.
	pub fn lineage(
		model: ModelId,
		from: Option<VersionId>,
		limit: u32,
	) -> alloc::vec::Vec<(VersionId, VersionRecord<T>)> {
		let mut out = alloc::vec::Vec::new();
		let mut cursor = from.or_else(|| Models::<T>::get(model).and_then(|info| info.head));
		while let Some(version) = cursor {
			if out.len() as u32 >= limit.min(MAX_LINEAGE_PAGE) {
				break;
			}
			let Some(record) = Versions::<T>::get(model, version) else { break };
			cursor = record.parent;
			out.push((version, record));
		}
		out
	}

	/// Every pending contribution of `model` (at most `MaxPendingContributions`).
	pub fn pending_contributions(
		model: ModelId,
	) -> alloc::vec::Vec<(ContributionId, ContributionRecord<T>)> {
		PendingContributions::<T>::iter_key_prefix(model)
			.filter_map(|id| Contributions::<T>::get(model, id).map(|record| (id, record)))
			.collect()
	}

	/// `who`'s track record as a contributor across every model.
	pub fn contributor_totals(who: &T::AccountId) -> ContributorTotals<BalanceOf<T>> {
		ContributorStats::<T>::get(who)
	}

	/// Whether `who` attested `version` of `model`, and what.
	pub fn attestation_of(
		model: ModelId,
		version: VersionId,
		who: &T::AccountId,
	) -> Option<AttestationOutcome> {
		Attestations::<T>::get((model, version, who)).map(|a| a.outcome)
	}
}
