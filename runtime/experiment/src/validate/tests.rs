//! Validation rules, one table per area. Expected messages are Chaos Toolkit's where it has one
//! (`chaoslib/experiment.py`, `activity.py`, `hypothesis.py`, `extension.py`, providers).

use super::*;
use serde_json::json;

/// A minimal valid experiment with `extra` merged in at the top level.
fn experiment_with(extra: Value) -> Value {
    let mut doc = json!({"title": "t", "description": "d", "method": []});
    for (k, v) in extra.as_object().unwrap() {
        doc[k] = v.clone();
    }
    doc
}

fn errors(raw: Value) -> Vec<String> {
    validate(&raw)
        .err()
        .map(|e| e.0.iter().map(ToString::to_string).collect())
        .unwrap_or_default()
}

/// Runs each case and checks the errors start with the expected lines, in order.
fn check_table(cases: Vec<(Value, Vec<&str>)>) {
    for (raw, expected) in cases {
        let found = errors(raw.clone());
        assert_eq!(found.len(), expected.len(), "{raw}\n{found:#?}");
        for (f, e) in found.iter().zip(&expected) {
            assert!(f.starts_with(e), "{raw}\nexpected {e:?}\nfound    {f:?}");
        }
    }
}

fn probe(name: &str) -> Value {
    json!({"type": "probe", "name": name, "provider": {"type": "process", "path": "true"}})
}

