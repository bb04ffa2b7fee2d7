//! Encryption keys and key envelopes: what makes a `Permissioned` model's content readable
//! only by its role holders. The chain stores public keys and envelope CIDs; the content
//! itself is encrypted off chain (docs/pallet.md, Encryption).

use crate::*;
use frame_support::pallet_prelude::*;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_set_encryption_key(
		who: T::AccountId,
		key: Option<EncryptionKey>,
	) -> DispatchResult {
		match key {
			Some(key) => {
				ensure!(key != [0u8; 32], Error::<T>::InvalidEncryptionKey);
				EncryptionKeys::<T>::insert(&who, key);
			}
			None => {
				ensure!(EncryptionKeys::<T>::contains_key(&who), Error::<T>::NoEncryptionKey);
				EncryptionKeys::<T>::remove(&who);
			}
		}
		Self::deposit_event(Event::EncryptionKeySet { who, key });
		Ok(())
	}

	/// Checks a new version's envelope against the model's visibility: required when the
	/// model is `Permissioned`, refused when it is `Public`.
	pub(crate) fn check_envelope(
		visibility: Visibility,
		envelope_cid: Option<&CidOf<T>>,
	) -> DispatchResult {
		match (visibility, envelope_cid) {
			(Visibility::Permissioned, None) => Err(Error::<T>::EnvelopeRequired.into()),
			(Visibility::Public, Some(_)) => Err(Error::<T>::EnvelopeNotAllowed.into()),
			(_, Some(cid)) if cid.is_empty() => Err(Error::<T>::EmptyCid.into()),
			_ => Ok(()),
		}
	}

	/// Records a new version's envelope (called by `publish_version` after its checks).
	pub(crate) fn record_envelope(
		model: ModelId,
		version: VersionId,
		envelope_cid: CidOf<T>,
		by: T::AccountId,
	) {
		VersionEnvelopes::<T>::insert(model, version, envelope_cid.clone());
		Self::deposit_event(Event::VersionEnvelopeSet { model, version, envelope_cid, by });
	}

	pub(crate) fn do_set_version_envelope(
		who: T::AccountId,
		model: ModelId,
		envelope_cid: CidOf<T>,
	) -> DispatchResult {
		let (info, _) = Self::admin_model(&who, model)?;
		ensure!(!envelope_cid.is_empty(), Error::<T>::EmptyCid);
		let version = info.head.ok_or(Error::<T>::NoHead)?;
		ensure!(VersionEnvelopes::<T>::contains_key(model, version), Error::<T>::HeadNotEncrypted);
		Self::record_envelope(model, version, envelope_cid, who);
		Ok(())
	}

	/// The key envelope CID of `version` of `model`, if it was published encrypted.
	pub fn envelope_of(model: ModelId, version: VersionId) -> Option<CidOf<T>> {
		VersionEnvelopes::<T>::get(model, version)
	}
}
