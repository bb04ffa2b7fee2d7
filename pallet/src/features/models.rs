//! Creating, administering and retiring models, and the NFT they live in.

use crate::*;
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::MutateHold,
		tokens::{nonfungibles_v2, Precision},
	},
};
use sp_runtime::traits::{AccountIdConversion, Zero};

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

	/// The current owner of `model`'s NFT; `None` when there is no such NFT (never minted or
	/// burned).
	pub fn model_owner(model: ModelId) -> Option<T::AccountId> {
		let collection = ModelCollection::<T>::get()?;
		<T::Nfts as nonfungibles_v2::Inspect<_>>::owner(&collection, &model)
	}

	/// Writes a pallet-namespace attribute on the model's NFT.
	pub(crate) fn set_nft_attribute(model: ModelId, key: &[u8], value: &[u8]) -> DispatchResult {
		let collection = ModelCollection::<T>::get().ok_or(Error::<T>::UnknownModel)?;
		<T::Nfts as nonfungibles_v2::Mutate<_, _>>::set_attribute(&collection, &model, key, value)
	}

	/// Loads a model that may still change even though it is frozen (for `thaw_model`):
	/// it exists, is not retired and its NFT exists. Returns it with its owner.
	pub(crate) fn active_model(
		model: ModelId,
	) -> Result<(ModelInfo<T>, T::AccountId), DispatchError> {
		let info = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
		ensure!(!info.retired, Error::<T>::ModelRetired);
		// A burned NFT retires the model: nobody can manage it any more.
		let owner = Self::model_owner(model).ok_or(Error::<T>::ModelRetired)?;
		Ok((info, owner))
	}

	/// Loads a model that may change: active and not frozen. Returns it with its owner.
	pub(crate) fn live_model(
		model: ModelId,
	) -> Result<(ModelInfo<T>, T::AccountId), DispatchError> {
		let (info, owner) = Self::active_model(model)?;
		ensure!(!info.frozen, Error::<T>::ModelFrozen);
		Ok((info, owner))
	}

	/// Loads a live model after checking that `who` is its owner or an Admin.
	pub(crate) fn admin_model(
		who: &T::AccountId,
		model: ModelId,
	) -> Result<(ModelInfo<T>, T::AccountId), DispatchError> {
		let (info, owner) = Self::live_model(model)?;
		ensure!(Self::roles_under(model, who, &owner).has(Role::Admin), Error::<T>::NotAdmin);
		Ok((info, owner))
	}

	/// Loads a live model after checking that `who` is its owner.
	pub(crate) fn owner_model(
		who: &T::AccountId,
		model: ModelId,
	) -> Result<ModelInfo<T>, DispatchError> {
		let (info, owner) = Self::live_model(model)?;
		ensure!(&owner == who, Error::<T>::NotOwner);
		Ok(info)
	}

	pub(crate) fn do_create_model(
		who: T::AccountId,
		metadata: ModelMetadata<T::MaxCidLen>,
		policy: AccessPolicy,
	) -> DispatchResult {
		ensure!(!metadata.spec_cid.is_empty(), Error::<T>::EmptyCid);
		let collection = Self::model_collection()?;
		// Skip ids already taken in the collection (Root can force-mint any id) or used by
		// a model whose NFT was burned, so `create_model` is never stuck on one id.
		let first = NextModelId::<T>::get();
		let mut model = first;
		let mut probes = 1;
		while <T::Nfts as nonfungibles_v2::Inspect<_>>::owner(&collection, &model).is_some()
			|| Models::<T>::contains_key(model)
		{
			ensure!(probes < MAX_MODEL_ID_PROBES, Error::<T>::NoFreeModelId);
			probes += 1;
			model = model.checked_add(1).ok_or(Error::<T>::Overflow)?;
		}
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
		Self::set_nft_attribute(model, attribute_keys::SPEC_CID, &metadata.spec_cid)?;

		let spec_cid = metadata.spec_cid.clone();
		Models::<T>::insert(
			model,
			ModelInfo {
				metadata,
				policy,
				slash_destination: SlashDestination::ModelOwner,
				frozen: false,
				retired: false,
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
		if model != first {
			Self::deposit_event(Event::ModelIdsSkipped { from: first, to: model - 1 });
		}
		Self::deposit_event(Event::ModelCreated { model, owner: who, spec_cid, deposit });
		Ok(())
	}

	pub(crate) fn do_set_model_metadata(
		who: &T::AccountId,
		model: ModelId,
		metadata: ModelMetadata<T::MaxCidLen>,
	) -> DispatchResult {
		let mut info = Self::owner_model(who, model)?;
		ensure!(!metadata.spec_cid.is_empty(), Error::<T>::EmptyCid);
		let (spec_cid, spec_hash) = (metadata.spec_cid.clone(), metadata.spec_hash);
		Self::set_nft_attribute(model, attribute_keys::SPEC_CID, &spec_cid)?;
		info.metadata = metadata;
		Models::<T>::insert(model, info);
		Self::deposit_event(Event::ModelMetadataSet {
			model,
			spec_cid,
			spec_hash,
			by: who.clone(),
		});
		Ok(())
	}

	pub(crate) fn do_set_access_policy(
		who: &T::AccountId,
		model: ModelId,
		policy: AccessPolicy,
	) -> DispatchResult {
		let (mut info, _) = Self::admin_model(who, model)?;
		info.policy = policy;
		Models::<T>::insert(model, info);
		Self::deposit_event(Event::AccessPolicySet { model, policy, by: who.clone() });
		Ok(())
	}

	pub(crate) fn do_set_slash_destination(
		who: &T::AccountId,
		model: ModelId,
		destination: SlashDestination<T::AccountId>,
	) -> DispatchResult {
		let mut info = Self::owner_model(who, model)?;
		info.slash_destination = destination.clone();
		Models::<T>::insert(model, info);
		Self::deposit_event(Event::SlashDestinationSet { model, destination, by: who.clone() });
		Ok(())
	}

	pub(crate) fn do_set_frozen(
		who: &T::AccountId,
		model: ModelId,
		frozen: bool,
	) -> DispatchResult {
		let (mut info, owner) = Self::active_model(model)?;
		ensure!(Self::roles_under(model, who, &owner).has(Role::Admin), Error::<T>::NotAdmin);
		let collection = ModelCollection::<T>::get().ok_or(Error::<T>::UnknownModel)?;
		if frozen {
			ensure!(!info.frozen, Error::<T>::AlreadyFrozen);
			// A frozen model cannot be sold (or burned) out from under a dispute.
			<T::Nfts as nonfungibles_v2::Transfer<_>>::disable_transfer(&collection, &model)?;
		} else {
			ensure!(info.frozen, Error::<T>::NotFrozen);
			<T::Nfts as nonfungibles_v2::Transfer<_>>::enable_transfer(&collection, &model)?;
		}
		info.frozen = frozen;
		Models::<T>::insert(model, info);
		let by = who.clone();
		Self::deposit_event(if frozen {
			Event::ModelFrozen { model, by }
		} else {
			Event::ModelThawed { model, by }
		});
		Ok(())
	}

	pub(crate) fn do_retire_model(who: &T::AccountId, model: ModelId) -> DispatchResult {
		let mut info = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
		// Once the NFT is burned nobody owns the model; anyone may retire it and release the
		// deposit to whoever paid it.
		if let Some(owner) = Self::model_owner(model) {
			ensure!(&owner == who, Error::<T>::NotOwner);
		}
		ensure!(!info.frozen, Error::<T>::ModelFrozen);
		let newly_retired = !info.retired;
		let releasable = info.pending_contributions == 0 && !info.deposit.is_zero();
		if !newly_retired && !releasable {
			return Err(if info.pending_contributions > 0 {
				Error::<T>::ContributionsPending
			} else {
				Error::<T>::AlreadyRetired
			}
			.into());
		}
		if newly_retired {
			info.retired = true;
			Self::deposit_event(Event::ModelRetired { model, by: who.clone() });
		}
		if releasable {
			Self::release_model_deposit(model, &mut info)?;
		}
		Models::<T>::insert(model, info);
		Ok(())
	}

	/// Releases a retired model's deposit to its depositor, once; the caller writes `info`.
	pub(crate) fn release_model_deposit(model: ModelId, info: &mut ModelInfo<T>) -> DispatchResult {
		if info.deposit.is_zero() {
			return Ok(());
		}
		let amount = T::Currency::release(
			&HoldReason::ModelDeposit.into(),
			&info.depositor,
			info.deposit,
			Precision::BestEffort,
		)?;
		info.deposit = Zero::zero();
		Self::deposit_event(Event::ModelDepositReleased {
			model,
			depositor: info.depositor.clone(),
			amount,
		});
		Ok(())
	}
}
