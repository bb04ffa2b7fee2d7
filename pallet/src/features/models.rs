//! Creating models and changing their settings.

use crate::*;
use frame_support::{
	pallet_prelude::*,
	traits::{fungible::MutateHold, tokens::nonfungibles_v2},
};
use sp_runtime::traits::AccountIdConversion;

impl<T: Config> Pallet<T> {
	/// The account that owns the model collection.
	pub fn account_id() -> T::AccountId {
		T::PalletId::get().into_account_truncating()
	}

	/// The model collection, created on first use.
	pub(crate) fn model_collection() -> Result<T::NftCollectionId, DispatchError> {
		if let Some(collection) = ModelCollection::<T>::get() {
			return Ok(collection);
		}
		let owner = Self::account_id();
		let collection = <T::Nfts as nonfungibles_v2::Create<_, _>>::create_collection(
			&owner,
			&owner,
			&T::NftCollectionConfig::default(),
		)?;
		ModelCollection::<T>::put(collection);
		Ok(collection)
	}

	/// The current owner of `model`'s NFT.
	pub fn model_owner(model: ModelId) -> Option<T::AccountId> {
		let collection = ModelCollection::<T>::get()?;
		<T::Nfts as nonfungibles_v2::Inspect<_>>::owner(&collection, &model)
	}

	pub(crate) fn do_create_model(
		who: T::AccountId,
		metadata: ModelMetadata<T::MaxCidLen>,
		policy: AccessPolicy,
	) -> DispatchResult {
		ensure!(!metadata.spec_cid.is_empty(), Error::<T>::EmptyCid);
		let collection = Self::model_collection()?;
		let model = NextModelId::<T>::get();
		let next = model.checked_add(1).ok_or(Error::<T>::Overflow)?;

		// The model creator pays the NFT's item deposit, not the pallet account.
		<T::Nfts as nonfungibles_v2::Mutate<_, _>>::mint_into(
			&collection,
			&model,
			&who,
			&T::NftItemConfig::default(),
			false,
		)?;
		let deposit = T::ModelDeposit::get();
		T::Currency::hold(&HoldReason::ModelDeposit.into(), &who, deposit)?;

		let spec_cid = metadata.spec_cid.clone();
		Models::<T>::insert(
			model,
			ModelInfo {
				metadata,
				policy,
				slash_destination: SlashDestination::ModelOwner,
				frozen: false,
				head: None,
				version_count: 0,
				contribution_count: 0,
				pending_contributions: 0,
				created_at: frame_system::Pallet::<T>::block_number(),
				depositor: who.clone(),
				deposit,
			},
		);
		NextModelId::<T>::put(next);
		Self::deposit_event(Event::ModelCreated { model, owner: who, spec_cid, deposit });
		Ok(())
	}

	/// Loads a model after checking that `who` may administer it.
	pub(crate) fn admin_model(
		who: &T::AccountId,
		model: ModelId,
	) -> Result<ModelInfo<T>, DispatchError> {
		let info = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
		ensure!(Self::roles_of(model, who).contains(RoleSet::ADMIN), Error::<T>::NotAdmin);
		Ok(info)
	}

	pub(crate) fn do_set_model_metadata(
		who: &T::AccountId,
		model: ModelId,
		metadata: ModelMetadata<T::MaxCidLen>,
	) -> DispatchResult {
		ensure!(!metadata.spec_cid.is_empty(), Error::<T>::EmptyCid);
		let mut info = Self::admin_model(who, model)?;
		let (spec_cid, spec_hash) = (metadata.spec_cid.clone(), metadata.spec_hash);
		info.metadata = metadata;
		Models::<T>::insert(model, info);
		Self::deposit_event(Event::ModelMetadataSet { model, spec_cid, spec_hash });
		Ok(())
	}

	pub(crate) fn do_set_access_policy(
		who: &T::AccountId,
		model: ModelId,
		policy: AccessPolicy,
	) -> DispatchResult {
		let mut info = Self::admin_model(who, model)?;
		info.policy = policy;
		Models::<T>::insert(model, info);
		Self::deposit_event(Event::AccessPolicySet { model, policy });
		Ok(())
	}

	pub(crate) fn do_set_slash_destination(
		who: &T::AccountId,
		model: ModelId,
		destination: SlashDestination<T::AccountId>,
	) -> DispatchResult {
		let mut info = Self::admin_model(who, model)?;
		info.slash_destination = destination.clone();
		Models::<T>::insert(model, info);
		Self::deposit_event(Event::SlashDestinationSet { model, destination });
		Ok(())
	}

	pub(crate) fn do_set_frozen(
		who: &T::AccountId,
		model: ModelId,
		frozen: bool,
	) -> DispatchResult {
		let mut info = Self::admin_model(who, model)?;
		if frozen {
			ensure!(!info.frozen, Error::<T>::AlreadyFrozen);
		} else {
			ensure!(info.frozen, Error::<T>::NotFrozen);
		}
		info.frozen = frozen;
		Models::<T>::insert(model, info);
		Self::deposit_event(if frozen {
			Event::ModelFrozen { model }
		} else {
			Event::ModelThawed { model }
		});
		Ok(())
	}
}
