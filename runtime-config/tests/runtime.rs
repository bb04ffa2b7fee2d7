//! Native tests of the runtime as configured: genesis presets, the raw chain spec, metadata
//! seen by clients, and pallet-cmu working with pallet-nfts and balances holds.

use cmu_runtime::{
	chain_spec::{genesis_config, merge_json, raw_chain_spec, ChainSpecParams},
	genesis::{dev_accounts, DEV_ENDOWMENT},
	AccountId, Balances, Cmu, Nfts, Runtime, RuntimeHoldReason, RuntimeOrigin, System,
	DEVELOPMENT_PRESET, DEV_PARA_ID, PRESET_NAMES, UNIT, VERSION,
};
use codec::Decode;
use frame_metadata::{RuntimeMetadata, RuntimeMetadataPrefixed};
use polkadot_sdk::{
	frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold},
	frame_system, pallet_aura, pallet_balances, pallet_collator_selection, pallet_nfts,
	pallet_session, pallet_sudo,
	sp_genesis_builder::PresetId,
	sp_io::TestExternalities,
	sp_keyring::Sr25519Keyring,
	sp_runtime::{BuildStorage, DispatchError},
};
use serde_json::json;

fn dev_externalities() -> TestExternalities {
	let storage = genesis_config(DEVELOPMENT_PRESET).unwrap().build_storage().unwrap();
	let mut ext = TestExternalities::new(storage);
	// Events are only recorded from block 1 on.
	ext.execute_with(|| System::set_block_number(1));
	ext
}

fn alice() -> AccountId {
	Sr25519Keyring::Alice.to_account_id()
}

fn bob() -> AccountId {
	Sr25519Keyring::Bob.to_account_id()
}

fn create_model(owner: &AccountId) -> pallet_cmu::ModelId {
	let id = pallet_cmu::NextModelId::<Runtime>::get();
	assert_ok!(Cmu::create_model(
		RuntimeOrigin::signed(owner.clone()),
		b"bafkreitestspec".to_vec().try_into().unwrap(),
		[7u8; 32],
		Default::default(),
	));
	id
}

#[test]
fn development_funds_the_dev_accounts_and_alice_is_sudo_and_sole_collator() {
	assert_eq!(PRESET_NAMES, &["development", "local_testnet"]);
	assert!(cmu_runtime::genesis::get_preset(&PresetId::from("nope")).is_none());
	let accounts = dev_accounts();
	assert_eq!(accounts.len(), 6);
	assert_eq!(accounts[0], alice());
	assert_eq!(accounts[5], Sr25519Keyring::Ferdie.to_account_id());

	dev_externalities().execute_with(|| {
		for who in &accounts {
			assert_eq!(Balances::free_balance(who), DEV_ENDOWMENT);
		}
		assert_eq!(pallet_balances::TotalIssuance::<Runtime>::get(), 6 * DEV_ENDOWMENT);
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(alice()));
		assert_eq!(cmu_runtime::ParachainInfo::parachain_id(), DEV_PARA_ID.into());
		assert_eq!(pallet_collator_selection::Invulnerables::<Runtime>::get().to_vec(), [alice()]);
		assert_eq!(pallet_session::Validators::<Runtime>::get(), [alice()]);
		let aura: Vec<_> = pallet_aura::Authorities::<Runtime>::get().into_iter().collect();
		assert_eq!(aura, [Sr25519Keyring::Alice.public().into()]);
	});
}

#[test]
fn local_testnet_has_two_collators_and_no_sudo() {
	let storage = genesis_config("local_testnet").unwrap().build_storage().unwrap();
	TestExternalities::new(storage).execute_with(|| {
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), None);
		assert_eq!(cmu_runtime::ParachainInfo::parachain_id(), DEV_PARA_ID.into());
		// Collator selection keeps its invulnerables sorted.
		let mut invulnerables = pallet_collator_selection::Invulnerables::<Runtime>::get().to_vec();
		invulnerables.sort();
		let mut expected = vec![alice(), bob()];
		expected.sort();
		assert_eq!(invulnerables, expected);
		let mut validators = pallet_session::Validators::<Runtime>::get();
		validators.sort();
		assert_eq!(validators, expected);
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 2);
		for who in dev_accounts() {
			assert_eq!(Balances::free_balance(&who), DEV_ENDOWMENT);
		}
	});
}

