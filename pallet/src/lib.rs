//! # pallet-cmu: Collaborative Model Update
//!
//! Machine-learning models that many people improve together, with an honest record of
//! every change.
//!
//! - **Models are NFTs.** Each model is an item of one pallet-nfts collection that this
//!   pallet creates on first use and owns. Wallets and explorers that understand pallet-nfts
//!   show the model and move it with pallet-nfts' `transfer`; this pallet reads the owner
//!   from there on every call, so ownership has one source of truth.
//! - **Roles per (model, account)** as bit flags: Admin, Contributor, Trainer, Reader. The
//!   current NFT owner holds all of them implicitly. Explicit grants stay with the model when
//!   it changes hands; the previous owner keeps only what was explicitly granted to them
//!   (nothing by default), so a transfer hands over control completely.
//! - **Versions are a linked list per model**: every version records its parent, artifact
//!   CID and hash, recipe hash, metrics, trainer, block, the contributions it used and a
//!   status. Appending is O(1); nothing iterates over history.
//! - **Contributions** hold a deposit (a fungible hold with this pallet's reason) until a
//!   trainer settles them in `publish_version`: accepted ones get the deposit back, rejected
//!   ones are slashed to the model's slash destination with a reason.
//!
//! Logic lives in `features/*.rs`; this file declares the surface.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub(crate) use polkadot_sdk::{frame_support, frame_system, sp_runtime};

#[cfg(feature = "runtime-benchmarks")]
pub(crate) use polkadot_sdk::frame_benchmarking;

