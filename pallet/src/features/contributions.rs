//! Submitting, withdrawing and settling contributions, their deposits and the sharing of
//! slashed deposits among accepted contributors.

use crate::*;
use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, MutateHold},
		tokens::{Fortitude, Precision, Restriction},
	},
};
use sp_runtime::{
	helpers_128bit::multiply_by_rational_with_rounding,
	traits::{Saturating, Zero},
	Rounding, SaturatedConversion,
};

/// What settling a list of verdicts did, for the caller to finish the version.
pub(crate) struct Settlement<T: Config> {
	/// Accepted contributions, not yet written: their rewards are known only at the end.
	pub accepted: Vec<(ContributionId, ContributionRecord<T>)>,
	/// How many were rejected.
	pub rejected: u32,
}

impl<T: Config> Pallet<T> {
	pub(crate) fn do_submit_contribution(
		who: T::AccountId,
		model: ModelId,
		data_cid: CidOf<T>,
		data_hash: Hash32,
		rows: u32,
	) -> DispatchResult {
		let (mut info, owner) = Self::live_model(model)?;
		if info.policy.contributions == ContributionMode::RoleRequired {
			ensure!(
				Self::roles_under(model, &who, &owner).has(Role::Contributor),
				Error::<T>::NotContributor
			);
		}
		ensure!(!data_cid.is_empty(), Error::<T>::EmptyCid);
		ensure!(rows > 0, Error::<T>::ZeroRows);
		ensure!(
			info.pending_contributions < T::MaxPendingContributions::get(),
			Error::<T>::TooManyPendingContributions
		);
		let mine = PendingPerAccount::<T>::get(model, &who);
		ensure!(mine < T::MaxPendingPerAccount::get(), Error::<T>::TooManyPendingFromAccount);

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
				reward_weight: 0,
				reward: Zero::zero(),
			},
		);
		PendingContributions::<T>::insert(model, contribution, ());
		PendingPerAccount::<T>::insert(model, &who, mine + 1);
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
		// No liveness check: a frozen, retired or burned model never traps a deposit.
		let mut info = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
		let mut record =
			Contributions::<T>::get(model, contribution).ok_or(Error::<T>::UnknownContribution)?;
		ensure!(&record.contributor == who, Error::<T>::NotContributionOwner);
		ensure!(record.status == ContributionStatus::Pending, Error::<T>::ContributionNotPending);

		let released = Self::release_contribution_deposit(&record)?;
		record.status = ContributionStatus::Withdrawn;
		Self::unindex_pending(model, &mut info, contribution, &record.contributor);
		Contributions::<T>::insert(model, contribution, record);
		Self::deposit_event(Event::ContributionWithdrawn { model, contribution, released });
		// The last withdrawal from a retired model releases the model deposit.
		if info.retired && info.pending_contributions == 0 {
			Self::release_model_deposit(model, &mut info)?;
		}
		Models::<T>::insert(model, info);
		Ok(())
	}

	pub(crate) fn do_reject_contributions(
		trainer: T::AccountId,
		model: ModelId,
		rejections: RejectionsOf<T>,
	) -> DispatchResult {
		let (mut info, owner) = Self::live_model(model)?;
		ensure!(
			Self::roles_under(model, &trainer, &owner).has(Role::Trainer),
			Error::<T>::NotTrainer
		);
		let verdicts = rejections.into_iter().map(|(id, reason)| (id, Verdict::Reject(reason)));
		let settlement = Self::settle(model, &mut info, &owner, &trainer, None, verdicts)?;
		debug_assert!(settlement.accepted.is_empty());
		Models::<T>::insert(model, info);
		Ok(())
	}

	/// Removes a contribution that is no longer pending from the pending indexes.
	fn unindex_pending(
		model: ModelId,
		info: &mut ModelInfo<T>,
		contribution: ContributionId,
		contributor: &T::AccountId,
	) {
		PendingContributions::<T>::remove(model, contribution);
		info.pending_contributions = info.pending_contributions.saturating_sub(1);
		let left = PendingPerAccount::<T>::get(model, contributor).saturating_sub(1);
		if left == 0 {
			PendingPerAccount::<T>::remove(model, contributor);
		} else {
			PendingPerAccount::<T>::insert(model, contributor, left);
		}
	}

	/// Settles `verdicts` by `trainer` in `version` (`None`: rejections without a version).
	///
	/// Fails on an unknown contribution or one named twice; skips, with
	/// `SettlementSkipped`, a contribution that is no longer pending (a contributor who
	/// withdraws cannot fail the version). Rejected deposits go to the slash destination at
	/// once, except under `AcceptedContributors`, where they are shared at the end. Accepted
	/// records are returned unwritten, for the caller to finish.
	pub(crate) fn settle(
		model: ModelId,
		info: &mut ModelInfo<T>,
		owner: &T::AccountId,
		trainer: &T::AccountId,
		version: Option<VersionId>,
		verdicts: impl Iterator<Item = (ContributionId, Verdict)> + Clone,
	) -> Result<Settlement<T>, DispatchError> {
		let mut ids: Vec<ContributionId> = verdicts.clone().map(|(id, _)| id).collect();
		ids.sort_unstable();
		ensure!(ids.windows(2).all(|w| w[0] != w[1]), Error::<T>::DuplicateSettlement);

		let share = info.slash_destination == SlashDestination::AcceptedContributors;
		let mut slashed_to_share: Vec<(T::AccountId, BalanceOf<T>)> = Vec::new();
		let mut settlement = Settlement { accepted: Vec::new(), rejected: 0 };
		for (contribution, verdict) in verdicts {
			let mut record = Contributions::<T>::get(model, contribution)
				.ok_or(Error::<T>::UnknownContribution)?;
			if record.status != ContributionStatus::Pending {
				Self::deposit_event(Event::SettlementSkipped {
					model,
					contribution,
					version,
					status: record.status,
				});
				continue;
			}
			Self::unindex_pending(model, info, contribution, &record.contributor);
			record.settled_in = version;
			match (verdict, version) {
				(Verdict::Accept(weight), Some(version)) => {
					let released = Self::release_contribution_deposit(&record)?;
					record.status = ContributionStatus::Accepted;
					record.reward_weight = weight;
					ContributorStats::<T>::mutate(&record.contributor, |s| {
						s.accepted.saturating_inc();
						s.returned.saturating_accrue(released);
					});
					Self::deposit_event(Event::ContributionAccepted {
						model,
						contribution,
						version,
						released,
					});
					settlement.accepted.push((contribution, record));
				}
				// Never produced: `reject_contributions` only passes rejections.
				(Verdict::Accept(_), None) => return Err(Error::<T>::NotTrainer.into()),
				(Verdict::Reject(reason), _) => {
					let slashed = if share {
						slashed_to_share.push((record.contributor.clone(), record.deposit));
						record.deposit
					} else {
						Self::slash_contribution_deposit(info, owner, &record)?
					};
					record.status = ContributionStatus::Rejected(reason);
					ContributorStats::<T>::mutate(&record.contributor, |s| {
						s.rejected.saturating_inc();
						s.slashed.saturating_accrue(record.deposit);
					});
					Contributions::<T>::insert(model, contribution, &record);
					settlement.rejected += 1;
					Self::deposit_event(Event::ContributionRejected {
						model,
						contribution,
						version,
						reason,
						slashed,
						by: trainer.clone(),
					});
				}
			}
		}
		if !slashed_to_share.is_empty() {
			Self::share_slashes(
				model,
				owner,
				version,
				&slashed_to_share,
				&mut settlement.accepted,
			)?;
		}
		for (contribution, record) in &settlement.accepted {
			Contributions::<T>::insert(model, contribution, record);
		}
		Ok(settlement)
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

	/// Moves a rejected contribution's deposit to the model's slash destination (every
	/// destination but `AcceptedContributors`).
	fn slash_contribution_deposit(
		info: &ModelInfo<T>,
		owner: &T::AccountId,
		record: &ContributionRecord<T>,
	) -> Result<BalanceOf<T>, DispatchError> {
		let to = match &info.slash_destination {
			SlashDestination::Burn => {
				return T::Currency::burn_held(
					&HoldReason::ContributionDeposit.into(),
					&record.contributor,
					record.deposit,
					Precision::BestEffort,
					Fortitude::Force,
				);
			}
			SlashDestination::Account(account) => account,
			SlashDestination::ModelOwner | SlashDestination::AcceptedContributors => owner,
		};
		Self::move_held_deposit(&record.contributor, to, record.deposit)
	}

	/// Moves `amount` of `from`'s held contribution deposit into `to`'s free balance.
	fn move_held_deposit(
		from: &T::AccountId,
		to: &T::AccountId,
		amount: BalanceOf<T>,
	) -> Result<BalanceOf<T>, DispatchError> {
		let reason = HoldReason::ContributionDeposit.into();
		if from == to {
			// Slashing to oneself (an owner rejecting their own data) is a release.
			return T::Currency::release(&reason, from, amount, Precision::BestEffort);
		}
		T::Currency::transfer_on_hold(
			&reason,
			from,
			to,
			amount,
			Precision::BestEffort,
			Restriction::Free,
			Fortitude::Force,
		)
	}

	/// Shares the deposits `slashed` (still held from their contributors) among `accepted`,
	/// pro rata to their reward weights, rounding down; the remainder goes to `owner`. Without
	/// a version (or with no positive weight) everything goes to the owner.
	///
	/// The payers' deposits and the payees' shares are walked together, so each transfer
	/// empties a deposit or fills a share: at most `payers + payees` transfers. The owner is
	/// paid first, so its first transfer is a whole deposit (at least the existential
	/// deposit when `ContributionDeposit` is); a remainder too small to open an account for
	/// an owner without one is burned.
	fn share_slashes(
		model: ModelId,
		owner: &T::AccountId,
		version: Option<VersionId>,
		slashed: &[(T::AccountId, BalanceOf<T>)],
		accepted: &mut [(ContributionId, ContributionRecord<T>)],
	) -> DispatchResult {
		let total =
			slashed.iter().fold(BalanceOf::<T>::zero(), |sum, (_, d)| sum.saturating_add(*d));
		let total_weight: u128 = if version.is_some() {
			accepted.iter().map(|(_, r)| r.reward_weight as u128).sum()
		} else {
			0
		};
		let mut shares: Vec<(usize, BalanceOf<T>)> = Vec::new();
		let mut to_contributors = BalanceOf::<T>::zero();
		if total_weight > 0 {
			for (index, (_, record)) in accepted.iter().enumerate() {
				let share = multiply_by_rational_with_rounding(
					total.saturated_into::<u128>(),
					record.reward_weight as u128,
					total_weight,
					Rounding::Down,
				)
				.map(|share| share.saturated_into::<BalanceOf<T>>())
				.unwrap_or_else(Zero::zero);
				if !share.is_zero() {
					shares.push((index, share));
					to_contributors.saturating_accrue(share);
				}
			}
		}
		let to_owner = total.saturating_sub(to_contributors);

		let mut payers = slashed.iter().cloned();
		let mut current = payers.next();
		let reason = HoldReason::ContributionDeposit.into();
		let mut pay = |to: Option<&T::AccountId>, mut owed: BalanceOf<T>| -> DispatchResult {
			while !owed.is_zero() {
				let Some((from, left)) = current.as_mut() else { break };
				let amount = (*left).min(owed);
				match to {
					Some(to) => {
						Self::move_held_deposit(from, to, amount)?;
					}
					None => {
						T::Currency::burn_held(
							&reason,
							from,
							amount,
							Precision::BestEffort,
							Fortitude::Force,
						)?;
					}
				}
				*left = left.saturating_sub(amount);
				owed = owed.saturating_sub(amount);
				if left.is_zero() {
					current = payers.next();
				}
			}
			Ok(())
		};
		if !to_owner.is_zero() {
			let owner_can_receive = !T::Currency::total_balance(owner).is_zero()
				|| to_owner >= T::Currency::minimum_balance();
			pay(owner_can_receive.then_some(owner), to_owner)?;
		}
		for (index, share) in &shares {
			let (contribution, record) = &mut accepted[*index];
			pay(Some(&record.contributor), *share)?;
			record.reward = *share;
			ContributorStats::<T>::mutate(&record.contributor, |s| {
				s.rewards.saturating_accrue(*share)
			});
			if let Some(version) = version {
				Self::deposit_event(Event::ContributionRewarded {
					model,
					contribution: *contribution,
					version,
					contributor: record.contributor.clone(),
					amount: *share,
				});
			}
		}
		Self::deposit_event(Event::SlashesShared {
			model,
			version,
			total,
			to_contributors,
			to_owner,
		});
		Ok(())
	}
}
