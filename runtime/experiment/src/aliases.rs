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
    /// The function that replaces a deprecated one: chaosrt warns, naming it, as the Python
    /// function does.
    pub deprecated: Option<&'static str>,
    /// Keyword arguments the Python function passes on with a default other than the activity's,
    /// filled in (as strings) when the call leaves them out.
    pub defaults: &'static [(&'static str, &'static str)],
    /// The argument that says how many seconds the function may wait (and its default): Chaos
    /// Toolkit puts no limit on a Python function, so the call may take that long and more.
    pub waits: Option<(&'static str, u64)>,
    /// The Python exception the function's failures are (Chaos Toolkit names it before the
    /// message), when the plugin's failure texts do not name one themselves.
    pub raises: Option<&'static str>,
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
        deprecated: None,
        defaults: &[],
        waits: None,
        raises: None,
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
        deprecated: None,
        defaults: &[],
        waits: None,
        raises: None,
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
        deprecated: None,
        defaults: &[],
        waits: None,
        raises: None,
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
        deprecated: None,
        defaults: &[],
        waits: None,
        raises: None,
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
        deprecated: None,
        defaults: &[],
        waits: None,
        raises: None,
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
        deprecated: None,
        defaults: &[],
        waits: None,
        raises: None,
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
        deprecated: None,
        defaults: &[],
        waits: None,
        raises: None,
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
        deprecated: None,
        defaults: &[],
        waits: None,
        raises: None,
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
        deprecated: None,
        defaults: &[],
        waits: None,
        raises: None,
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
        deprecated: None,
        defaults: &[],
        waits: None,
        raises: None,
    },
    // chaostoolkit-kubernetes 0.39 (`chaosk8s`), served by the built-in kubernetes plugin under the
    // same names, arguments and defaults. `secrets` is the provider's, never an argument.
    // Deprecated functions name their successor, which chaosrt names in a warning as chaosk8s does.
    k8s("chaosk8s.pod.actions", "terminate_pods", &[]).optional(&[
        "label_selector",
        "name_pattern",
        "all",
        "rand",
        "mode",
        "qty",
        "grace_period",
        "ns",
        "order",
    ]),
    k8s("chaosk8s.pod.actions", "delete_pods", &[])
        .optional(BY_NAME_OR_LABEL)
        .deprecated("terminate_pods"),
    k8s("chaosk8s.pod.probes", "pods_in_phase", &["label_selector"]).optional(&[
        "phase",
        "ns",
        "raise_on_invalid_phase",
    ]),
    k8s(
        "chaosk8s.pod.probes",
        "pods_not_in_phase",
        &["label_selector"],
    )
    .optional(&["phase", "ns", "raise_on_in_phase"]),
    k8s("chaosk8s.pod.probes", "count_pods", &["label_selector"]).optional(&["phase", "ns"]),
    k8s("chaosk8s.pod.probes", "count_min_pods", &["label_selector"]).optional(&[
        "phase",
        "min_count",
        "ns",
    ]),
    k8s(
        "chaosk8s.pod.probes",
        "pods_in_conditions",
        &["label_selector", "conditions"],
    )
    .optional(&["ns", "raise_on_invalid_conditions"]),
    k8s("chaosk8s.pod.probes", "pod_is_not_available", &["name"]).optional(&[
        "ns",
        "label_selector",
        "raise_on_is_available",
    ]),
    k8s("chaosk8s.pod.probes", "all_pods_healthy", &[]).optional(&["ns", "raise_on_any_unhealthy"]),
    k8s("chaosk8s.pod.probes", "read_pod_logs", &[]).optional(READ_POD_LOGS),
    k8s(
        "chaosk8s.pod.probes",
        "should_be_found_in_logs",
        &["pattern"],
    )
    .optional(&["all_containers", "value"]),
    k8s(
        "chaosk8s.deployment.probes",
        "deployment_available_and_healthy",
        &["name"],
    )
    .optional(&["ns", "label_selector", "raise_on_unavailable"]),
    k8s(
        "chaosk8s.deployment.probes",
        "deployment_partially_available",
        &["name"],
    )
    .optional(&["ns", "label_selector", "raise_on_not_partially_available"]),
    k8s(
        "chaosk8s.deployment.probes",
        "deployment_fully_available",
        &["name"],
    )
    .optional(FULLY)
    .waits("timeout", 30),
    k8s(
        "chaosk8s.deployment.probes",
        "deployment_not_fully_available",
        &["name"],
    )
    .optional(NOT_FULLY)
    .waits("timeout", 30),
    k8s(
        "chaosk8s.deployment.actions",
        "scale_deployment",
        &["name", "replicas"],
    )
    .optional(&["ns"]),
    k8s(
        "chaosk8s.deployment.actions",
        "rollout_deployment",
        &["name"],
    )
    .optional(&["ns"]),
    k8s("chaosk8s.deployment.actions", "delete_deployment", &[]).optional(BY_NAME_OR_LABEL),
    k8s(
        "chaosk8s.statefulset.actions",
        "scale_statefulset",
        &["name", "replicas"],
    )
    .optional(&["ns"]),
    k8s("chaosk8s.statefulset.actions", "remove_statefulset", &[]).optional(BY_NAME_OR_LABEL),
    k8s(
        "chaosk8s.statefulset.probes",
        "statefulset_fully_available",
        &["name"],
    )
    .optional(FULLY)
    .waits("timeout", 30),
    k8s(
        "chaosk8s.statefulset.probes",
        "statefulset_not_fully_available",
        &["name"],
    )
    .optional(NOT_FULLY)
    .waits("timeout", 30),
    k8s("chaosk8s.daemonset.actions", "delete_daemon_set", &[]).optional(BY_NAME_OR_LABEL),
    k8s(
        "chaosk8s.daemonset.actions",
        "update_daemon_set",
        &["name", "spec"],
    )
    .optional(&["ns"]),
    k8s(
        "chaosk8s.daemonset.probes",
        "daemon_set_available_and_healthy",
        &["name"],
    )
    .optional(&["ns", "label_selector"]),
    k8s(
        "chaosk8s.daemonset.probes",
        "daemon_set_partially_available",
        &["name"],
    )
    .optional(&["ns", "label_selector"]),
    k8s(
        "chaosk8s.daemonset.probes",
        "daemon_set_fully_available",
        &["name"],
    )
    .optional(WAITING)
    .waits("timeout", 30),
    k8s(
        "chaosk8s.daemonset.probes",
        "daemon_set_not_fully_available",
        &["name"],
    )
    .optional(WAITING)
    .waits("timeout", 30),
    k8s("chaosk8s.service.probes", "service_is_initialized", &[]).optional(&[
        "name",
        "ns",
        "label_selector",
        "raise_if_service_not_initialized",
    ]),
    k8s("chaosk8s.service.actions", "delete_service", &["name"]).optional(&["ns"]),
    k8s("chaosk8s.node.actions", "cordon_node", &[]).optional(&["name", "label_selector"]),
    k8s("chaosk8s.node.actions", "uncordon_node", &[]).optional(&["name", "label_selector"]),
    k8s("chaosk8s.node.actions", "drain_nodes", &[])
        .optional(&[
            "name",
            "label_selector",
            "delete_pods_with_local_storage",
            "timeout",
            "count",
            "pod_label_selector",
            "pod_namespace",
        ])
        .waits("timeout", 120),
    // chaosk8s also reads the policy from `spec_path`; the plugin reads no files.
    k8s(
        "chaosk8s.networking.actions",
        "create_network_policy",
        &["spec"],
    )
    .optional(&["ns"])
    .unsupported(&["spec_path"]),
    k8s(
        "chaosk8s.networking.actions",
        "remove_network_policy",
        &["name"],
    )
    .optional(&["ns"]),
    k8s("chaosk8s.networking.actions", "deny_all_ingress", &[])
        .optional(&["label_selectors", "ns"]),
    k8s(
        "chaosk8s.networking.actions",
        "remove_deny_all_ingress",
        &[],
    )
    .optional(&["ns"]),
    k8s("chaosk8s.networking.actions", "deny_all_egress", &[]).optional(&["label_selectors", "ns"]),
    k8s("chaosk8s.networking.actions", "remove_deny_all_egress", &[]).optional(&["ns"]),
    k8s("chaosk8s.networking.actions", "allow_dns_access", &[])
        .optional(&["label_selectors", "ns"]),
    k8s(
        "chaosk8s.networking.actions",
        "remove_allow_dns_access",
        &[],
    )
    .optional(&["ns"]),
    // Custom objects: the object is the `resource` argument; the plugin reads no files.
    k8s("chaosk8s.crd.actions", "create_custom_object", CUSTOM)
        .optional(&["ns", "resource"])
        .unsupported(&["resource_as_yaml_file"]),
    k8s(
        "chaosk8s.crd.actions",
        "create_cluster_custom_object",
        CUSTOM,
    )
    .optional(&["resource"])
    .unsupported(&["resource_as_yaml_file"]),
    k8s("chaosk8s.crd.actions", "delete_custom_object", CUSTOM_NAMED).optional(&["ns"]),
    k8s(
        "chaosk8s.crd.actions",
        "delete_cluster_custom_object",
        CUSTOM_NAMED,
    ),
    k8s("chaosk8s.crd.actions", "patch_custom_object", CUSTOM_NAMED)
        .optional(&["ns", "force", "resource"])
        .unsupported(&["resource_as_yaml_file"]),
    k8s(
        "chaosk8s.crd.actions",
        "patch_cluster_custom_object",
        CUSTOM_NAMED,
    )
    .optional(&["force", "resource"])
    .unsupported(&["resource_as_yaml_file"]),
    k8s(
        "chaosk8s.crd.actions",
        "replace_custom_object",
        CUSTOM_NAMED,
    )
    .optional(&["ns", "force", "resource"])
    .unsupported(&["resource_as_yaml_file"]),
    k8s(
        "chaosk8s.crd.actions",
        "replace_cluster_custom_object",
        CUSTOM_NAMED,
    )
    .optional(&["force", "resource"])
    .unsupported(&["resource_as_yaml_file"]),
    k8s("chaosk8s.crd.probes", "get_custom_object", CUSTOM_NAMED).optional(&["ns"]),
    k8s(
        "chaosk8s.crd.probes",
        "get_cluster_custom_object",
        CUSTOM_NAMED,
    ),
    k8s("chaosk8s.crd.probes", "list_custom_objects", CUSTOM).optional(&["ns"]),
    k8s("chaosk8s.crd.probes", "list_cluster_custom_objects", CUSTOM),
    // The deprecated `chaosk8s.probes` and `chaosk8s.actions`, still in chaosk8s' README.
    k8s("chaosk8s.probes", "all_microservices_healthy", &[])
        .serves("all_pods_healthy")
        .optional(&["ns"])
        .deprecated("all_pods_healthy"),
    // chaosk8s 0.39 calls the successor without returning its value: `None` on success.
    k8s(
        "chaosk8s.probes",
        "microservice_available_and_healthy",
        &["name"],
    )
    .serves("deployment_available_and_healthy")
    .optional(&["ns", "label_selector"])
    .returns(Returns::Null)
    .deprecated("deployment_available_and_healthy"),
    k8s(
        "chaosk8s.probes",
        "microservice_is_not_available",
        &["name"],
    )
    .serves("pod_is_not_available")
    .optional(&["ns", "label_selector"])
    .deprecated("pod_is_not_available"),
    // Its default selector is passed on unformatted, so the API server refuses it (as in chaosk8s
    // 0.39: `{name}` is no label value).
    k8s(
        "chaosk8s.probes",
        "service_endpoint_is_initialized",
        &["name"],
    )
    .serves("service_is_initialized")
    .optional(&["ns", "label_selector"])
    .defaults(&[("label_selector", "name in ({name})")])
    .deprecated("service_is_initialized"),
    k8s(
        "chaosk8s.probes",
        "deployment_is_fully_available",
        &["name"],
    )
    .serves("deployment_fully_available")
    .optional(WAITING)
    .deprecated("deployment_fully_available")
    .waits("timeout", 30),
    k8s(
        "chaosk8s.probes",
        "deployment_is_not_fully_available",
        &["name"],
    )
    .serves("deployment_not_fully_available")
    .optional(WAITING)
    .deprecated("deployment_not_fully_available")
    .waits("timeout", 30),
    k8s("chaosk8s.probes", "read_microservices_logs", &[])
        .serves("read_pod_logs")
        .optional(READ_POD_LOGS),
    k8s(
        "chaosk8s.actions",
        "scale_microservice",
        &["name", "replicas"],
    )
    .serves("scale_deployment")
    .optional(&["ns"])
    .deprecated("scale_deployment"),
    k8s("chaosk8s.actions", "kill_microservice", &["name"])
        .optional(&["ns", "label_selector"])
        .deprecated("delete_deployment/delete_replica_set/delete_pods"),
    k8s("chaosk8s.actions", "remove_service_endpoint", &["name"])
        .serves("delete_service")
        .optional(&["ns"])
        .deprecated("delete_service"),
];

