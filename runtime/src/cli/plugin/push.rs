//! `chaosrt plugin push FILE oci://HOST[:PORT]/REPOSITORY:TAG`: publishes a plugin as a Wasm OCI
//! artifact, the layout wkg and Spin read, so a team installs it with `plugin install oci://…`.
//! The component is checked as install checks it (a plugin of a supported contract that describes
//! itself) before anything is sent: a registry should never hold what chaosrt would refuse.

use crate::console::Console;
use crate::engine::plugins::plugin_log;
use crate::host::Host;
use crate::registry::oci::{self, OciRef, Published};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Push {
    /// The component (.wasm) to publish.
    file: PathBuf,
    /// Where: oci://HOST[:PORT]/REPOSITORY:TAG (plain HTTP for a registry on loopback, TLS
    /// otherwise; credentials from the docker config).
    reference: String,
}

pub async fn push(host: &Host, console: Console, args: Push) -> anyhow::Result<ExitCode> {
    let reference = OciRef::parse(&args.reference)?;
    let label = crate::escape::escape(&args.file.display().to_string()).into_owned();
    let bytes = super::install::read_component(&args.file, &label)?;
    let plugin = host
        .load(&label, &bytes, plugin_log(&console, &label))
        .await?;
    let m = &plugin.metadata;
    let digest = oci::push(
        &reference,
        &bytes,
        &Published {
            name: &m.name,
            version: &m.version,
            description: &m.description,
        },
    )
    .await?;
    eprintln!(
        "Pushed {} {} (sha256 {}) to {}",
        crate::escape::escape(&m.name),
        crate::escape::escape(&m.version),
        plugin.sha256,
        reference.pinned(&digest)
    );
    println!("{}", reference.pinned(&digest));
    Ok(ExitCode::SUCCESS)
}
