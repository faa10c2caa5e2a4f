//! chaosrt's private directories and the files in them: the compile cache, the plugin store and the
//! ledger of compiled artifacts.
//!
//! Whoever can write one of these can make chaosrt run their code (a compiled artifact is native
//! code; a plugin and its manifest decide what runs with which grants), so they are the user's
//! alone, whatever the umask says: directories are made `0700` and files `0600` explicitly. A
//! directory of ours that an older chaosrt left group- or world-writable is tightened the next time
//! it is used; one that is a symbolic link or another user's is refused, and so is a file another
//! user owns or may write. Files are opened with `O_NOFOLLOW` ([`crate::fsutil::open_own`]) and
//! replaced by a rename, which replaces a link rather than following it. Every read is bounded.
//!
//! The ancestors of our directories (`~/.cache`, `~/.local/share`, or what `XDG_*_HOME` names) are
//! the operator's, and may be links: they are created (private) when missing, never changed.

use std::fs::{self, DirBuilder, OpenOptions, Permissions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The mode of chaosrt's directories: the user only.
pub const DIR_MODE: u32 = 0o700;

/// The mode of chaosrt's files: the user only, not executable.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` (one of ours) if needed, and makes sure it is a real directory (not a link) of
/// ours with mode `0700` (see [`check_dir`]). Its missing ancestors are created `0700` too, but existing ones are left alone.
pub fn ensure_dir(dir: &Path) -> io::Result<()> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.is_dir()
    {
        DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(parent)
            .map_err(|e| at(parent, e))?;
    }
    match DirBuilder::new().mode(DIR_MODE).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(at(dir, e)),
    }
    match check_dir(dir)? {
        Some(_) => Ok(()),
        None => Err(at(dir, io::ErrorKind::NotFound.into())),
    }
}

/// [`ensure_dir`] for `root` and then each of `below` under it in turn (all of them ours); returns
/// the deepest.
pub fn ensure_dirs(root: &Path, below: &[&str]) -> io::Result<PathBuf> {
    ensure_dir(root)?;
    let mut dir = root.to_path_buf();
    for name in below {
        dir.push(name);
        ensure_dir(&dir)?;
    }
    Ok(dir)
}

/// Checks `dir`, one of ours, before it is used: `None` when it does not exist; an error when it is a
/// symbolic link, not a directory, or another user's. One of ours that others may write to (an older
/// chaosrt left it at the umask's mode) is made `0700` first.
pub fn check_dir(dir: &Path) -> io::Result<Option<fs::Metadata>> {
    let meta = match dir.symlink_metadata() {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(at(dir, e)),
    };
    if meta.is_symlink() {
        return Err(refused(dir, "is a symbolic link"));
    }
    if !meta.is_dir() {
        return Err(refused(dir, "is not a directory"));
    }
    if !owned(&meta) {
        return Err(refused(dir, "belongs to another user"));
    }
    if meta.permissions().mode() & 0o7777 != DIR_MODE {
        fs::set_permissions(dir, Permissions::from_mode(DIR_MODE)).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("{}: cannot make it private (mode 0700): {e}", dir.display()),
            )
        })?;
    }
    Ok(Some(meta))
}

/// [`check_dir`] for `root` and then each of `below` under it; the deepest, or `None` as soon as one
/// does not exist.
pub fn check_dirs(root: &Path, below: &[&str]) -> io::Result<Option<PathBuf>> {
    let mut dir = root.to_path_buf();
    if check_dir(&dir)?.is_none() {
        return Ok(None);
    }
    for name in below {
        dir.push(name);
        if check_dir(&dir)?.is_none() {
            return Ok(None);
        }
    }
    Ok(Some(dir))
}

/// Whether the effective user owns what `meta` describes.
fn owned(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    meta.uid() == rustix::process::geteuid().as_raw()
}

