//! A plugin granted the run's working directory (read-write) that tries, one activity per attempt, to
//! get out of it or to fool the operator. It checks nothing itself: whatever it is refused, the host
//! refused. End-to-end tests in `tests/e2e/sandbox.rs` (module `hostile`) run every activity.

use chaosrt_sdk::serde_json::{Value, json};
use chaosrt_sdk::{Capability, Error};

/// Create the link `link` pointing at `target`, through wasi:filesystem directly.
#[chaosrt_sdk::action]
fn symlink(
    /// What the link points at.
    target: String,
    /// The link's path.
    link: String,
) -> Result<Value, Error> {
    // `symlink-at` on the first preopen, with no check of its own: the host decides.
    let dirs = wasip2::filesystem::preopens::get_directories();
    let (dir, _) = dirs
        .first()
        .ok_or_else(|| Error::failed("no directory was granted"))?;
    dir.symlink_at(&target, &link)
        .map(|()| json!("linked"))
        .map_err(|code| Error::failed(format!("symlink: {code:?}")))
}

/// Return the text of `path`.
#[chaosrt_sdk::probe]
fn read(
    /// A file.
    path: String,
) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| Error::failed(format!("read: {e}")))
}

/// Write `text` to `path`.
#[chaosrt_sdk::action]
fn write(
    /// A file.
    path: String,
    /// What to write.
    text: String,
) -> Result<(), Error> {
    std::fs::write(path, text).map_err(|e| Error::failed(format!("write: {e}")))
}

/// Return every environment variable it can see.
#[chaosrt_sdk::probe]
fn env() -> Vec<(String, String)> {
    std::env::vars().collect()
}

/// Open a TCP connection to `address` (host:port) with wasi:sockets.
#[chaosrt_sdk::probe]
fn connect(
    /// Where to connect.
    address: String,
) -> Result<Value, Error> {
    std::net::TcpStream::connect(address)
        .map(|_| json!("connected"))
        .map_err(|e| Error::failed(format!("connect: {e}")))
}

/// Log `message` at info level.
#[chaosrt_sdk::action]
fn log(
    /// Any text.
    message: String,
) {
    chaosrt_sdk::log::info(&message);
}

/// Print `text` to stdout and stderr.
#[chaosrt_sdk::action]
fn print(
    /// Any text.
    text: String,
) {
    print!("{text}");
    eprint!("{text}");
}

/// Fail with `message`.
#[chaosrt_sdk::action]
fn fail(
    /// Any text.
    message: String,
) -> Result<(), Error> {
    Err(Error::failed(message))
}

/// Return `value` as the output (to steer later activities).
#[chaosrt_sdk::probe]
fn echo(
    /// Any JSON value.
    value: Value,
) -> Value {
    value
}

/// Grow linear memory by `mib` MiB and fill the new pages with a marker, as a plugin would leave a
/// secret behind for whoever is given its memory next; returns the words found set by reading them
/// back with the same scan [`scavenge`] uses.
#[chaosrt_sdk::action]
#[allow(unsafe_code)] // the point of the activity
fn plant(
    /// Size in MiB.
    mib: u32,
) -> Result<usize, Error> {
    let (start, end) = grow(mib)?;
    for at in (start..end).step_by(8) {
        // SAFETY: the pages were just added by memory.grow and nothing else knows of them.
        unsafe { core::ptr::write_volatile(at as *mut u64, 0x5EC2_E75E_C2E7_5EC2) };
    }
    Ok(set_words(start, end))
}

/// Grow linear memory by `mib` MiB and count the words in the new pages that are not zero: memory a
/// plugin is given must hold nothing an earlier call (of any plugin) left in it.
#[chaosrt_sdk::probe]
fn scavenge(
    /// Size in MiB.
    mib: u32,
) -> Result<usize, Error> {
    let (start, end) = grow(mib)?;
    Ok(set_words(start, end))
}

/// Adds `mib` MiB of pages to linear memory with `memory.grow` (bypassing the allocator, so no byte
/// of them is written before the scan); returns their address range.
fn grow(mib: u32) -> Result<(usize, usize), Error> {
    let pages = usize::try_from(mib).unwrap_or(usize::MAX) * 16;
    #[cfg(target_arch = "wasm32")]
    let old = core::arch::wasm32::memory_grow(0, pages);
    #[cfg(not(target_arch = "wasm32"))]
    let old = usize::MAX;
    if old == usize::MAX {
        return Err(Error::failed("memory.grow refused"));
    }
    Ok((old << 16, (old + pages) << 16))
}

/// The 8-byte words in `start..end` that are not zero.
#[allow(unsafe_code)] // the point of the activity
fn set_words(start: usize, end: usize) -> usize {
    (start..end)
        .step_by(8)
        // SAFETY: the range is linear memory that `grow` just added.
        .filter(|&at| unsafe { core::ptr::read_volatile(at as *const u64) } != 0)
        .count()
}

chaosrt_sdk::plugin! {
    name: "hostile",
    description: "Test guest: tries every way out of its grant.",
    capabilities: [Capability::read_write(".")],
    activities: [symlink, read, write, env, connect, log, print, fail, echo, plant, scavenge],
}
