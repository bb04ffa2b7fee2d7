//! `cmu-chain-spec`: writes the raw chain spec of a genesis preset.
//!
//! ```text
//! cmu-chain-spec [--preset development] [--wasm runtime.compact.compressed.wasm]
//!                [--name "CMU Development"] [--id cmu_dev] [--chain-type Development]
//!                [--relay-chain rococo-local] [--out spec.json]
//! ```
//! Without `--wasm` it embeds the wasm built with this binary (absent when built with
//! `SKIP_WASM_BUILD`); without `--out` it prints to stdout.

use cmu_runtime::chain_spec::{raw_chain_spec, ChainSpecParams};
use std::{path::PathBuf, process::ExitCode};

const USAGE: &str = "usage: cmu-chain-spec [--preset NAME] [--wasm FILE] [--name NAME] [--id ID] \
                     [--chain-type Development|Local|Live] [--relay-chain ID] [--out FILE]";

struct Args {
	params: ChainSpecParams,
	wasm: Option<PathBuf>,
	out: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
	let mut args = Args { params: ChainSpecParams::default(), wasm: None, out: None };
	let mut it = std::env::args().skip(1);
	while let Some(flag) = it.next() {
		if flag == "-h" || flag == "--help" {
			return Err(USAGE.into());
		}
		let value = it.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
		match flag.as_str() {
			"--preset" => args.params.preset = value,
			"--name" => args.params.name = value,
			"--id" => args.params.id = value,
			"--chain-type" => args.params.chain_type = value,
			"--relay-chain" => args.params.relay_chain = value,
			"--wasm" => args.wasm = Some(value.into()),
			"--out" => args.out = Some(value.into()),
			_ => return Err(format!("unknown option {flag}\n{USAGE}")),
		}
	}
	Ok(args)
}

fn run() -> Result<(), String> {
	let args = parse_args()?;
	let wasm = match &args.wasm {
		Some(path) => std::fs::read(path)
			.map_err(|e| format!("cannot read the runtime wasm {}: {e}", path.display()))?,
		None => cmu_runtime::WASM_BINARY
			.ok_or(
				"this binary was built without the runtime wasm (SKIP_WASM_BUILD); \
				 pass --wasm FILE",
			)?
			.to_vec(),
	};
	let spec = raw_chain_spec(&args.params, &wasm).map_err(|e| e.to_string())?;
	let text = serde_json::to_string_pretty(&spec).map_err(|e| e.to_string())?;
	match &args.out {
		Some(path) => {
			// Write beside the target and rename, so a reader never sees half a spec.
			let tmp = path.with_extension("json.tmp");
			std::fs::write(&tmp, text + "\n")
				.and_then(|()| std::fs::rename(&tmp, path))
				.map_err(|e| format!("cannot write {}: {e}", path.display()))?;
		}
		None => println!("{text}"),
	}
	Ok(())
}

fn main() -> ExitCode {
	match run() {
		Ok(()) => ExitCode::SUCCESS,
		Err(message) => {
			eprintln!("cmu-chain-spec: {message}");
			ExitCode::FAILURE
		}
	}
}