#[test]
fn raw_chain_spec_carries_code_properties_and_genesis_storage() {
	let wasm = b"\0asm not really a runtime".to_vec();
	let spec = raw_chain_spec(&ChainSpecParams::default(), &wasm).unwrap();
	assert_eq!(spec["id"], "cmu_dev");
	assert_eq!(spec["chainType"], "Development");
	// The parachain extensions a Cumulus node reads; the para id is the preset's own.
	assert_eq!(spec["relay_chain"], "rococo-local");
	assert_eq!(spec["para_id"], 1000);
	assert_eq!(
		spec["properties"],
		json!({"ss58Format": 42, "tokenDecimals": 12, "tokenSymbol": "CMU"})
	);
	let top = spec["genesis"]["raw"]["top"].as_object().unwrap();
	// `:code` is the hex of b":code".
	assert_eq!(top["0x3a636f6465"], format!("0x{}", hex_of(&wasm)));
	// System.Account entries (twox128("System") ++ twox128("Account") ++ ...) for 6 accounts.
	let account_prefix = "0x26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9";
	assert_eq!(top.keys().filter(|k| k.starts_with(account_prefix)).count(), 6);
	assert_eq!(spec["genesis"]["raw"]["childrenDefault"], json!({}));

	let unknown = ChainSpecParams { preset: "mainnet".into(), ..Default::default() };
	let error = raw_chain_spec(&unknown, &wasm).unwrap_err().to_string();
	assert!(error.contains("unknown genesis preset \"mainnet\""), "{error}");
	assert!(raw_chain_spec(&ChainSpecParams::default(), b"").is_err());
}

