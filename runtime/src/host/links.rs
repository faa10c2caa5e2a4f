//! Symbolic links a plugin may create: only ones that stay inside its grant.
//!
//! wasi:filesystem confines what a plugin itself opens, but the *target* of a link it creates is just
//! text: `chaostoolkit.log -> ../victim` made inside the working directory points outside it, and the
//! next program to open `chaostoolkit.log` (chaosrt itself, or anything the operator runs) follows it.
//! The host therefore replaces `descriptor.symlink-at` with a checked one: the target must be relative
//! and have no `..` component (so, resolved from the link's own directory, it names something below
//! the granted directory); anything else is refused with `not-permitted` and recorded as a denial.

use super::state::CallState;
use std::path::{Component, Path};
use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource};
use wasmtime_wasi::filesystem::{Descriptor, WasiFilesystemView};
use wasmtime_wasi::p2::bindings::filesystem::types::{ErrorCode, Host, HostDescriptor};

/// The wasi:filesystem interface wasmtime-wasi 48 links; its `symlink-at` is the one replaced. The
/// hostile-plugin test `a_plugin_cannot_plant_a_link_out_of_its_grant` fails if this ever stops
/// matching (the replacement would then land in an instance no component imports).
const FILESYSTEM_TYPES: &str = "wasi:filesystem/types@0.2.12";

/// Replaces `symlink-at` in `linker` (after WASI was added to it) with the checked version.
pub fn guard(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    linker.instance(FILESYSTEM_TYPES)?.func_wrap_async(
        "[method]descriptor.symlink-at",
        |mut store: StoreContextMut<'_, CallState>,
         (dir, target, link): (Resource<Descriptor>, String, String)| {
            Box::new(async move {
                if let Err(why) = stays_inside(&target) {
                    let state = store.data_mut();
                    state.gate.denials.lock().unwrap().push(format!(
                        "plugin '{}' may not create the link '{}' -> '{}': {why}",
                        state.gate.plugin,
                        crate::escape::escape(&link),
                        crate::escape::escape(&target),
                    ));
                    return Ok((Err(ErrorCode::NotPermitted),));
                }
                let mut view = store.data_mut().filesystem();
                match view.symlink_at(dir, target, link).await {
                    Ok(()) => Ok((Ok(()),)),
                    Err(e) => Ok((Err(view.convert_error_code(e)?),)),
                }
            })
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

/// Whether a link with this target, made anywhere inside a granted directory, points inside it.
fn stays_inside(target: &str) -> Result<(), &'static str> {
    let path = Path::new(target);
    if path.is_absolute() {
        return Err("links must be relative to stay inside the granted directory");
    }
    if path.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err("links with '..' may point outside the granted directory");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::stays_inside;

    #[test]
    fn only_relative_targets_without_parent_steps_are_allowed() {
        for ok in ["data.txt", "sub/dir/file", "./x", "a/./b"] {
            assert!(stays_inside(ok).is_ok(), "{ok}");
        }
        for refused in [
            "../victim",
            "/etc/passwd",
            "a/../../b",
            "a/..",
            "..",
            "sub/../x",
        ] {
            assert!(stays_inside(refused).is_err(), "{refused}");
        }
    }
}
