//! # pallet-cmu: Collaborative Model Update
//!
//! Machine-learning models that many people improve together, with an honest record of
//! every change.
//!
//! - **Models are NFTs.** Each model is an item of one pallet-nfts collection that this
//!   pallet creates on first use and owns. Wallets and explorers that understand pallet-nfts
//!   show the model (its spec CID, head version and head artifact CID are written as item
//!   attributes) and move it with pallet-nfts' `transfer`; this pallet reads the owner from
//!   there on every call, so ownership has one source of truth.
//! - **Roles per (model, account)** as typed bit flags: Admin, Contributor, Trainer, Reader.
//!   The current NFT owner holds all of them implicitly. An explicit grant records the owner
//!   it was made under and counts only while that account owns the NFT: a buyer gets a clean
//!   model and re-grants what they want.
//! - **The owner alone** decides what moves money or cannot be undone: where slashed deposits
//!   go, the spec, revoking versions, Admin grants, retiring the model. Admins run the model
//!   day to day (policy, lower roles, freeze/thaw, head, deprecation).
//! - **Versions are a linked list per model**: every version records its parent, artifact
//!   CID and hash, recipe hash, card CID, metrics, trainer, block, the contributions it used,
//!   a status and how many accounts attested a match or a mismatch. Appending is O(1);
//!   nothing iterates over history.
//! - **Contributions** hold a deposit until a trainer settles them: accepted ones get the
//!   deposit back (and, under `AcceptedContributors`, a share of the version's slashed
//!   deposits pro rata to their reward weight), rejected ones are slashed with a reason.
//!   A contribution that is no longer pending is skipped, never failing the version.
//! - **Encryption for `Permissioned` models.** Accounts publish an x25519 public key
//!   (`EncryptionKeys`, `set_encryption_key`); every version of a permissioned model is
//!   encrypted off chain with a fresh content key, sealed to the role holders' keys in a key
//!   envelope whose CID `publish_version` records (`VersionEnvelopes`); `set_version_envelope`
//!   rekeys the head. Public models take no envelope.
//!
//! Logic lives in `features/*.rs`; this file declares the surface.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub(crate) use polkadot_sdk::{frame_support, frame_system, sp_runtime};

#[cfg(feature = "runtime-benchmarks")]
pub(crate) use polkadot_sdk::frame_benchmarking;

mod features;
pub mod migrations;
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

/// Most ids `create_model` tries when the next ones are already taken in the model
/// collection (e.g. force-minted by Root); taken ids are skipped for good.
pub const MAX_MODEL_ID_PROBES: u32 = 16;

/// pallet-nfts attribute keys (in the `Pallet` namespace) written on a model's item.
pub mod attribute_keys {
	/// The spec document's CID.
	pub const SPEC_CID: &[u8] = b"cmu:spec_cid";
	/// The head version id, in ASCII decimal.
	pub const HEAD_VERSION: &[u8] = b"cmu:head_version";
	/// The head version's artifact CID.
	pub const HEAD_ARTIFACT_CID: &[u8] = b"cmu:head_artifact_cid";
}

