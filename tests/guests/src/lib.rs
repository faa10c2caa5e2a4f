//! Paths to the test guest components: plugins that misbehave on purpose, so end-to-end tests can prove
//! the host's sandbox stops them. `build.rs` compiles every crate beside this one and generates a
//! constant per guest (documented with the guest crate's description) and `foreach_guest!`, which the
//! end-to-end suite uses to require a test module for every guest.

include!(concat!(env!("OUT_DIR"), "/guests.rs"));