const READ_POD_LOGS: &[&str] = &[
    "name",
    "last",
    "ns",
    "from_previous",
    "label_selector",
    "container_name",
];
const CUSTOM: &[&str] = &["group", "version", "plural"];
const FULLY: &[&str] = &[
    "ns",
    "label_selector",
    "timeout",
    "raise_on_not_fully_available",
];
const NOT_FULLY: &[&str] = &[
    "ns",
    "label_selector",
    "timeout",
    "raise_on_fully_available",
];
const WAITING: &[&str] = &["ns", "label_selector", "timeout"];
const BY_NAME_OR_LABEL: &[&str] = &["name", "ns", "label_selector"];
const CUSTOM_NAMED: &[&str] = &["group", "version", "plural", "name"];

/// chaosk8s' functions that chaosrt knows and does not serve, and why: a validation error says so.
pub const KUBERNETES_UNSERVED: &[(&str, &str)] = &[
    (
        "chaosk8s.pod.actions.exec_in_pods",
        "it runs a command in containers, and chaosrt never proxies `exec` into a cluster",
    ),
    (
        "chaosk8s.probes.secret_exists",
        "the kubernetes plugin is not granted Secrets, so that no experiment can read them through \
         it",
    ),
    (
        "chaosk8s.crd.actions.apply_from_json",
        "it never succeeds in chaostoolkit-kubernetes 0.39 (it sends the resource's text where the \
         Kubernetes client wants an object); use chaosk8s.crd.actions.create_custom_object with the \
         object as `resource`",
    ),
    (
        "chaosk8s.crd.actions.apply_from_yaml",
        "it never succeeds in chaostoolkit-kubernetes 0.39 (it sends the resource's text where the \
         Kubernetes client wants an object); use chaosk8s.crd.actions.create_custom_object with the \
         object as `resource`",
    ),
];