mod features;
pub mod runtime_api;
pub mod types;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, Mutate, MutateHold},
			tokens::nonfungibles_v2,
		},
		PalletId,
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::traits::StaticLookup;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	pub(crate) type AccountIdLookupOf<T> =
		<<T as frame_system::Config>::Lookup as StaticLookup>::Source;

	/// Configuration of pallet-cmu.
	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The overarching hold reason; deposits are held under [`HoldReason`].
		type RuntimeHoldReason: From<HoldReason>;

		/// The currency deposits are held in.
		type Currency: Inspect<Self::AccountId>
			+ Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// Identifier of an NFT collection in `Nfts`.
		type NftCollectionId: Member + Parameter + MaxEncodedLen + Copy;

		/// Collection settings for the model collection (pallet-nfts: `CollectionConfigFor`).
		type NftCollectionConfig: Default;

		/// Item settings for a model's NFT (pallet-nfts: `ItemConfig`).
		type NftItemConfig: Default;

		/// The NFT implementation that holds models (pallet-nfts in the CMU runtime).
		type Nfts: nonfungibles_v2::Inspect<
				Self::AccountId,
				CollectionId = Self::NftCollectionId,
				ItemId = ModelId,
			> + nonfungibles_v2::Mutate<Self::AccountId, Self::NftItemConfig>
			+ nonfungibles_v2::Create<Self::AccountId, Self::NftCollectionConfig>;

		/// Derives the account that owns the model collection.
		#[pallet::constant]
		type PalletId: Get<PalletId>;

		/// Storage deposit held from a model's creator.
		#[pallet::constant]
		type ModelDeposit: Get<BalanceOf<Self>>;

		/// Storage deposit held from the trainer for every version.
		#[pallet::constant]
		type VersionDeposit: Get<BalanceOf<Self>>;

		/// Deposit held from a contributor until the contribution is settled or withdrawn.
		#[pallet::constant]
		type ContributionDeposit: Get<BalanceOf<Self>>;

		/// Longest IPFS CID accepted, in bytes.
		#[pallet::constant]
		type MaxCidLen: Get<u32>;

		/// Most metrics recorded on one version.
		#[pallet::constant]
		type MaxMetrics: Get<u32>;

		/// Longest metric name, in bytes.
		#[pallet::constant]
		type MaxMetricKeyLen: Get<u32>;

		/// Most contributions settled by one `publish_version`.
		#[pallet::constant]
		type MaxSettlementsPerVersion: Get<u32>;

		/// Most contributions pending on one model at a time.
		#[pallet::constant]
		type MaxPendingContributions: Get<u32>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// Reasons for which this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// Storage deposit of a model.
		ModelDeposit,
		/// Storage deposit of a version.
		VersionDeposit,
		/// Deposit of a pending contribution.
		ContributionDeposit,
	}

	/// The pallet-nfts collection whose items are models; created on the first `create_model`.
	#[pallet::storage]
	pub type ModelCollection<T: Config> = StorageValue<_, T::NftCollectionId, OptionQuery>;

	/// The id the next model will get.
	#[pallet::storage]
	pub type NextModelId<T: Config> = StorageValue<_, ModelId, ValueQuery>;

	/// Every model's info, by model id. The owner is the NFT's owner.
	#[pallet::storage]
	pub type Models<T: Config> =
		StorageMap<_, Blake2_128Concat, ModelId, ModelInfo<T>, OptionQuery>;

	/// Roles explicitly granted on a model, by (model, account). The owner's are implicit.
	#[pallet::storage]
	pub type Roles<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		ModelId,
		Blake2_128Concat,
		T::AccountId,
		RoleSet,
		ValueQuery,
	>;

	/// A model's versions, by (model, version). Each points to its parent.
	#[pallet::storage]
	pub type Versions<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		ModelId,
		Twox64Concat,
		VersionId,
		VersionRecord<T>,
		OptionQuery,
	>;

	/// A model's contributions, by (model, contribution).
	#[pallet::storage]
	pub type Contributions<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		ModelId,
		Twox64Concat,
		ContributionId,
		ContributionRecord<T>,
		OptionQuery,
	>;

	/// Index of the contributions still pending, by (model, contribution); at most
	/// `MaxPendingContributions` per model, so listing them is bounded.
	#[pallet::storage]
	pub type PendingContributions<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		ModelId,
		Twox64Concat,
		ContributionId,
		(),
		OptionQuery,
	>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A model was created and its NFT minted to `owner`.
		ModelCreated {
			model: ModelId,
			owner: T::AccountId,
			spec_cid: CidOf<T>,
			deposit: BalanceOf<T>,
		},
		/// A model's spec document changed.
		ModelMetadataSet { model: ModelId, spec_cid: CidOf<T>, spec_hash: Hash32 },
		/// A model's access policy changed.
		AccessPolicySet { model: ModelId, policy: AccessPolicy },
		/// Where a model's rejected deposits go changed.
		SlashDestinationSet { model: ModelId, destination: SlashDestination<T::AccountId> },
		/// Roles were granted; `roles` is the account's full set afterwards.
		RoleGranted {
			model: ModelId,
			who: T::AccountId,
			granted: RoleSet,
			roles: RoleSet,
			by: T::AccountId,
		},
		/// Roles were revoked; `roles` is the account's full set afterwards.
		RoleRevoked {
			model: ModelId,
			who: T::AccountId,
			revoked: RoleSet,
			roles: RoleSet,
			by: T::AccountId,
		},
		/// A model was frozen: no contributions, versions or head changes until thawed.
		ModelFrozen { model: ModelId },
		/// A model was thawed.
		ModelThawed { model: ModelId },
		/// A contribution was registered and its deposit held.
		ContributionSubmitted {
			model: ModelId,
			contribution: ContributionId,
			contributor: T::AccountId,
			data_cid: CidOf<T>,
			rows: u32,
			deposit: BalanceOf<T>,
		},
		/// A pending contribution was withdrawn and its deposit released.
		ContributionWithdrawn {
			model: ModelId,
			contribution: ContributionId,
			released: BalanceOf<T>,
		},
		/// A contribution was used in `version`; its deposit was released.
		ContributionAccepted {
			model: ModelId,
			contribution: ContributionId,
			version: VersionId,
			released: BalanceOf<T>,
		},
		/// A contribution was rejected in `version`; its deposit was slashed.
		ContributionRejected {
			model: ModelId,
			contribution: ContributionId,
			version: VersionId,
			reason: RejectionReason,
			slashed: BalanceOf<T>,
		},
		/// A version was appended and made head.
		VersionPublished {
			model: ModelId,
			version: VersionId,
			parent: Option<VersionId>,
			trainer: T::AccountId,
			artifact_cid: CidOf<T>,
			artifact_hash: Hash32,
			accepted: u32,
			rejected: u32,
		},
		/// The head moved to another existing version (rollback or roll-forward).
		HeadSet { model: ModelId, from: Option<VersionId>, to: VersionId, reason: u8 },
		/// A version was deprecated.
		VersionDeprecated { model: ModelId, version: VersionId },
		/// A version was revoked; it can never be head again.
		VersionRevoked { model: ModelId, version: VersionId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No model with this id. Check the id with `cmu model list`.
		UnknownModel,
		/// No version with this id on this model.
		UnknownVersion,
		/// No contribution with this id on this model.
		UnknownContribution,
		/// The caller is neither the owner nor an Admin of this model.
		NotAdmin,
		/// The caller lacks the Trainer role on this model.
		NotTrainer,
		/// The model only takes contributions from holders of the Contributor role.
		NotContributor,
		/// Only the contributor may withdraw their contribution.
		NotContributionOwner,
		/// Only the owner may grant or revoke the Admin role.
		OnlyOwnerManagesAdmins,
		/// The owner's roles are implicit and cannot be granted or revoked.
		CannotTargetOwner,
		/// The role set is empty or has undefined bits (valid bits: 0b1111).
		InvalidRoles,
		/// The model is frozen; thaw it first.
		ModelFrozen,
		/// The model is already frozen.
		AlreadyFrozen,
		/// The model is not frozen.
		NotFrozen,
		/// The head is not the parent the trainer built on: another version was published
		/// first. Rebase on the current head and retry.
		StaleParent,
		/// The head cannot be revoked; move the head with `set_head` first.
		CannotRevokeHead,
		/// The version is revoked and can never be head or change status again.
		VersionRevoked,
		/// Only an active version can be deprecated.
		VersionNotActive,
		/// The version is already the head.
		AlreadyHead,
		/// The contribution was already settled or withdrawn.
		ContributionNotPending,
		/// The same contribution appears twice in one `publish_version`.
		DuplicateSettlement,
		/// The model already has `MaxPendingContributions` pending contributions; wait for a
		/// trainer to settle some.
		TooManyPendingContributions,
		/// A contribution must contain at least one row.
		ZeroRows,
		/// A CID must not be empty.
		EmptyCid,
		/// A counter would overflow.
		Overflow,
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Create a model: mint its NFT to the caller and hold the model deposit.
		///
		/// `spec_cid`/`spec_hash` name the model spec document in IPFS. The caller becomes
		/// owner and holds every role. The first version is published with
		/// `publish_version(expected_parent: None)`.
		#[pallet::call_index(0)]
		pub fn create_model(
			origin: OriginFor<T>,
			spec_cid: CidOf<T>,
			spec_hash: Hash32,
			policy: AccessPolicy,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_create_model(who, ModelMetadata { spec_cid, spec_hash }, policy)
		}

		/// Replace a model's spec document. Owner or Admin.
		#[pallet::call_index(1)]
		pub fn set_model_metadata(
			origin: OriginFor<T>,
			model: ModelId,
			spec_cid: CidOf<T>,
			spec_hash: Hash32,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_model_metadata(&who, model, ModelMetadata { spec_cid, spec_hash })
		}

		/// Set who may read and who may contribute. Owner or Admin.
		#[pallet::call_index(2)]
		pub fn set_access_policy(
			origin: OriginFor<T>,
			model: ModelId,
			policy: AccessPolicy,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_access_policy(&who, model, policy)
		}

		/// Grant `roles` (bit flags: Admin 1, Contributor 2, Trainer 4, Reader 8) to `who`.
		///
		/// Owner or Admin; only the owner grants Admin; the owner cannot be targeted.
		#[pallet::call_index(3)]
		pub fn grant_role(
			origin: OriginFor<T>,
			model: ModelId,
			who: AccountIdLookupOf<T>,
			roles: RoleSet,
		) -> DispatchResult {
			let by = ensure_signed(origin)?;
			let who = T::Lookup::lookup(who)?;
			Self::do_grant_role(&by, model, who, roles)
		}

		/// Revoke `roles` from `who`. Same permissions as `grant_role`.
		#[pallet::call_index(4)]
		pub fn revoke_role(
			origin: OriginFor<T>,
			model: ModelId,
			who: AccountIdLookupOf<T>,
			roles: RoleSet,
		) -> DispatchResult {
			let by = ensure_signed(origin)?;
			let who = T::Lookup::lookup(who)?;
			Self::do_revoke_role(&by, model, who, roles)
		}

		/// Freeze a model: contributions, versions and head changes are refused until
		/// `thaw_model`. Pending contributions may still be withdrawn. Owner or Admin.
		#[pallet::call_index(5)]
		pub fn freeze_model(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_frozen(&who, model, true)
		}

		/// Thaw a frozen model. Owner or Admin.
		#[pallet::call_index(6)]
		pub fn thaw_model(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_frozen(&who, model, false)
		}

		/// Register a data set published to IPFS as a contribution and hold
		/// `ContributionDeposit` from the caller until a trainer settles it.
		///
		/// Refused when the model is frozen, when the policy requires the Contributor role
		/// and the caller lacks it, or when the model has too many pending contributions.
		#[pallet::call_index(7)]
		pub fn submit_contribution(
			origin: OriginFor<T>,
			model: ModelId,
			data_cid: CidOf<T>,
			data_hash: Hash32,
			rows: u32,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_submit_contribution(who, model, data_cid, data_hash, rows)
		}

		/// Withdraw a still-pending contribution and release its deposit. Contributor only.
		#[pallet::call_index(8)]
		pub fn withdraw_contribution(
			origin: OriginFor<T>,
			model: ModelId,
			contribution: ContributionId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw_contribution(&who, model, contribution)
		}

		/// Append a version on top of `expected_parent` and make it head, settling
		/// `settlements` in the same call. Trainer role.
		///
		/// Fails with `StaleParent` when the head is not `expected_parent` (use `None` for a
		/// model's first version), so concurrent trainers never fork or overwrite history.
		/// Accepted contributions get their deposit released; rejected ones are slashed to
		/// the model's slash destination with the given reason. Each contribution settles
		/// once. Holds `VersionDeposit` from the trainer.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::publish_version(settlements.len() as u32))]
		#[allow(clippy::too_many_arguments)]
		pub fn publish_version(
			origin: OriginFor<T>,
			model: ModelId,
			expected_parent: Option<VersionId>,
			artifact_cid: CidOf<T>,
			artifact_hash: Hash32,
			recipe_hash: Hash32,
			metrics: MetricsOf<T>,
			settlements: SettlementsOf<T>,
		) -> DispatchResult {
			let trainer = ensure_signed(origin)?;
			Self::do_publish_version(
				trainer,
				model,
				NewVersion {
					expected_parent,
					artifact_cid,
					artifact_hash,
					recipe_hash,
					metrics,
					settlements,
				},
			)
		}

		/// Move the head to an existing, non-revoked version (rollback or roll-forward).
		/// `reason` is a free code recorded in the `HeadSet` event. Owner or Admin.
		#[pallet::call_index(10)]
		pub fn set_head(
			origin: OriginFor<T>,
			model: ModelId,
			version: VersionId,
			reason: u8,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_head(&who, model, version, reason)
		}

		/// Mark an active version deprecated: still usable, but discouraged. Owner or Admin.
		#[pallet::call_index(11)]
		pub fn deprecate_version(
			origin: OriginFor<T>,
			model: ModelId,
			version: VersionId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_deprecate_version(&who, model, version)
		}

		/// Revoke a version for good. Refused for the head: move the head first.
		/// Owner or Admin.
		#[pallet::call_index(12)]
		pub fn revoke_version(
			origin: OriginFor<T>,
			model: ModelId,
			version: VersionId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_revoke_version(&who, model, version)
		}

		/// Set where rejected contributions' deposits go (default: the model owner).
		/// Owner or Admin.
		#[pallet::call_index(13)]
		pub fn set_slash_destination(
			origin: OriginFor<T>,
			model: ModelId,
			destination: SlashDestination<T::AccountId>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_slash_destination(&who, model, destination)
		}
	}
}
