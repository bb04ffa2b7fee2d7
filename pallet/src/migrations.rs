//! Storage migrations of pallet-cmu.

use crate::*;
use frame_support::{
	migrations::VersionedMigration,
	pallet_prelude::*,
	traits::{tokens::nonfungibles_v2, UncheckedOnRuntimeUpgrade},
};

/// The layouts of storage version 0, kept to decode old records.
pub mod v0 {
	use super::*;

	/// `ModelInfo` before `retired`.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
	pub struct ModelInfo<T: Config> {
		pub metadata: ModelMetadata<T::MaxCidLen>,
		pub policy: AccessPolicy,
		pub slash_destination: SlashDestination<AccountIdOf<T>>,
		pub frozen: bool,
		pub head: Option<VersionId>,
		pub version_count: u32,
		pub contribution_count: u32,
		pub pending_contributions: u32,
		pub created_at: BlockNumberOf<T>,
		pub depositor: AccountIdOf<T>,
		pub deposit: BalanceOf<T>,
	}

	/// `VersionRecord` before `card_cid`, `matches` and `mismatches`.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
	pub struct VersionRecord<T: Config> {
		pub parent: Option<VersionId>,
		pub artifact_cid: CidOf<T>,
		pub artifact_hash: Hash32,
		pub recipe_hash: Hash32,
		pub metrics: MetricsOf<T>,
		pub trainer: AccountIdOf<T>,
		pub created_at: BlockNumberOf<T>,
		pub contributions: UsedContributionsOf<T>,
		pub status: VersionStatus,
		pub deposit: BalanceOf<T>,
	}

	/// `ContributionRecord` before `reward_weight` and `reward`.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
	pub struct ContributionRecord<T: Config> {
		pub contributor: AccountIdOf<T>,
		pub data_cid: CidOf<T>,
		pub data_hash: Hash32,
		pub rows: u32,
		pub deposit: BalanceOf<T>,
		pub status: ContributionStatus,
		pub settled_in: Option<VersionId>,
		pub submitted_at: BlockNumberOf<T>,
	}

	/// A role set was a raw `u8` per (model, account), valid whoever owned the model.
	pub type RoleBits = u8;
}

/// Storage version 0 to 1.
pub mod v1 {
	use super::*;

	/// The unversioned migration; use [`MigrateV0ToV1`], which runs it only on version 0.
	///
	/// - `Roles`: each `u8` becomes a [`Grant`] under the model's current owner (grants were
	///   valid under whoever owned the model); grants on burned models are dropped.
	/// - `Models`: `retired: false`; the NFT gets its spec and head attributes, and frozen
	///   models get their transfer lock.
	/// - `Versions`: empty `card_cid` (the card was not on chain), no attestations.
	/// - `Contributions`: no reward; `PendingPerAccount` is rebuilt from pending records.
	///
	/// It runs in one block, over every record: fine for the dev chain and small chains; a
	/// large chain would run it as a multi-block migration.
	pub struct InnerMigrateV0ToV1<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV0ToV1<T> {
		fn on_runtime_upgrade() -> Weight {
			let (mut reads, mut writes) = (0u64, 0u64);

			Roles::<T>::translate::<v0::RoleBits, _>(|model, _who, bits| {
				reads += 2;
				writes += 1;
				let owner = Pallet::<T>::model_owner(model)?;
				let roles = enumflags2::BitFlags::<Role>::from_bits(bits).ok()?;
				(!roles.is_empty()).then_some(Grant { roles: RoleSet(roles), owner })
			});

			Contributions::<T>::translate::<v0::ContributionRecord<T>, _>(|model, _id, old| {
				reads += 1;
				writes += 1;
				if old.status == ContributionStatus::Pending {
					reads += 1;
					writes += 1;
					PendingPerAccount::<T>::mutate(model, &old.contributor, |n| *n += 1);
				}
				Some(ContributionRecord {
					contributor: old.contributor,
					data_cid: old.data_cid,
					data_hash: old.data_hash,
					rows: old.rows,
					deposit: old.deposit,
					status: old.status,
					settled_in: old.settled_in,
					submitted_at: old.submitted_at,
					reward_weight: 0,
					reward: Default::default(),
				})
			});

			let mut heads = alloc::vec::Vec::new();
			Versions::<T>::translate::<v0::VersionRecord<T>, _>(|model, version, old| {
				reads += 1;
				writes += 1;
				heads.push((model, version, old.artifact_cid.clone()));
				Some(VersionRecord {
					parent: old.parent,
					artifact_cid: old.artifact_cid,
					artifact_hash: old.artifact_hash,
					recipe_hash: old.recipe_hash,
					card_cid: Default::default(),
					metrics: old.metrics,
					trainer: old.trainer,
					created_at: old.created_at,
					contributions: old.contributions,
					status: old.status,
					deposit: old.deposit,
					matches: 0,
					mismatches: 0,
				})
			});

			let collection = ModelCollection::<T>::get();
			Models::<T>::translate::<v0::ModelInfo<T>, _>(|model, old| {
				reads += 2;
				writes += 1;
				if let (Some(collection), Some(_)) = (collection, Pallet::<T>::model_owner(model)) {
					// Best effort: attributes are a view for wallets, not the record.
					writes += 3;
					let _ = Pallet::<T>::set_nft_attribute(
						model,
						attribute_keys::SPEC_CID,
						&old.metadata.spec_cid,
					);
					if let Some((_, head, cid)) =
						heads.iter().find(|(m, v, _)| *m == model && Some(*v) == old.head)
					{
						let _ = Pallet::<T>::set_nft_attribute(
							model,
							attribute_keys::HEAD_VERSION,
							alloc::format!("{head}").as_bytes(),
						);
						let _ = Pallet::<T>::set_nft_attribute(
							model,
							attribute_keys::HEAD_ARTIFACT_CID,
							cid,
						);
					}
					if old.frozen {
						let _ = <T::Nfts as nonfungibles_v2::Transfer<_>>::disable_transfer(
							&collection,
							&model,
						);
					}
				}
				Some(ModelInfo {
					metadata: old.metadata,
					policy: old.policy,
					slash_destination: old.slash_destination,
					frozen: old.frozen,
					retired: false,
					head: old.head,
					version_count: old.version_count,
					contribution_count: old.contribution_count,
					pending_contributions: old.pending_contributions,
					created_at: old.created_at,
					depositor: old.depositor,
					deposit: old.deposit,
				})
			});

			T::DbWeight::get().reads_writes(reads, writes)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			let counts = (
				Models::<T>::iter_keys().count() as u32,
				Versions::<T>::iter_keys().count() as u32,
				Contributions::<T>::iter_keys().count() as u32,
			);
			Ok(counts.encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let (models, versions, contributions) = <(u32, u32, u32)>::decode(&mut &state[..])
				.map_err(|_| "cannot decode the pre-upgrade counts")?;
			ensure!(Models::<T>::iter().count() as u32 == models, "models lost");
			ensure!(Versions::<T>::iter().count() as u32 == versions, "versions lost");
			ensure!(
				Contributions::<T>::iter().count() as u32 == contributions,
				"contributions lost"
			);
			Pallet::<T>::do_try_state()
		}
	}

	/// Migrates pallet-cmu from storage version 0 to 1, only when the on-chain version is 0.
	pub type MigrateV0ToV1<T> = VersionedMigration<
		0,
		1,
		InnerMigrateV0ToV1<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
