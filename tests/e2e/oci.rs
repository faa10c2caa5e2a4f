//! Plugins from OCI registries (issue 10): pushed with `chaosrt plugin push` to a real registry
//! (Debian's `docker-registry`, started on loopback by `scripts/registry`), installed by tag and by
//! digest, run; artifacts another tool published in the Wasm layout install too; what is not a
//! plugin's Wasm artifact is refused with the store untouched; credentials come from the docker
//! config and never show. A registry that lies (huge or endless bodies, bytes that do not match
//! their digest, a tag that moves) is a hand-written fault-injecting server, [`Liar`]: the real
//! registry checks what it stores, so it cannot be made to send such answers.

use crate::support::{Outcome, Scratch, closed_port};
use chaosrt::host::cache::sha256_hex;
use chaosrt_test_guests::{ESCAPE, FUTURE};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// The test registries: one open, one asking for basic auth (with its test-only account).
struct Registries {
    open: String,
    auth: String,
    user: String,
    password: String,
}

/// Starts the registries once per test binary (a no-op when they are running).
fn registries() -> &'static Registries {
    static REGISTRIES: OnceLock<Registries> = OnceLock::new();
    REGISTRIES.get_or_init(|| {
        let out = Command::new(crate::support::workspace().join("scripts/registry"))
            .arg("start")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "the test registries could not be started (scripts/registry start): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = |key: &str| {
            stdout
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{key}=")))
                .unwrap_or_else(|| panic!("no {key}= in {stdout}"))
                .to_string()
        };
        let auth = line("auth");
        let mut parts = auth.split(' ');
        Registries {
            open: line("open"),
            auth: parts.next().unwrap().to_string(),
            user: parts.next().unwrap().to_string(),
            password: parts.next().unwrap().to_string(),
        }
    })
}

/// A repository name no other test (or run) uses.
fn repository(name: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "t{}-{}-{nanos}/{name}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

fn chaosrt(scratch: &Scratch, args: &[&str]) -> Output {
    scratch.chaosrt().args(args).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(bytes))
}

#[track_caller]
fn assert_refused(out: &Output, expected: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(expected), "{expected:?} not in:\n{err}");
}

/// One HTTP/1.1 exchange with a loopback server: status, headers (lower-case names) and body.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line.trim().is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap();
        headers.push((name.trim().to_lowercase(), value.trim().to_string()));
    }
    let mut body = Vec::new();
    reader.read_to_end(&mut body).unwrap();
    (status, headers, body)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_default()
}

/// Uploads a blob to the registry at `addr` as any client does (POST, then PUT with its digest).
fn upload_blob(addr: &str, repository: &str, bytes: &[u8]) -> String {
    let (status, headers, _) = http(
        addr,
        "POST",
        &format!("/v2/{repository}/blobs/uploads/"),
        &[],
        b"",
    );
    assert_eq!(status, 202);
    let location = header(&headers, "location");
    let location = location
        .strip_prefix(&format!("http://{addr}"))
        .unwrap_or(location);
    let separator = if location.contains('?') { '&' } else { '?' };
    let d = digest(bytes);
    let (status, _, body) = http(
        addr,
        "PUT",
        &format!("{location}{separator}digest={d}"),
        &[("Content-Type", "application/octet-stream")],
        bytes,
    );
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    d
}

/// Publishes a manifest with a config and layers, as another tool would; returns its digest.
fn publish(
    addr: &str,
    repository: &str,
    tag: &str,
    config: (&str, &[u8]),
    layers: &[(&str, &[u8])],
) -> String {
    let descriptor = |media: &str, bytes: &[u8]| json!({"mediaType": media, "digest": upload_blob(addr, repository, bytes), "size": bytes.len()});
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor(config.0, config.1),
        "layers": layers.iter().map(|(m, b)| descriptor(m, b)).collect::<Vec<_>>(),
    });
    let body = serde_json::to_vec(&manifest).unwrap();
    let (status, headers, answer) = http(
        addr,
        "PUT",
        &format!("/v2/{repository}/manifests/{tag}"),
        &[("Content-Type", "application/vnd.oci.image.manifest.v1+json")],
        &body,
    );
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));
    assert_eq!(header(&headers, "docker-content-digest"), digest(&body));
    digest(&body)
}

