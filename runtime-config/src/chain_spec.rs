//! Raw chain specs built natively from a genesis preset: the genesis storage of the preset
//! plus `:code` (the runtime wasm), in the JSON layout of Substrate's chain spec
//! (`genesis.raw.top`, `genesis.raw.childrenDefault`) that nodes and chopsticks read, with
//! the parachain extensions a Cumulus node reads (`relay_chain`, `para_id`).

use crate::{genesis, RuntimeGenesisConfig, SS58_PREFIX, TOKEN_DECIMALS, TOKEN_SYMBOL};
use polkadot_sdk::{
	sp_core::{storage::well_known_keys, Bytes},
	sp_runtime::BuildStorage,
};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// What a chain spec is called and which preset it starts from.
#[derive(Clone, Debug)]
pub struct ChainSpecParams {
	/// Human name, e.g. "CMU Development".
	pub name: String,
	/// Machine id, e.g. "cmu_dev"; nodes keep their database under it.
	pub id: String,
	/// "Development", "Local" or "Live".
	pub chain_type: String,
	/// A preset of [`genesis::PRESET_NAMES`].
	pub preset: String,
	/// The relay chain's chain spec id, e.g. "rococo-local", "paseo", "polkadot".
	pub relay_chain: String,
}

impl Default for ChainSpecParams {
	fn default() -> Self {
		Self {
			name: "CMU Development".into(),
			id: "cmu_dev".into(),
			chain_type: "Development".into(),
			preset: genesis::DEVELOPMENT_PRESET.into(),
			relay_chain: "rococo-local".into(),
		}
	}
}

/// Why a chain spec could not be built.
#[derive(Debug)]
pub enum ChainSpecError {
	/// The runtime has no preset of that name.
	UnknownPreset(String),
	/// The preset does not describe a valid genesis config.
	InvalidPreset(String),
	/// The wasm is empty or not a runtime blob.
	InvalidWasm(&'static str),
}

impl std::fmt::Display for ChainSpecError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Self::UnknownPreset(name) => write!(
				f,
				"unknown genesis preset {name:?}; available: {}",
				genesis::PRESET_NAMES.join(", ")
			),
			Self::InvalidPreset(why) => {
				write!(f, "the preset is not a valid genesis config: {why}")
			}
			Self::InvalidWasm(why) => write!(f, "invalid runtime wasm: {why}"),
		}
	}
}

impl std::error::Error for ChainSpecError {}

/// Merges `patch` into `base` as JSON merge patch (RFC 7386): objects merge key by key,
/// `null` deletes, anything else replaces.
pub fn merge_json(base: &mut Value, patch: Value) {
	match (base, patch) {
		(Value::Object(base), Value::Object(patch)) => {
			for (key, value) in patch {
				if value.is_null() {
					base.remove(&key);
				} else {
					merge_json(base.entry(key).or_insert(Value::Null), value);
				}
			}
		}
		(base, patch) => *base = patch,
	}
}

/// The full genesis config of `preset`: the runtime's default config with the preset's
/// patch merged in (what `GenesisBuilder::get_preset` + `build_state` do inside the wasm).
pub fn genesis_config(preset: &str) -> Result<RuntimeGenesisConfig, ChainSpecError> {
	let patch = genesis::get_preset(&preset.into())
		.ok_or_else(|| ChainSpecError::UnknownPreset(preset.into()))?;
	let patch: Value =
		serde_json::from_slice(&patch).map_err(|e| ChainSpecError::InvalidPreset(e.to_string()))?;
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default())
		.map_err(|e| ChainSpecError::InvalidPreset(e.to_string()))?;
	merge_json(&mut config, patch);
	serde_json::from_value(config).map_err(|e| ChainSpecError::InvalidPreset(e.to_string()))
}

fn hex(bytes: &[u8]) -> String {
	serde_json::to_value(Bytes(bytes.to_vec()))
		.ok()
		.and_then(|value| value.as_str().map(str::to_owned))
		.expect("Bytes serialize to a 0x-prefixed hex string; qed")
}

/// Raw storage of `preset` with `wasm` as `:code`, as hex key/value maps.
pub fn raw_genesis(preset: &str, wasm: &[u8]) -> Result<Value, ChainSpecError> {
	if wasm.len() < 8 {
		return Err(ChainSpecError::InvalidWasm("fewer than 8 bytes"));
	}
	let mut storage = genesis_config(preset)?
		.build_storage()
		.map_err(|e| ChainSpecError::InvalidPreset(e.to_string()))?;
	storage.top.insert(well_known_keys::CODE.to_vec(), wasm.to_vec());
	let top: BTreeMap<String, Value> =
		storage.top.iter().map(|(k, v)| (hex(k), Value::String(hex(v)))).collect();
	let children: Map<String, Value> = storage
		.children_default
		.values()
		.map(|child| {
			let data: Map<String, Value> =
				child.data.iter().map(|(k, v)| (hex(k), Value::String(hex(v)))).collect();
			(hex(child.child_info.storage_key()), Value::Object(data))
		})
		.collect();
	Ok(json!({ "top": top, "childrenDefault": children }))
}

/// A complete raw chain spec for `params` running `wasm`. `para_id` is the preset's own
/// (`ParachainInfo`), so the spec and the genesis state cannot disagree.
pub fn raw_chain_spec(params: &ChainSpecParams, wasm: &[u8]) -> Result<Value, ChainSpecError> {
	let para_id: u32 = genesis_config(&params.preset)?.parachain_info.parachain_id.into();
	Ok(json!({
		"name": params.name,
		"id": params.id,
		"chainType": params.chain_type,
		"bootNodes": [],
		"telemetryEndpoints": null,
		"protocolId": null,
		"properties": {
			"ss58Format": SS58_PREFIX,
			"tokenDecimals": TOKEN_DECIMALS,
			"tokenSymbol": TOKEN_SYMBOL,
		},
		"codeSubstitutes": {},
		"relay_chain": params.relay_chain,
		"para_id": para_id,
		"genesis": { "raw": raw_genesis(&params.preset, wasm)? },
	}))
}
