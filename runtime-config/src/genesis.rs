//! Genesis presets served by the `GenesisBuilder` runtime API.
//!
//! - `development` (the default of `cmu-chain-spec`, what the dev chain and the tests run):
//!   //Alice ... //Ferdie each hold [`DEV_ENDOWMENT`], //Alice is the sudo key and the single
//!   collator, para id [`DEV_PARA_ID`](crate::DEV_PARA_ID).
//! - `local_testnet`: the same accounts, //Alice and //Bob collate, no sudo key: the shape of
//!   a network started on a local relay chain (`rococo-local`), governed by root origins that
//!   only the relay chain can send.

use crate::{
	AccountId, AuraId, BalancesConfig, CollatorSelectionConfig, ParachainInfoConfig,
	RuntimeGenesisConfig, SessionConfig, SessionKeys, SudoConfig, DEV_PARA_ID, UNIT,
};
use alloc::{vec, vec::Vec};
use polkadot_sdk::{
	frame_support::build_struct_json_patch, sp_genesis_builder::PresetId,
	sp_keyring::Sr25519Keyring,
};
use serde_json::Value;

/// Name of the development preset.
pub const DEVELOPMENT_PRESET: &str = polkadot_sdk::sp_genesis_builder::DEV_RUNTIME_PRESET;
/// Name of the two-collator preset for a local relay chain.
pub const LOCAL_TESTNET_PRESET: &str =
	polkadot_sdk::sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET;

/// Every preset this runtime offers.
pub const PRESET_NAMES: &[&str] = &[DEVELOPMENT_PRESET, LOCAL_TESTNET_PRESET];

/// Balance of each well-known dev account at genesis: enough for thousands of deposits.
pub const DEV_ENDOWMENT: crate::Balance = 1_000_000 * UNIT;

/// Bond a collator candidate (not an invulnerable) must hold.
pub const CANDIDACY_BOND: crate::Balance = 100 * UNIT;

/// //Alice, //Bob, //Charlie, //Dave, //Eve and //Ferdie.
pub fn dev_accounts() -> Vec<AccountId> {
	Sr25519Keyring::iter().take(6).map(|key| key.to_account_id()).collect()
}

/// What a chain starts with: who holds funds, who collates, who (if anyone) is sudo.
struct GenesisShape {
	endowed: Vec<AccountId>,
	collators: Vec<Sr25519Keyring>,
	root: Option<AccountId>,
	para_id: u32,
}

/// The genesis patch of a [`GenesisShape`]. Collators are invulnerables of collator
/// selection, with their Aura key (the sr25519 key of the same seed) in their session keys.
fn genesis_patch(shape: GenesisShape) -> Value {
	let collator_accounts: Vec<AccountId> =
		shape.collators.iter().map(|key| key.to_account_id()).collect();
	let session_keys: Vec<(AccountId, AccountId, SessionKeys)> = shape
		.collators
		.iter()
		.map(|key| {
			let account = key.to_account_id();
			let aura: AuraId = key.public().into();
			(account.clone(), account, SessionKeys { aura })
		})
		.collect();
	let mut patch = build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: shape.endowed.into_iter().map(|who| (who, DEV_ENDOWMENT)).collect(),
		},
		parachain_info: ParachainInfoConfig { parachain_id: shape.para_id.into() },
		collator_selection: CollatorSelectionConfig {
			invulnerables: collator_accounts,
			candidacy_bond: CANDIDACY_BOND,
		},
		session: SessionConfig { keys: session_keys },
	});
	if let Some(root) = shape.root {
		let sudo =
			build_struct_json_patch!(RuntimeGenesisConfig { sudo: SudoConfig { key: Some(root) } });
		if let (Value::Object(patch), Value::Object(sudo)) = (&mut patch, sudo) {
			patch.extend(sudo);
		}
	}
	patch
}

/// The development preset: dev accounts funded, //Alice sudo and the single collator.
pub fn development() -> Value {
	genesis_patch(GenesisShape {
		endowed: dev_accounts(),
		collators: vec![Sr25519Keyring::Alice],
		root: Some(Sr25519Keyring::Alice.to_account_id()),
		para_id: DEV_PARA_ID,
	})
}

/// The local testnet preset: dev accounts funded, //Alice and //Bob collate, no sudo.
pub fn local_testnet() -> Value {
	genesis_patch(GenesisShape {
		endowed: dev_accounts(),
		collators: vec![Sr25519Keyring::Alice, Sr25519Keyring::Bob],
		root: None,
		para_id: DEV_PARA_ID,
	})
}

/// The JSON patch of the preset named `id`, if this runtime has it.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		DEVELOPMENT_PRESET => development(),
		LOCAL_TESTNET_PRESET => local_testnet(),
		_ => return None,
	};
	Some(
		serde_json::to_string(&patch)
			.expect("serialization to json is expected to work. qed.")
			.into_bytes(),
	)
}

/// Names of the presets, for `GenesisBuilder::preset_names`.
pub fn preset_names() -> Vec<PresetId> {
	PRESET_NAMES.iter().map(|name| PresetId::from(*name)).collect()
}
