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
    /// Keyword arguments with a default that the plugin activity also takes, under the same name.
    pub optional: &'static [&'static str],
    /// Keyword arguments the Python function has but chaosrt does not serve (`dir_fd`, `onerror`):
    /// refused as such, not as arguments the function lacks.
    pub unsupported: &'static [&'static str],
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

/// Every python function chaosrt can serve. The file functions follow CPython's signatures
/// (`os.remove(path, *, dir_fd=None)`, `os.makedirs(name, mode=0o777, exist_ok=False)`,
/// `shutil.rmtree(path, ignore_errors=False, onerror=None, *, onexc=None, dir_fd=None)`).
pub const ALIASES: &[Alias] = &[
    Alias {
        module: "os",
        func: "rename",
        plugin: "fs",
        activity: "move",
        required: &["src", "dst"],
        optional: &[],
        unsupported: &["src_dir_fd", "dst_dir_fd"],
        returns: Returns::Output,
    },
    Alias {
        module: "shutil",
        func: "move",
        plugin: "fs",
        activity: "move",
        required: &["src", "dst"],
        optional: &[],
        unsupported: &["copy_function"],
        returns: Returns::Argument("dst"),
    },
    Alias {
        module: "os.path",
        func: "exists",
        plugin: "fs",
        activity: "exists",
        required: &["path"],
        optional: &[],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "os",
        func: "remove",
        plugin: "fs",
        activity: "remove",
        required: &["path"],
        optional: &[],
        unsupported: &["dir_fd"],
        returns: Returns::Output,
    },
    Alias {
        module: "os",
        func: "unlink",
        plugin: "fs",
        activity: "remove",
        required: &["path"],
        optional: &[],
        unsupported: &["dir_fd"],
        returns: Returns::Output,
    },
    // Both return the path they copied to, which for `shutil.copy` into a directory is not `dst`:
    // the plugin computes it.
    Alias {
        module: "shutil",
        func: "copy",
        plugin: "fs",
        activity: "copy",
        required: &["src", "dst"],
        optional: &[],
        unsupported: &["follow_symlinks"],
        returns: Returns::Output,
    },
    Alias {
        module: "shutil",
        func: "copyfile",
        plugin: "fs",
        activity: "copyfile",
        required: &["src", "dst"],
        optional: &[],
        unsupported: &["follow_symlinks"],
        returns: Returns::Output,
    },
    Alias {
        module: "os",
        func: "makedirs",
        plugin: "fs",
        activity: "makedirs",
        required: &["name"],
        optional: &["mode", "exist_ok"],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "os",
        func: "mkdir",
        plugin: "fs",
        activity: "mkdir",
        required: &["path"],
        optional: &["mode"],
        unsupported: &["dir_fd"],
        returns: Returns::Output,
    },
    Alias {
        module: "shutil",
        func: "rmtree",
        plugin: "fs",
        activity: "rmtree",
        required: &["path"],
        optional: &["ignore_errors"],
        unsupported: &["onerror", "onexc", "dir_fd"],
        returns: Returns::Output,
    },
];

impl Alias {
    /// Whether chaosrt passes the keyword argument `name` on to the plugin activity.
    pub fn takes(&self, name: &str) -> bool {
        self.required.contains(&name) || self.optional.contains(&name)
    }

    /// Why a call with the keyword argument `name` is refused, or `None` when the alias takes it:
    /// an argument of the Python function that chaosrt does not serve, or one the function lacks.
    pub fn refusal(&self, name: &str) -> Option<String> {
        let (module, func) = (self.module, self.func);
        if self.takes(name) {
            None
        } else if self.unsupported.contains(&name) {
            let served: Vec<&str> = self.required.iter().chain(self.optional).copied().collect();
            Some(format!(
                "chaosrt does not support the argument '{name}' of {module}.{func} (the {} plugin \
                 takes {}); leave it out",
                self.plugin,
                served.join(", ")
            ))
        } else {
            Some(format!("{module}.{func} takes no argument '{name}'"))
        }
    }
}

/// The alias for `module.func`, if chaosrt serves it.
pub fn find(module: &str, func: &str) -> Option<&'static Alias> {
    ALIASES
        .iter()
        .find(|a| a.module == module && a.func == func)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_python_function_is_served_once_by_the_fs_plugin_or_another() {
        for (i, a) in ALIASES.iter().enumerate() {
            assert!(
                !ALIASES[..i]
                    .iter()
                    .any(|b| (b.module, b.func) == (a.module, a.func)),
                "{}.{} is listed twice",
                a.module,
                a.func
            );
            assert_eq!(find(a.module, a.func), Some(a));
        }
        assert_eq!(find("os", "remove").unwrap().activity, "remove");
        assert_eq!(find("os", "unlink").unwrap().activity, "remove");
        assert_eq!(find("os", "nope"), None);
    }

    #[test]
    fn optional_arguments_are_taken_and_unsupported_ones_refused_as_such() {
        let makedirs = find("os", "makedirs").unwrap();
        assert!(makedirs.takes("name") && makedirs.takes("exist_ok") && makedirs.takes("mode"));
        assert_eq!(makedirs.refusal("exist_ok"), None);
        let remove = find("os", "remove").unwrap();
        assert_eq!(
            remove.refusal("dir_fd").unwrap(),
            "chaosrt does not support the argument 'dir_fd' of os.remove (the fs plugin takes \
             path); leave it out"
        );
        assert_eq!(
            remove.refusal("paht").unwrap(),
            "os.remove takes no argument 'paht'"
        );
        let rmtree = find("shutil", "rmtree").unwrap();
        assert!(rmtree.takes("ignore_errors") && !rmtree.takes("onerror"));
    }
}
