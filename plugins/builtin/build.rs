//! Builds the built-in plugins into WebAssembly components for `src/lib.rs` to embed.

fn main() {
    chaosrt_guest_build::build_guests_into_env(&[
        ("chaosrt-plugin-http", "CHAOSRT_BUILTIN_HTTP"),
        ("chaosrt-plugin-fs", "CHAOSRT_BUILTIN_FS"),
        ("chaosrt-plugin-kubernetes", "CHAOSRT_BUILTIN_KUBERNETES"),
    ]);
}
