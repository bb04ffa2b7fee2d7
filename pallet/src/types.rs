//! Records kept by pallet-cmu and the small value types its calls take.

use polkadot_sdk::{frame_support, frame_system};

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use enumflags2::{bitflags, BitFlags};
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
/// An x25519 public key (32 bytes) an account publishes so that content keys of
/// permissioned models can be sealed to it.
pub type EncryptionKey = [u8; 32];

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
/// Rejections given to `reject_contributions`.
pub type RejectionsOf<T> =
	BoundedVec<(ContributionId, RejectionReason), <T as Config>::MaxSettlementsPerVersion>;
/// A trainer's measure of how much an accepted contribution improved the model (its
/// measured improvement, in units the worker chooses); slashed deposits of the same version
/// are shared pro rata to it under [`SlashDestination::AcceptedContributors`].
pub type RewardWeight = u32;
/// The contributions a version used.
pub type UsedContributionsOf<T> =
	BoundedVec<ContributionId, <T as Config>::MaxSettlementsPerVersion>;

/// One per-model role. The model's owner holds every role implicitly.
#[bitflags]
#[repr(u8)]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub enum Role {
	/// Runs the model day to day: access policy, Contributor/Trainer/Reader grants,
	/// freeze/thaw, head moves and deprecations. Never what moves money or cannot be undone
	/// (see [`crate::Pallet`] docs): those stay with the owner.
	Admin = 0b0001,
	/// May submit contributions when the model's policy requires the role.
	Contributor = 0b0010,
	/// May publish versions, settle contributions and reject them without publishing.
	Trainer = 0b0100,
	/// May read a permissioned model (enforced off chain by clients and gateways).
	Reader = 0b1000,
}

/// A set of per-model roles as typed bit flags (like pallet-nfts' `CollectionRoles`),
/// encoded as one `u8`: Admin 1, Contributor 2, Trainer 4, Reader 8. Decoding refuses
/// undefined bits.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct RoleSet(pub BitFlags<Role>);

impl RoleSet {
	/// The empty set.
	pub fn none() -> Self {
		Self(BitFlags::EMPTY)
	}
	/// Every role: what the owner holds implicitly.
	pub fn all() -> Self {
		Self(BitFlags::all())
	}
	/// Whether `role` is in this set.
	pub fn has(&self, role: Role) -> bool {
		self.0.contains(role)
	}
	/// Whether every role of `other` is in this set.
	pub fn contains_all(&self, other: RoleSet) -> bool {
		self.0.contains(other.0)
	}
	/// Whether no role is in this set.
	pub fn is_empty(&self) -> bool {
		self.0.is_empty()
	}
	/// This set plus `other`.
	pub fn union(self, other: RoleSet) -> RoleSet {
		RoleSet(self.0 | other.0)
	}
	/// This set without `other`.
	pub fn difference(self, other: RoleSet) -> RoleSet {
		RoleSet(self.0 & !other.0)
	}
	/// The encoded bits.
	pub fn bits(&self) -> u8 {
		self.0.bits()
	}
}

impl From<Role> for RoleSet {
	fn from(role: Role) -> Self {
		Self(role.into())
	}
}

impl From<BitFlags<Role>> for RoleSet {
	fn from(roles: BitFlags<Role>) -> Self {
		Self(roles)
	}
}

impl MaxEncodedLen for RoleSet {
	fn max_encoded_len() -> usize {
		u8::max_encoded_len()
	}
}
impl Encode for RoleSet {
	fn using_encoded<R, F: FnOnce(&[u8]) -> R>(&self, f: F) -> R {
		self.0.bits().using_encoded(f)
	}
}
impl codec::EncodeLike for RoleSet {}
impl Decode for RoleSet {
	fn decode<I: codec::Input>(input: &mut I) -> Result<Self, codec::Error> {
		let bits = u8::decode(input)?;
		Ok(Self(BitFlags::from_bits(bits).map_err(|_| "undefined role bits")?))
	}
}
impl DecodeWithMemTracking for RoleSet {}
impl TypeInfo for RoleSet {
	type Identity = Self;
	fn type_info() -> scale_info::Type {
		use scale_info::{build::Fields, meta_type, Path, Type, TypeParameter};
		Type::builder()
			.path(Path::new("BitFlags", module_path!()))
			.type_params(alloc::vec![TypeParameter::new("T", Some(meta_type::<Role>()))])
			.composite(Fields::unnamed().field(|f| f.ty::<u8>().type_name("Role")))
	}
}

