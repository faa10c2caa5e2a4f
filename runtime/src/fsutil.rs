//! Opening chaosrt's own files (log, settings, journal, cache, plugin store) safely.
//!
//! A plugin granted a directory can create symbolic links in it, and a relative target can point
//! anywhere (`chaostoolkit.log -> ../../home/me/.bashrc`). chaosrt never follows a link it did not
//! make: the last component of the path is opened with `O_NOFOLLOW`, and every directory of a relative
//! path (the part a plugin granted the working directory could have planted) must be a real directory.
//! An absolute path's parent directories are the operator's own choice and are taken as written.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Component, Path};

/// Opens `path` with `options`, refusing to follow a symbolic link at its last component or at any
/// directory of a relative path. The error names the link and says what to do.
pub fn open_own(path: &Path, options: &OpenOptions) -> io::Result<File> {
    refuse_linked_parents(path, Path::new(""))?;
    let mut options = options.clone();
    no_follow(&mut options);
    options.open(path).map_err(|e| {
        if path.symlink_metadata().is_ok_and(|m| m.is_symlink()) {
            linked(path)
        } else {
            e
        }
    })
}

/// Reads the whole of `path` as text, not following links (see [`open_own`]).
pub fn read_own(path: &Path) -> io::Result<String> {
    let mut text = String::new();
    io::Read::read_to_string(
        &mut open_own(path, OpenOptions::new().read(true))?,
        &mut text,
    )?;
    Ok(text)
}

/// Refuses a relative `path` one of whose directories is a link, for files chaosrt replaces by a
/// rename (the journal): the rename itself replaces a link at the last component, never follows it.
pub fn check_parents(path: &Path) -> io::Result<()> {
    refuse_linked_parents(path, Path::new(""))
}

/// Refuses a relative `path` (taken from `base`) one of whose directories is a link.
fn refuse_linked_parents(path: &Path, base: &Path) -> io::Result<()> {
    if path.is_absolute() {
        return Ok(());
    }
    let mut prefix = base.to_path_buf();
    let parents: Vec<Component> = path
        .parent()
        .into_iter()
        .flat_map(Path::components)
        .collect();
    for component in parents {
        prefix.push(component);
        if matches!(component, Component::Normal(_))
            && prefix.symlink_metadata().is_ok_and(|m| m.is_symlink())
        {
            return Err(linked(&prefix));
        }
    }
    Ok(())
}

fn linked(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{} is a symbolic link; chaosrt does not follow links when it opens its own files \
             (a plugin may have planted it): remove it, or give the path it points to",
            crate::escape::escape(&path.display().to_string())
        ),
    )
}

#[cfg(unix)]
fn no_follow(options: &mut OpenOptions) {
    use std::os::unix::fs::OpenOptionsExt;
    options.custom_flags(libc::O_NOFOLLOW);
}

#[cfg(not(unix))]
fn no_follow(_: &mut OpenOptions) {}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_are_refused_at_the_end_and_in_relative_parents() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "untouched").unwrap();
        let link = dir.path().join("chaostoolkit.log");
        symlink("victim", &link).unwrap();
        let mut append = OpenOptions::new();
        append.create(true).append(true);
        let err = open_own(&link, &append).unwrap_err();
        assert!(err.to_string().contains("is a symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");

        // A linked directory in a relative path: checked from the current directory.
        std::fs::create_dir(dir.path().join("real")).unwrap();
        symlink("real", dir.path().join("logs")).unwrap();
        let err = refuse_linked_parents(Path::new("logs/x.log"), dir.path()).unwrap_err();
        assert!(
            err.to_string().contains("/logs is a symbolic link"),
            "{err}"
        );
        refuse_linked_parents(Path::new("real/x.log"), dir.path()).unwrap();

        let plain = dir.path().join("plain.log");
        open_own(&plain, &append).unwrap();
        assert!(plain.is_file());
    }
}
