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
    /// Nothing (`None`), whatever the activity outputs: chaosk8s 0.39's deprecated
    /// `microservice_available_and_healthy` calls its successor without returning its value.
    Null,
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
    // chaostoolkit-kubernetes 0.39 (`chaosk8s`), served by the built-in kubernetes plugin under the
    // same names, arguments and defaults. `secrets` is the provider's, never an argument.
    Alias {
        module: "chaosk8s.pod.actions",
        func: "terminate_pods",
        plugin: "kubernetes",
        activity: "terminate_pods",
        required: &[],
        optional: &[
            "label_selector",
            "name_pattern",
            "all",
            "rand",
            "mode",
            "qty",
            "grace_period",
            "ns",
            "order",
        ],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.pod.probes",
        func: "pods_in_phase",
        plugin: "kubernetes",
        activity: "pods_in_phase",
        required: &["label_selector"],
        optional: &["phase", "ns", "raise_on_invalid_phase"],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.pod.probes",
        func: "pods_not_in_phase",
        plugin: "kubernetes",
        activity: "pods_not_in_phase",
        required: &["label_selector"],
        optional: &["phase", "ns", "raise_on_in_phase"],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.pod.probes",
        func: "count_pods",
        plugin: "kubernetes",
        activity: "count_pods",
        required: &["label_selector"],
        optional: &["phase", "ns"],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.pod.probes",
        func: "count_min_pods",
        plugin: "kubernetes",
        activity: "count_min_pods",
        required: &["label_selector"],
        optional: &["phase", "min_count", "ns"],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.pod.probes",
        func: "pods_in_conditions",
        plugin: "kubernetes",
        activity: "pods_in_conditions",
        required: &["label_selector", "conditions"],
        optional: &["ns", "raise_on_invalid_conditions"],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.pod.probes",
        func: "pod_is_not_available",
        plugin: "kubernetes",
        activity: "pod_is_not_available",
        required: &["name"],
        optional: &["ns", "label_selector", "raise_on_is_available"],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.pod.probes",
        func: "all_pods_healthy",
        plugin: "kubernetes",
        activity: "all_pods_healthy",
        required: &[],
        optional: &["ns", "raise_on_any_unhealthy"],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.deployment.probes",
        func: "deployment_available_and_healthy",
        plugin: "kubernetes",
        activity: "deployment_available_and_healthy",
        required: &["name"],
        optional: &["ns", "label_selector", "raise_on_unavailable"],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.deployment.probes",
        func: "deployment_partially_available",
        plugin: "kubernetes",
        activity: "deployment_partially_available",
        required: &["name"],
        optional: &["ns", "label_selector", "raise_on_not_partially_available"],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.deployment.probes",
        func: "deployment_fully_available",
        plugin: "kubernetes",
        activity: "deployment_fully_available",
        required: &["name"],
        optional: &[
            "ns",
            "label_selector",
            "timeout",
            "raise_on_not_fully_available",
        ],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.deployment.probes",
        func: "deployment_not_fully_available",
        plugin: "kubernetes",
        activity: "deployment_not_fully_available",
        required: &["name"],
        optional: &[
            "ns",
            "label_selector",
            "timeout",
            "raise_on_fully_available",
        ],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.deployment.actions",
        func: "scale_deployment",
        plugin: "kubernetes",
        activity: "scale_deployment",
        required: &["name", "replicas"],
        optional: &["ns"],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.deployment.actions",
        func: "rollout_deployment",
        plugin: "kubernetes",
        activity: "rollout_deployment",
        required: &["name"],
        optional: &["ns"],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.deployment.actions",
        func: "delete_deployment",
        plugin: "kubernetes",
        activity: "delete_deployment",
        required: &[],
        optional: &["name", "ns", "label_selector"],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.node.actions",
        func: "cordon_node",
        plugin: "kubernetes",
        activity: "cordon_node",
        required: &[],
        optional: &["name", "label_selector"],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.node.actions",
        func: "uncordon_node",
        plugin: "kubernetes",
        activity: "uncordon_node",
        required: &[],
        optional: &["name", "label_selector"],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.node.actions",
        func: "drain_nodes",
        plugin: "kubernetes",
        activity: "drain_nodes",
        required: &[],
        optional: &[
            "name",
            "label_selector",
            "delete_pods_with_local_storage",
            "timeout",
        ],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.networking.actions",
        func: "create_network_policy",
        plugin: "kubernetes",
        activity: "create_network_policy",
        // chaosk8s also reads the policy from `spec_path`; the plugin reads no files.
        required: &["spec"],
        optional: &["ns"],
        unsupported: &["spec_path"],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.networking.actions",
        func: "remove_network_policy",
        plugin: "kubernetes",
        activity: "remove_network_policy",
        required: &["name"],
        optional: &["ns"],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.networking.actions",
        func: "deny_all_ingress",
        plugin: "kubernetes",
        activity: "deny_all_ingress",
        required: &[],
        optional: &["label_selectors", "ns"],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.networking.actions",
        func: "remove_deny_all_ingress",
        plugin: "kubernetes",
        activity: "remove_deny_all_ingress",
        required: &[],
        optional: &["ns"],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.networking.actions",
        func: "deny_all_egress",
        plugin: "kubernetes",
        activity: "deny_all_egress",
        required: &[],
        optional: &["label_selectors", "ns"],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.networking.actions",
        func: "remove_deny_all_egress",
        plugin: "kubernetes",
        activity: "remove_deny_all_egress",
        required: &[],
        optional: &["ns"],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.networking.actions",
        func: "allow_dns_access",
        plugin: "kubernetes",
        activity: "allow_dns_access",
        required: &[],
        optional: &["label_selectors", "ns"],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.networking.actions",
        func: "remove_allow_dns_access",
        plugin: "kubernetes",
        activity: "remove_allow_dns_access",
        required: &[],
        optional: &["ns"],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.service.probes",
        func: "service_is_initialized",
        plugin: "kubernetes",
        activity: "service_is_initialized",
        required: &[],
        optional: &[
            "name",
            "ns",
            "label_selector",
            "raise_if_service_not_initialized",
        ],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.probes",
        func: "service_endpoint_is_initialized",
        plugin: "kubernetes",
        activity: "service_is_initialized",
        required: &["name"],
        optional: &["ns", "label_selector"],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.pod.probes",
        func: "read_pod_logs",
        plugin: "kubernetes",
        activity: "read_pod_logs",
        required: &[],
        optional: &[
            "name",
            "last",
            "ns",
            "from_previous",
            "label_selector",
            "container_name",
        ],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.probes",
        func: "read_microservices_logs",
        plugin: "kubernetes",
        activity: "read_pod_logs",
        required: &[],
        optional: &[
            "name",
            "last",
            "ns",
            "from_previous",
            "label_selector",
            "container_name",
        ],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.probes",
        func: "all_microservices_healthy",
        plugin: "kubernetes",
        activity: "all_pods_healthy",
        required: &[],
        optional: &["ns"],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.probes",
        func: "microservice_available_and_healthy",
        plugin: "kubernetes",
        activity: "deployment_available_and_healthy",
        required: &["name"],
        optional: &["ns", "label_selector"],
        unsupported: &[],
        returns: Returns::Null,
    },
    Alias {
        module: "chaosk8s.probes",
        func: "microservice_is_not_available",
        plugin: "kubernetes",
        activity: "pod_is_not_available",
        required: &["name"],
        optional: &["ns", "label_selector"],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.probes",
        func: "deployment_is_fully_available",
        plugin: "kubernetes",
        activity: "deployment_fully_available",
        required: &["name"],
        optional: &["ns", "label_selector", "timeout"],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.probes",
        func: "deployment_is_not_fully_available",
        plugin: "kubernetes",
        activity: "deployment_not_fully_available",
        required: &["name"],
        optional: &["ns", "label_selector", "timeout"],
        unsupported: &[],
        returns: Returns::Output,
    },
    Alias {
        module: "chaosk8s.actions",
        func: "scale_microservice",
        plugin: "kubernetes",
        activity: "scale_deployment",
        required: &["name", "replicas"],
        optional: &["ns"],
        unsupported: &[],
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