/// An explicit grant of roles on a model, recorded with the owner it was made under: it
/// counts only while that account owns the model's NFT, so a sale hands the buyer a clean
/// model and an old grant never revives after the NFT moves on.
#[derive(
	Clone, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, PartialEq, Eq, Debug,
)]
pub struct Grant<AccountId> {
	/// The roles granted.
	pub roles: RoleSet,
	/// The NFT owner when the grant was made (by the owner or one of its Admins).
	pub owner: AccountId,
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
	/// is public; every version's objects are encrypted in IPFS with a per-version content
	/// key that is sealed, in the version's key envelope (`VersionEnvelopes`), to the
	/// x25519 keys (`EncryptionKeys`) of the role holders and the owner.
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
	/// To the accepted contributors of the version that rejected it, pro rata to their
	/// reward weights; any rounding remainder (and everything, when nobody was accepted or
	/// every weight is zero, or when rejected with `reject_contributions`) to the owner.
	AcceptedContributors,
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
	/// A frozen model takes no change at all except withdrawals of pending contributions,
	/// and its NFT cannot be transferred.
	pub frozen: bool,
	/// A retired model (by `retire_model`, or whose NFT was burned) takes no new versions,
	/// contributions or settings; pending contributions may be withdrawn; history stays.
	pub retired: bool,
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
	/// The storage deposit held from `depositor`; zero once released by `retire_model`.
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
	/// IPFS CID of the version card (the human- and machine-readable summary of the
	/// version: recipe, data, metrics, settlements).
	pub card_cid: CidOf<T>,
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
	/// Accounts that re-derived this version and attested a bit-for-bit match.
	pub matches: u32,
	/// Accounts that re-derived this version and attested a mismatch.
	pub mismatches: u32,
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
	/// Used in the version: the deposit is released. The weight is the contribution's
	/// measured improvement, its share of the version's slashed deposits under
	/// [`SlashDestination::AcceptedContributors`].
	Accept(RewardWeight),
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
	/// The version that settled it; `None` while pending, when withdrawn or when rejected
	/// by `reject_contributions` (without a version).
	pub settled_in: Option<VersionId>,
	/// Block in which it was submitted.
	pub submitted_at: BlockNumberOf<T>,
	/// The trainer's reward weight, once accepted.
	pub reward_weight: RewardWeight,
	/// Slashed deposits of other contributions paid to this contributor as a reward.
	pub reward: BalanceOf<T>,
}

/// What a re-derivation of a version found.
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
pub enum AttestationOutcome {
	/// Re-running the recipe produced the artifact bit for bit.
	Match,
	/// Re-running the recipe produced something else.
	Mismatch,
}

/// One account's attestation of one version.
#[derive(
	CloneNoBound, Encode, Decode, MaxEncodedLen, TypeInfo, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
pub struct AttestationRecord<T: Config> {
	/// What the attester found.
	pub outcome: AttestationOutcome,
	/// IPFS CID of the attester's verification report.
	pub report_cid: CidOf<T>,
	/// The deposit held from the attester while the record exists.
	pub deposit: BalanceOf<T>,
	/// Block in which it was recorded.
	pub at: BlockNumberOf<T>,
}

/// A contributor's track record over every model: what came back, what was earned and what
/// was lost.
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
pub struct ContributorTotals<Balance> {
	/// Contributions accepted.
	pub accepted: u32,
	/// Contributions rejected.
	pub rejected: u32,
	/// Deposits released on acceptance.
	pub returned: Balance,
	/// Rewards received from other contributors' slashed deposits.
	pub rewards: Balance,
	/// Deposits slashed on rejection.
	pub slashed: Balance,
}

/// Parameters of `publish_version` gathered in one place for the implementation.
pub(crate) struct NewVersion<T: Config> {
	pub expected_parent: Option<VersionId>,
	pub artifact_cid: CidOf<T>,
	pub artifact_hash: Hash32,
	pub recipe_hash: Hash32,
	pub card_cid: CidOf<T>,
	pub metrics: MetricsOf<T>,
	pub settlements: SettlementsOf<T>,
	pub envelope_cid: Option<CidOf<T>>,
}