fn hex_of(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn merge_json_follows_rfc7386() {
	let mut base = json!({"a": {"b": 1, "c": 2}, "d": [1, 2], "e": 5});
	merge_json(&mut base, json!({"a": {"b": 9, "x": null}, "d": [3], "e": null, "f": "new"}));
	assert_eq!(base, json!({"a": {"b": 9, "c": 2}, "d": [3], "f": "new"}));
}

#[test]
fn runtime_identity_and_chain_constants() {
	assert_eq!(VERSION.spec_name, "cmu");
	// 200 was the first parachain runtime; the `upgrade-test` feature builds one more.
	assert_eq!(VERSION.spec_version, if cfg!(feature = "upgrade-test") { 202 } else { 201 });
	assert_eq!(<Runtime as frame_system::Config>::SS58Prefix::get(), 42);
	assert_eq!(UNIT, 10u128.pow(12));
}

fn metadata_v15() -> frame_metadata::v15::RuntimeMetadataV15 {
	let versions = Runtime::metadata_versions();
	assert!(versions.contains(&14) && versions.contains(&15), "{versions:?}");
	// ParachainSystem's `SelfParaId` constant is read from storage when metadata is built.
	let bytes = dev_externalities()
		.execute_with(|| Runtime::metadata_at_version(15))
		.expect("metadata v15");
	match RuntimeMetadataPrefixed::decode(&mut &bytes[..]).unwrap().1 {
		RuntimeMetadata::V15(metadata) => metadata,
		_ => panic!("metadata_at_version(15) did not return V15"),
	}
}

#[test]
fn metadata_shows_pallets_extensions_and_runtime_apis() {
	let metadata = metadata_v15();
	let pallets: Vec<_> = metadata.pallets.iter().map(|p| (p.name.as_str(), p.index)).collect();
	assert_eq!(
		pallets,
		[
			("System", 0),
			("ParachainSystem", 1),
			("Timestamp", 2),
			("ParachainInfo", 3),
			("Balances", 10),
			("TransactionPayment", 11),
			("Authorship", 20),
			("CollatorSelection", 21),
			("Session", 22),
			("Aura", 23),
			("AuraExt", 24),
			("Utility", 30),
			("Sudo", 31),
			("Nfts", 40),
			("Cmu", 50)
		]
	);
	// Hooks and inherents run in pallet order (the index order): the relay chain's validation
	// data first, and Session rotates the authorities before Aura reads them.
	use polkadot_sdk::frame_support::traits::PalletsInfoAccess;
	let order: Vec<_> =
		cmu_runtime::AllPalletsWithSystem::infos().into_iter().map(|info| info.name).collect();
	let position = |name: &str| order.iter().position(|n| *n == name).unwrap();
	assert!(position("ParachainSystem") < position("Timestamp"), "{order:?}");
	assert!(position("Session") < position("Aura"), "{order:?}");
	let extensions: Vec<_> =
		metadata.extrinsic.signed_extensions.iter().map(|e| e.identifier.as_str()).collect();
	assert_eq!(
		extensions,
		[
			"CheckNonZeroSender",
			"CheckSpecVersion",
			"CheckTxVersion",
			"CheckGenesis",
			"CheckMortality",
			"CheckNonce",
			"CheckWeight",
			"ChargeTransactionPayment",
			"CheckMetadataHash"
		]
	);
	let apis: Vec<_> = metadata.apis.iter().map(|api| api.name.as_str()).collect();
	for api in [
		"Core",
		"Metadata",
		"BlockBuilder",
		"TaggedTransactionQueue",
		"OffchainWorkerApi",
		"AccountNonceApi",
		"TransactionPaymentApi",
		"TransactionPaymentCallApi",
		"GenesisBuilder",
		"CmuApi",
		// What a collator (polkadot-omni-node) calls.
		"AuraApi",
		"AuraUnincludedSegmentApi",
		"SessionKeys",
		"CollectCollationInfo",
		"GetParachainInfo",
		"RelayParentOffsetApi",
		"TargetBlockRate",
	] {
		assert!(apis.contains(&api), "runtime API {api} missing from metadata: {apis:?}");
	}
}

#[test]
fn models_are_nfts_that_move_with_nfts_transfer() {
	dev_externalities().execute_with(|| {
		let model = create_model(&alice());
		let collection =
			pallet_cmu::ModelCollection::<Runtime>::get().expect("created on first use");
		assert_eq!(pallet_nfts::Item::<Runtime>::get(collection, model).unwrap().owner, alice());
		assert_eq!(Cmu::model_owner(model), Some(alice()));
		let deposit = <Runtime as pallet_cmu::Config>::ModelDeposit::get();
		assert_eq!(
			Balances::balance_on_hold(
				&RuntimeHoldReason::Cmu(pallet_cmu::HoldReason::ModelDeposit),
				&alice()
			),
			deposit
		);

		assert_ok!(Nfts::transfer(RuntimeOrigin::signed(alice()), collection, model, bob().into()));
		assert_eq!(Cmu::model_owner(model), Some(bob()));
		// The new owner administers the model; the old one no longer does.
		assert_ok!(Cmu::freeze_model(RuntimeOrigin::signed(bob()), model));
		assert_noop!(
			Cmu::thaw_model(RuntimeOrigin::signed(alice()), model),
			pallet_cmu::Error::<Runtime>::NotAdmin
		);
	});
}

#[test]
fn users_cannot_create_nft_collections() {
	dev_externalities().execute_with(|| {
		assert_noop!(
			Nfts::create(RuntimeOrigin::signed(bob()), bob().into(), Default::default()),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn the_cmu_api_reports_roles_and_pending_contributions() {
	dev_externalities().execute_with(|| {
		let model = create_model(&alice());
		assert_ok!(Cmu::submit_contribution(
			RuntimeOrigin::signed(bob()),
			model,
			b"bafkreidata".to_vec().try_into().unwrap(),
			[1u8; 32],
			10,
		));
		let pending = Cmu::pending_contributions(model);
		assert_eq!(pending.len(), 1);
		assert_eq!(pending[0].1.contributor, bob());
		assert_eq!(Cmu::roles_of(model, &alice()), pallet_cmu::RoleSet::all());
		assert!(Cmu::roles_of(model, &bob()).is_empty());
	});
}

/// The proof sizes in pallet-cmu's `weights.rs` (frame-omni-bencher output) cover at least the storage items
/// of pallet-cmu each call reads: key plus `MaxEncodedLen` of the value, with this runtime's
/// bounds. (Items of other pallets are added as allowances in `weights.rs`.)
#[test]
fn weights_cover_the_max_encoded_len_of_what_they_read() {
	use codec::MaxEncodedLen;
	use pallet_cmu::{weights::SubstrateWeight, WeightInfo};
	type W = SubstrateWeight<Runtime>;
	let item = |key: Vec<u8>, value: usize| (key.len() + value) as u64;
	let who = alice();
	let model = item(
		pallet_cmu::Models::<Runtime>::hashed_key_for(0),
		pallet_cmu::ModelInfo::<Runtime>::max_encoded_len(),
	);
	let version = item(
		pallet_cmu::Versions::<Runtime>::hashed_key_for(0, 0),
		pallet_cmu::VersionRecord::<Runtime>::max_encoded_len(),
	);
	let contribution = item(
		pallet_cmu::Contributions::<Runtime>::hashed_key_for(0, 0),
		pallet_cmu::ContributionRecord::<Runtime>::max_encoded_len(),
	);
	let grant = item(
		pallet_cmu::Roles::<Runtime>::hashed_key_for(0, &who),
		pallet_cmu::Grant::<AccountId>::max_encoded_len(),
	);
	let per_account = item(pallet_cmu::PendingPerAccount::<Runtime>::hashed_key_for(0, &who), 4);
	let attestation = item(
		pallet_cmu::Attestations::<Runtime>::hashed_key_for((0u32, 0u32, who.clone())),
		pallet_cmu::AttestationRecord::<Runtime>::max_encoded_len(),
	);
	let stats = item(
		pallet_cmu::ContributorStats::<Runtime>::hashed_key_for(&who),
		pallet_cmu::ContributorTotals::<cmu_runtime::Balance>::max_encoded_len(),
	);
	let collection = item(pallet_cmu::ModelCollection::<Runtime>::hashed_key().to_vec(), 4);
	// The sizes weights.rs states.
	assert_eq!(
		(model, version, contribution, grant, per_account, attestation, stats, collection),
		(320, 1_369, 309, 133, 104, 263, 136, 36)
	);
	let proof = |w: polkadot_sdk::frame_support::weights::Weight| w.proof_size();
	assert!(proof(W::create_model()) >= 2 * collection + model);
	assert!(proof(W::set_model_metadata()) >= model + collection);
	assert!(proof(W::set_access_policy()) >= model + collection + grant);
	assert!(proof(W::set_slash_destination()) >= model + collection);
	assert!(proof(W::grant_role()) >= model + collection + 2 * grant);
	assert!(proof(W::revoke_role()) >= model + collection + 2 * grant);
	assert!(proof(W::freeze_model()) >= model + collection + grant);
	assert!(proof(W::thaw_model()) >= model + collection + grant);
	assert!(proof(W::submit_contribution()) >= model + collection + grant + per_account);
	assert!(proof(W::withdraw_contribution()) >= model + contribution + per_account);
	assert!(proof(W::publish_version(0)) >= model + collection + grant);
	let per_settlement = contribution + per_account + stats;
	assert!(proof(W::publish_version(1)) - proof(W::publish_version(0)) >= per_settlement);
	assert!(proof(W::reject_contributions(0)) >= model + collection + grant);
	assert!(
		proof(W::reject_contributions(1)) - proof(W::reject_contributions(0)) >= per_settlement
	);
	assert!(proof(W::set_head()) >= model + collection + grant + version);
	assert!(proof(W::deprecate_version()) >= model + collection + grant + version);
	assert!(proof(W::revoke_version()) >= model + collection + version);
	assert!(proof(W::retire_model()) >= model + collection);
	assert!(proof(W::attest_version()) >= model + version + attestation);
	// A full publish fits a block's proof budget many times over.
	assert!(proof(W::publish_version(64)) < 5 * 1024 * 1024 / 10);
}
