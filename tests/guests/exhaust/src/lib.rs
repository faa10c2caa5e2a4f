//! A plugin with one activity per way a call can exhaust what the host gives it: the stack, time
//! spent blocked in a host call, a trap, an out-of-bounds access, a panic, an output far over the
//! cap, a million log calls, 10 MiB of stdout, and memory held for a while (calls at once share one
//! budget). Each must end the call (or be cut) without harming the run, which goes on to its
//! rollbacks and journal (`sandbox::exhaust` in tests/e2e). Endless loops and allocation are the
//! `spin` and `hog` guests.

use std::hint::black_box;

/// Recurse without end, each frame holding a buffer on the stack.
#[chaosrt_sdk::action]
fn recurse() -> u64 {
    deeper(0)
}

#[allow(unconditional_recursion)] // the point of the activity
fn deeper(depth: u64) -> u64 {
    let frame = black_box([depth as u8; 1024]);
    deeper(depth + 1) + u64::from(frame[0])
}

/// Sleep for an hour inside one host call (`wasi:clocks` poll).
#[chaosrt_sdk::action]
fn block() {
    std::thread::sleep(std::time::Duration::from_secs(3600));
}

/// Execute `unreachable`.
#[chaosrt_sdk::action]
fn trap() {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    #[cfg(not(target_arch = "wasm32"))]
    unreachable!("only built for wasm32")
}

/// Read far outside linear memory once, with no recursion: a plain out-of-bounds access, which
/// must not be reported as a stack overflow.
#[chaosrt_sdk::action]
#[allow(unsafe_code)] // the point of the activity
fn oob() -> u8 {
    let far = black_box(0xFFFF_FFF0usize) as *const u8;
    // SAFETY: none; wasm traps on the access, which is what this activity is for.
    unsafe { core::ptr::read_volatile(far) }
}

/// Hold `mib` MiB of memory for `seconds`, then return how much it held.
#[chaosrt_sdk::probe]
fn hold(
    /// Size in MiB.
    mib: u64,
    /// How long to hold it.
    seconds: u64,
) -> u64 {
    let held = black_box(vec![1u8; usize::try_from(mib).unwrap_or(usize::MAX) << 20]);
    std::thread::sleep(std::time::Duration::from_secs(seconds));
    held.iter()
        .step_by(4096)
        .map(|&b| u64::from(b))
        .sum::<u64>()
        >> 8
}

/// Panic with a message.
#[chaosrt_sdk::action]
fn panic() {
    panic!("exhaust gave up on purpose");
}

/// Return a string output of `mib` MiB.
#[chaosrt_sdk::probe]
fn output(
    /// Size in MiB.
    mib: u64,
) -> String {
    "o".repeat(usize::try_from(mib).unwrap_or(usize::MAX) << 20)
}

/// Call `log` `count` times with a short message.
#[chaosrt_sdk::action]
fn logs(
    /// How many calls.
    count: u64,
) {
    for i in 0..count {
        chaosrt_sdk::log::info(&format!("line {i}"));
    }
}

/// Write `mib` MiB to stdout, in lines.
#[chaosrt_sdk::action]
fn stdout(
    /// Size in MiB.
    mib: u64,
) {
    let line = "s".repeat(1023);
    for _ in 0..mib << 10 {
        println!("{line}");
    }
}

chaosrt_sdk::plugin! {
    name: "exhaust",
    description: "Test guest: exhausts the stack, time, output, the log and stdout.",
    activities: [recurse, block, trap, oob, panic, output, logs, stdout, hold],
}
