//! Per-model roles: the owner holds all implicitly; others hold what was granted.

use crate::*;
use frame_support::pallet_prelude::*;

impl<T: Config> Pallet<T> {
	/// The roles `who` holds on `model`: every role for the NFT's current owner, the
	/// explicit grants for anyone else.
	pub fn roles_of(model: ModelId, who: &T::AccountId) -> RoleSet {
		if Self::model_owner(model).as_ref() == Some(who) {
			RoleSet::all()
		} else {
			Roles::<T>::get(model, who)
		}
	}

	/// Checks that `by` may change `roles` of `who` on `model`.
	fn ensure_may_manage(
		by: &T::AccountId,
		model: ModelId,
		who: &T::AccountId,
		roles: RoleSet,
	) -> DispatchResult {
		ensure!(Models::<T>::contains_key(model), Error::<T>::UnknownModel);
		ensure!(!roles.is_empty() && roles.is_valid(), Error::<T>::InvalidRoles);
		let owner = Self::model_owner(model);
		ensure!(owner.as_ref() != Some(who), Error::<T>::CannotTargetOwner);
		let by_owner = owner.as_ref() == Some(by);
		ensure!(
			by_owner || Roles::<T>::get(model, by).contains(RoleSet::ADMIN),
			Error::<T>::NotAdmin
		);
		// Admins manage the other roles; only the owner appoints or removes Admins, so an
		// Admin can never lock out the owner or another Admin.
		ensure!(by_owner || !roles.contains(RoleSet::ADMIN), Error::<T>::OnlyOwnerManagesAdmins);
		Ok(())
	}

	pub(crate) fn do_grant_role(
		by: &T::AccountId,
		model: ModelId,
		who: T::AccountId,
		granted: RoleSet,
	) -> DispatchResult {
		Self::ensure_may_manage(by, model, &who, granted)?;
		let roles = Roles::<T>::mutate(model, &who, |set| {
			*set = set.union(granted);
			*set
		});
		Self::deposit_event(Event::RoleGranted { model, who, granted, roles, by: by.clone() });
		Ok(())
	}

	pub(crate) fn do_revoke_role(
		by: &T::AccountId,
		model: ModelId,
		who: T::AccountId,
		revoked: RoleSet,
	) -> DispatchResult {
		Self::ensure_may_manage(by, model, &who, revoked)?;
		let roles = Roles::<T>::get(model, &who).difference(revoked);
		if roles.is_empty() {
			Roles::<T>::remove(model, &who);
		} else {
			Roles::<T>::insert(model, &who, roles);
		}
		Self::deposit_event(Event::RoleRevoked { model, who, revoked, roles, by: by.clone() });
		Ok(())
	}
}
