//! Runtime APIs: what nodes, chopsticks, py-substrate-interface and polkadot.js call.

use crate::{
	genesis, AccountId, AuraId, Balance, Block, Cmu, ConsensusHook, Executive, InherentDataExt,
	Nonce, ParachainInfo, ParachainSystem, Runtime, RuntimeCall, RuntimeGenesisConfig, SessionKeys,
	System, TransactionPayment, BLOCK_PROCESSING_VELOCITY, SLOT_DURATION, VERSION,
};
use alloc::vec::Vec;
use polkadot_sdk::{
	cumulus_primitives_aura, cumulus_primitives_core,
	frame_support::{
		self,
		genesis_builder_helper::{build_state, get_preset},
		view_functions::{ViewFunctionDispatchError, ViewFunctionId},
		weights::Weight,
	},
	frame_system_rpc_runtime_api, pallet_aura, pallet_transaction_payment,
	pallet_transaction_payment_rpc_runtime_api, sp_api, sp_block_builder, sp_consensus_aura,
	sp_core::{crypto::KeyTypeId, OpaqueMetadata},
	sp_genesis_builder, sp_inherents, sp_offchain,
	sp_runtime::{
		traits::Block as BlockT,
		transaction_validity::{TransactionSource, TransactionValidity},
		ApplyExtrinsicResult, ExtrinsicInclusionMode,
	},
	sp_session, sp_transaction_pool,
	sp_version::RuntimeVersion,
};
#[cfg(feature = "runtime-benchmarks")]
use polkadot_sdk::{frame_benchmarking, frame_system_benchmarking};

// The pallets whose benchmarks the `Benchmark` runtime API runs (`frame-omni-bencher v1
// benchmark pallet --pallet <name>`): the benchmark name, then the type that implements it.
// `define_benchmarks!` defines the `list_benchmarks!` and `add_benchmarks!` macros used below;
// they are in scope for the rest of this file only.
#[cfg(feature = "runtime-benchmarks")]
frame_benchmarking::define_benchmarks!(
	[frame_benchmarking, BaselineBench::<Runtime>]
	[frame_system, SystemBench::<Runtime>]
	[pallet_timestamp, Timestamp]
	[pallet_balances, Balances]
	[pallet_utility, Utility]
	[pallet_sudo, Sudo]
	[pallet_nfts, Nfts]
	[pallet_cmu, Cmu]
);

// frame-system's and the baseline benchmarks with their default set-up.
#[cfg(feature = "runtime-benchmarks")]
impl frame_system_benchmarking::Config for Runtime {}
#[cfg(feature = "runtime-benchmarks")]
impl frame_benchmarking::baseline::Config for Runtime {}

