//! Builds every test guest below this crate into a WebAssembly component and writes their paths and
//! the `foreach_guest!` macro for `src/lib.rs` (see `chaosrt_guest_build::build_guest_suite`).

fn main() {
    chaosrt_guest_build::build_guest_suite("chaosrt-guest-");
}
