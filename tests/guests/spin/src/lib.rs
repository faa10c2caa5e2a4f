//! A plugin whose only action never returns: end-to-end tests run it to prove that the host's activity
//! timeout (epoch interruption) stops a guest that never yields.

use chaosrt_sdk::serde_json::Value;
use chaosrt_sdk::{Activity, Arguments, Context, Error, Metadata, Plugin};
use std::hint::black_box;

struct Spin;

impl Plugin for Spin {
    fn metadata() -> Metadata {
        Metadata {
            name: "spin".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Test guest: loops forever.".into(),
            capabilities: vec![],
            activities: vec![Activity::action("spin", "Loop forever.", vec![])],
        }
    }

    fn invoke(activity: &str, _args: Arguments, _ctx: &Context) -> Result<Value, Error> {
        match activity {
            "spin" => spin(),
            other => Err(Error::unknown_activity(other)),
        }
    }
}

chaosrt_sdk::export_plugin!(Spin);

/// Counts forever; `black_box` keeps the optimiser from proving the loop has no effect and removing it.
fn spin() -> ! {
    let mut counter = 0u64;
    loop {
        counter = black_box(counter.wrapping_add(1));
    }
}