/// chaosk8s' functions that read the object to create from a file: the plugin reads no files.
const FROM_A_FILE: &[&str] = &[
    "chaosk8s.deployment.actions.create_deployment",
    "chaosk8s.statefulset.actions.create_statefulset",
    "chaosk8s.daemonset.actions.create_daemon_set",
    "chaosk8s.service.actions.create_service_endpoint",
    "chaosk8s.networking.actions.create_ingress",
    "chaosk8s.actions.start_microservice",
];

/// Modules of chaosk8s that chaosrt serves none of, and why.
pub const KUBERNETES_UNSERVED_MODULES: &[(&str, &str)] = &[
    (
        "chaosk8s.secret",
        "the kubernetes plugin is not granted Secrets, so that no experiment can read them through \
         it",
    ),
    (
        "chaosk8s.chaosmesh",
        "create the Chaos Mesh object with chaosk8s.crd.actions.create_custom_object instead",
    ),
];

/// A chaosk8s function in `module`, served by the kubernetes plugin's activity of the same name; it
/// requires `required`, and takes nothing else until `optional` says so.
const fn k8s(module: &'static str, func: &'static str, required: &'static [&'static str]) -> Alias {
    Alias {
        module,
        func,
        plugin: "kubernetes",
        activity: func,
        required,
        optional: &[],
        unsupported: &[],
        returns: Returns::Output,
        deprecated: None,
        defaults: &[],
        waits: None,
        raises: Some("chaoslib.exceptions.ActivityFailed"),
    }
}

