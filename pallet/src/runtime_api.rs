//! Runtime API for clients: a model's lineage, its pending contributions, roles and a
//! contributor's track record, each in one call.

use crate::{ContributionId, ContributorTotals, ModelId, RoleSet, VersionId};
use alloc::vec::Vec;
use codec::Codec;
use polkadot_sdk::sp_api;

/// The most versions one `lineage` call returns.
pub const MAX_LINEAGE_PAGE: u32 = 1_000;

sp_api::decl_runtime_apis! {
	/// Reads of pallet-cmu that would otherwise take many storage requests.
	///
	/// `Version` and `Contribution` are the runtime's `VersionRecord` and
	/// `ContributionRecord` types. Version 2 added `contributor_totals` (and the records'
	/// v1 layouts).
	#[api_version(2)]
	pub trait CmuApi<AccountId, Balance, Version, Contribution>
	where
		AccountId: Codec,
		Balance: Codec,
		Version: Codec,
		Contribution: Codec,
	{
		/// The lineage of `model` from `from` (default: the head) towards the first version,
		/// newest first, at most `limit` entries (capped at `MAX_LINEAGE_PAGE`).
		fn lineage(model: ModelId, from: Option<VersionId>, limit: u32) -> Vec<(VersionId, Version)>;

		/// Every pending contribution of `model`.
		fn pending_contributions(model: ModelId) -> Vec<(ContributionId, Contribution)>;

		/// The roles `who` holds on `model`: all for the owner, grants made under the
		/// current owner for anyone else.
		fn roles_of(model: ModelId, who: AccountId) -> RoleSet;

		/// `who`'s track record as a contributor across every model: accepted and rejected
		/// counts, deposits returned, rewards received, deposits slashed.
		fn contributor_totals(who: AccountId) -> ContributorTotals<Balance>;
	}
}