/// A component published as wkg publishes one: the Wasm config and one `application/wasm` layer.
fn publish_wasm(addr: &str, repository: &str, tag: &str, component: &[u8]) -> String {
    let config = json!({"created": "2026-01-01T00:00:00Z", "architecture": "wasm",
                        "os": "wasip2", "layerDigests": [digest(component)],
                        "component": {"exports": [], "imports": [], "target": null}});
    publish(
        addr,
        repository,
        tag,
        (
            "application/vnd.wasm.config.v0+json",
            &serde_json::to_vec(&config).unwrap(),
        ),
        &[("application/wasm", component)],
    )
}

/// Runs an experiment whose one probe reads `notes.txt` with the `escape` plugin.
fn run_escape(scratch: &Scratch) -> Outcome {
    std::fs::write(scratch.run_dir().join("notes.txt"), "from the registry").unwrap();
    scratch.run(&json!({
        "title": "t", "description": "d",
        "method": [{"type": "probe", "name": "read",
                    "provider": {"type": "plugin", "plugin": "escape", "func": "read",
                                 "arguments": {"path": "notes.txt"}}}]
    }))
}

#[track_caller]
fn assert_escape_ran(outcome: &Outcome) {
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let journal = outcome.journal();
    assert_eq!(journal["run"][0]["status"], "succeeded", "{journal:#}");
    assert_eq!(journal["run"][0]["output"], "from the registry");
}

