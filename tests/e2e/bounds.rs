//! What the experiment layer reads is bounded, each bound with the message that names it: an
//! experiment fetched by URL, YAML anchors aliased into gigabytes, and nesting deep enough to
//! overflow the stack (issue 8).

use crate::support::{Outcome, Scratch, StatusServer};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

/// `chaosrt run SOURCE` in `scratch`.
fn run(scratch: &Scratch, source: &str) -> Outcome {
    scratch.outcome(
        scratch
            .chaosrt()
            .args(["run", "--allow-http-source", source]),
    )
}

/// Writes `text` as `run/NAME` and runs it.
fn run_file(scratch: &Scratch, name: &str, text: &str) -> Outcome {
    std::fs::write(scratch.run_dir().join(name), text).unwrap();
    run(scratch, name)
}

#[track_caller]
fn assert_refused(outcome: &Outcome, line: &str) {
    assert_ne!(outcome.code, 0, "{}", outcome.stderr);
    outcome.assert_line(line);
    assert!(
        !outcome.stderr.contains("panicked") && !outcome.stderr.contains("overflow"),
        "{}",
        outcome.stderr
    );
}

const TOO_LARGE: &str = "the response is larger than 16 MiB, the most chaosrt reads for an \
                         experiment fetched by URL; download it and run the file instead";

#[test]
fn an_experiment_fetched_by_url_is_read_up_to_16_mib() {
    let scratch = Scratch::new();
    // Announced by its Content-Length: refused before the body is read.
    let body = format!("title: {}\n", "x".repeat(17 << 20));
    let server = StatusServer::start(200, "application/x-yaml", Box::leak(body.into_boxed_str()));
    let outcome = run(&scratch, &server.url());
    assert_refused(&outcome, &format!("ERROR {}: {TOO_LARGE}", server.url()));

    // No length, and no end: read until the cap, then refused.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/endless.yaml", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap() > 2 {
            line.clear();
        }
        let mut stream = stream;
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/yaml\r\nConnection: close\r\n\r\n";
        stream.write_all(head.as_bytes()).unwrap();
        let chunk = "# endless\n".repeat(6_554);
        let mut sent = 0usize;
        while stream.write_all(chunk.as_bytes()).is_ok() {
            sent += chunk.len();
        }
        sent
    });
    let outcome = run(&scratch, &url);
    assert_refused(&outcome, &format!("ERROR {url}: {TOO_LARGE}"));
    let sent = server.join().unwrap();
    assert!(sent < 64 << 20, "the server sent {sent} bytes");
}

#[test]
fn a_large_yaml_string_aliased_many_times_stops_at_64_mib() {
    let scratch = Scratch::new();
    let aliases = vec!["*big"; 3000].join(", ");
    let text = format!(
        "title: laughs\nbig: &big \"{}\"\nmethod: [{aliases}]\n",
        "x".repeat(1 << 20)
    );
    let outcome = run_file(&scratch, "laughs.yaml", &text);
    assert_refused(
        &outcome,
        "ERROR laughs.yaml:3:388: invalid YAML: anchors and aliases expand this document beyond \
         64 MiB of text",
    );
}

#[test]
fn deep_nesting_is_refused_where_it_gets_too_deep() {
    let scratch = Scratch::new();
    // Block style, each level one more indented `- ` (this overflowed the stack and aborted).
    let block: String = (0..5_000)
        .map(|i| format!("{}-\n", " ".repeat(i)))
        .collect();
    let outcome = run_file(
        &scratch,
        "deep.yaml",
        &format!("title: deep\nmethod:\n{block}"),
    );
    assert_refused(
        &outcome,
        "ERROR deep.yaml:129:127: invalid YAML: collections nest deeper than 127 levels, the most \
         chaosrt reads",
    );
    let json = format!(
        "{{\"title\": \"deep\",\n\"method\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let outcome = run_file(&scratch, "deep.json", &json);
    assert_refused(
        &outcome,
        "ERROR deep.json:2:137: invalid JSON: arrays and objects nest deeper than 127 levels, the \
         most chaosrt reads",
    );
}
