//! A plugin whose only action allocates memory until something stops it: end-to-end tests run it to prove
//! that the host's memory cap stops a guest that grows without bound.

use chaosrt_sdk::serde_json::Value;
use chaosrt_sdk::{Activity, Arguments, Context, Error, Metadata, Plugin};
use std::hint::black_box;

struct Hog;

impl Plugin for Hog {
    fn metadata() -> Metadata {
        Metadata {
            name: "hog".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Test guest: allocates memory without bound.".into(),
            capabilities: vec![],
            activities: vec![Activity::action(
                "hog",
                "Allocate and touch memory forever.",
                vec![],
            )],
        }
    }

    fn invoke(activity: &str, _args: Arguments, _ctx: &Context) -> Result<Value, Error> {
        match activity {
            "hog" => hog(),
            other => Err(Error::unknown_activity(other)),
        }
    }
}

chaosrt_sdk::export_plugin!(Hog);

/// Keeps 1 MiB blocks forever, writing to every page of each so the memory is really used, not just
/// reserved.
fn hog() -> ! {
    const BLOCK: usize = 1 << 20;
    const PAGE: usize = 4096;
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut block = vec![0u8; BLOCK];
        for page in block.iter_mut().step_by(PAGE) {
            *page = 1;
        }
        hoard.push(black_box(block));
    }
}
