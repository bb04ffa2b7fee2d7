//! Genesis presets served by the `GenesisBuilder` runtime API.
//!
//! `development` (the default of `cmu-chain-spec`): //Alice ... //Ferdie each hold
//! [`DEV_ENDOWMENT`], and //Alice is the sudo key.

use crate::{AccountId, BalancesConfig, RuntimeGenesisConfig, SudoConfig, UNIT};
use alloc::vec::Vec;
use polkadot_sdk::{
	frame_support::build_struct_json_patch, sp_genesis_builder::PresetId,
	sp_keyring::Sr25519Keyring,
};
use serde_json::Value;

/// Name of the development preset.
pub const DEVELOPMENT_PRESET: &str = polkadot_sdk::sp_genesis_builder::DEV_RUNTIME_PRESET;

/// Every preset this runtime offers.
pub const PRESET_NAMES: &[&str] = &[DEVELOPMENT_PRESET];

/// Balance of each well-known dev account at genesis: enough for thousands of deposits.
pub const DEV_ENDOWMENT: crate::Balance = 1_000_000 * UNIT;

/// //Alice, //Bob, //Charlie, //Dave, //Eve and //Ferdie.
pub fn dev_accounts() -> Vec<AccountId> {
	Sr25519Keyring::iter().take(6).map(|key| key.to_account_id()).collect()
}

/// The genesis patch of a chain where `endowed` hold [`DEV_ENDOWMENT`] each and `root` is the
/// sudo key.
fn genesis_patch(endowed: Vec<AccountId>, root: AccountId) -> Value {
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed.into_iter().map(|who| (who, DEV_ENDOWMENT)).collect(),
		},
		sudo: SudoConfig { key: Some(root) },
	})
}

/// The development preset: dev accounts funded, //Alice sudo.
pub fn development() -> Value {
	genesis_patch(dev_accounts(), Sr25519Keyring::Alice.to_account_id())
}

/// The JSON patch of the preset named `id`, if this runtime has it.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		DEVELOPMENT_PRESET => development(),
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
