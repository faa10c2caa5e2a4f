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
    pub fn precompiled(&self) -> Option<Embedded> {
        (!self.precompiled.is_empty()).then_some(Embedded(self.precompiled))
    }
}

/// A precompiled artifact embedded in the binary's read-only segment, aligned to [`ALIGNMENT`], so
/// wasmtime can run its code where it lies instead of copying it first (the copy was the largest
/// item of a warm run: page faults and resident memory). Only this crate makes one, so whoever holds
/// one holds bytes that live as long as the process and that nothing writes.
#[derive(Debug, Clone, Copy)]
pub struct Embedded(&'static [u8]);

impl Embedded {
    /// The artifact's bytes; they start at a multiple of [`ALIGNMENT`].
    pub fn bytes(&self) -> &'static [u8] {
        self.0
    }
}

/// The alignment of each [`Embedded`] artifact: a multiple of every page size chaosrt may run with
/// (4 KiB on x86-64, up to 64 KiB on arm64), so the code inside, which wasmtime places at page
/// offsets within the artifact, can be made executable page by page.
pub const ALIGNMENT: usize = 64 << 10;

#[repr(C, align(65536))]
struct Aligned<T: ?Sized>(T);

const _: () = assert!(std::mem::align_of::<Aligned<[u8; 0]>>() == ALIGNMENT);

static HTTP_PRECOMPILED: &Aligned<[u8]> =
    &Aligned(*include_bytes!(env!("CHAOSRT_BUILTIN_HTTP_PRECOMPILED")));
static FS_PRECOMPILED: &Aligned<[u8]> =
    &Aligned(*include_bytes!(env!("CHAOSRT_BUILTIN_FS_PRECOMPILED")));
static KUBERNETES_PRECOMPILED: &Aligned<[u8]> = &Aligned(*include_bytes!(env!(
    "CHAOSRT_BUILTIN_KUBERNETES_PRECOMPILED"
)));

/// The `http` plugin: HTTP(S) requests shaped like Chaos Toolkit's http provider.
pub const HTTP: Builtin = Builtin {
    name: "http",
    component: include_bytes!(env!("CHAOSRT_BUILTIN_HTTP")),
    sha256: env!("CHAOSRT_BUILTIN_HTTP_SHA256"),
    precompiled: &HTTP_PRECOMPILED.0,
};

/// The `fs` plugin: move a file and check that a path exists, in the run's working directory.
pub const FS: Builtin = Builtin {
    name: "fs",
    component: include_bytes!(env!("CHAOSRT_BUILTIN_FS")),
    sha256: env!("CHAOSRT_BUILTIN_FS_SHA256"),
    precompiled: &FS_PRECOMPILED.0,
};

/// The `kubernetes` plugin: chaostoolkit-kubernetes' pod, deployment and node activities, through
/// the host's Kubernetes proxy.
pub const KUBERNETES: Builtin = Builtin {
    name: "kubernetes",
    component: include_bytes!(env!("CHAOSRT_BUILTIN_KUBERNETES")),
    sha256: env!("CHAOSRT_BUILTIN_KUBERNETES_SHA256"),
    precompiled: &KUBERNETES_PRECOMPILED.0,
};

/// Every built-in plugin.
pub const ALL: &[Builtin] = &[HTTP, FS, KUBERNETES];
