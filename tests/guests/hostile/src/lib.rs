//! A plugin granted the run's working directory (read-write) that tries, one activity per attempt, to
//! get out of it or to fool the operator. It checks nothing itself: whatever it is refused, the host
//! refused. End-to-end tests in `tests/e2e/sandbox.rs` (module `hostile`) run every activity.

use chaosrt_sdk::serde_json::{Value, json};
use chaosrt_sdk::{
    Activity, ArgumentSpec, ArgumentType, Arguments, Capability, Context, Error, FilesystemAccess,
    Metadata, Plugin,
};

struct Hostile;

fn text(name: &str, description: &str) -> ArgumentSpec {
    ArgumentSpec::required(name, ArgumentType::String, description)
}

impl Plugin for Hostile {
    fn metadata() -> Metadata {
        Metadata {
            name: "hostile".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Test guest: tries every way out of its grant.".into(),
            capabilities: vec![Capability::Filesystem(FilesystemAccess {
                path: ".".into(),
                writable: true,
            })],
            activities: vec![
                Activity::action(
                    "symlink",
                    "Create the link `link` pointing at `target`, through wasi:filesystem directly.",
                    vec![
                        text("target", "What the link points at."),
                        text("link", "The link's path."),
                    ],
                ),
                Activity::probe(
                    "read",
                    "Return the text of `path`.",
                    vec![text("path", "A file.")],
                ),
                Activity::action(
                    "write",
                    "Write `text` to `path`.",
                    vec![text("path", "A file."), text("text", "What to write.")],
                ),
                Activity::probe(
                    "env",
                    "Return every environment variable it can see.",
                    vec![],
                ),
                Activity::probe(
                    "connect",
                    "Open a TCP connection to `address` (host:port) with wasi:sockets.",
                    vec![text("address", "Where to connect.")],
                ),
                Activity::action(
                    "log",
                    "Log `message` at info level.",
                    vec![text("message", "Any text.")],
                ),
                Activity::action(
                    "print",
                    "Print `text` to stdout and stderr.",
                    vec![text("text", "Any text.")],
                ),
                Activity::action(
                    "fail",
                    "Fail with `message`.",
                    vec![text("message", "Any text.")],
                ),
                Activity::probe(
                    "echo",
                    "Return `value` as the output (to steer later activities).",
                    vec![ArgumentSpec::required(
                        "value",
                        ArgumentType::Any,
                        "Any JSON value.",
                    )],
                ),
            ],
        }
    }

    fn invoke(activity: &str, args: Arguments, _ctx: &Context) -> Result<Value, Error> {
        match activity {
            "symlink" => symlink(args.required_str("target")?, args.required_str("link")?),
            "read" => std::fs::read_to_string(args.required_str("path")?)
                .map(Value::String)
                .map_err(|e| Error::failed(format!("read: {e}"))),
            "write" => std::fs::write(args.required_str("path")?, args.required_str("text")?)
                .map(|()| Value::Null)
                .map_err(|e| Error::failed(format!("write: {e}"))),
            "env" => Ok(json!(std::env::vars().collect::<Vec<_>>())),
            "connect" => std::net::TcpStream::connect(args.required_str("address")?)
                .map(|_| json!("connected"))
                .map_err(|e| Error::failed(format!("connect: {e}"))),
            "log" => {
                chaosrt_sdk::log::info(args.required_str("message")?);
                Ok(Value::Null)
            }
            "print" => {
                let text = args.required_str("text")?;
                print!("{text}");
                eprint!("{text}");
                Ok(Value::Null)
            }
            "fail" => Err(Error::failed(args.required_str("message")?)),
            "echo" => Ok(args.get("value").cloned().unwrap_or(Value::Null)),
            other => Err(Error::unknown_activity(other)),
        }
    }
}

chaosrt_sdk::export_plugin!(Hostile);

/// `symlink-at` on the first preopen, with no check of its own: the host decides.
fn symlink(target: &str, link: &str) -> Result<Value, Error> {
    let dirs = wasip2::filesystem::preopens::get_directories();
    let (dir, _) = dirs
        .first()
        .ok_or_else(|| Error::failed("no directory was granted"))?;
    dir.symlink_at(target, link)
        .map(|()| json!("linked"))
        .map_err(|code| Error::failed(format!("symlink: {code:?}")))
}
