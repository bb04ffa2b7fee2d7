//! Per-model roles: the owner holds all implicitly; others hold what was granted under the
//! current owner.

use crate::*;
use frame_support::pallet_prelude::*;

impl<T: Config> Pallet<T> {
	/// The roles `who` holds on `model`: every role for the NFT's current owner; for anyone
	/// else the explicit grant, if it was made under the current owner. Nothing once the
	/// NFT was burned.
	pub fn roles_of(model: ModelId, who: &T::AccountId) -> RoleSet {
		match Self::model_owner(model) {
			Some(owner) => Self::roles_under(model, who, &owner),
			None => RoleSet::none(),
		}
	}

	/// The roles `who` holds on `model` while `owner` owns it.
	pub(crate) fn roles_under(model: ModelId, who: &T::AccountId, owner: &T::AccountId) -> RoleSet {
		if who == owner {
			return RoleSet::all();
		}
		match Roles::<T>::get(model, who) {
			Some(grant) if &grant.owner == owner => grant.roles,
			_ => RoleSet::none(),
		}
	}

	/// Checks that `by` may change `roles` of `who` on `model`; returns the current owner.
	fn ensure_may_manage(
		by: &T::AccountId,
		model: ModelId,
		who: &T::AccountId,
		roles: RoleSet,
	) -> Result<T::AccountId, DispatchError> {
		let (_, owner) = Self::live_model(model)?;
		ensure!(!roles.is_empty(), Error::<T>::InvalidRoles);
		ensure!(&owner != who, Error::<T>::CannotTargetOwner);
		let by_owner = &owner == by;
		ensure!(
			by_owner || Self::roles_under(model, by, &owner).has(Role::Admin),
			Error::<T>::NotAdmin
		);
		// Admins manage the other roles; only the owner appoints or removes Admins, so an
		// Admin can never lock out the owner or another Admin.
		ensure!(by_owner || !roles.has(Role::Admin), Error::<T>::OnlyOwnerManagesAdmins);
		Ok(owner)
	}

	pub(crate) fn do_grant_role(
		by: &T::AccountId,
		model: ModelId,
		who: T::AccountId,
		granted: RoleSet,
	) -> DispatchResult {
		let owner = Self::ensure_may_manage(by, model, &who, granted)?;
		// A grant made under a previous owner is void: start from nothing.
		let roles = Self::roles_under(model, &who, &owner).union(granted);
		Roles::<T>::insert(model, &who, Grant { roles, owner });
		Self::deposit_event(Event::RoleGranted { model, who, granted, roles, by: by.clone() });
		Ok(())
	}

	pub(crate) fn do_revoke_role(
		by: &T::AccountId,
		model: ModelId,
		who: T::AccountId,
		revoked: RoleSet,
	) -> DispatchResult {
		let owner = Self::ensure_may_manage(by, model, &who, revoked)?;
		let roles = Self::roles_under(model, &who, &owner).difference(revoked);
		if roles.is_empty() {
			Roles::<T>::remove(model, &who);
		} else {
			Roles::<T>::insert(model, &who, Grant { roles, owner });
		}
		Self::deposit_event(Event::RoleRevoked { model, who, revoked, roles, by: by.clone() });
		Ok(())
	}
}