/// The content of `path`, one of our files: `None` when it does not exist. Refuses a link, anything
/// but a regular file (opening a FIFO would block), a file another user owns or may write to, and
/// more than `max` bytes (without reading them).
pub fn read_file(path: &Path, max: u64) -> io::Result<Option<Vec<u8>>> {
    match path.symlink_metadata() {
        Ok(meta) if meta.is_file() => {}
        Ok(meta) if meta.is_symlink() => return Err(refused(path, "is a symbolic link")),
        Ok(_) => return Err(refused(path, "is not a regular file")),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(at(path, e)),
    }
    let file =
        crate::fsutil::open_own(path, OpenOptions::new().read(true)).map_err(|e| at(path, e))?;
    // The checks above were on the path; these are on what was opened.
    let meta = file.metadata().map_err(|e| at(path, e))?;
    if !meta.is_file() {
        return Err(refused(path, "is not a regular file"));
    }
    if !owned(&meta) || meta.permissions().mode() & 0o022 != 0 {
        return Err(refused(path, "may be written by another user"));
    }
    if meta.len() > max {
        return Err(too_large(path, max));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| at(path, e))?;
    if bytes.len() as u64 > max {
        return Err(too_large(path, max));
    }
    Ok(Some(bytes))
}

/// Writes `path` in an existing directory of ours, mode `0600`, through a temporary file renamed into
/// place: a reader never sees half a file, and a link at `path` is replaced, not followed.
pub fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(|e| at(dir, e))?;
    // fchmod, which the umask does not touch.
    tmp.as_file()
        .set_permissions(Permissions::from_mode(FILE_MODE))
        .and_then(|()| tmp.write_all(bytes))
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| at(path, e))?;
    tmp.persist(path).map_err(|e| at(path, e.error))?;
    Ok(())
}

/// A directory filled in private and then put in place whole by [`Staged::commit`], so that what it
/// holds appears all at once or not at all. Dropped uncommitted, it is removed; left behind by a
/// process that was killed, it is removed by the next one staged beside it ([`sweep`]).
pub struct Staged {
    dir: tempfile::TempDir,
    /// An exclusive lock on the directory, held while it is staged: the kernel drops it when the
    /// process dies, which is how [`sweep`] tells a killed install's directory from a live one.
    _lock: fs::File,
}

/// The names of staging directories.
const STAGING: &str = ".staging-";

/// How old an unlocked staging directory must be before it is swept: one just made may not be
/// locked by its owner yet.
const SWEEP_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

impl Staged {
    /// A new, empty, private staging directory inside `parent` (which must be ours, since the final
    /// directory will be renamed from it on the same filesystem).
    pub fn new_in(parent: &Path) -> io::Result<Staged> {
        sweep(parent);
        let dir = tempfile::Builder::new()
            .prefix(STAGING)
            .tempdir_in(parent)
            .map_err(|e| at(parent, e))?;
        fs::set_permissions(dir.path(), Permissions::from_mode(DIR_MODE))
            .map_err(|e| at(dir.path(), e))?;
        let lock = open_dir(dir.path())?;
        rustix::fs::flock(&lock, rustix::fs::FlockOperation::NonBlockingLockExclusive)
            .map_err(|e| at(dir.path(), e.into()))?;
        Ok(Staged { dir, _lock: lock })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Puts the staged directory at `target`. When `target` exists it is replaced only if `replace`
    /// is set, by an atomic exchange where the filesystem offers one; the old directory is then
    /// removed. On error `target` is as it was.
    pub fn commit(self, target: &Path, replace: bool) -> io::Result<()> {
        let staged = self.dir.path();
        match check_dir(target)? {
            None => fs::rename(staged, target).map_err(|e| at(target, e)),
            Some(_) if !replace => Err(at(target, io::ErrorKind::AlreadyExists.into())),
            // After the exchange the staging directory holds the old one, which dropping removes.
            Some(_) => exchange(staged, target).map_err(|e| at(target, e)),
        }
    }
}

/// Removes the staging directories in `parent` that a killed process left: ours, real directories
/// (never a link), older than [`SWEEP_AFTER`] and locked by nobody. Best effort: what cannot be
/// removed stays, hidden, and nothing reads it. A directory moved aside by [`exchange`]'s fallback
/// (`.old`) may be the only copy of an install and is left alone.
fn sweep(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let staging = name
            .to_str()
            .is_some_and(|n| n.starts_with(STAGING) && !n.ends_with(".old"));
        if !staging {
            continue;
        }
        let path = entry.path();
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        let old = meta
            .modified()
            .ok()
            .and_then(|m| m.elapsed().ok())
            .is_some_and(|age| age >= SWEEP_AFTER);
        if !(old && meta.is_dir() && owned(&meta)) {
            continue;
        }
        let unlocked = open_dir(&path).is_ok_and(|dir| {
            rustix::fs::flock(&dir, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_ok()
        });
        if unlocked {
            let _ = fs::remove_dir_all(&path);
        }
    }
}

/// Opens the directory `path` itself, not what a link there points to.
fn open_dir(path: &Path) -> io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| at(path, e))
}