#[test]
fn a_pushed_plugin_installs_by_tag_and_by_digest_and_runs() {
    let open = &registries().open;
    let repository = repository("escape");
    let reference = format!("oci://{open}/{repository}:0.1.0");
    let scratch = Scratch::new();
    let pushed = chaosrt(&scratch, &["plugin", "push", ESCAPE, &reference]);
    assert!(pushed.status.success(), "{}", stderr(&pushed));
    let component = std::fs::read(ESCAPE).unwrap();

    // What landed in the registry is the Wasm OCI artifact layout.
    let (status, headers, body) = http(
        open,
        "GET",
        &format!("/v2/{repository}/manifests/0.1.0"),
        &[("Accept", "application/vnd.oci.image.manifest.v1+json")],
        b"",
    );
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "content-type"),
        "application/vnd.oci.image.manifest.v1+json"
    );
    let manifest: Value = serde_json::from_slice(&body).unwrap();
    let manifest_digest = digest(&body);
    assert_eq!(
        String::from_utf8_lossy(&pushed.stdout).trim(),
        format!("{reference}@{manifest_digest}")
    );
    assert_eq!(manifest["schemaVersion"], 2);
    assert_eq!(
        manifest["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.wasm.config.v0+json"
    );
    assert_eq!(
        manifest["layers"],
        json!([{"mediaType": "application/wasm", "digest": digest(&component),
                "size": component.len()}])
    );
    assert_eq!(
        manifest["annotations"]["org.opencontainers.image.title"],
        "escape"
    );
    assert_eq!(
        manifest["annotations"]["org.opencontainers.image.version"],
        "0.1.0"
    );
    let config_digest = manifest["config"]["digest"].as_str().unwrap();
    let (status, _, config) = http(
        open,
        "GET",
        &format!("/v2/{repository}/blobs/{config_digest}"),
        &[],
        b"",
    );
    assert_eq!(status, 200);
    assert_eq!(digest(&config), config_digest);
    let config: Value = serde_json::from_slice(&config).unwrap();
    assert_eq!(
        (&config["architecture"], &config["os"]),
        (&json!("wasm"), &json!("wasip2"))
    );
    assert_eq!(config["layerDigests"], json!([digest(&component)]));
    let exports = config["component"]["exports"].to_string();
    assert!(exports.contains("chaosrt:plugin/plugin@0.2.0"), "{exports}");

    // By tag: the source recorded pins the manifest the tag named.
    let by_tag = Scratch::new();
    let out = chaosrt(&by_tag, &["plugin", "install", "--yes", &reference]);
    assert!(out.status.success(), "{}", stderr(&out));
    let inspected = chaosrt(&by_tag, &["plugin", "inspect", "escape"]);
    let text = String::from_utf8_lossy(&inspected.stdout);
    for line in [
        format!("escape 0.1.0 ({reference}@{manifest_digest})"),
        format!("  sha256: {}", sha256_hex(&component)),
        "  contract: chaosrt:plugin@0.2.0".to_string(),
        "  loaded from: Installed".to_string(),
    ] {
        assert!(text.contains(&line), "{line:?} not in:\n{text}");
    }
    assert_escape_ran(&run_escape(&by_tag));

    // By digest, with the component pinned too.
    let by_digest = Scratch::new();
    let pinned = format!("oci://{open}/{repository}@{manifest_digest}");
    let out = chaosrt(
        &by_digest,
        &[
            "plugin",
            "install",
            "--yes",
            "--sha256",
            &sha256_hex(&component),
            &pinned,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_escape_ran(&run_escape(&by_digest));
}

/// The other way round: what another tool published in the layout (wkg's config, no annotations)
/// installs and runs.
#[test]
fn an_artifact_another_tool_published_installs_and_runs() {
    let open = &registries().open;
    let repository = repository("escape");
    publish_wasm(open, &repository, "v1", &std::fs::read(ESCAPE).unwrap());
    let scratch = Scratch::new();
    let out = chaosrt(
        &scratch,
        &[
            "plugin",
            "install",
            "--yes",
            &format!("oci://{open}/{repository}:v1"),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_escape_ran(&run_escape(&scratch));
}

/// Each is refused before anything reaches the store, which is compared whole, before and after.
#[test]
fn what_is_not_a_plugin_artifact_is_refused_and_the_store_is_untouched() {
    let open = &registries().open;
    let scratch = Scratch::new();
    scratch.install(ESCAPE);
    let before = scratch.snapshot();
    let escape = std::fs::read(ESCAPE).unwrap();
    let repository = repository("refused");
    let manifest_digest = publish_wasm(open, &repository, "good", &escape);
    let image_config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    publish(
        open,
        &repository,
        "image",
        ("application/vnd.oci.image.config.v1+json", image_config),
        &[(
            "application/vnd.oci.image.layer.v1.tar+gzip",
            b"\x1f\x8b not really",
        )],
    );
    publish_wasm(open, &repository, "core", b"\0asm\x01\0\0\0");
    publish_wasm(open, &repository, "future", &std::fs::read(FUTURE).unwrap());
    publish_wasm(open, &repository, "text", b"just some text\n");
    publish_wasm(open, &repository, "truncated", &escape[..escape.len() / 2]);
    publish_wasm(open, &repository, "huge", &vec![0; (64 << 20) + 1]);
    let reference = |tail: &str| format!("oci://{open}/{repository}{tail}");
    let wrong = format!("sha256:{}", "0".repeat(64));
    let down = closed_port();
    let cases = [
        (
            reference(&format!("@{wrong}")),
            vec![],
            "the registry answered 404 Not Found (no such repository, tag or digest)".to_string(),
        ),
        (
            reference(":good"),
            vec!["--sha256", &wrong[7..]],
            format!(
                "its sha256 is {}, not the {} that --sha256 pins; nothing was installed",
                sha256_hex(&escape),
                &wrong[7..]
            ),
        ),
        (
            format!("oci://127.0.0.1:{down}/x/escape:1"),
            vec![],
            format!("cannot reach the registry 127.0.0.1:{down}: "),
        ),
        (
            reference(":image"),
            vec![],
            "is not a Wasm OCI artifact: its config is application/vnd.oci.image.config.v1+json"
                .to_string(),
        ),
        (
            reference(":core"),
            vec![],
            "is a core WebAssembly module, not a component".to_string(),
        ),
        (
            reference(":future"),
            vec![],
            "was built for chaosrt:plugin@9.0.0, but this chaosrt supports".to_string(),
        ),
        (
            reference(":text"),
            vec![],
            "is not a WebAssembly component: magic header not detected".to_string(),
        ),
        (
            reference(":truncated"),
            vec![],
            "is not a WebAssembly component: it is truncated".to_string(),
        ),
        (
            reference(":huge"),
            vec![],
            "is 64.0 MiB, larger than the 64 MiB chaosrt accepts for a plugin component; \
             nothing was downloaded"
                .to_string(),
        ),
    ];
    for (source, flags, expected) in cases {
        let mut args = vec!["plugin", "install", "--yes"];
        args.extend(flags);
        args.push(&source);
        assert_refused(&chaosrt(&scratch, &args), &expected);
        assert_eq!(scratch.snapshot(), before, "{source} changed the store");
    }
    // The good one was there all along.
    let good = chaosrt(
        &scratch,
        &[
            "plugin",
            "install",
            "--yes",
            &reference(&format!("@{manifest_digest}")),
        ],
    );
    assert!(good.status.success(), "{}", stderr(&good));
}

/// A tag is a name that can move: the store keeps what was reviewed, and a reinstall of the moved
/// tag is refused as other bytes under the installed name and version.
#[test]
fn a_tag_that_moved_does_not_replace_what_was_installed() {
    let open = &registries().open;
    let repository = repository("escape");
    let reference = format!("oci://{open}/{repository}:stable");
    let escape = std::fs::read(ESCAPE).unwrap();
    let first = publish_wasm(open, &repository, "stable", &escape);
    let scratch = Scratch::new();
    let out = chaosrt(&scratch, &["plugin", "install", "--yes", &reference]);
    assert!(out.status.success(), "{}", stderr(&out));
    let before = scratch.snapshot();
    let mut rebuilt = escape.clone();
    rebuilt.extend_from_slice(&[0, 6, 5, b'e', b'x', b't', b'r', b'a']);
    let second = publish_wasm(open, &repository, "stable", &rebuilt);
    assert_ne!(first, second);
    let again = chaosrt(&scratch, &["plugin", "install", "--yes", &reference]);
    assert_refused(
        &again,
        &format!(
            "plugin 'escape' 0.1.0 is already installed from other bytes (sha256 {}; this one is {})",
            sha256_hex(&escape),
            sha256_hex(&rebuilt)
        ),
    );
    assert_eq!(scratch.snapshot(), before);
    let inspected = chaosrt(&scratch, &["plugin", "inspect", "escape"]);
    assert!(
        String::from_utf8_lossy(&inspected.stdout).contains(&format!("{reference}@{first}")),
        "{}",
        String::from_utf8_lossy(&inspected.stdout)
    );
}

/// The docker config's `auths` entry is sent, to the registry it names only; without one, or with
/// a wrong one, the refusal says what to add; the password never appears in any output.
#[test]
fn credentials_come_from_the_docker_config_and_never_show() {
    let registries = registries();
    let auth = &registries.auth;
    let reference = format!("oci://{auth}/{}:1", repository("escape"));
    let scratch = Scratch::new();
    let push = || chaosrt(&scratch, &["plugin", "push", ESCAPE, &reference]);
    assert_refused(
        &push(),
        &format!(
            "the registry {auth} asks for a login, and there is no docker config (DOCKER_CONFIG \
             or ~/.docker). Add one: `\"auths\": {{\"{auth}\": {{\"auth\": \"<base64 of \
             user:password>\"}}}}`"
        ),
    );
    let docker = scratch.dir.path().join("docker");
    std::fs::create_dir_all(&docker).unwrap();
    let write_config = |password: &str| {
        let config = json!({"auths": {
            "other.example.com": {"auth": base64("someone:else")},
            auth.as_str(): {"username": registries.user, "password": password},
        }});
        std::fs::write(docker.join("config.json"), config.to_string()).unwrap();
    };
    write_config("not-the-password");
    let refused = push();
    assert_refused(
        &refused,
        &format!(
            "the registry {auth} refused the credentials for it in {}",
            docker.join("config.json").display()
        ),
    );
    write_config(&registries.password);
    let pushed = push();
    assert!(pushed.status.success(), "{}", stderr(&pushed));
    let installed = chaosrt(&scratch, &["plugin", "install", "--yes", &reference]);
    assert!(installed.status.success(), "{}", stderr(&installed));
    assert_escape_ran(&run_escape(&scratch));
    let secret = &registries.password;
    let encoded = base64(&format!("{}:{secret}", registries.user));
    for out in [&refused, &pushed, &installed] {
        for shown in [&out.stdout, &out.stderr] {
            let shown = String::from_utf8_lossy(shown);
            assert!(
                !shown.contains(secret.as_str()) && !shown.contains(&encoded),
                "{shown}"
            );
        }
    }
}

fn base64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// A fault-injecting registry (a mock: the real one will not send these): answers `/v2/` with
/// 200 and every other request with what `answer` writes for its path, counting requests per path.
struct Liar {
    addr: String,
    hits: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Liar {
    fn start(answer: impl Fn(&str, &mut TcpStream) + Send + Sync + 'static) -> Liar {
        Liar::serve(move |path, stream| {
            if path == "/v2/" {
                let _ = respond(stream, "200 OK", "application/json", b"{}");
            } else {
                answer(path, stream);
            }
        })
    }

    /// Answers every request, `/v2/` included, with what `answer` writes for its path.
    fn serve(answer: impl Fn(&str, &mut TcpStream) + Send + Sync + 'static) -> Liar {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let hits = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = hits.clone();
        let answer = Arc::new(answer);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let (answer, seen) = (answer.clone(), seen.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut first = String::new();
                    let _ = reader.read_line(&mut first);
                    let mut line = String::new();
                    while reader.read_line(&mut line).unwrap_or(0) > 2 {
                        line.clear();
                    }
                    let path = first.split(' ').nth(1).unwrap_or_default().to_string();
                    seen.lock().unwrap().push(path.clone());
                    answer(&path, &mut stream);
                });
            }
        });
        Liar { addr, hits }
    }

    fn hits(&self, prefix: &str) -> usize {
        let hits = self.hits.lock().unwrap();
        hits.iter().filter(|p| p.starts_with(prefix)).count()
    }
}

fn respond(stream: &mut TcpStream, status: &str, media: &str, body: &[u8]) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {media}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)
}

