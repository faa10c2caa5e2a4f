//! `chaosrt plugin new NAME --lang rust|python|js`: a buildable plugin project (see [`scaffold`]).

use crate::scaffold::{self, Lang, Sdk};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct New {
    /// The plugin's name: what experiments write as `"plugin": NAME`.
    name: String,
    /// The language of the project.
    #[arg(long, value_enum)]
    lang: Lang,
    /// Where to write the project (default: ./NAME); it must not exist or be empty.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Rust only: use the chaosrt-sdk in this directory (the `sdk` directory of a chaosrt
    /// checkout) instead of the release from crates.io.
    #[arg(long, value_name = "PATH")]
    sdk: Option<PathBuf>,
}

pub fn new(args: New) -> anyhow::Result<ExitCode> {
    if args.sdk.is_some() && args.lang != Lang::Rust {
        anyhow::bail!(
            "--sdk is for Rust projects; Python and JavaScript projects carry the contract in wit/"
        );
    }
    let dir = args.dir.unwrap_or_else(|| PathBuf::from(&args.name));
    let sdk = args.sdk.map_or(Sdk::Registry, Sdk::Path);
    let files = scaffold::create(&args.name, args.lang, &dir, &sdk)?;
    eprintln!(
        "Created the {:?} plugin project {} in {} ({} files). Its README.md says how to build, test \
         and install it.",
        args.lang,
        args.name,
        dir.display(),
        files.len()
    );
    Ok(ExitCode::SUCCESS)
}