/// Swaps two directories atomically (`renameat2(RENAME_EXCHANGE)`); where that is not supported,
/// moves `target` aside, moves `staged` in, and puts `target` back if the second step fails. Either
/// way `staged` ends up holding the old `target`.
fn exchange(staged: &Path, target: &Path) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        match renameat_with(CWD, staged, CWD, target, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(()),
            Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {}
            Err(e) => return Err(e.into()),
        }
    }
    let aside = staged.with_extension("old");
    fs::rename(target, &aside)?;
    if let Err(e) = fs::rename(staged, target) {
        fs::rename(&aside, target)?;
        return Err(e);
    }
    fs::rename(&aside, staged)
}

fn at(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

fn refused(path: &Path, what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{} {what}; chaosrt refuses it among its own files, which are the user's alone \
             (fix or remove it)",
            crate::escape::escape(&path.display().to_string())
        ),
    )
}

fn too_large(path: &Path, max: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "{} is larger than the {max} bytes chaosrt reads from such a file",
            path.display()
        ),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// Runs `f` with the process umask at 000 (the most permissive), then restores it. Tests that
    /// create files take this lock so they never see each other's umask.
    pub(crate) fn with_umask_000<T>(f: impl FnOnce() -> T) -> T {
        static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let old = rustix::process::umask(rustix::fs::Mode::empty());
        let result = f();
        rustix::process::umask(old);
        result
    }

    pub(crate) fn mode(path: &Path) -> u32 {
        path.symlink_metadata().unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn directories_and_files_are_private_under_umask_000() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("data/chaosrt");
        with_umask_000(|| {
            let deepest = ensure_dirs(&root, &["plugins", "x"]).unwrap();
            write_file(&deepest.join("f"), b"1").unwrap();
        });
        for dir in [&root, &root.join("plugins"), &root.join("plugins/x")] {
            assert_eq!(mode(dir), 0o700, "{}", dir.display());
        }
        assert_eq!(mode(&root.join("plugins/x/f")), 0o600);
        // An ancestor that was missing is created private too.
        assert_eq!(mode(&tmp.path().join("data")), 0o700);
    }

    #[test]
    fn a_loose_directory_of_ours_is_tightened() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cache");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, Permissions::from_mode(0o777)).unwrap();
        ensure_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
    }

    #[test]
    fn links_are_refused_as_directories_and_files() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real");
        fs::create_dir(&real).unwrap();
        fs::write(real.join("f"), "x").unwrap();
        let linked_dir = tmp.path().join("chaosrt");
        symlink(&real, &linked_dir).unwrap();
        for err in [
            ensure_dir(&linked_dir).unwrap_err(),
            check_dir(&linked_dir).unwrap_err(),
        ] {
            assert!(err.to_string().contains("is a symbolic link"), "{err}");
        }
        let linked_file = real.join("g");
        symlink(real.join("f"), &linked_file).unwrap();
        let err = read_file(&linked_file, 10).unwrap_err();
        assert!(err.to_string().contains("is a symbolic link"), "{err}");
        // Writing replaces the link; the file it pointed to is untouched.
        write_file(&linked_file, b"new").unwrap();
        assert_eq!(fs::read(real.join("f")).unwrap(), b"x");
        assert_eq!(read_file(&linked_file, 10).unwrap().unwrap(), b"new");
    }

    #[test]
    fn reads_are_bounded() {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("f");
        fs::write(&f, "12345").unwrap();
        // Made private whatever the umask: another test may hold it at 000 meanwhile.
        fs::set_permissions(&f, Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_file(&f, 5).unwrap().unwrap(), b"12345");
        let err = read_file(&f, 4).unwrap_err();
        assert!(err.to_string().contains("larger than the 4 bytes"), "{err}");
        assert_eq!(read_file(&tmp.path().join("none"), 4).unwrap(), None);
    }

    #[test]
    fn staged_directories_land_whole_and_replace_only_when_asked() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("1.0.0");
        let stage = |content: &str| {
            let staged = Staged::new_in(tmp.path()).unwrap();
            fs::write(staged.path().join("a"), content).unwrap();
            staged
        };
        stage("first").commit(&target, false).unwrap();
        assert_eq!(fs::read_to_string(target.join("a")).unwrap(), "first");
        assert!(stage("second").commit(&target, false).is_err());
        assert_eq!(fs::read_to_string(target.join("a")).unwrap(), "first");
        stage("third").commit(&target, true).unwrap();
        assert_eq!(fs::read_to_string(target.join("a")).unwrap(), "third");
        // Nothing is left behind: no staging directory, no old copy.
        let names: Vec<_> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["1.0.0"]);
    }

    #[test]
    fn a_killed_install_s_staging_directory_is_swept_by_the_next_but_a_live_one_is_not() {
        let tmp = tempfile::tempdir().unwrap();
        let age = |path: &Path| {
            let old = std::time::SystemTime::now() - 2 * SWEEP_AFTER;
            fs::File::open(path).unwrap().set_modified(old).unwrap();
        };
        // What a killed install leaves: a staging directory, half filled, that nobody holds.
        let killed = tmp.path().join(".staging-killed");
        fs::create_dir(&killed).unwrap();
        fs::write(killed.join("plugin.wasm"), "half").unwrap();
        age(&killed);
        // One just made, whose owner may not have locked it yet; and one moved aside by a fallback
        // exchange, which may be the only copy of an install.
        let fresh = tmp.path().join(".staging-fresh");
        fs::create_dir(&fresh).unwrap();
        let aside = tmp.path().join(".staging-x.old");
        fs::create_dir(&aside).unwrap();
        age(&aside);
        // A link planted under a staging name, old, pointing at a directory that is not ours to
        // empty: the sweep removes neither the link's target nor what is in it.
        let elsewhere = tempfile::tempdir().unwrap();
        fs::write(elsewhere.path().join("keep"), "keep").unwrap();
        age(elsewhere.path());
        let planted = tmp.path().join(".staging-planted");
        std::os::unix::fs::symlink(elsewhere.path(), &planted).unwrap();
        let old = std::time::SystemTime::now() - 2 * SWEEP_AFTER;
        let old = old.duration_since(std::time::UNIX_EPOCH).unwrap();
        let stamp = rustix::fs::Timespec {
            tv_sec: old.as_secs() as i64,
            tv_nsec: 0,
        };
        rustix::fs::utimensat(
            rustix::fs::CWD,
            &planted,
            &rustix::fs::Timestamps {
                last_access: stamp,
                last_modification: stamp,
            },
            rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
        )
        .unwrap();
        // A live install, staged long ago and still at work.
        let live = Staged::new_in(tmp.path()).unwrap();
        age(live.path());

        let next = Staged::new_in(tmp.path()).unwrap();
        assert!(!killed.exists(), "the killed install's directory is swept");
        assert!(fresh.exists() && aside.exists() && live.path().exists());
        assert!(
            elsewhere.path().join("keep").exists(),
            "a link is never followed"
        );
        drop((live, next));
        let mut names: Vec<_> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [".staging-fresh", ".staging-planted", ".staging-x.old"]
        );
    }
}