/// A Wasm manifest for a layer of `digest` and `size`.
fn wasm_manifest(digest: &str, size: usize) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.wasm.config.v0+json",
                   "digest": format!("sha256:{}", "c".repeat(64)), "size": 2},
        "layers": [{"mediaType": "application/wasm", "digest": digest, "size": size}],
    }))
    .unwrap()
}

/// Sends a head without a length and then bytes until the reader hangs up.
fn endless(stream: &mut TcpStream, media: &str, announced: Option<u64>) {
    let length = announced
        .map(|n| format!("Content-Length: {n}\r\n"))
        .unwrap_or_default();
    let head =
        format!("HTTP/1.1 200 OK\r\nContent-Type: {media}\r\n{length}Connection: close\r\n\r\n");
    if stream.write_all(head.as_bytes()).is_err() {
        return;
    }
    let chunk = vec![b' '; 1 << 20];
    while stream.write_all(&chunk).is_ok() {}
}

fn install_from(scratch: &Scratch, liar: &Liar, tail: &str) -> Output {
    chaosrt(
        scratch,
        &[
            "plugin",
            "install",
            "--yes",
            &format!("oci://{}/x/escape{tail}", liar.addr),
        ],
    )
}

#[test]
fn a_huge_or_endless_manifest_stops_at_4_mib() {
    for announced in [Some(1u64 << 40), None] {
        let liar = Liar::start(move |_, stream| {
            endless(
                stream,
                "application/vnd.oci.image.manifest.v1+json",
                announced,
            )
        });
        let scratch = Scratch::new();
        let out = install_from(&scratch, &liar, ":1");
        assert_refused(
            &out,
            &format!(
                "the manifest of oci://{}/x/escape:1 is larger than the 4 MiB chaosrt reads; \
                 nothing was installed",
                liar.addr
            ),
        );
        assert!(scratch.snapshot().is_empty());
    }
}

