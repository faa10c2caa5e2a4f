//! A plugin that reads any path it is given with plain `std::fs`, checking nothing itself: end-to-end
//! tests run it to prove that the host's filesystem sandbox refuses `../x` on its own, whatever a plugin
//! does (the `fs` plugin's lexical check is a courtesy, not the defence).

use chaosrt_sdk::{Capability, Error};

/// Return the text of the file at `path`.
#[chaosrt_sdk::probe]
fn read(
    /// The file to read.
    path: String,
) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|err| Error::failed(format!("{:?}: {err}", err.kind())))
}

chaosrt_sdk::plugin! {
    name: "escape",
    description: "Test guest: reads any path, unchecked.",
    capabilities: [Capability::read_write(".")],
    activities: [read],
}