impl Alias {
    const fn optional(mut self, optional: &'static [&'static str]) -> Alias {
        self.optional = optional;
        self
    }

    const fn unsupported(mut self, unsupported: &'static [&'static str]) -> Alias {
        self.unsupported = unsupported;
        self
    }

    /// Served by another activity than the function's own name.
    const fn serves(mut self, activity: &'static str) -> Alias {
        self.activity = activity;
        self
    }

    const fn returns(mut self, returns: Returns) -> Alias {
        self.returns = returns;
        self
    }

    const fn deprecated(mut self, successor: &'static str) -> Alias {
        self.deprecated = Some(successor);
        self
    }

    const fn defaults(mut self, defaults: &'static [(&'static str, &'static str)]) -> Alias {
        self.defaults = defaults;
        self
    }

    const fn waits(mut self, argument: &'static str, default: u64) -> Alias {
        self.waits = Some((argument, default));
        self
    }

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

/// Why chaosrt does not serve the chaosk8s function `module.func`, when that is known.
pub fn unserved(module: &str, func: &str) -> Option<&'static str> {
    let function = format!("{module}.{func}");
    if FROM_A_FILE.contains(&function.as_str()) {
        return Some(
            "it reads the object to create from a file (`spec_path`), and the kubernetes plugin \
             reads no files",
        );
    }
    KUBERNETES_UNSERVED
        .iter()
        .find(|(f, _)| *f == function)
        .or_else(|| {
            KUBERNETES_UNSERVED_MODULES
                .iter()
                .find(|(m, _)| module == *m || module.starts_with(&format!("{m}.")))
        })
        .map(|(_, why)| *why)
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
    fn chaosk8s_functions_not_served_say_why() {
        assert!(
            unserved("chaosk8s.pod.actions", "exec_in_pods")
                .unwrap()
                .contains("never proxies `exec`")
        );
        assert!(
            unserved("chaosk8s.deployment.actions", "create_deployment")
                .unwrap()
                .contains("reads no files")
        );
        assert!(
            unserved("chaosk8s.secret.probes", "secret_exists")
                .unwrap()
                .contains("not granted Secrets")
        );
        assert!(
            unserved("chaosk8s.chaosmesh.network.actions", "add_latency")
                .unwrap()
                .contains("create_custom_object")
        );
        assert_eq!(
            unserved("chaosk8s.namespace.actions", "create_namespace"),
            None
        );
        for a in ALIASES {
            assert_eq!(unserved(a.module, a.func), None, "{}.{}", a.module, a.func);
        }
    }

    #[test]
    fn deprecated_chaosk8s_names_keep_their_successor_and_defaults() {
        let endpoint = find("chaosk8s.probes", "service_endpoint_is_initialized").unwrap();
        assert_eq!(endpoint.activity, "service_is_initialized");
        assert_eq!(endpoint.deprecated, Some("service_is_initialized"));
        assert_eq!(endpoint.defaults, [("label_selector", "name in ({name})")]);
        let healthy = find("chaosk8s.probes", "microservice_available_and_healthy").unwrap();
        assert_eq!(healthy.returns, Returns::Null);
        assert_eq!(
            find("chaosk8s.node.actions", "drain_nodes").unwrap().waits,
            Some(("timeout", 120))
        );
        assert_eq!(
            find("chaosk8s.pod.actions", "terminate_pods")
                .unwrap()
                .deprecated,
            None
        );
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