fn with(mut base: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

#[test]
fn reports_every_error_with_its_pointer() {
    let found = errors(json!({
        "title": "",
        "steady-state-hypothesis": {"title": "h", "probes": [
            {"type": "probe", "name": "p", "provider": {"type": "http", "url": "http://x"}},
            {"type": "probe", "name": "q", "tolerance": 1.5,
             "provider": {"type": "http", "url": "http://x"}}
        ]},
        "method": [
            {"type": "action", "name": "a",
             "provider": {"type": "python", "module": "chaosaws.ec2.actions", "func": "stop_instances"}},
            {"type": "dance", "name": "b", "provider": {"type": "soap"}}
        ]
    }));
    let expected = [
        "/title: experiment requires a title",
        "/description: experiment requires a description",
        "/steady-state-hypothesis/probes/0: hypothesis probe must have a tolerance entry",
        "/steady-state-hypothesis/probes/1/tolerance: hypothesis probe tolerance must either",
        "/method/0/provider/func: the python function 'chaosaws.ec2.actions.stop_instances' has no chaosrt plugin",
        "/method/1/type: 'dance' is not a supported activity type",
        "/method/1/provider/type: unknown provider type 'soap'",
    ];
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for (f, e) in found.iter().zip(expected) {
        assert!(f.starts_with(e), "expected {e:?}, found {f:?}");
    }
}

#[test]
fn top_level_rules() {
    check_table(vec![
        (
            json!(null),
            vec!["/: an empty experiment is not an experiment"],
        ),
        (
            json!({}),
            vec!["/: an empty experiment is not an experiment"],
        ),
        (json!([1]), vec!["/: an experiment must be a JSON object"]),
        (
            json!({"title": "t", "description": "d"}),
            vec!["/method: an experiment requires a method, which can be empty"],
        ),
        (
            experiment_with(json!({"method": {}})),
            vec!["/method: method must be a list of activities"],
        ),
        (
            experiment_with(json!({"rollbacks": "x"})),
            vec!["/rollbacks: rollbacks must be a list of activities"],
        ),
        (experiment_with(json!({"rollbacks": null})), vec![]),
        (
            experiment_with(json!({"tags": ["a", "", 3]})),
            vec![
                "/tags/1: experiment tags must be a non-empty string",
                "/tags/2: experiment tags must be a non-empty string",
            ],
        ),
        (
            experiment_with(json!({"tags": "a"})),
            vec!["/tags: experiment tags must be a list of strings"],
        ),
        (
            experiment_with(json!({"extensions": [{"name": "chaosiq"}, {"name": " "}, {}]})),
            vec![
                "/extensions/1/name: All extensions require a non-empty name",
                "/extensions/2/name: All extensions require a non-empty name",
            ],
        ),
        (
            experiment_with(json!({"extensions": {"name": "x"}})),
            vec!["/extensions: extensions must be a list"],
        ),
        (
            experiment_with(json!({"controls": [{"name": "c", "provider": {"type": "python"}}]})),
            vec!["/controls: controls are not supported by chaosrt"],
        ),
        (experiment_with(json!({"controls": []})), vec![]),
        (
            experiment_with(json!({"steady-state-hypothesis": {}})),
            vec!["/steady-state-hypothesis/title: hypothesis requires a title"],
        ),
        (
            experiment_with(json!({"steady-state-hypothesis": {"title": "h", "controls": [{}]}})),
            vec!["/steady-state-hypothesis/controls: controls are not supported by chaosrt"],
        ),
        (
            experiment_with(json!({"steady-state-hypothesis": {"title": "h", "probes": {}}})),
            vec!["/steady-state-hypothesis/probes: probes must be a list of activities"],
        ),
        (
            experiment_with(
                json!({"steady-state-hypothesis": null, "contributions": {"x": "high"}, "version": "1"}),
            ),
            vec![],
        ),
    ]);
}

#[test]
fn configuration_and_secrets_shapes() {
    check_table(vec![
        (
            experiment_with(json!({"configuration": {
                "a": 1, "b": {"type": "env", "key": "B", "default": 2, "env_var_type": "int"},
                "c": {"type": "unknown-kind", "x": 1}, "d": {"no": "type"}
            }})),
            vec![],
        ),
        (
            experiment_with(json!({"configuration": [1]})),
            vec!["/configuration: configuration must be an object"],
        ),
        (
            experiment_with(json!({"configuration": {"a/b": {"type": "env"}}})),
            vec!["/configuration/a~1b: an env configuration needs a `key`"],
        ),
        (
            experiment_with(
                json!({"configuration": {"p": {"type": "env", "key": "P", "env_var_type": "long"}}}),
            ),
            vec![
                "/configuration/p: env_var_type: variable type can only be: bool, str, int, float, bytes or json",
            ],
        ),
        (
            experiment_with(
                json!({"configuration": {"p": {"type": "probe", "name": "x", "provider": {}}}}),
            ),
            // A dynamic configuration probe is validated as an activity.
            vec!["/configuration/p/provider: an activity requires a provider"],
        ),
        (
            experiment_with(json!({"secrets": {
                "s": {"a": "x", "b": {"type": "env", "key": "B"}, "c": {"nested": {"type": "env", "key": "C"}}},
                "whole": {"type": "env", "key": "W"}
            }})),
            vec![],
        ),
        (
            experiment_with(json!({"secrets": "x"})),
            vec!["/secrets: secrets must be an object"],
        ),
        (
            experiment_with(
                json!({"secrets": {"s": {"v": {"type": "vault", "path": "p"}, "e": {"type": "env"}}}}),
            ),
            vec![
                "/secrets/s/v: vault secrets are not supported by chaosrt yet",
                "/secrets/s/e: an env secret needs a `key`",
            ],
        ),
    ]);
}

#[test]
fn runtime_block_strategies() {
    let runtime = |r: Value| validate(&experiment_with(json!({"runtime": r}))).map(|e| e.runtime);
    assert_eq!(runtime(json!({})).unwrap(), None);
    assert_eq!(runtime(json!(null)).unwrap(), None);
    assert_eq!(
        runtime(json!({"rollbacks": {"strategy": "always"}})).unwrap(),
        Some(RuntimeBlock {
            hypothesis: None,
            rollbacks: Some(RollbackStrategy::Always)
        })
    );
    assert_eq!(
        runtime(json!({"hypothesis": {"strategy": "continously"}, "rollbacks": {}})).unwrap(),
        Some(RuntimeBlock {
            hypothesis: Some(HypothesisStrategy::Continuously),
            rollbacks: None
        })
    );
    assert_eq!(
        runtime(json!({"other": 1})).unwrap(),
        Some(RuntimeBlock::default())
    );
    check_table(vec![
        (
            experiment_with(json!({"runtime": {"hypothesis": {"strategy": "sometimes"}}})),
            vec!["/runtime/hypothesis/strategy: unknown hypothesis strategy 'sometimes'"],
        ),
        (
            experiment_with(json!({"runtime": {"rollbacks": {"strategy": "Always"}}})),
            vec!["/runtime/rollbacks/strategy: unknown rollbacks strategy 'Always'"],
        ),
        (
            experiment_with(json!({"runtime": {"rollbacks": null, "hypothesis": {"strategy": 1}}})),
            vec![
                "/runtime/hypothesis/strategy: a strategy must be a string",
                "/runtime/rollbacks: runtime rollbacks must be an object",
            ],
        ),
        (
            experiment_with(json!({"runtime": "always"})),
            vec!["/runtime: runtime must be an object"],
        ),
    ]);
}

#[test]
fn activity_fields() {
    let method = |activity: Value| experiment_with(json!({"method": [activity]}));
    check_table(vec![
        (
            method(json!("x")),
            vec!["/method/0: an activity must be an object"],
        ),
        (
            method(json!({})),
            vec!["/method/0: empty activity is no activity"],
        ),
        (
            method(json!({"name": "n", "provider": {"type": "process", "path": "p"}})),
            vec!["/method/0/type: an activity must have a type"],
        ),
        (
            method(json!({"type": "probe", "provider": {"type": "process", "path": "p"}})),
            vec!["/method/0/name: an activity must have a name"],
        ),
        (
            method(json!({"type": "probe", "name": "n"})),
            vec!["/method/0/provider: an activity requires a provider"],
        ),
        (
            method(json!({"type": "probe", "name": "n", "provider": {}})),
            vec!["/method/0/provider: an activity requires a provider"],
        ),
        (
            method(json!({"type": "probe", "name": "n", "provider": {"path": "p"}})),
            vec!["/method/0/provider/type: a provider must have a type"],
        ),
        (
            method(with(probe("n"), json!({"timeout": "5"}))),
            vec!["/method/0/timeout: activity timeout must be a number"],
        ),
        (method(with(probe("n"), json!({"timeout": 2.5}))), vec![]),
        (
            method(with(probe("n"), json!({"background": "yes"}))),
            vec!["/method/0/background: activity background must be a boolean"],
        ),
        (
            method(with(probe("n"), json!({"controls": [{"name": "c"}]}))),
            vec!["/method/0/controls: controls are not supported by chaosrt"],
        ),
        // Chaos Toolkit ignores a tolerance outside the hypothesis, whatever it is; so do we.
        (method(with(probe("n"), json!({"tolerance": 1.5}))), vec![]),
        // Activity-level secrets and configuration are spec-only; Chaos Toolkit ignores them.
        (
            method(with(
                probe("n"),
                json!({"secrets": ["k8s"], "configuration": {"a": 1}}),
            )),
            vec![],
        ),
    ]);
}

#[test]
fn pauses() {
    let pauses =
        |p: Value| experiment_with(json!({"method": [with(probe("n"), json!({"pauses": p}))]}));
    check_table(vec![
        (pauses(json!({"before": 1, "after": 0.5})), vec![]),
        (pauses(json!({"before": "${wait}"})), vec![]),
        (
            pauses(json!({"before": "5"})),
            vec![
                "/method/0/pauses/before: activity before pause must be a number or a pattern to a variable",
            ],
        ),
        (
            pauses(json!({"after": true})),
            vec!["/method/0/pauses/after: activity after pause must be a number"],
        ),
        (
            pauses(json!({"after": -1})),
            vec!["/method/0/pauses/after: activity after pause cannot be negative"],
        ),
        (
            pauses(json!(5)),
            vec!["/method/0/pauses: activity pauses must be an object"],
        ),
    ]);
    let e = validate(&pauses(json!({"before": 0, "after": "${wait}"}))).unwrap();
    assert_eq!(e.method[0].pause_before, None);
    assert_eq!(e.method[0].pause_after, Some(Pause::Var("${wait}".into())));
    let e = validate(&pauses(json!({"before": 2}))).unwrap();
    assert_eq!(e.method[0].pause_before, Some(Pause::Seconds(2.0)));
}

#[test]
fn hypothesis_tolerances() {
    let hypothesis = |probe: Value| {
        experiment_with(json!({"steady-state-hypothesis": {"title": "h", "probes": [probe]}}))
    };
    let tolerance = |t: Value| hypothesis(with(probe("p"), json!({"tolerance": t})));
    check_table(vec![
        (tolerance(json!(0)), vec![]),
        (tolerance(json!(true)), vec![]),
        (tolerance(json!("${expected}")), vec![]),
        (tolerance(json!([200, 201])), vec![]),
        (
            tolerance(json!({"type": "regex", "pattern": "^ok", "target": "stdout"})),
            vec![],
        ),
        (
            tolerance(
                json!({"type": "jsonpath", "path": "$.items[*][?(@.ready = true)]", "count": 2}),
            ),
            vec![],
        ),
        (
            tolerance(json!({"type": "range", "range": [0, 1.5], "target": "body"})),
            vec![],
        ),
        (
            tolerance(json!(0.5)),
            vec![
                "/steady-state-hypothesis/probes/0/tolerance: hypothesis probe tolerance must either",
            ],
        ),
        (
            tolerance(json!(null)),
            vec![
                "/steady-state-hypothesis/probes/0/tolerance: hypothesis probe tolerance must either",
            ],
        ),
        (
            tolerance(json!({"type": "boom"})),
            vec![
                "/steady-state-hypothesis/probes/0/tolerance/type: hypothesis probe tolerance type 'boom' is unsupported",
            ],
        ),
        (
            tolerance(json!({"type": "regex", "pattern": "(?<=a)b"})),
            vec![
                "/steady-state-hypothesis/probes/0/tolerance/pattern: hypothesis probe tolerance pattern (?<=a)b seems invalid: look-around",
            ],
        ),
        (
            tolerance(json!({"type": "jsonpath", "path": "$.a[?(@.b == 1)]"})),
            vec![
                "/steady-state-hypothesis/probes/0/tolerance/path: hypothesis probe tolerance JSON path $.a[?(@.b == 1)] is invalid",
            ],
        ),
        (
            tolerance(json!({"type": "range", "range": [1, "x"]})),
            vec![
                "/steady-state-hypothesis/probes/0/tolerance/range/1: hypothesis range upper boundary must be a number",
            ],
        ),
        (
            tolerance(
                json!({"type": "probe", "name": "check", "provider": {"type": "plugin", "plugin": "p", "func": "f"}}),
            ),
            vec![],
        ),
        (
            tolerance(
                json!({"type": "probe", "name": "check", "provider": {"type": "plugin", "plugin": "p"}}),
            ),
            vec![
                "/steady-state-hypothesis/probes/0/tolerance/provider/func: a plugin provider must name the activity",
            ],
        ),
        (
            tolerance(json!({"type": "probe", "ref": "other"})),
            vec![
                "/steady-state-hypothesis/probes/0/tolerance/ref: a probe tolerance cannot be a reference",
            ],
        ),
        (
            hypothesis(probe("p")),
            vec!["/steady-state-hypothesis/probes/0: hypothesis probe must have a tolerance entry"],
        ),
    ]);
    let e = validate(&tolerance(json!({"type": "probe", "name": "check",
        "provider": {"type": "plugin", "plugin": "p", "func": "f", "arguments": {"a": 1}}})))
    .unwrap();
    let Some(Tolerance::Probe(checker)) = &e.hypothesis.unwrap().probes[0].tolerance else {
        panic!("a probe tolerance")
    };
    assert_eq!(checker.name, "check");
}

#[test]
fn retry_and_assert_extensions() {
    let in_hypothesis = |extra: Value| {
        experiment_with(json!({"steady-state-hypothesis": {"title": "h", "probes": [
            with(probe("p"), with(json!({"tolerance": 0}), extra))
        ]}}))
    };
    let in_method = |activity: Value| experiment_with(json!({"method": [activity]}));
    check_table(vec![
        (
            in_hypothesis(json!({"retry": {"count": 3, "interval": 0.5}})),
            vec![],
        ),
        (in_hypothesis(json!({"retry": {"count": 3}})), vec![]),
        (
            in_hypothesis(json!({"retry": {"count": -1}})),
            vec![
                "/steady-state-hypothesis/probes/0/retry/count: retry count must be a non-negative integer",
            ],
        ),
        (
            in_hypothesis(json!({"retry": {"count": 1, "every": 2}})),
            vec![
                "/steady-state-hypothesis/probes/0/retry: retry must be {\"count\": N, \"interval\": SECONDS}",
            ],
        ),
        (
            in_hypothesis(json!({"retry": {"count": 1, "interval": "2"}})),
            vec![
                "/steady-state-hypothesis/probes/0/retry/interval: retry interval must be a number",
            ],
        ),
        (
            in_hypothesis(json!({"assert": 0})),
            vec![
                "/steady-state-hypothesis/probes/0/assert: assert is a chaosrt extension for method probes only",
            ],
        ),
        (
            in_method(with(
                probe("m"),
                json!({"assert": {"type": "regex", "pattern": "ok", "target": "stdout"}}),
            )),
            vec![],
        ),
        (
            in_method(with(probe("m"), json!({"assert": 1.5}))),
            vec!["/method/0/assert: hypothesis probe tolerance must either"],
        ),
        (
            in_method(with(probe("m"), json!({"type": "action", "assert": 0}))),
            vec!["/method/0/assert: assert is a chaosrt extension for probes only"],
        ),
        (
            in_method(with(probe("m"), json!({"retry": {"count": 1}}))),
            vec![
                "/method/0/retry: retry is a chaosrt extension for steady-state hypothesis probes only",
            ],
        ),
        (
            experiment_with(json!({"rollbacks": [with(probe("r"), json!({"assert": 0}))]})),
            vec!["/rollbacks/0/assert: assert is a chaosrt extension for method probes only"],
        ),
    ]);
    let e = validate(&in_hypothesis(json!({"retry": {"count": 3}}))).unwrap();
    assert_eq!(
        e.hypothesis.unwrap().probes[0].retry,
        Some(Retry {
            count: 3,
            interval: 1.0
        })
    );
    let e = validate(&in_method(with(probe("m"), json!({"assert": 0})))).unwrap();
    assert!(matches!(e.method[0].assert, Some(Tolerance::Int(0))));
}

#[test]
fn references_resolve_to_the_named_activity() {
    let raw = json!({
        "title": "t", "description": "d",
        "steady-state-hypothesis": {"title": "h", "probes": [
            with(probe("check"), json!({"tolerance": 0, "retry": {"count": 2}})),
            {"ref": "check", "tolerance": [0, 1]},
            {"ref": "list-files", "tolerance": 0}
        ]},
        "method": [
            with(probe("list-files"), json!({"assert": 0})),
            {"ref": "check", "background": true},
            {"ref": "list-files"},
            {"ref": "list-files", "assert": 1}
        ],
        "rollbacks": [{"ref": "list-files"}]
    });
    let e = validate(&raw).unwrap();
    let probes = &e.hypothesis.unwrap().probes;
    // In the hypothesis the reference's own tolerance is the one used; the journal records the
    // referenced activity.
    assert_eq!(probes[1].raw, raw["steady-state-hypothesis"]["probes"][0]);
    assert!(matches!(probes[1].tolerance, Some(Tolerance::List(_))));
    assert_eq!(probes[1].retry.map(|r| r.count), Some(2));
    assert!(probes[2].assert.is_none() && matches!(probes[2].tolerance, Some(Tolerance::Int(0))));
    // In the method, background comes from the reference; tolerance and retry do not apply.
    assert_eq!(e.method[1].name, "check");
    assert!(
        e.method[1].background && e.method[1].tolerance.is_none() && e.method[1].retry.is_none()
    );
    assert!(e.method[1].declares_tolerance());
    assert!(matches!(e.method[2].assert, Some(Tolerance::Int(0))));
    assert!(matches!(e.method[3].assert, Some(Tolerance::Int(1))));
    assert!(e.rollbacks[0].assert.is_none());
    assert_eq!(e.rollbacks[0].name, "list-files");
}

#[test]
fn reference_rules() {
    let method = |items: Value| experiment_with(json!({"method": items}));
    check_table(vec![
        (
            method(json!([{"ref": "nope"}])),
            vec!["/method/0/ref: referenced activity 'nope' could not be found in the experiment"],
        ),
        (
            method(json!([{"ref": ""}])),
            vec!["/method/0/ref: reference to activity must be non-empty strings"],
        ),
        (
            method(json!([{"ref": 3}])),
            vec!["/method/0/ref: reference to activity must be non-empty strings"],
        ),
        // Chaos Toolkit does not check references in the rollbacks until they run; chaosrt does.
        (
            experiment_with(json!({"rollbacks": [{"ref": "nope"}]})),
            vec![
                "/rollbacks/0/ref: referenced activity 'nope' could not be found in the experiment",
            ],
        ),
        // Rollbacks are not reference targets.
        (
            experiment_with(json!({"rollbacks": [probe("r")], "method": [{"ref": "r"}]})),
            vec!["/method/0/ref: referenced activity 'r' could not be found"],
        ),
        (
            experiment_with(
                json!({"steady-state-hypothesis": {"title": "h", "probes": [{"ref": "m"}]},
                                "method": [probe("m")]}),
            ),
            vec!["/steady-state-hypothesis/probes/0: hypothesis probe must have a tolerance entry"],
        ),
        // An invalid target is reported once, where it is.
        (
            method(json!([{"type": "probe", "name": "bad"}, {"ref": "bad"}])),
            vec!["/method/0/provider: an activity requires a provider"],
        ),
        (
            method(json!([with(probe("p"), json!({"type": "action"})), {"ref": "p", "assert": 0}])),
            vec!["/method/1/assert: assert is a chaosrt extension for probes only"],
        ),
        (
            method(json!([probe("p"), {"ref": "p", "background": 1}])),
            vec!["/method/1/background: activity background must be a boolean"],
        ),
    ]);
    // The last duplicate name wins, and hypothesis probes come after the method.
    let e = validate(&json!({
        "title": "t", "description": "d",
        "steady-state-hypothesis": {"title": "h", "probes": [
            with(probe("dup"), json!({"tolerance": 0, "provider": {"type": "process", "path": "third"}}))
        ]},
        "method": [
            with(probe("dup"), json!({"provider": {"type": "process", "path": "first"}})),
            with(probe("dup"), json!({"provider": {"type": "process", "path": "second"}})),
            {"ref": "dup"}
        ]
    }))
    .unwrap();
    let Provider::Process(call) = &e.method[2].provider else {
        panic!()
    };
    assert_eq!(call.path, "third");
}

#[test]
fn providers() {
    let provider = |p: Value| {
        experiment_with(json!({"method": [{"type": "action", "name": "a", "provider": p}]}))
    };
    check_table(vec![
        (
            provider(json!({"type": "http"})),
            vec!["/method/0/provider/url: a HTTP activity must have a URL"],
        ),
        (
            provider(json!({"type": "http", "url": "http://x", "headers": ["a"]})),
            vec!["/method/0/provider/headers: a HTTP activities expect headers as a mapping"],
        ),
        (
            provider(json!({"type": "http", "url": "http://x", "headers": [], "timeout": "${t}"})),
            vec![],
        ),
        (
            provider(json!({"type": "http", "url": "http://x", "timeout": "soon"})),
            vec![
                "/method/0/provider/timeout: http timeout must be a number of seconds or a [connect, read] pair",
            ],
        ),
        (
            provider(json!({"type": "http", "url": "http://x", "method": 1})),
            vec!["/method/0/provider/method: the HTTP method must be a string"],
        ),
        (
            provider(json!({"type": "python", "func": "rename"})),
            vec!["/method/0/provider/module: a Python activity must have a module path"],
        ),
        (
            provider(json!({"type": "python", "module": "os"})),
            vec!["/method/0/provider/func: a Python activity must have a function name"],
        ),
        (
            provider(
                json!({"type": "python", "module": "os", "func": "rename", "arguments": {"src": "a", "dest": "b"}}),
            ),
            vec![
                "/method/0/provider/arguments: os.rename requires the argument 'dst'",
                "/method/0/provider/arguments/dest: os.rename takes no argument 'dest'",
            ],
        ),
        (
            provider(json!({"type": "python", "module": "os", "func": "rename", "arguments": [1]})),
            vec!["/method/0/provider/arguments: provider arguments must be an object"],
        ),
        (
            provider(
                json!({"type": "python", "module": "os.path", "func": "exists", "arguments": {"path": "x"}, "secrets": "k8s"}),
            ),
            vec![
                "/method/0/provider/secrets: provider secrets must be a list of secret scope names",
            ],
        ),
        (
            provider(json!({"type": "process"})),
            vec!["/method/0/provider/path: a process activity must have a path"],
        ),
        (
            provider(json!({"type": "process", "path": "echo", "arguments": 5})),
            vec!["/method/0/provider/arguments: process arguments must be a string"],
        ),
        (
            provider(json!({"type": "process", "path": "echo", "timeout": "1"})),
            vec!["/method/0/provider/timeout: process timeout must be a number"],
        ),
        (
            provider(json!({"type": "plugin", "func": "f"})),
            vec!["/method/0/provider/plugin: a plugin provider must name its plugin"],
        ),
        (
            provider(json!({"type": "plugin", "plugin": "p"})),
            vec!["/method/0/provider/func: a plugin provider must name the activity"],
        ),
    ]);
}

#[test]
fn providers_become_calls() {
    let e = validate(&experiment_with(json!({"method": [
        {"type": "probe", "name": "h",
         "provider": {"type": "http", "url": "http://127.0.0.1:1/", "timeout": [1, 2], "max_retries": 3}},
        {"type": "action", "name": "m",
         "provider": {"type": "python", "module": "os", "func": "rename",
                      "arguments": {"src": "a", "dst": "b"}, "secrets": ["fs"]}},
        {"type": "action", "name": "p",
         "provider": {"type": "process", "path": "echo", "arguments": ["a", "${x}"], "timeout": 3}},
        {"type": "action", "name": "n",
         "provider": {"type": "plugin", "plugin": "k8s@1.2.0", "func": "kill", "arguments": {"n": 1},
                      "secrets": ["k8s", "cloud"], "timeout": 9}}
    ]})))
    .unwrap();
    let Provider::Plugin(http) = &e.method[0].provider else {
        panic!()
    };
    assert_eq!(
        (
            http.plugin.as_str(),
            http.func.as_str(),
            http.timeout,
            &http.form
        ),
        ("http", "request", Some(3.0), &CallForm::Http)
    );
    assert_eq!(
        Value::Object(http.arguments.clone()),
        json!({"url": "http://127.0.0.1:1/", "timeout": [1, 2], "max_retries": 3})
    );
    let Provider::Plugin(mv) = &e.method[1].provider else {
        panic!()
    };
    assert_eq!((mv.plugin.as_str(), mv.func.as_str()), ("fs", "move"));
    assert_eq!(mv.secrets, ["fs"]);
    let Provider::Process(process) = &e.method[2].provider else {
        panic!()
    };
    assert_eq!(process.arguments, json!(["a", "${x}"]));
    assert_eq!(process.timeout, Some(3.0));
    let Provider::Plugin(native) = &e.method[3].provider else {
        panic!()
    };
    assert_eq!(
        (
            native.plugin.as_str(),
            native.version.as_deref(),
            native.timeout
        ),
        ("k8s", Some("1.2.0"), Some(9.0))
    );
    assert_eq!(native.secrets, ["k8s", "cloud"]);
}

#[test]
fn experiment_keeps_declarations_as_written() {
    let raw = experiment_with(json!({
        "title": "Run ${env}",
        "configuration": {"env": {"type": "env", "key": "ENV", "default": "dev"}},
        "secrets": {"k8s": {"token": {"type": "env", "key": "TOKEN"}}},
        "method": [with(probe("a"), json!({"background": true}))]
    }));
    let e = validate(&raw).unwrap();
    assert_eq!(e.title, "Run ${env}");
    assert_eq!(Value::Object(e.configuration), raw["configuration"]);
    assert_eq!(Value::Object(e.secrets), raw["secrets"]);
    assert!(e.method[0].background);
    assert_eq!(e.raw, raw);
    assert!(e.runtime.is_none() && e.hypothesis.is_none());
}

/// An experiment run with `chaos run` (chaostoolkit 1.19.0, chaostoolkit-lib 1.44.0, jsonpath2
/// 0.4.5): every hypothesis probe met its tolerance with the outputs recorded here, and the
/// reference ran (and was journaled as) the activity it names.
#[test]
fn matches_a_chaos_run() {
    let raw = json!({
        "title": "t ${who} $who", "description": "d",
        "configuration": {"who": "bob", "expected": 0, "word": "ok"},
        "steady-state-hypothesis": {"title": "h", "probes": [
            {"type": "probe", "name": "rx-dollar",
             "tolerance": {"type": "regex", "target": "stdout", "pattern": "^${word}$"},
             "provider": {"type": "process", "path": "echo", "arguments": "ok"}},
            {"type": "probe", "name": "jp-self-filter",
             "tolerance": {"type": "jsonpath", "target": "stdout", "path": "$.items[*][?(@.ready = true)].n", "expect": [1, 3]},
             "provider": {"type": "process", "path": "echo", "arguments": ["…"]}},
            {"type": "probe", "name": "jp-rfc-form",
             "tolerance": {"type": "jsonpath", "target": "stdout", "path": "$.items[?(@.ready = true)]", "count": 0},
             "provider": {"type": "process", "path": "echo", "arguments": ["…"]}},
            {"type": "probe", "name": "range-stdout",
             "tolerance": {"type": "range", "target": "stdout", "range": [41.5, 42]},
             "provider": {"type": "process", "path": "echo", "arguments": ["42"]}},
            {"type": "probe", "name": "typed-str", "tolerance": "${expected}",
             "provider": {"type": "process", "path": "true"}},
            {"ref": "range-stdout", "tolerance": {"type": "range", "target": "stdout", "range": [0, 100]}},
            {"type": "probe", "name": "dict-args",
             "tolerance": {"type": "regex", "target": "stdout", "pattern": "^--name x --none --flag True$"},
             "provider": {"type": "process", "path": "echo", "arguments": {"--name": "x", "--none": null, "--flag": true}}}
        ]},
        "method": [{"ref": "typed-str"}],
        "rollbacks": [{"ref": "typed-str", "background": true}]
    });
    let stdout = [
        "ok\n",
        "{\"items\": [{\"ready\": true, \"n\": 1}, {\"ready\": false, \"n\": 2}, {\"ready\": true, \"n\": 3}]}\n",
        "{\"items\": [{\"ready\": true}]}\n",
        "42\n",
        "",
        "42\n",
        "--name x --none --flag True\n",
    ];
    let e = validate(&raw).unwrap();
    let configuration = e.configuration.clone();
    let (secrets, outputs) = (Map::new(), Map::new());
    let scope = super::super::Scope {
        configuration: &configuration,
        secrets: &secrets,
        outputs: &outputs,
    };
    assert_eq!(
        super::super::substitute(&json!(e.title), &scope),
        json!("t bob bob")
    );
    let probes = e.hypothesis.unwrap().probes;
    for (probe, out) in probes.iter().zip(stdout) {
        let output = json!({"status": 0, "stdout": out, "stderr": ""});
        let tolerance = probe.tolerance.as_ref().unwrap();
        assert_eq!(tolerance.check(&output, &scope), Ok(true), "{}", probe.name);
    }
    assert_eq!(probes[5].raw, raw["steady-state-hypothesis"]["probes"][3]);
    let Provider::Process(dict) = &probes[6].provider else {
        panic!()
    };
    assert_eq!(
        process_argv(&dict.arguments),
        ProcessArguments::List(vec![
            "--name".into(),
            "x".into(),
            "--none".into(),
            "--flag".into(),
            "True".into()
        ])
    );
    assert_eq!(e.method[0].name, "typed-str");
    assert!(e.rollbacks[0].background);
}

/// A process's `arguments` that is one placeholder alone, whose value a plugin shapes, would let the
/// plugin choose between the shell form and the argv form: refused with what to write instead.
#[test]
fn a_tainted_placeholder_alone_is_no_process_arguments() {
    let process = |name: &str, arguments: Value| {
        json!({"type": "action", "name": name,
               "provider": {"type": "process", "path": "echo", "arguments": arguments}})
    };
    let dynamic = |provider: Value| json!({"type": "probe", "name": "d", "provider": provider});
    let raw = experiment_with(json!({
        "configuration": {
            "endpoint": dynamic(json!({"type": "http", "url": "http://127.0.0.1:1/"})),
            "mine": dynamic(json!({"type": "process", "path": "hostname"})),
            "laundered": dynamic(json!({"type": "process", "path": "echo", "arguments": ["${endpoint}"]})),
            "twice": dynamic(json!({"type": "process", "path": "echo", "arguments": "${laundered}"})),
            "literal": "x"
        },
        "method": [
            {"type": "probe", "name": "lookup",
             "provider": {"type": "http", "url": "http://127.0.0.1:1/"}},
            process("proc", json!("hi")),
            process("a", json!("${output:lookup/body/name}")),
            process("b", json!("${endpoint}")),
            process("c", json!(["${output:lookup/body/name}", "${endpoint}"])),
            process("d", json!("--name ${output:lookup/body/name} ${endpoint}")),
            process("e", json!("${mine}")),
            process("f", json!("${output:proc/stdout}")),
            process("g", json!("${literal}")),
            process("h", json!("${output:nothing}"))
        ]
    }));
    let found = errors(raw);
    let refused = |at: &str, placeholder: &str, from: &str| {
        format!(
            "{at}: \"{placeholder}\" is a value from {from}, which a plugin shapes: as a process's \
             whole arguments it would choose between the shell form (a string) and the argv form \
             (a list). Write the arguments as a list instead: [\"{placeholder}\"]"
        )
    };
    let plugin_config = "configuration a plugin computed (dynamic configuration)";
    assert_eq!(
        found,
        [
            refused(
                "/configuration/twice/provider/arguments",
                "${laundered}",
                plugin_config
            ),
            refused(
                "/method/2/provider/arguments",
                "${output:lookup/body/name}",
                "an earlier activity's output"
            ),
            refused("/method/3/provider/arguments", "${endpoint}", plugin_config),
        ]
    );
}

#[test]
fn allowed_origins_are_origins() {
    let provider = |p: Value| {
        experiment_with(json!({"method": [{"type": "action", "name": "a", "provider": p}]}))
    };
    let http = |origins: Value| {
        provider(json!({"type": "http", "url": "http://x/", "allowed_origins": origins}))
    };
    check_table(vec![
        (
            http(json!([
                "http://127.0.0.1:9000",
                "https://api.example.com/",
                "HTTP://[::1]:8080",
                "http://localhost"
            ])),
            vec![],
        ),
        (
            provider(
                json!({"type": "plugin", "plugin": "p", "func": "f", "allowed_origins": ["https://h"]}),
            ),
            vec![],
        ),
        (
            http(json!("http://127.0.0.1:9000")),
            vec!["/method/0/provider/allowed_origins: allowed_origins must be a list of origins"],
        ),
        (
            http(json!([
                "http://h/path",
                "ftp://h",
                "127.0.0.1:9000",
                "http://u@h",
                "http://h:99999",
                1,
                "http://",
                "http://h?x"
            ])),
            vec![
                "/method/0/provider/allowed_origins/0: \"http://h/path\" is not an http(s) origin: write scheme://host[:port]",
                "/method/0/provider/allowed_origins/1: \"ftp://h\" is not an http(s) origin",
                "/method/0/provider/allowed_origins/2: \"127.0.0.1:9000\" is not an http(s) origin",
                "/method/0/provider/allowed_origins/3: \"http://u@h\" is not an http(s) origin",
                "/method/0/provider/allowed_origins/4: \"http://h:99999\" is not an http(s) origin",
                "/method/0/provider/allowed_origins/5: 1 is not an http(s) origin",
                "/method/0/provider/allowed_origins/6: \"http://\" is not an http(s) origin",
                "/method/0/provider/allowed_origins/7: \"http://h?x\" is not an http(s) origin",
            ],
        ),
    ]);
    let e = validate(&http(json!(["http://127.0.0.1:9000"]))).unwrap();
    let Provider::Plugin(call) = &e.method[0].provider else {
        panic!()
    };
    assert_eq!(call.allowed_origins, ["http://127.0.0.1:9000"]);
    // Not an argument of the call: the plugin never sees it.
    assert!(!call.arguments.contains_key("allowed_origins"));
}

/// chaosrt's extension item carries per-run grants; Chaos Toolkit's other items stay opaque.
#[test]
fn the_chaosrt_extension_holds_grants_checked_at_their_pointers() {
    let doc = experiment_with(json!({"extensions": [
        {"name": "other", "anything": [1, 2]},
        {"name": "chaosrt", "grants": {"fs": ["filesystem=.:read-only"], "a/b": []}}
    ]}));
    let experiment = validate(&doc).unwrap();
    assert_eq!(
        experiment.grants,
        vec![
            RunGrants {
                plugin: "fs".into(),
                pointer: "/extensions/1/grants/fs".into(),
                grants: vec![(
                    "/extensions/1/grants/fs/0".into(),
                    "filesystem=.:read-only".into()
                )],
            },
            RunGrants {
                plugin: "a/b".into(),
                pointer: "/extensions/1/grants/a~1b".into(),
                grants: vec![],
            },
        ]
    );
    check_table(vec![
        (
            experiment_with(json!({"extensions": [{"name": "chaosrt", "grants": ["x"]}]})),
            vec!["/extensions/0/grants: grants must be an object"],
        ),
        (
            experiment_with(
                json!({"extensions": [{"name": "chaosrt", "grants": {"fs": "filesystem=.:read-only"}}]}),
            ),
            vec!["/extensions/0/grants/fs: grants must be an object"],
        ),
        (
            experiment_with(
                json!({"extensions": [{"name": "chaosrt", "grants": {"fs": [3, "x"]}}]}),
            ),
            vec![
                "/extensions/0/grants/fs/0: a grant is a string KIND=VALUE",
                "/extensions/0/grants/fs/1: a grant is a string KIND=VALUE",
            ],
        ),
        (
            experiment_with(
                json!({"extensions": [{"name": "chaosrt", "grnats": {}}, {"name": "chaosrt"}]}),
            ),
            vec![
                "/extensions/0/grnats: `grnats` is not a setting of chaosrt's extension",
                "/extensions/1: a second `chaosrt` extension; put its settings in /extensions/0",
            ],
        ),
    ]);
}

/// A python provider whose module an installed Python bundle serves runs there as `M.F`, with its
/// arguments, secrets and `allowed_origins`; the alias table still wins where it has the function;
/// a module no bundle serves is still an error that says how to install one.
#[test]
fn python_providers_of_an_installed_bundle_run_in_it() {
    let served = [(
        "chaosprometheus".to_string(),
        "chaostoolkit-prometheus".to_string(),
        "0.6.0".to_string(),
    )];
    let raw = experiment_with(json!({"method": [
        {"type": "probe", "name": "q", "provider": {"type": "python",
            "module": "chaosprometheus.probes", "func": "query", "arguments": {"query": "up"},
            "secrets": ["prometheus"], "allowed_origins": ["http://127.0.0.1:9090"]}},
        {"type": "action", "name": "r", "provider": {"type": "python", "module": "os",
            "func": "rename", "arguments": {"src": "a", "dst": "b"}}}
    ]}));
    let e = validate_with(&raw, &served).unwrap();
    let Provider::Plugin(call) = &e.method[0].provider else {
        panic!("not a plugin call")
    };
    assert_eq!(
        (
            call.plugin.as_str(),
            call.version.as_deref(),
            call.func.as_str()
        ),
        (
            "chaostoolkit-prometheus",
            Some("0.6.0"),
            "chaosprometheus.probes.query"
        )
    );
    assert_eq!(call.arguments["query"], "up");
    assert_eq!(call.secrets, ["prometheus"]);
    assert_eq!(call.allowed_origins, ["http://127.0.0.1:9090"]);
    let Provider::Plugin(alias) = &e.method[1].provider else {
        panic!("not a plugin call")
    };
    assert_eq!(alias.plugin, "fs");
    // `chaosprometheusx` is not below `chaosprometheus`.
    let other = experiment_with(
        json!({"method": [{"type": "probe", "name": "q", "provider": {
        "type": "python", "module": "chaosprometheusx", "func": "query"}}]}),
    );
    let errors = validate_with(&other, &served).unwrap_err().0;
    assert!(
        errors[0]
            .message
            .contains("`chaosrt plugin install python:PACKAGE==VERSION`"),
        "{errors:?}"
    );
}
