//! `chaosrt-wit-c`: the two steps of building a C plugin that need WebAssembly tooling, with the
//! same libraries and output as the upstream command-line tools:
//!
//! - `chaosrt-wit-c bindgen WIT_DIR --world WORLD --out-dir DIR` writes what
//!   `wit-bindgen c --world WORLD --out-dir DIR WIT_DIR` writes (`WORLD.h`, `WORLD.c`,
//!   `WORLD_component_type.o`);
//! - `chaosrt-wit-c component CORE.wasm -o OUT.wasm` does what
//!   `wasm-tools component new CORE.wasm --adapt wasi_snapshot_preview1=REACTOR_ADAPTER -o OUT.wasm`
//!   does, with the reactor adapter of the wasmtime release chaosrt links (48).
//!
//! It exists so the test suite and the project's set-up do not compile `wit-bindgen-cli` and
//! `wasm-tools` (the libraries below are already part of the workspace's build).

use anyhow::{Context, Result};
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use wasi_preview1_component_adapter_provider::{
    WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
};

#[derive(Parser)]
#[command(about = "wit-bindgen c and wasm-tools component new --adapt, for C plugins")]
enum Command {
    /// Write C bindings for WORLD of the WIT package in WIT_DIR (and its deps/).
    Bindgen {
        wit_dir: PathBuf,
        #[arg(long)]
        world: String,
        #[arg(long)]
        out_dir: PathBuf,
    },
    /// Turn a core module built with wasi-libc (reactor) into a component, adapting
    /// wasi_snapshot_preview1 to WASI 0.2.
    Component {
        core: PathBuf,
        #[arg(short, long)]
        output: PathBuf,
    },
}

fn main() -> ExitCode {
    match run(Command::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chaosrt-wit-c: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::Bindgen {
            wit_dir,
            world,
            out_dir,
        } => {
            let mut resolve = wit_parser::Resolve::default();
            let (package, _) = resolve
                .push_dir(&wit_dir)
                .with_context(|| format!("cannot read the WIT package in {}", wit_dir.display()))?;
            let world = resolve.select_world(&[package], Some(&world))?;
            let mut files = wit_bindgen_core::Files::default();
            wit_bindgen_c::Opts::default()
                .build()
                .generate(&mut resolve, world, &mut files)?;
            std::fs::create_dir_all(&out_dir)
                .with_context(|| format!("cannot create {}", out_dir.display()))?;
            for (name, contents) in files.iter() {
                let path = out_dir.join(name);
                std::fs::write(&path, contents)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
        }
        Command::Component { core, output } => {
            let module =
                std::fs::read(&core).with_context(|| format!("cannot read {}", core.display()))?;
            let component = wit_component::ComponentEncoder::default()
                .module(&module)?
                .adapter(
                    WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME,
                    WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
                )?
                .validate(true)
                .encode()?;
            std::fs::write(&output, component)
                .with_context(|| format!("cannot write {}", output.display()))?;
        }
    }
    Ok(())
}