sp_api::impl_runtime_apis! {
	impl sp_api::Core<Block> for Runtime {
		fn version() -> RuntimeVersion {
			VERSION
		}

		fn execute_block(block: <Block as BlockT>::LazyBlock) {
			Executive::execute_block(block)
		}

		fn initialize_block(header: &<Block as BlockT>::Header) -> ExtrinsicInclusionMode {
			Executive::initialize_block(header)
		}
	}

	impl sp_api::Metadata<Block> for Runtime {
		fn metadata() -> OpaqueMetadata {
			OpaqueMetadata::new(Runtime::metadata().into())
		}

		fn metadata_at_version(version: u32) -> Option<OpaqueMetadata> {
			Runtime::metadata_at_version(version)
		}

		fn metadata_versions() -> Vec<u32> {
			Runtime::metadata_versions()
		}
	}

	impl frame_support::view_functions::runtime_api::RuntimeViewFunction<Block> for Runtime {
		fn execute_view_function(
			id: ViewFunctionId,
			input: Vec<u8>,
		) -> Result<Vec<u8>, ViewFunctionDispatchError> {
			Runtime::execute_view_function(id, input)
		}
	}

	impl sp_block_builder::BlockBuilder<Block> for Runtime {
		fn apply_extrinsic(extrinsic: <Block as BlockT>::Extrinsic) -> ApplyExtrinsicResult {
			Executive::apply_extrinsic(extrinsic)
		}

		fn finalize_block() -> <Block as BlockT>::Header {
			Executive::finalize_block()
		}

		fn inherent_extrinsics(
			data: sp_inherents::InherentData,
		) -> Vec<<Block as BlockT>::Extrinsic> {
			data.create_extrinsics()
		}

		fn check_inherents(
			block: <Block as BlockT>::LazyBlock,
			data: sp_inherents::InherentData,
		) -> sp_inherents::CheckInherentsResult {
			data.check_extrinsics(&block)
		}
	}

	impl sp_transaction_pool::runtime_api::TaggedTransactionQueue<Block> for Runtime {
		fn validate_transaction(
			source: TransactionSource,
			tx: <Block as BlockT>::Extrinsic,
			block_hash: <Block as BlockT>::Hash,
		) -> TransactionValidity {
			Executive::validate_transaction(source, tx, block_hash)
		}
	}

	impl sp_consensus_aura::AuraApi<Block, AuraId> for Runtime {
		fn slot_duration() -> sp_consensus_aura::SlotDuration {
			sp_consensus_aura::SlotDuration::from_millis(SLOT_DURATION)
		}

		fn authorities() -> Vec<AuraId> {
			pallet_aura::Authorities::<Runtime>::get().into_inner()
		}
	}

	impl cumulus_primitives_aura::AuraUnincludedSegmentApi<Block> for Runtime {
		fn can_build_upon(
			included_hash: <Block as BlockT>::Hash,
			slot: cumulus_primitives_aura::Slot,
		) -> bool {
			ConsensusHook::can_build_upon(included_hash, slot)
		}
	}

	impl sp_session::SessionKeys<Block> for Runtime {
		fn generate_session_keys(
			owner: Vec<u8>,
			seed: Option<Vec<u8>>,
		) -> sp_session::OpaqueGeneratedSessionKeys {
			SessionKeys::generate(&owner, seed).into()
		}

		fn decode_session_keys(encoded: Vec<u8>) -> Option<Vec<(Vec<u8>, KeyTypeId)>> {
			SessionKeys::decode_into_raw_public_keys(&encoded)
		}
	}

	impl cumulus_primitives_core::CollectCollationInfo<Block> for Runtime {
		fn collect_collation_info(
			header: &<Block as BlockT>::Header,
		) -> cumulus_primitives_core::CollationInfo {
			ParachainSystem::collect_collation_info(header)
		}
	}

	impl cumulus_primitives_core::GetParachainInfo<Block> for Runtime {
		fn parachain_id() -> cumulus_primitives_core::ParaId {
			ParachainInfo::parachain_id()
		}
	}

	impl cumulus_primitives_core::RelayParentOffsetApi<Block> for Runtime {
		fn relay_parent_offset() -> u32 {
			0
		}

		fn max_claim_queue_offset() -> u8 {
			ParachainSystem::max_claim_queue_offset()
		}
	}

	impl cumulus_primitives_core::TargetBlockRate<Block> for Runtime {
		fn target_block_rate() -> u32 {
			BLOCK_PROCESSING_VELOCITY
		}
	}

	impl cumulus_primitives_core::SchedulingV3EnabledApi<Block> for Runtime {
		fn scheduling_v3_enabled() -> bool {
			false
		}
	}

	impl sp_offchain::OffchainWorkerApi<Block> for Runtime {
		fn offchain_worker(header: &<Block as BlockT>::Header) {
			Executive::offchain_worker(header)
		}
	}

	impl frame_system_rpc_runtime_api::AccountNonceApi<Block, AccountId, Nonce> for Runtime {
		fn account_nonce(account: AccountId) -> Nonce {
			System::account_nonce(account)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentApi<Block, Balance>
		for Runtime
	{
		fn query_info(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_info(uxt, len)
		}

		fn query_fee_details(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_fee_details(uxt, len)
		}

		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}

		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentCallApi<
		Block,
		Balance,
		RuntimeCall,
	> for Runtime {
		fn query_call_info(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_call_info(call, len)
		}

		fn query_call_fee_details(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_call_fee_details(call, len)
		}

		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}

		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	impl frame_benchmarking::Benchmark<Block> for Runtime {
		fn benchmark_metadata(extra: bool) -> (
			Vec<frame_benchmarking::BenchmarkList>,
			Vec<frame_support::traits::StorageInfo>,
		) {
			use crate::{AllPalletsWithSystem, Balances, Nfts, Sudo, Timestamp, Utility};
			use frame_benchmarking::{baseline::Pallet as BaselineBench, BenchmarkList};
			use frame_support::traits::StorageInfoTrait;
			use frame_system_benchmarking::Pallet as SystemBench;

			let mut list = Vec::<BenchmarkList>::new();
			list_benchmarks!(list, extra);
			let storage_info = AllPalletsWithSystem::storage_info();
			(list, storage_info)
		}

		fn dispatch_benchmark(
			config: frame_benchmarking::BenchmarkConfig,
		) -> Result<Vec<frame_benchmarking::BenchmarkBatch>, alloc::string::String> {
			use crate::{AllPalletsWithSystem, Balances, Nfts, Sudo, Timestamp, Utility};
			use frame_benchmarking::{baseline::Pallet as BaselineBench, BenchmarkBatch};
			use frame_support::traits::WhitelistedStorageKeys;
			use frame_system_benchmarking::Pallet as SystemBench;

			let whitelist = AllPalletsWithSystem::whitelisted_storage_keys();
			let mut batches = Vec::<BenchmarkBatch>::new();
			let params = (&config, &whitelist);
			add_benchmarks!(params, batches);
			if batches.is_empty() {
				return Err("no benchmark found for this pallet".into());
			}
			Ok(batches)
		}
	}

	impl sp_genesis_builder::GenesisBuilder<Block> for Runtime {
		fn build_state(config: Vec<u8>) -> sp_genesis_builder::Result {
			build_state::<RuntimeGenesisConfig>(config)
		}

		fn get_preset(id: &Option<sp_genesis_builder::PresetId>) -> Option<Vec<u8>> {
			get_preset::<RuntimeGenesisConfig>(id, genesis::get_preset)
		}

		fn preset_names() -> Vec<sp_genesis_builder::PresetId> {
			genesis::preset_names()
		}
	}

	impl pallet_cmu::runtime_api::CmuApi<
		Block,
		AccountId,
		Balance,
		pallet_cmu::VersionRecord<Runtime>,
		pallet_cmu::ContributionRecord<Runtime>,
	> for Runtime {
		fn lineage(
			model: pallet_cmu::ModelId,
			from: Option<pallet_cmu::VersionId>,
			limit: u32,
		) -> Vec<(pallet_cmu::VersionId, pallet_cmu::VersionRecord<Runtime>)> {
			Cmu::lineage(model, from, limit)
		}

		fn pending_contributions(
			model: pallet_cmu::ModelId,
		) -> Vec<(pallet_cmu::ContributionId, pallet_cmu::ContributionRecord<Runtime>)> {
			Cmu::pending_contributions(model)
		}

		fn roles_of(model: pallet_cmu::ModelId, who: AccountId) -> pallet_cmu::RoleSet {
			Cmu::roles_of(model, &who)
		}

		fn contributor_totals(who: AccountId) -> pallet_cmu::ContributorTotals<Balance> {
			Cmu::contributor_totals(&who)
		}
	}
}
