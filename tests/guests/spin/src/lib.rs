//! A plugin whose only action never returns: end-to-end tests run it to prove that the host's activity
//! timeout (epoch interruption) stops a guest that never yields.

use std::hint::black_box;

/// Loop forever.
#[chaosrt_sdk::action]
fn spin() {
    // `black_box` keeps the optimiser from proving the loop has no effect and removing it.
    let mut counter = 0u64;
    loop {
        counter = black_box(counter.wrapping_add(1));
    }
}

chaosrt_sdk::plugin! {
    name: "spin",
    description: "Test guest: loops forever.",
    activities: [spin],
}