#[test]
fn a_layer_that_is_not_what_its_digest_says_is_refused() {
    let escape = std::fs::read(ESCAPE).unwrap();
    let claimed = digest(&escape);
    let mut other = escape.clone();
    let middle = other.len() / 2;
    other[middle] ^= 0xff;
    let served = other.clone();
    let manifest = wasm_manifest(&claimed, escape.len());
    let liar = Liar::start(move |path, stream| {
        let _ = if path.contains("/manifests/") {
            respond(
                stream,
                "200 OK",
                "application/vnd.oci.image.manifest.v1+json",
                &manifest,
            )
        } else {
            respond(stream, "200 OK", "application/octet-stream", &served)
        };
    });
    let scratch = Scratch::new();
    let out = install_from(&scratch, &liar, ":1");
    assert_refused(
        &out,
        &format!(
            "the component from oci://{}/x/escape:1 has digest {}, not the {claimed} it was asked \
             for by; nothing was installed",
            liar.addr,
            digest(&other)
        ),
    );
    assert!(scratch.snapshot().is_empty());
}

#[test]
fn a_layer_longer_than_its_manifest_says_or_endless_is_cut_off() {
    let escape = std::fs::read(ESCAPE).unwrap();
    let manifest = wasm_manifest(&digest(&escape), escape.len());
    let liar = Liar::start(move |path, stream| {
        if path.contains("/manifests/") {
            let _ = respond(
                stream,
                "200 OK",
                "application/vnd.oci.image.manifest.v1+json",
                &manifest,
            );
        } else {
            endless(stream, "application/octet-stream", None);
        }
    });
    let scratch = Scratch::new();
    let out = install_from(&scratch, &liar, ":1");
    assert_refused(
        &out,
        &format!(
            "the component of oci://{}/x/escape:1 is longer than the {} bytes its manifest gives \
             it; nothing was installed",
            liar.addr,
            escape.len()
        ),
    );
    assert!(scratch.snapshot().is_empty());
}

