//! Builds the runtime as wasm (the `WASM_BINARY` constant) when the `std` feature is on.

#[cfg(all(feature = "std", not(feature = "metadata-hash")))]
fn main() {
	substrate_wasm_builder::WasmBuilder::build_using_defaults();
}

#[cfg(all(feature = "std", feature = "metadata-hash"))]
fn main() {
	substrate_wasm_builder::WasmBuilder::init_with_defaults()
		.enable_metadata_hash("CMU", 12)
		.build();
}

#[cfg(not(feature = "std"))]
fn main() {}
