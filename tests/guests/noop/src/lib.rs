//! A plugin whose one probe does nothing: what a call of it costs is what the sandbox itself costs
//! (a fresh instance, the call, the output), which `runtime/benches/sandbox.rs` measures.

/// Do nothing, return nothing.
#[chaosrt_sdk::probe]
fn noop() {}

chaosrt_sdk::plugin! {
    name: "noop",
    description: "Test guest: a probe that does nothing.",
    activities: [noop],
}
