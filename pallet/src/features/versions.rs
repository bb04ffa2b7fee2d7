//! The version linked list: publishing, moving the head, deprecating and revoking.

use crate::{runtime_api::MAX_LINEAGE_PAGE, *};
use frame_support::{pallet_prelude::*, traits::fungible::MutateHold};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_publish_version(
		trainer: T::AccountId,
		model: ModelId,
		new: NewVersion<T>,
	) -> DispatchResult {
		let mut info = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
		ensure!(Self::roles_of(model, &trainer).contains(RoleSet::TRAINER), Error::<T>::NotTrainer);
		ensure!(!info.frozen, Error::<T>::ModelFrozen);
		ensure!(info.head == new.expected_parent, Error::<T>::StaleParent);
		ensure!(!new.artifact_cid.is_empty(), Error::<T>::EmptyCid);

		let version = info.version_count;
		info.version_count = version.checked_add(1).ok_or(Error::<T>::Overflow)?;

		let mut used = UsedContributionsOf::<T>::new();
		let mut rejected = 0u32;
		for (contribution, verdict) in new.settlements {
			if Self::settle_contribution(model, &mut info, contribution, verdict, version)? {
				// Cannot fail: `used` has the same bound as `settlements`.
				used.try_push(contribution).map_err(|_| Error::<T>::Overflow)?;
			} else {
				rejected += 1;
			}
		}

		let deposit = T::VersionDeposit::get();
		T::Currency::hold(&HoldReason::VersionDeposit.into(), &trainer, deposit)?;

		let accepted = used.len() as u32;
		Versions::<T>::insert(
			model,
			version,
			VersionRecord {
				parent: new.expected_parent,
				artifact_cid: new.artifact_cid.clone(),
				artifact_hash: new.artifact_hash,
				recipe_hash: new.recipe_hash,
				metrics: new.metrics,
				trainer: trainer.clone(),
				created_at: frame_system::Pallet::<T>::block_number(),
				contributions: used,
				status: VersionStatus::Active,
				deposit,
			},
		);
		info.head = Some(version);
		Models::<T>::insert(model, info);
		Self::deposit_event(Event::VersionPublished {
			model,
			version,
			parent: new.expected_parent,
			trainer,
			artifact_cid: new.artifact_cid,
			artifact_hash: new.artifact_hash,
			accepted,
			rejected,
		});
		Ok(())
	}

	pub(crate) fn do_set_head(
		who: &T::AccountId,
		model: ModelId,
		version: VersionId,
		reason: u8,
	) -> DispatchResult {
		let mut info = Self::admin_model(who, model)?;
		ensure!(!info.frozen, Error::<T>::ModelFrozen);
		let record = Versions::<T>::get(model, version).ok_or(Error::<T>::UnknownVersion)?;
		ensure!(record.status != VersionStatus::Revoked, Error::<T>::VersionRevoked);
		ensure!(info.head != Some(version), Error::<T>::AlreadyHead);
		let from = info.head.replace(version);
		Models::<T>::insert(model, info);
		Self::deposit_event(Event::HeadSet { model, from, to: version, reason });
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
		Self::deposit_event(Event::VersionDeprecated { model, version });
		Ok(())
	}

	pub(crate) fn do_revoke_version(
		who: &T::AccountId,
		model: ModelId,
		version: VersionId,
	) -> DispatchResult {
		let info = Self::admin_model(who, model)?;
		Versions::<T>::try_mutate(model, version, |maybe| -> DispatchResult {
			let record = maybe.as_mut().ok_or(Error::<T>::UnknownVersion)?;
			ensure!(record.status != VersionStatus::Revoked, Error::<T>::VersionRevoked);
			ensure!(info.head != Some(version), Error::<T>::CannotRevokeHead);
			record.status = VersionStatus::Revoked;
			Ok(())
		})?;
		Self::deposit_event(Event::VersionRevoked { model, version });
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
}
