//! A plugin that cannot describe itself: `metadata()` panics (a trap, as far as the host is concerned).
//! It cannot be installed the normal way; tests place it in a store by hand, as a plugin that broke
//! after install would be, and check that `plugin list` and `discover` still serve the others.
//!
//! It implements `Plugin` by hand, as a plugin whose activities are only known at run time would: the
//! `plugin!` macro could not write a `metadata()` that panics.

use chaosrt_sdk::serde_json::Value;
use chaosrt_sdk::{Arguments, Error, Metadata, Plugin};

struct Broken;

impl Plugin for Broken {
    fn metadata() -> Metadata {
        panic!("this plugin cannot describe itself")
    }

    fn invoke(activity: &str, _arguments: Arguments) -> Result<Value, Error> {
        Err(Error::unknown_activity(activity))
    }
}

chaosrt_sdk::export_plugin!(Broken);
