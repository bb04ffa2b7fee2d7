//! Records kept by pallet-cmu and the small value types its calls take.

use polkadot_sdk::{frame_support, frame_system};

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::*, traits::fungible};
use scale_info::TypeInfo;

use crate::Config;

/// Identifier of a model: the item id of its NFT in the model collection.
pub type ModelId = u32;
/// Identifier of a version, sequential per model starting at 0.
pub type VersionId = u32;
/// Identifier of a contribution, sequential per model starting at 0.
pub type ContributionId = u32;
/// A 32-byte content hash (sha2-256 of the bytes stored in IPFS).
pub type Hash32 = [u8; 32];

pub(crate) type AccountIdOf<T> = <T as frame_system::Config>::AccountId;
pub(crate) type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<AccountIdOf<T>>>::Balance;
pub(crate) type BlockNumberOf<T> = frame_system::pallet_prelude::BlockNumberFor<T>;

/// An IPFS content identifier (CIDv0 or CIDv1, as its string bytes).
pub type CidOf<T> = BoundedVec<u8, <T as Config>::MaxCidLen>;
/// The metrics recorded on a version.
pub type MetricsOf<T> =
	BoundedVec<Metric<<T as Config>::MaxMetricKeyLen>, <T as Config>::MaxMetrics>;
/// Contribution verdicts given to `publish_version`.
pub type SettlementsOf<T> =
	BoundedVec<(ContributionId, Verdict), <T as Config>::MaxSettlementsPerVersion>;
/// The contributions a version used.
pub type UsedContributionsOf<T> =
	BoundedVec<ContributionId, <T as Config>::MaxSettlementsPerVersion>;

/// A set of per-model roles, stored as bit flags.
///
/// The model's owner holds every role implicitly; explicit grants are kept per
/// (model, account) in `Roles`.
#[derive(
	Clone,
	Copy,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	PartialEq,
	Eq,
	Debug,
)]
pub struct RoleSet(pub u8);

impl RoleSet {
	/// May change metadata, policy, roles below Admin, freeze/thaw, head and version status.
	pub const ADMIN: u8 = 0b0001;
	/// May submit contributions when the model's policy requires the role.
	pub const CONTRIBUTOR: u8 = 0b0010;
	/// May publish versions and settle contributions.
	pub const TRAINER: u8 = 0b0100;
	/// May read a permissioned model (enforced off chain by clients and gateways).
	pub const READER: u8 = 0b1000;
	/// Every defined role.
	pub const ALL: u8 = Self::ADMIN | Self::CONTRIBUTOR | Self::TRAINER | Self::READER;

	/// The empty set.
	pub const fn none() -> Self {
		Self(0)
	}
	/// Every role: what the owner holds implicitly.
	pub const fn all() -> Self {
		Self(Self::ALL)
	}
	/// Whether every bit of `roles` is in this set.
	pub fn contains(&self, roles: u8) -> bool {
		self.0 & roles == roles
	}
	/// Whether no role is in this set.
	pub fn is_empty(&self) -> bool {
		self.0 == 0
	}
	/// Whether the set only uses defined bits.
	pub fn is_valid(&self) -> bool {
		self.0 & !Self::ALL == 0
	}
	/// This set plus `other`.
	pub fn union(self, other: RoleSet) -> RoleSet {
		RoleSet(self.0 | other.0)
	}
	/// This set without `other`.
	pub fn difference(self, other: RoleSet) -> RoleSet {
		RoleSet(self.0 & !other.0)
	}
}

/// Who may read a model's artifacts.
#[derive(
	Clone,
	Copy,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	PartialEq,
	Eq,
	Debug,
)]
pub enum Visibility {
	/// Anyone may fetch and use every version.
	#[default]
	Public,
	/// Only the owner and holders of the Reader role (or any other role). Chain state
	/// is public: this is honoured by clients and gateways, not hidden by the chain.
	Permissioned,
}

/// Who may submit contributions to a model.
#[derive(
	Clone,
	Copy,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	PartialEq,
	Eq,
	Debug,
)]
pub enum ContributionMode {
	/// Any account that can pay the deposit.
	#[default]
	Open,
	/// Only the owner and holders of the Contributor role.
	RoleRequired,
}

/// A model's access policy.
#[derive(
	Clone,
	Copy,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	PartialEq,
	Eq,
	Debug,
)]
pub struct AccessPolicy {
	/// Who may read the model.
	pub visibility: Visibility,
	/// Who may contribute data.
	pub contributions: ContributionMode,
}

/// Where the deposit of a rejected contribution goes.
#[derive(
	Clone,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	PartialEq,
	Eq,
	Debug,
)]
pub enum SlashDestination<AccountId> {
	/// To whoever owns the model when the contribution is rejected.
	#[default]
	ModelOwner,
	/// Burned: total issuance shrinks.
	Burn,
	/// To a fixed account (a treasury, say).
	Account(AccountId),
}

/// The model spec document: the CID and hash of a JSON document that states the task,
/// feature schema, label, LightGBM parameters, acceptance tolerance and validation set.
#[derive(
	CloneNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxCidLen))]
pub struct ModelMetadata<MaxCidLen: Get<u32>> {
	/// IPFS CID of the spec document.
	pub spec_cid: BoundedVec<u8, MaxCidLen>,
	/// sha2-256 of the spec document's bytes.
	pub spec_hash: Hash32,
}

