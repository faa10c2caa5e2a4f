//! A plugin whose only action allocates memory until something stops it: end-to-end tests run it to prove
//! that the host's memory cap stops a guest that grows without bound.

use std::hint::black_box;

/// Allocate and touch memory forever.
#[chaosrt_sdk::action]
fn hog() {
    // 1 MiB blocks kept forever, every page of each written so the memory is really used, not just
    // reserved.
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

chaosrt_sdk::plugin! {
    name: "hog",
    description: "Test guest: allocates memory without bound.",
    activities: [hog],
}
