//! A plugin that reads any path it is given with plain `std::fs`, checking nothing itself: end-to-end
//! tests run it to prove that the host's filesystem sandbox refuses `../x` on its own, whatever a plugin
//! does (the `fs` plugin's lexical check is a courtesy, not the defence).

use chaosrt_sdk::serde_json::Value;
use chaosrt_sdk::{
    Activity, ArgumentSpec, ArgumentType, Arguments, Capability, Context, Error, FilesystemAccess,
    Metadata, Plugin,
};

struct Escape;

impl Plugin for Escape {
    fn metadata() -> Metadata {
        Metadata {
            name: "escape".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Test guest: reads any path, unchecked.".into(),
            capabilities: vec![Capability::Filesystem(FilesystemAccess {
                path: ".".into(),
                writable: true,
            })],
            activities: vec![Activity::probe(
                "read",
                "Return the text of the file at `path`.",
                vec![ArgumentSpec::required(
                    "path",
                    ArgumentType::String,
                    "The file to read.",
                )],
            )],
        }
    }

    fn invoke(activity: &str, args: Arguments, _ctx: &Context) -> Result<Value, Error> {
        match activity {
            "read" => read(args.required_str("path")?),
            other => Err(Error::unknown_activity(other)),
        }
    }
}

chaosrt_sdk::export_plugin!(Escape);

fn read(path: &str) -> Result<Value, Error> {
    std::fs::read_to_string(path)
        .map(Value::String)
        .map_err(|err| Error::failed(format!("{:?}: {err}", err.kind())))
}