/// The manifest is read once: a tag that moves between that read and the layer's download cannot
/// mix two artifacts, and the store records the digest of the manifest that was read.
#[test]
fn a_tag_that_moves_during_the_install_installs_what_was_read_first() {
    let first = std::fs::read(ESCAPE).unwrap();
    let mut second = first.clone();
    second.extend_from_slice(&[0, 6, 5, b'l', b'a', b't', b'e', b'r']);
    let manifests = [
        wasm_manifest(&digest(&first), first.len()),
        wasm_manifest(&digest(&second), second.len()),
    ];
    let first_manifest_digest = digest(&manifests[0]);
    let reads = Arc::new(AtomicUsize::new(0));
    let (blob_first, blob_second) = (digest(&first), first.clone());
    let liar = Liar::start(move |path, stream| {
        let _ = if path.contains("/manifests/") {
            // The tag moves as soon as it has been read once.
            let n = reads.fetch_add(1, Ordering::SeqCst).min(1);
            respond(
                stream,
                "200 OK",
                "application/vnd.oci.image.manifest.v1+json",
                &manifests[n],
            )
        } else if path.ends_with(&blob_first) {
            respond(stream, "200 OK", "application/octet-stream", &blob_second)
        } else {
            respond(stream, "200 OK", "application/octet-stream", &second)
        };
    });
    let scratch = Scratch::new();
    let out = install_from(&scratch, &liar, ":stable");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(liar.hits("/v2/x/escape/manifests/"), 1);
    let manifest = crate::support::read_json(
        scratch
            .dir
            .path()
            .join("data/chaosrt/plugins/escape/0.1.0/manifest.json"),
    );
    assert_eq!(manifest["sha256"], sha256_hex(&first));
    assert_eq!(
        manifest["source"],
        format!(
            "oci://{}/x/escape:stable@{first_manifest_digest}",
            liar.addr
        )
    );
}

/// A token realm is where credentials go: over plain http to another machine it is refused before
/// anything is sent there, and an endless token answer stops at 64 KiB.
#[test]
fn a_token_realm_is_bounded_and_must_be_tls_off_loopback() {
    let realm = Arc::new(std::sync::Mutex::new(String::new()));
    let announced = realm.clone();
    let liar = Liar::serve(move |path, stream| {
        if path.starts_with("/token") {
            endless(stream, "application/json", None);
        } else {
            let head = format!(
                "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"{}\",service=\"x\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                announced.lock().unwrap()
            );
            let _ = stream.write_all(head.as_bytes());
        }
    });
    let addr = liar.addr.clone();
    let scratch = Scratch::new();
    let install = || {
        chaosrt(
            &scratch,
            &[
                "plugin",
                "install",
                "--yes",
                &format!("oci://{addr}/x/escape:1"),
            ],
        )
    };
    // TEST-NET-1: refused before anything is contacted.
    *realm.lock().unwrap() = "http://192.0.2.1/token".into();
    assert_refused(
        &install(),
        &format!(
            "the registry {addr} names the token realm http://192.0.2.1/token, which is not \
             https: chaosrt sends credentials and takes tokens only over TLS (or on this \
             machine's loopback)"
        ),
    );
    *realm.lock().unwrap() = format!("http://{addr}/token");
    assert_refused(
        &install(),
        &format!("the token realm of {addr} answered with more than 64 KiB"),
    );
    assert!(scratch.snapshot().is_empty());
}
