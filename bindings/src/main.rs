//! The UniFFI bindings generator, built from this workspace so it matches the library's UniFFI
//! version and finds `crates/homevisit-ffi/uniffi.toml`. Use `bindings/generate`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
