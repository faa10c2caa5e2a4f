//! The built-in plugins, as WebAssembly component bytes the host embeds in its binary, each with its
//! form precompiled for the machine that built chaosrt.
//!
//! `build.rs` compiles them from `plugins/http`, `plugins/fs` and `plugins/kubernetes`, then precompiles each with wasmtime
//! under the host's own engine configuration (`chaosrt-engine-config`), so that even a first run on a
//! machine compiles nothing for them. The bytes live in this tiny crate of their own so that
//! rebuilding a guest recompiles only this crate, not the host's code.

/// A plugin built into chaosrt. Its fields are private: a [`Builtin`] can only be one of this
/// crate's constants, so whoever holds one holds bytes chaosrt's own build made (the host relies on
/// that to load [`Builtin::precompiled`] as native code).
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    name: &'static str,
    component: &'static [u8],
    sha256: &'static str,
    precompiled: &'static [u8],
}

impl Builtin {
    /// The name experiments use for it.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The WebAssembly component.
    pub fn component(&self) -> &'static [u8] {
        self.component
    }

    /// The component's sha256, in lowercase hex, computed by the build script: the bytes are part
    /// of the binary, so a run need not hash them again.
    pub fn sha256(&self) -> &'static str {
        self.sha256
    }

    /// The component compiled by wasmtime at build time, with the engine configuration the host
    /// uses, for the CPU of the machine that built it; `None` when the build did not precompile it
    /// (cross-compiling: the build machine's code would not run on the target). wasmtime checks, when
    /// loading it, that it fits this engine and CPU; when it does not, the host compiles the component.
    pub fn precompiled(&self) -> Option<&'static [u8]> {
        (!self.precompiled.is_empty()).then_some(self.precompiled)
    }

    /// Tells the kernel that the pages of [`Builtin::precompiled`] are not needed for now:
    /// wasmtime copies an artifact into memory of its own when it loads it, so once loaded, the
    /// bytes in the binary only add to the process's resident memory (they are most of what a
    /// run's peak holds beyond code). Read again, they come back from the binary, as the kernel
    /// may bring any of a program's pages back under memory pressure.
    pub fn loaded(&self) {
        #[cfg(unix)]
        forget_pages(self.precompiled);
    }
}

/// `madvise(MADV_DONTNEED)` over the whole pages within `bytes`.
#[cfg(unix)]
#[allow(unsafe_code)]
fn forget_pages(bytes: &'static [u8]) {
    // SAFETY: sysconf has no preconditions.
    let page = match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
        size if size > 0 => size as usize,
        _ => return,
    };
    let start = (bytes.as_ptr() as usize).next_multiple_of(page);
    let end = (bytes.as_ptr() as usize + bytes.len()) / page * page;
    if end > start {
        // SAFETY: the range lies within `bytes`, which `include_bytes!` put in the binary's
        // read-only segment, a private mapping of the executable file that nothing writes: dropping
        // its pages changes no byte, the next read maps them from the file again. (It would not
        // be sound for writable or anonymous memory, whose contents would be lost: `Builtin`s are
        // only this crate's constants.) An error leaves the pages as they were.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED);
        }
    }
}

/// The `http` plugin: HTTP(S) requests shaped like Chaos Toolkit's http provider.
pub const HTTP: Builtin = Builtin {
    name: "http",
    component: include_bytes!(env!("CHAOSRT_BUILTIN_HTTP")),
    sha256: env!("CHAOSRT_BUILTIN_HTTP_SHA256"),
    precompiled: include_bytes!(env!("CHAOSRT_BUILTIN_HTTP_PRECOMPILED")),
};

/// The `fs` plugin: move a file and check that a path exists, in the run's working directory.
pub const FS: Builtin = Builtin {
    name: "fs",
    component: include_bytes!(env!("CHAOSRT_BUILTIN_FS")),
    sha256: env!("CHAOSRT_BUILTIN_FS_SHA256"),
    precompiled: include_bytes!(env!("CHAOSRT_BUILTIN_FS_PRECOMPILED")),
};

/// The `kubernetes` plugin: chaostoolkit-kubernetes' pod, deployment and node activities, through
/// the host's Kubernetes proxy.
pub const KUBERNETES: Builtin = Builtin {
    name: "kubernetes",
    component: include_bytes!(env!("CHAOSRT_BUILTIN_KUBERNETES")),
    sha256: env!("CHAOSRT_BUILTIN_KUBERNETES_SHA256"),
    precompiled: include_bytes!(env!("CHAOSRT_BUILTIN_KUBERNETES_PRECOMPILED")),
};

/// Every built-in plugin.
pub const ALL: &[Builtin] = &[HTTP, FS, KUBERNETES];
