//! Chaos Toolkit `python` providers that chaosrt serves with a plugin activity instead of Python.
//!
//! Existing experiments name Python functions (`os.rename`, `chaosk8s.pod.actions.terminate_pods`);
//! each entry here maps one to a plugin activity taking the same keyword arguments.

/// One python function served by a plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alias {
    pub module: &'static str,
    pub func: &'static str,
    pub plugin: &'static str,
    pub activity: &'static str,
    /// Keyword arguments the Python function requires (checked at validation, like CTK's signature
    /// binding).
    pub required: &'static [&'static str],
    /// What the Python function returns, so the journal records the same output.
    pub returns: Returns,
}

/// A Python function's return value in terms of its plugin activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returns {
    /// The activity's output (`None` → `null` for `os.rename`, a bool for `os.path.exists`).
    Output,
    /// One of the call's arguments (`shutil.move` returns `dst`).
    Argument(&'static str),
}

/// Every python function chaosrt can serve.
pub const ALIASES: &[Alias] = &[
    Alias {
        module: "os",
        func: "rename",
        plugin: "fs",
        activity: "move",
        required: &["src", "dst"],
        returns: Returns::Output,
    },
    Alias {
        module: "shutil",
        func: "move",
        plugin: "fs",
        activity: "move",
        required: &["src", "dst"],
        returns: Returns::Argument("dst"),
    },
    Alias {
        module: "os.path",
        func: "exists",
        plugin: "fs",
        activity: "exists",
        required: &["path"],
        returns: Returns::Output,
    },
];

/// The alias for `module.func`, if chaosrt serves it.
pub fn find(module: &str, func: &str) -> Option<&'static Alias> {
    ALIASES
        .iter()
        .find(|a| a.module == module && a.func == func)
}
