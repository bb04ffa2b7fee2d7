//! Submitting, withdrawing and settling contributions, and their deposits.

use crate::*;
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::MutateHold,
		tokens::{Fortitude, Precision, Restriction},
	},
};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_submit_contribution(
		who: T::AccountId,
		model: ModelId,
		data_cid: CidOf<T>,
		data_hash: Hash32,
		rows: u32,
	) -> DispatchResult {
		let mut info = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
		ensure!(!info.frozen, Error::<T>::ModelFrozen);
		if info.policy.contributions == ContributionMode::RoleRequired {
			ensure!(
				Self::roles_of(model, &who).contains(RoleSet::CONTRIBUTOR),
				Error::<T>::NotContributor
			);
		}
		ensure!(!data_cid.is_empty(), Error::<T>::EmptyCid);
		ensure!(rows > 0, Error::<T>::ZeroRows);
		ensure!(
			info.pending_contributions < T::MaxPendingContributions::get(),
			Error::<T>::TooManyPendingContributions
		);

		let contribution = info.contribution_count;
		info.contribution_count = contribution.checked_add(1).ok_or(Error::<T>::Overflow)?;
		info.pending_contributions += 1;

		let deposit = T::ContributionDeposit::get();
		T::Currency::hold(&HoldReason::ContributionDeposit.into(), &who, deposit)?;

		Contributions::<T>::insert(
			model,
			contribution,
			ContributionRecord {
				contributor: who.clone(),
				data_cid: data_cid.clone(),
				data_hash,
				rows,
				deposit,
				status: ContributionStatus::Pending,
				settled_in: None,
				submitted_at: frame_system::Pallet::<T>::block_number(),
			},
		);
		PendingContributions::<T>::insert(model, contribution, ());
		Models::<T>::insert(model, info);
		Self::deposit_event(Event::ContributionSubmitted {
			model,
			contribution,
			contributor: who,
			data_cid,
			rows,
			deposit,
		});
		Ok(())
	}

	pub(crate) fn do_withdraw_contribution(
		who: &T::AccountId,
		model: ModelId,
		contribution: ContributionId,
	) -> DispatchResult {
		let mut info = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
		let mut record =
			Contributions::<T>::get(model, contribution).ok_or(Error::<T>::UnknownContribution)?;
		ensure!(&record.contributor == who, Error::<T>::NotContributionOwner);
		ensure!(record.status == ContributionStatus::Pending, Error::<T>::ContributionNotPending);

		let released = Self::release_contribution_deposit(&record)?;
		record.status = ContributionStatus::Withdrawn;
		Contributions::<T>::insert(model, contribution, record);
		PendingContributions::<T>::remove(model, contribution);
		info.pending_contributions = info.pending_contributions.saturating_sub(1);
		Models::<T>::insert(model, info);
		Self::deposit_event(Event::ContributionWithdrawn { model, contribution, released });
		Ok(())
	}

	/// Settles one pending contribution as part of publishing `version`. Returns whether it
	/// was accepted.
	pub(crate) fn settle_contribution(
		model: ModelId,
		info: &mut ModelInfo<T>,
		contribution: ContributionId,
		verdict: Verdict,
		version: VersionId,
	) -> Result<bool, DispatchError> {
		let mut record =
			Contributions::<T>::get(model, contribution).ok_or(Error::<T>::UnknownContribution)?;
		if record.status != ContributionStatus::Pending {
			let error = if record.settled_in == Some(version) {
				Error::<T>::DuplicateSettlement
			} else {
				Error::<T>::ContributionNotPending
			};
			return Err(error.into());
		}

		let accepted = match verdict {
			Verdict::Accept => {
				let released = Self::release_contribution_deposit(&record)?;
				record.status = ContributionStatus::Accepted;
				Self::deposit_event(Event::ContributionAccepted {
					model,
					contribution,
					version,
					released,
				});
				true
			}
			Verdict::Reject(reason) => {
				let slashed = Self::slash_contribution_deposit(model, info, &record)?;
				record.status = ContributionStatus::Rejected(reason);
				Self::deposit_event(Event::ContributionRejected {
					model,
					contribution,
					version,
					reason,
					slashed,
				});
				false
			}
		};
		record.settled_in = Some(version);
		Contributions::<T>::insert(model, contribution, record);
		PendingContributions::<T>::remove(model, contribution);
		info.pending_contributions = info.pending_contributions.saturating_sub(1);
		Ok(accepted)
	}

	fn release_contribution_deposit(
		record: &ContributionRecord<T>,
	) -> Result<BalanceOf<T>, DispatchError> {
		T::Currency::release(
			&HoldReason::ContributionDeposit.into(),
			&record.contributor,
			record.deposit,
			Precision::BestEffort,
		)
	}

	/// Moves a rejected contribution's deposit to the model's slash destination.
	fn slash_contribution_deposit(
		model: ModelId,
		info: &ModelInfo<T>,
		record: &ContributionRecord<T>,
	) -> Result<BalanceOf<T>, DispatchError> {
		let reason = HoldReason::ContributionDeposit.into();
		let beneficiary = match &info.slash_destination {
			SlashDestination::Burn => {
				return T::Currency::burn_held(
					&reason,
					&record.contributor,
					record.deposit,
					Precision::BestEffort,
					Fortitude::Force,
				);
			}
			SlashDestination::ModelOwner => Self::model_owner(model),
			SlashDestination::Account(account) => Some(account.clone()),
		};
		match beneficiary {
			// Slashing to oneself (an owner rejecting their own data) is a release.
			Some(to) if to == record.contributor => Self::release_contribution_deposit(record),
			Some(to) => T::Currency::transfer_on_hold(
				&reason,
				&record.contributor,
				&to,
				record.deposit,
				Precision::BestEffort,
				Restriction::Free,
				Fortitude::Force,
			),
			None => T::Currency::burn_held(
				&reason,
				&record.contributor,
				record.deposit,
				Precision::BestEffort,
				Fortitude::Force,
			),
		}
	}
}