// `publish_version` takes nine arguments; the call enum's generated constructors repeat them.
#[allow(clippy::too_many_arguments)]
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
	use sp_runtime::traits::{StaticLookup, Zero};

	/// The in-code storage version: 1 added grants with their owner, card CIDs, attestations,
	/// reward weights and retirement (see `migrations::v1`).
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

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

		/// The NFT implementation that holds models (pallet-nfts in the CMU runtime). Its
		/// attribute value limit must fit `MaxCidLen`.
		type Nfts: nonfungibles_v2::Inspect<
				Self::AccountId,
				CollectionId = Self::NftCollectionId,
				ItemId = ModelId,
			> + nonfungibles_v2::Mutate<Self::AccountId, Self::NftItemConfig>
			+ nonfungibles_v2::Create<Self::AccountId, Self::NftCollectionConfig>
			+ nonfungibles_v2::Transfer<Self::AccountId>;

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

		/// Deposit held from an attester for as long as the attestation exists.
		#[pallet::constant]
		type AttestationDeposit: Get<BalanceOf<Self>>;

		/// Longest IPFS CID accepted, in bytes.
		#[pallet::constant]
		type MaxCidLen: Get<u32>;

		/// Most metrics recorded on one version.
		#[pallet::constant]
		type MaxMetrics: Get<u32>;

		/// Longest metric name, in bytes.
		#[pallet::constant]
		type MaxMetricKeyLen: Get<u32>;

		/// Most contributions settled by one `publish_version` or `reject_contributions`.
		#[pallet::constant]
		type MaxSettlementsPerVersion: Get<u32>;

		/// Most contributions pending on one model at a time.
		#[pallet::constant]
		type MaxPendingContributions: Get<u32>;

		/// Most contributions one account may have pending on one model, so that no account
		/// can fill a model's pending list alone.
		#[pallet::constant]
		type MaxPendingPerAccount: Get<u32>;

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
		/// Deposit of an attestation.
		AttestationDeposit,
	}

	/// The pallet-nfts collection whose items are models; created on the first `create_model`.
	#[pallet::storage]
	pub type ModelCollection<T: Config> = StorageValue<_, T::NftCollectionId, OptionQuery>;

	/// The lowest id the next model may get (taken ids are skipped).
	#[pallet::storage]
	pub type NextModelId<T: Config> = StorageValue<_, ModelId, ValueQuery>;

	/// Every model's info, by model id. The owner is the NFT's owner.
	#[pallet::storage]
	pub type Models<T: Config> =
		StorageMap<_, Blake2_128Concat, ModelId, ModelInfo<T>, OptionQuery>;

	/// Roles explicitly granted on a model, by (model, account), with the owner they were
	/// granted under. They count only while that account owns the model; the owner's roles
	/// are implicit.
	#[pallet::storage]
	pub type Roles<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		ModelId,
		Blake2_128Concat,
		T::AccountId,
		Grant<T::AccountId>,
		OptionQuery,
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

	/// How many contributions each account has pending on a model, by (model, account); at
	/// most `MaxPendingPerAccount`.
	#[pallet::storage]
	pub type PendingPerAccount<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		ModelId,
		Blake2_128Concat,
		T::AccountId,
		u32,
		ValueQuery,
	>;

	/// Attestations of re-derived versions, by (model, version, attester): one per account
	/// and version.
	#[pallet::storage]
	pub type Attestations<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Blake2_128Concat, ModelId>,
			NMapKey<Twox64Concat, VersionId>,
			NMapKey<Blake2_128Concat, T::AccountId>,
		),
		AttestationRecord<T>,
		OptionQuery,
	>;

	/// Each account's x25519 public key for CMU, set by the account itself with
	/// `set_encryption_key` (so the signed extrinsic binds the key to the account). Content
	/// keys of permissioned models are sealed to these keys.
	#[pallet::storage]
	pub type EncryptionKeys<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, EncryptionKey, OptionQuery>;

	/// The CID of each encrypted version's key envelope, by (model, version): the version's
	/// content key sealed to each role holder's and the owner's encryption key. Present for
	/// exactly the versions published while the model was `Permissioned`; the head's entry
	/// is replaced by `set_version_envelope` (rekey).
	#[pallet::storage]
	pub type VersionEnvelopes<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		ModelId,
		Twox64Concat,
		VersionId,
		CidOf<T>,
		OptionQuery,
	>;

	/// Every contributor's track record across models: accepted and rejected counts,
	/// deposits returned, rewards received, deposits slashed.
	#[pallet::storage]
	pub type ContributorStats<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, ContributorTotals<BalanceOf<T>>, ValueQuery>;

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
		/// The owner replaced the model's spec document.
		ModelMetadataSet { model: ModelId, spec_cid: CidOf<T>, spec_hash: Hash32, by: T::AccountId },
		/// A model's access policy changed.
		AccessPolicySet { model: ModelId, policy: AccessPolicy, by: T::AccountId },
		/// The owner changed where a model's rejected deposits go.
		SlashDestinationSet {
			model: ModelId,
			destination: SlashDestination<T::AccountId>,
			by: T::AccountId,
		},
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
		/// A model was frozen (and its NFT locked): nothing changes until thawed, except
		/// withdrawals.
		ModelFrozen { model: ModelId, by: T::AccountId },
		/// A model was thawed and its NFT unlocked.
		ModelThawed { model: ModelId, by: T::AccountId },
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
		/// A contribution was rejected by trainer `by`, in `version` (`None`: by
		/// `reject_contributions`); its deposit was slashed.
		ContributionRejected {
			model: ModelId,
			contribution: ContributionId,
			version: Option<VersionId>,
			reason: RejectionReason,
			slashed: BalanceOf<T>,
			by: T::AccountId,
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
			card_cid: CidOf<T>,
		},
		/// The head moved to another existing version (rollback or roll-forward).
		HeadSet {
			model: ModelId,
			from: Option<VersionId>,
			to: VersionId,
			reason: u8,
			by: T::AccountId,
		},
		/// A version was deprecated.
		VersionDeprecated { model: ModelId, version: VersionId, by: T::AccountId },
		/// The owner revoked a version; it can never be head again.
		VersionRevoked { model: ModelId, version: VersionId, by: T::AccountId },
		/// A settlement named a contribution that was no longer pending (withdrawn or settled
		/// before the call was included); it was skipped and the rest went on.
		SettlementSkipped {
			model: ModelId,
			contribution: ContributionId,
			version: Option<VersionId>,
			status: ContributionStatus,
		},
		/// An accepted contributor received a share of the version's slashed deposits.
		ContributionRewarded {
			model: ModelId,
			contribution: ContributionId,
			version: VersionId,
			contributor: T::AccountId,
			amount: BalanceOf<T>,
		},
		/// Slashed deposits under `AcceptedContributors` were shared: `to_contributors` pro
		/// rata to the reward weights, `to_owner` the remainder.
		SlashesShared {
			model: ModelId,
			version: Option<VersionId>,
			total: BalanceOf<T>,
			to_contributors: BalanceOf<T>,
			to_owner: BalanceOf<T>,
		},
		/// A model was retired: no new versions, contributions or settings.
		ModelRetired { model: ModelId, by: T::AccountId },
		/// A retired model's storage deposit was released to its depositor.
		ModelDepositReleased { model: ModelId, depositor: T::AccountId, amount: BalanceOf<T> },
		/// `attester` re-derived `version` and recorded `outcome`; `matches`/`mismatches` are
		/// the version's counts afterwards.
		VersionAttested {
			model: ModelId,
			version: VersionId,
			attester: T::AccountId,
			outcome: AttestationOutcome,
			report_cid: CidOf<T>,
			deposit: BalanceOf<T>,
			matches: u32,
			mismatches: u32,
		},
		/// `create_model` skipped ids already taken in the model collection.
		ModelIdsSkipped { from: ModelId, to: ModelId },
		/// `who` set (`Some`) or cleared (`None`) their x25519 encryption key.
		EncryptionKeySet { who: T::AccountId, key: Option<EncryptionKey> },
		/// The key envelope of an encrypted version was recorded: by `publish_version`
		/// (`by` is the trainer) or replaced by a rekey (`set_version_envelope`).
		VersionEnvelopeSet {
			model: ModelId,
			version: VersionId,
			envelope_cid: CidOf<T>,
			by: T::AccountId,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No model with this id.
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
		/// The role set is empty.
		InvalidRoles,
		/// The model is frozen; only withdrawals are possible until it is thawed.
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
		/// The same contribution appears twice in one call.
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
		/// Only the model's owner may do this (slash destination, spec, revoking versions,
		/// retiring).
		NotOwner,
		/// The model is retired (by its owner, or its NFT was burned): only withdrawals of
		/// pending contributions and releasing the model deposit remain possible.
		ModelRetired,
		/// The model is retired and its deposit was already released.
		AlreadyRetired,
		/// The model is already retired; its deposit is released by the last withdrawal of a
		/// pending contribution.
		ContributionsPending,
		/// This account already has `MaxPendingPerAccount` contributions pending on this
		/// model.
		TooManyPendingFromAccount,
		/// This account already attested this version.
		AlreadyAttested,
		/// A version's trainer cannot attest their own version.
		CannotAttestOwnVersion,
		/// Every id tried for the new model's NFT was already taken in the model collection.
		NoFreeModelId,
		/// The encryption key is all zeros (not a usable x25519 public key).
		InvalidEncryptionKey,
		/// The caller has no encryption key to clear.
		NoEncryptionKey,
		/// The model is `Permissioned`: `publish_version` needs the key envelope's CID.
		EnvelopeRequired,
		/// The model is `Public`: its versions are not encrypted, so no envelope is taken.
		EnvelopeNotAllowed,
		/// The model has no head version yet.
		NoHead,
		/// The head version was published unencrypted (while the model was `Public`): it
		/// has no envelope to replace.
		HeadNotEncrypted,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxCidLen::get() > 0, "MaxCidLen must be positive");
			assert!(T::MaxMetricKeyLen::get() > 0, "MaxMetricKeyLen must be positive");
			assert!(T::MaxSettlementsPerVersion::get() > 0, "MaxSettlementsPerVersion is 0");
			assert!(T::MaxPendingContributions::get() > 0, "MaxPendingContributions is 0");
			assert!(
				T::MaxPendingPerAccount::get() > 0
					&& T::MaxPendingPerAccount::get() <= T::MaxPendingContributions::get(),
				"MaxPendingPerAccount must be in 1..=MaxPendingContributions"
			);
			assert!(
				!T::ContributionDeposit::get().is_zero(),
				"a zero ContributionDeposit makes pending slots free to squat"
			);
			assert!(
				!T::AttestationDeposit::get().is_zero(),
				"a zero AttestationDeposit makes attestations free to spam"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Create a model: mint its NFT to the caller and hold the model deposit.
		///
		/// `spec_cid`/`spec_hash` name the model spec document in IPFS. The caller becomes
		/// owner and holds every role. The first version is published with
		/// `publish_version(expected_parent: None)`. Ids already taken in the model
		/// collection are skipped (at most `MAX_MODEL_ID_PROBES`).
		///
		/// Origin: Signed; pays `ModelDeposit` (held) and the NFT item deposit.
		///
		/// Events: `ModelCreated`, `ModelIdsSkipped` when ids were skipped; pallet-nfts
		/// `Issued` and `AttributeSet` (spec CID).
		///
		/// Errors: `EmptyCid`, `NoFreeModelId`, `Overflow`; funds errors when the deposits
		/// cannot be held.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create_model().saturating_add(
			// Each probe reads the NFT item (~893 B) and Models (320 B).
			Weight::from_parts(5_000_000, 1_213)
				.saturating_mul(MAX_MODEL_ID_PROBES as u64)
				.saturating_add(T::DbWeight::get().reads(2 * MAX_MODEL_ID_PROBES as u64))
		))]
		pub fn create_model(
			origin: OriginFor<T>,
			spec_cid: CidOf<T>,
			spec_hash: Hash32,
			policy: AccessPolicy,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_create_model(who, ModelMetadata { spec_cid, spec_hash }, policy)
		}

		/// Replace a model's spec document (and its NFT's spec attribute).
		///
		/// Origin: Signed by the model's owner (the spec is what the model is).
		///
		/// Events: `ModelMetadataSet`.
		///
		/// Errors: `UnknownModel`, `ModelRetired`, `ModelFrozen`, `NotOwner`, `EmptyCid`.
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

		/// Set who may read and who may contribute.
		///
		/// Origin: Signed by the owner or an Admin.
		///
		/// Events: `AccessPolicySet`.
		///
		/// Errors: `UnknownModel`, `ModelRetired`, `ModelFrozen`, `NotAdmin`.
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
		/// The grant records the current owner and stops counting once the NFT changes hands;
		/// a grant left from a previous owner is replaced, not extended.
		///
		/// Origin: Signed by the owner or an Admin; only the owner grants Admin.
		///
		/// Events: `RoleGranted`.
		///
		/// Errors: `UnknownModel`, `ModelRetired`, `ModelFrozen`, `InvalidRoles`,
		/// `CannotTargetOwner`, `NotAdmin`, `OnlyOwnerManagesAdmins`.
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

		/// Revoke `roles` from `who`.
		///
		/// Origin: Signed by the owner or an Admin; only the owner revokes Admin.
		///
		/// Events: `RoleRevoked`.
		///
		/// Errors: as `grant_role`.
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

		/// Freeze a model: every change is refused until `thaw_model`, except withdrawals of
		/// pending contributions, and the model's NFT cannot be transferred or burned.
		///
		/// Origin: Signed by the owner or an Admin.
		///
		/// Events: `ModelFrozen`; pallet-nfts `AttributeSet` (transfer lock).
		///
		/// Errors: `UnknownModel`, `ModelRetired`, `AlreadyFrozen`, `NotAdmin`.
		#[pallet::call_index(5)]
		pub fn freeze_model(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_frozen(&who, model, true)
		}

		/// Thaw a frozen model and unlock its NFT.
		///
		/// Origin: Signed by the owner or an Admin.
		///
		/// Events: `ModelThawed`; pallet-nfts `AttributeCleared` (transfer lock).
		///
		/// Errors: `UnknownModel`, `ModelRetired`, `NotFrozen`, `NotAdmin`.
		#[pallet::call_index(6)]
		pub fn thaw_model(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_frozen(&who, model, false)
		}

		/// Register a data set published to IPFS as a contribution and hold
		/// `ContributionDeposit` from the caller until a trainer settles it.
		///
		/// Origin: Signed; the Contributor role when the model's policy requires it.
		///
		/// Events: `ContributionSubmitted`.
		///
		/// Errors: `UnknownModel`, `ModelRetired`, `ModelFrozen`, `NotContributor`,
		/// `EmptyCid`, `ZeroRows`, `TooManyPendingContributions`,
		/// `TooManyPendingFromAccount`, `Overflow`; funds errors.
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

		/// Withdraw a still-pending contribution and release its deposit. Works on frozen and
		/// retired models too, so no deposit is ever trapped; the last withdrawal from a
		/// retired model also releases the model deposit.
		///
		/// Origin: Signed by the contributor.
		///
		/// Events: `ContributionWithdrawn`, `ModelDepositReleased`.
		///
		/// Errors: `UnknownModel`, `UnknownContribution`, `NotContributionOwner`,
		/// `ContributionNotPending`.
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
		/// `settlements` in the same call; `card_cid` names the version card in IPFS.
		///
		/// Fails with `StaleParent` when the head is not `expected_parent` (use `None` for a
		/// model's first version), so concurrent trainers never fork or overwrite history.
		/// Accepted contributions get their deposit back; rejected ones are slashed to the
		/// model's slash destination (under `AcceptedContributors`: shared among this
		/// version's accepted contributions pro rata to their reward weights, the remainder
		/// to the owner). A contribution no longer pending is skipped with
		/// `SettlementSkipped`. Holds `VersionDeposit` from the trainer and writes the head
		/// attributes of the model's NFT.
		///
		/// `envelope_cid` names the version's key envelope in IPFS: required when the model
		/// is `Permissioned` (its objects are encrypted with a fresh content key sealed to
		/// the role holders in that envelope), refused when it is `Public`.
		///
		/// Origin: Signed by the owner or a Trainer.
		///
		/// Events: `ContributionAccepted`, `ContributionRejected`, `SettlementSkipped`,
		/// `ContributionRewarded`, `SlashesShared`, `VersionPublished`, `VersionEnvelopeSet`
		/// (permissioned models).
		///
		/// Errors: `UnknownModel`, `ModelRetired`, `ModelFrozen`, `NotTrainer`,
		/// `StaleParent`, `EmptyCid`, `EnvelopeRequired`, `EnvelopeNotAllowed`,
		/// `UnknownContribution`, `DuplicateSettlement`, `Overflow`; funds errors.
		///
		/// Weight: the benchmarked `publish_version(s)`, measured on a permissioned model, so
		/// it includes the `VersionEnvelopes` write.
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
			card_cid: CidOf<T>,
			metrics: MetricsOf<T>,
			settlements: SettlementsOf<T>,
			envelope_cid: Option<CidOf<T>>,
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
					card_cid,
					metrics,
					settlements,
					envelope_cid,
				},
			)
		}

		/// Move the head to an existing, non-revoked version (rollback or roll-forward).
		/// `reason` is a free code recorded in the `HeadSet` event.
		///
		/// Origin: Signed by the owner or an Admin.
		///
		/// Events: `HeadSet`; pallet-nfts `AttributeSet` (head attributes).
		///
		/// Errors: `UnknownModel`, `ModelRetired`, `ModelFrozen`, `NotAdmin`,
		/// `UnknownVersion`, `VersionRevoked`, `AlreadyHead`.
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

		/// Mark an active version deprecated: still usable, but discouraged.
		///
		/// Origin: Signed by the owner or an Admin.
		///
		/// Events: `VersionDeprecated`.
		///
		/// Errors: `UnknownModel`, `ModelRetired`, `ModelFrozen`, `NotAdmin`,
		/// `UnknownVersion`, `VersionNotActive`.
		#[pallet::call_index(11)]
		pub fn deprecate_version(
			origin: OriginFor<T>,
			model: ModelId,
			version: VersionId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_deprecate_version(&who, model, version)
		}

		/// Revoke a version for good (it can never be head again). Refused for the head:
		/// move the head first.
		///
		/// Origin: Signed by the owner (it cannot be undone).
		///
		/// Events: `VersionRevoked`.
		///
		/// Errors: `UnknownModel`, `ModelRetired`, `ModelFrozen`, `NotOwner`,
		/// `UnknownVersion`, `VersionRevoked`, `CannotRevokeHead`.
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
		///
		/// Origin: Signed by the owner (it decides who receives money).
		///
		/// Events: `SlashDestinationSet`.
		///
		/// Errors: `UnknownModel`, `ModelRetired`, `ModelFrozen`, `NotOwner`.
		#[pallet::call_index(13)]
		pub fn set_slash_destination(
			origin: OriginFor<T>,
			model: ModelId,
			destination: SlashDestination<T::AccountId>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_slash_destination(&who, model, destination)
		}

		/// Retire a model: no new versions, contributions or settings from now on; pending
		/// contributions may still be withdrawn and history stays. The model deposit is
		/// released to its depositor now if nothing is pending, else by the last withdrawal.
		///
		/// Origin: Signed by the owner; by anyone once the model's NFT was burned.
		///
		/// Events: `ModelRetired`, `ModelDepositReleased` when nothing is pending.
		///
		/// Errors: `UnknownModel`, `ModelFrozen`, `NotOwner`, `ContributionsPending`
		/// (already retired; the last withdrawal releases the deposit), `AlreadyRetired`.
		#[pallet::call_index(14)]
		pub fn retire_model(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_retire_model(&who, model)
		}

		/// Reject pending contributions without publishing a version, so junk can be cleared
		/// without training. Deposits go to the slash destination (under
		/// `AcceptedContributors`, to the owner: there is no version to reward). A
		/// contribution no longer pending is skipped with `SettlementSkipped`.
		///
		/// Origin: Signed by the owner or a Trainer.
		///
		/// Events: `ContributionRejected`, `SettlementSkipped`, `SlashesShared`.
		///
		/// Errors: `UnknownModel`, `ModelRetired`, `ModelFrozen`, `NotTrainer`,
		/// `UnknownContribution`, `DuplicateSettlement`.
		#[pallet::call_index(15)]
		#[pallet::weight(T::WeightInfo::reject_contributions(rejections.len() as u32))]
		pub fn reject_contributions(
			origin: OriginFor<T>,
			model: ModelId,
			rejections: RejectionsOf<T>,
		) -> DispatchResult {
			let trainer = ensure_signed(origin)?;
			Self::do_reject_contributions(trainer, model, rejections)
		}

		/// Record that the caller re-derived `version` from its recipe and found `outcome`;
		/// `report_cid` names the verification report in IPFS. One attestation per account
		/// and version; holds `AttestationDeposit` for as long as it exists.
		///
		/// Origin: Signed, by anyone but the version's trainer.
		///
		/// Events: `VersionAttested`.
		///
		/// Errors: `UnknownModel`, `ModelFrozen`, `UnknownVersion`, `EmptyCid`,
		/// `CannotAttestOwnVersion`, `AlreadyAttested`, `Overflow`; funds errors.
		#[pallet::call_index(16)]
		pub fn attest_version(
			origin: OriginFor<T>,
			model: ModelId,
			version: VersionId,
			outcome: AttestationOutcome,
			report_cid: CidOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_attest_version(who, model, version, outcome, report_cid)
		}

		/// Publish (`Some`) or clear (`None`) the caller's x25519 public key for CMU. Being
		/// in a signed extrinsic binds the key to the account. Later key envelopes of
		/// permissioned models seal content keys to it; clearing it leaves the account out
		/// of every later envelope (what it could already read stays readable to it).
		///
		/// Origin: Signed, by any account.
		///
		/// Events: `EncryptionKeySet`.
		///
		/// Errors: `InvalidEncryptionKey` (all zeros), `NoEncryptionKey` (clearing a key
		/// that is not set).
		#[pallet::call_index(17)]
		pub fn set_encryption_key(
			origin: OriginFor<T>,
			key: Option<EncryptionKey>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_encryption_key(who, key)
		}

		/// Replace the key envelope of the model's head (rekey): the head's content key
		/// re-sealed to the current role holders, e.g. after a grant, a revocation or a
		/// holder's new encryption key. Earlier versions keep their envelopes.
		///
		/// Origin: Signed by the owner or an Admin.
		///
		/// Events: `VersionEnvelopeSet`.
		///
		/// Errors: `UnknownModel`, `ModelRetired`, `ModelFrozen`, `NotAdmin`, `EmptyCid`,
		/// `NoHead`, `HeadNotEncrypted`.
		#[pallet::call_index(18)]
		pub fn set_version_envelope(
			origin: OriginFor<T>,
			model: ModelId,
			envelope_cid: CidOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_version_envelope(who, model, envelope_cid)
		}
	}
}