/// Everything the chain knows about a model besides its owner (kept by the NFT).
#[derive(
	CloneNoBound, Encode, Decode, MaxEncodedLen, TypeInfo, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
pub struct ModelInfo<T: Config> {
	/// The spec document.
	pub metadata: ModelMetadata<T::MaxCidLen>,
	/// Who may read and contribute.
	pub policy: AccessPolicy,
	/// Where rejected contributions' deposits go.
	pub slash_destination: SlashDestination<AccountIdOf<T>>,
	/// A frozen model takes no contributions, versions or head changes.
	pub frozen: bool,
	/// The version users should use; `None` until the first version is published.
	pub head: Option<VersionId>,
	/// Number of versions ever published (the next version's id).
	pub version_count: u32,
	/// Number of contributions ever submitted (the next contribution's id).
	pub contribution_count: u32,
	/// Number of contributions still pending.
	pub pending_contributions: u32,
	/// Block in which the model was created.
	pub created_at: BlockNumberOf<T>,
	/// The account whose storage deposit is held for this model.
	pub depositor: AccountIdOf<T>,
	/// The storage deposit held from `depositor`.
	pub deposit: BalanceOf<T>,
}

/// A version's lifecycle.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	PartialEq,
	Eq,
	Debug,
)]
pub enum VersionStatus {
	/// Usable.
	Active,
	/// Usable but discouraged; may still be made head.
	Deprecated,
	/// Must not be used; can never be head again.
	Revoked,
}

/// One evaluation metric, in fixed point with 9 decimals (`value / 1e9`).
#[derive(
	CloneNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxKeyLen))]
pub struct Metric<MaxKeyLen: Get<u32>> {
	/// Metric name, e.g. `val_auc`.
	pub key: BoundedVec<u8, MaxKeyLen>,
	/// Value times 10^9.
	pub value: i64,
}

/// One entry in a model's version linked list.
#[derive(
	CloneNoBound, Encode, Decode, MaxEncodedLen, TypeInfo, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
pub struct VersionRecord<T: Config> {
	/// The version this one was trained from; `None` for the first.
	pub parent: Option<VersionId>,
	/// IPFS CID of the model artifact (LightGBM text model).
	pub artifact_cid: CidOf<T>,
	/// sha2-256 of the artifact's bytes.
	pub artifact_hash: Hash32,
	/// sha2-256 of the training recipe (parameters, data order, library versions).
	pub recipe_hash: Hash32,
	/// Evaluation metrics on the model's validation set.
	pub metrics: MetricsOf<T>,
	/// The account that published it.
	pub trainer: AccountIdOf<T>,
	/// Block in which it was published.
	pub created_at: BlockNumberOf<T>,
	/// Contributions accepted into this version.
	pub contributions: UsedContributionsOf<T>,
	/// Lifecycle status.
	pub status: VersionStatus,
	/// The storage deposit held from `trainer`.
	pub deposit: BalanceOf<T>,
}

/// Why a trainer rejected a contribution.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	PartialEq,
	Eq,
	Debug,
)]
pub enum RejectionReason {
	/// The data does not match the model spec's schema.
	InvalidSchema,
	/// The bytes in IPFS do not hash to the registered hash.
	HashMismatch,
	/// The data could not be fetched from IPFS.
	Unreachable,
	/// Training with the data made the validation metric worse beyond tolerance.
	HarmsMetric,
	/// The data duplicates data the model already used.
	Duplicate,
}

/// A trainer's decision on one contribution.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	PartialEq,
	Eq,
	Debug,
)]
pub enum Verdict {
	/// Used in the version: the deposit is released.
	Accept,
	/// Not used: the deposit is slashed.
	Reject(RejectionReason),
}

/// A contribution's lifecycle.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	PartialEq,
	Eq,
	Debug,
)]
pub enum ContributionStatus {
	/// Waiting for a trainer.
	Pending,
	/// Used in a version; deposit released.
	Accepted,
	/// Refused by a trainer; deposit slashed.
	Rejected(RejectionReason),
	/// Taken back by the contributor before settlement; deposit released.
	Withdrawn,
}

/// A data set registered for a model.
#[derive(
	CloneNoBound, Encode, Decode, MaxEncodedLen, TypeInfo, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
pub struct ContributionRecord<T: Config> {
	/// Who submitted it and whose deposit is held.
	pub contributor: AccountIdOf<T>,
	/// IPFS CID of the data (CSV).
	pub data_cid: CidOf<T>,
	/// sha2-256 of the data's bytes.
	pub data_hash: Hash32,
	/// Number of data rows claimed by the contributor.
	pub rows: u32,
	/// The deposit held while pending.
	pub deposit: BalanceOf<T>,
	/// Lifecycle status.
	pub status: ContributionStatus,
	/// The version that settled it, once settled.
	pub settled_in: Option<VersionId>,
	/// Block in which it was submitted.
	pub submitted_at: BlockNumberOf<T>,
}

/// Parameters of `publish_version` gathered in one place for the implementation.
pub(crate) struct NewVersion<T: Config> {
	pub expected_parent: Option<VersionId>,
	pub artifact_cid: CidOf<T>,
	pub artifact_hash: Hash32,
	pub recipe_hash: Hash32,
	pub metrics: MetricsOf<T>,
	pub settlements: SettlementsOf<T>,
}
