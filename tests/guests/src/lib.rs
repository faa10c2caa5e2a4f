//! Paths to the test guest components: plugins that misbehave on purpose, so end-to-end tests can prove
//! the host's sandbox stops them. `build.rs` compiles them from the crates beside this one.

/// `spin`: the `spin` action never returns (proves the activity timeout).
pub const SPIN: &str = env!("CHAOSRT_GUEST_SPIN");

/// `hog`: the `hog` action allocates memory without bound (proves the memory cap).
pub const HOG: &str = env!("CHAOSRT_GUEST_HOG");

/// `fetch`: the `fetch` probe GETs any `url` while granted only `http://127.0.0.1:9` (proves the HTTP
/// allow-list); returns `{"status": n}`.
pub const FETCH: &str = env!("CHAOSRT_GUEST_FETCH");

/// `escape`: the `read` probe reads any `path` with plain `std::fs`, no check of its own (proves the
/// filesystem sandbox refuses `../x`).
pub const ESCAPE: &str = env!("CHAOSRT_GUEST_ESCAPE");

/// `future`: built for `chaosrt:plugin@9.0.0` (proves the host refuses other contract versions by name).
pub const FUTURE: &str = env!("CHAOSRT_GUEST_FUTURE");
