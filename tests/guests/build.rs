//! Builds the test guests into WebAssembly components and hands their paths to `src/lib.rs`.

fn main() {
    chaosrt_guest_build::build_guests_into_env(&[
        ("chaosrt-guest-spin", "CHAOSRT_GUEST_SPIN"),
        ("chaosrt-guest-hog", "CHAOSRT_GUEST_HOG"),
        ("chaosrt-guest-fetch", "CHAOSRT_GUEST_FETCH"),
        ("chaosrt-guest-escape", "CHAOSRT_GUEST_ESCAPE"),
        ("chaosrt-guest-future", "CHAOSRT_GUEST_FUTURE"),
    ]);
}
