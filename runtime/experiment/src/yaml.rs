//! YAML as Chaos Toolkit reads it: PyYAML's `yaml.safe_load`, into JSON values in document order.
//!
//! PyYAML implements YAML 1.1, where `yes`, `no`, `on` and `off` are booleans, `017` is octal,
//! `10:30` is the integer 630 and `<<` merges mappings. The maintained serde_yaml forks
//! (`serde_yaml_ng`, `serde_norway`) implement YAML 1.2's core schema instead, so `verify_tls: no`
//! would become the string `"no"` and an experiment would silently change meaning. So this module
//! builds values itself from `saphyr-parser`'s events (a maintained, pure-Rust YAML parser that
//! reports positions and scalar styles), with PyYAML's resolver and `SafeConstructor` rules:
//!
//! - plain scalars resolve with PyYAML's implicit resolvers (bool, float, int, null, timestamp);
//!   quoted and block scalars are strings;
//! - only the standard tags are allowed (`!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!seq`,
//!   `!!map`, and `!`); any other tag, such as `!!python/object`, is refused as `safe_load` does;
//! - `<<` merge keys, anchors and aliases; a later duplicate key replaces the value in place;
//! - one document at most; an empty stream is `null`.
//!
//! Where JSON cannot hold what PyYAML builds, the closest JSON is used: timestamps stay strings as
//! written, non-string keys become their JSON text (`1` → `"1"`, as `json.dump` writes them), and
//! `.inf`/`.nan` are errors.

use super::python::py_float_repr;
use regex::Regex;
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, Tag};
use serde_json::{Map, Number, Value};
use std::collections::HashMap;
use std::sync::LazyLock;

/// A YAML document that cannot be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// 1-based.
    pub line: usize,
    /// 1-based.
    pub column: usize,
    pub message: String,
}

/// Reads `text` as `yaml.safe_load` would.
pub fn parse(text: &str) -> Result<Value, YamlError> {
    let mut composer = Composer {
        parser: Parser::new_from_str(text),
        anchors: HashMap::new(),
        copy_budget: Size {
            values: MAX_COPIED_VALUES,
            bytes: MAX_COPIED_BYTES,
            depth: 0,
        },
        depth: 0,
    };
    composer.stream()
}

/// How many values anchors and aliases may copy in all, so a "billion laughs" document fails
/// instead of exhausting memory.
pub const MAX_COPIED_VALUES: usize = 1_000_000;

/// How much text (strings and keys) anchors and aliases may copy in all: one anchored 1 MiB string
/// aliased 3,000 times is only 3,000 values but 3 GiB.
pub const MAX_COPIED_BYTES: usize = 64 << 20;

/// How deeply collections may nest, aliased ones included: the value is read, validated and
/// dropped by recursion, which must not overflow the stack. serde_json's limit for JSON (it
/// refuses the 128th level), kept for YAML too.
pub const MAX_DEPTH: usize = 127;

struct Composer<'input> {
    parser: Parser<'input, saphyr_parser::StrInput<'input>>,
    /// Each anchored value with its size, measured once.
    anchors: HashMap<usize, (Value, Size)>,
    /// What anchors and aliases may still copy.
    copy_budget: Size,
    /// Collections open around the node being read.
    depth: usize,
}

/// What a value holds: its values, the bytes of its strings and keys, how deeply it nests (a
/// scalar is 0).
#[derive(Debug, Clone, Copy)]
struct Size {
    values: usize,
    bytes: usize,
    depth: usize,
}

impl Size {
    fn of(value: &Value) -> Size {
        match value {
            Value::String(s) => Size {
                values: 1,
                bytes: s.len(),
                depth: 0,
            },
            Value::Array(items) => items
                .iter()
                .fold(Size::collection(), |size, item| size.add(Size::of(item), 0)),
            Value::Object(map) => map.iter().fold(Size::collection(), |size, (key, value)| {
                size.add(Size::of(value), key.len())
            }),
            _ => Size {
                values: 1,
                bytes: 0,
                depth: 0,
            },
        }
    }

    fn collection() -> Size {
        Size {
            values: 1,
            bytes: 0,
            depth: 1,
        }
    }

    /// This collection with `item` (under a key of `key_bytes`) in it.
    fn add(self, item: Size, key_bytes: usize) -> Size {
        Size {
            values: self.values.saturating_add(item.values),
            bytes: self
                .bytes
                .saturating_add(item.bytes)
                .saturating_add(key_bytes),
            depth: self.depth.max(item.depth + 1),
        }
    }
}

fn error_at(span: &Span, message: impl Into<String>) -> YamlError {
    YamlError {
        line: span.start.line(),
        column: span.start.col() + 1,
        message: message.into(),
    }
}

impl From<ScanError> for YamlError {
    fn from(e: ScanError) -> YamlError {
        // saphyr-parser's scanner stops flow nesting (`[[[…`) itself, a little past MAX_DEPTH:
        // said in the same words as block nesting, where chaosrt stops it.
        let message = match e.info() {
            "recursion limit exceeded" => too_deep_message(),
            other => other.to_string(),
        };
        YamlError {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            message,
        }
    }
}

impl<'input> Composer<'input> {
    fn next(&mut self) -> Result<(Event<'input>, Span), YamlError> {
        match self.parser.next() {
            Some(event) => Ok(event?),
            None => Err(YamlError {
                line: 0,
                column: 0,
                message: "unexpected end of the YAML stream".into(),
            }),
        }
    }

    fn stream(&mut self) -> Result<Value, YamlError> {
        let mut document = None;
        loop {
            let (event, span) = self.next()?;
            match event {
                Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
                Event::StreamEnd => return Ok(document.unwrap_or(Value::Null)),
                Event::DocumentStart(_) if document.is_some() => {
                    return Err(error_at(&span, "expected a single document in the stream"));
                }
                Event::DocumentStart(_) => {
                    let (event, span) = self.next()?;
                    document = Some(self.node(event, span)?);
                }
                other => document = Some(self.node(other, span)?),
            }
        }
    }

    fn node(&mut self, event: Event<'input>, span: Span) -> Result<Value, YamlError> {
        let (value, anchor) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                (scalar(&text, style, tag.as_deref(), &span)?, anchor)
            }
            Event::SequenceStart(anchor, tag) => {
                check_collection_tag(tag.as_deref(), "seq", &span)?;
                self.enter(&span)?;
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(event, span)?);
                }
                self.depth -= 1;
                (Value::Array(items), anchor)
            }
            Event::MappingStart(anchor, tag) => {
                check_collection_tag(tag.as_deref(), "map", &span)?;
                self.enter(&span)?;
                let map = self.mapping()?;
                self.depth -= 1;
                (Value::Object(map), anchor)
            }
            Event::Alias(id) => {
                let (value, size) = self
                    .anchors
                    .get(&id)
                    .ok_or_else(|| error_at(&span, "found undefined alias"))?;
                if self.depth + size.depth > MAX_DEPTH {
                    return Err(too_deep(&span));
                }
                let size = *size;
                let value = value.clone();
                self.copy(size, &span)?;
                return Ok(value);
            }
            _ => return Err(error_at(&span, "expected a node")),
        };
        if anchor != 0 {
            let size = Size::of(&value);
            self.copy(size, &span)?;
            self.anchors.insert(anchor, (value.clone(), size));
        }
        Ok(value)
    }

    /// Opens a collection at `span`, if it nests no deeper than allowed.
    fn enter(&mut self, span: &Span) -> Result<(), YamlError> {
        if self.depth == MAX_DEPTH {
            return Err(too_deep(span));
        }
        self.depth += 1;
        Ok(())
    }

    /// Takes the copy of a value of `size` (for an anchor or an alias) out of the budget.
    fn copy(&mut self, size: Size, span: &Span) -> Result<(), YamlError> {
        let budget = &mut self.copy_budget;
        match (
            budget.values.checked_sub(size.values),
            budget.bytes.checked_sub(size.bytes),
        ) {
            (Some(values), Some(bytes)) => {
                budget.values = values;
                budget.bytes = bytes;
                Ok(())
            }
            (None, _) => Err(error_at(
                span,
                format!(
                    "anchors and aliases expand this document beyond {MAX_COPIED_VALUES} values"
                ),
            )),
            (Some(_), None) => Err(error_at(
                span,
                format!(
                    "anchors and aliases expand this document beyond {} MiB of text",
                    MAX_COPIED_BYTES >> 20
                ),
            )),
        }
    }

    /// The pairs of a mapping, with PyYAML's merge rules: merged pairs first (for a list of
    /// mappings, the last one first, so earlier ones win), then the mapping's own pairs, a later
    /// duplicate replacing the value where the key first appeared.
    fn mapping(&mut self) -> Result<Map<String, Value>, YamlError> {
        let mut merged: Vec<(String, Value)> = Vec::new();
        let mut own: Vec<(String, Value)> = Vec::new();
        loop {
            let (event, key_span) = self.next()?;
            if matches!(event, Event::MappingEnd) {
                break;
            }
            let is_merge = matches!(&event, Event::Scalar(text, ScalarStyle::Plain, _, None) if text.as_ref() == "<<");
            let key = self.node(event, key_span)?;
            let (event, span) = self.next()?;
            let value = self.node(event, span)?;
            if is_merge {
                merged.extend(merge_pairs(value, &span)?);
            } else {
                own.push((key_text(&key, &key_span)?, value));
            }
        }
        let mut map = Map::new();
        for (key, value) in merged.into_iter().chain(own) {
            map.insert(key, value);
        }
        Ok(map)
    }
}

/// What a `<<` key merges: a mapping's pairs, or the pairs of each mapping in a list, the last one
/// first (so that the first one's values win).
fn merge_pairs(value: Value, span: &Span) -> Result<Vec<(String, Value)>, YamlError> {
    let not_mappings = || error_at(span, "expected a mapping or list of mappings for merging");
    match value {
        Value::Object(map) => Ok(map.into_iter().collect()),
        Value::Array(items) => {
            let mut pairs = Vec::new();
            for item in items.into_iter().rev() {
                let Value::Object(map) = item else {
                    return Err(not_mappings());
                };
                pairs.extend(map);
            }
            Ok(pairs)
        }
        _ => Err(not_mappings()),
    }
}

/// A key as `json.dump` would write it.
fn key_text(key: &Value, span: &Span) -> Result<String, YamlError> {
    match key {
        Value::String(s) => Ok(s.clone()),
        Value::Array(_) | Value::Object(_) => Err(error_at(span, "found unhashable key")),
        Value::Number(n) if n.is_f64() => Ok(py_float_repr(n.as_f64().unwrap_or_default())),
        other => Ok(other.to_string()),
    }
}

fn too_deep(span: &Span) -> YamlError {
    error_at(span, too_deep_message())
}

fn too_deep_message() -> String {
    format!("collections nest deeper than {MAX_DEPTH} levels, the most chaosrt reads")
}

/// The standard tag's short name (`"str"` for `!!str`), `Some("")` for the non-specific `!`, `None`
/// for any other tag.
fn standard_tag(tag: &Tag) -> Option<&str> {
    if tag.handle.is_empty() && tag.suffix == "!" {
        Some("")
    } else if tag.handle == "tag:yaml.org,2002:" {
        Some(&tag.suffix)
    } else {
        tag.suffix.strip_prefix("tag:yaml.org,2002:")
    }
}

fn refused_tag(tag: &Tag, span: &Span) -> YamlError {
    let written = if tag.handle == "tag:yaml.org,2002:" {
        format!("!!{}", tag.suffix)
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    };
    error_at(
        span,
        format!(
            "YAML tags are not allowed: '{written}' (Chaos Toolkit reads YAML with safe_load; only \
             !!str, !!int, !!float, !!bool, !!null, !!seq and !!map are accepted)"
        ),
    )
}

fn check_collection_tag(tag: Option<&Tag>, kind: &str, span: &Span) -> Result<(), YamlError> {
    match tag {
        None => Ok(()),
        Some(tag) => match standard_tag(tag) {
            Some("") => Ok(()),
            Some(name) if name == kind => Ok(()),
            _ => Err(refused_tag(tag, span)),
        },
    }
}

fn scalar(
    text: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
    span: &Span,
) -> Result<Value, YamlError> {
    let constructor = match tag.map(|t| (t, standard_tag(t))) {
        None | Some((_, Some(""))) if style == ScalarStyle::Plain => resolve(text),
        None | Some((_, Some(""))) => "str",
        Some((_, Some(name @ ("str" | "int" | "float" | "bool" | "null")))) => name,
        Some((tag, _)) => return Err(refused_tag(tag, span)),
    };
    construct(constructor, text).map_err(|message| error_at(span, message))
}

/// PyYAML's implicit resolvers (`yaml/resolver.py`), in their order.
fn resolve(text: &str) -> &'static str {
    static RESOLVERS: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
        [
            ("bool", r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$"),
            (
                "float",
                r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
            ),
            (
                "int",
                r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
            ),
            ("null", r"^(?:~|null|Null|NULL|)$"),
            (
                "timestamp",
                r"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$",
            ),
        ]
        .into_iter()
        .map(|(name, pattern)| (name, Regex::new(pattern).expect("PyYAML resolver pattern")))
        .collect()
    });
    RESOLVERS
        .iter()
        .find(|(_, regex)| regex.is_match(text))
        .map_or("str", |(name, _)| name)
}

/// PyYAML's `SafeConstructor` for one scalar type.
fn construct(kind: &str, text: &str) -> Result<Value, String> {
    match kind {
        "bool" => match text.to_ascii_lowercase().as_str() {
            "yes" | "true" | "on" => Ok(Value::Bool(true)),
            "no" | "false" | "off" => Ok(Value::Bool(false)),
            _ => Err(format!("'{text}' is not a YAML boolean")),
        },
        "int" => construct_int(text),
        "float" => construct_float(text),
        "null" => Ok(Value::Null),
        _ => Ok(Value::String(text.to_string())),
    }
}

/// Sign, then the rest without `_`.
fn signed(text: &str) -> (i128, String) {
    let clean = text.replace('_', "");
    match clean.strip_prefix('-') {
        Some(rest) => (-1, rest.to_string()),
        None => (1, clean.strip_prefix('+').unwrap_or(&clean).to_string()),
    }
}

fn construct_int(text: &str) -> Result<Value, String> {
    let invalid = || format!("'{text}' is not a YAML integer");
    let (sign, digits) = signed(text);
    let magnitude = if digits == "0" {
        0
    } else if let Some(bin) = digits.strip_prefix("0b") {
        i128::from_str_radix(bin, 2).map_err(|_| invalid())?
    } else if let Some(hex) = digits.strip_prefix("0x") {
        i128::from_str_radix(hex, 16).map_err(|_| invalid())?
    } else if digits.starts_with('0') {
        i128::from_str_radix(&digits, 8).map_err(|_| invalid())?
    } else if digits.contains(':') {
        let too_large = || format!("'{text}' is too large for a JSON integer");
        digits.split(':').try_fold(0_i128, |acc, part| {
            let part = part.parse::<i128>().map_err(|_| invalid())?;
            acc.checked_mul(60)
                .and_then(|acc| acc.checked_add(part))
                .ok_or_else(too_large)
        })?
    } else {
        digits.parse::<i128>().map_err(|_| invalid())?
    };
    let value = sign * magnitude;
    if let Ok(i) = i64::try_from(value) {
        Ok(Value::from(i))
    } else if let Ok(u) = u64::try_from(value) {
        Ok(Value::from(u))
    } else {
        Err(format!("'{text}' is too large for a JSON integer"))
    }
}

fn construct_float(text: &str) -> Result<Value, String> {
    let (sign, digits) = signed(text);
    let digits = digits.to_ascii_lowercase();
    let magnitude = if digits == ".inf" || digits == ".nan" {
        f64::NAN
    } else if digits.contains(':') {
        digits.split(':').try_fold(0.0, |acc, part| {
            Ok::<_, String>(acc * 60.0 + part.parse::<f64>().map_err(|e| e.to_string())?)
        })?
    } else {
        digits
            .parse::<f64>()
            .map_err(|_| format!("'{text}' is not a YAML float"))?
    };
    Number::from_f64(sign as f64 * magnitude)
        .map(Value::Number)
        .ok_or_else(|| format!("'{text}' is not a finite number, which JSON cannot hold"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars_resolve_like_pyyaml_safe_load() {
        // Each expectation is `yaml.safe_load` (PyYAML 6.0.3) of the same text, as JSON.
        let cases = [
            ("a: yes", json!({"a": true})),
            ("a: on", json!({"a": true})),
            ("a: Off", json!({"a": false})),
            ("a: yES", json!({"a": "yES"})),
            ("a: 0o17", json!({"a": "0o17"})),
            ("a: 017", json!({"a": 15})),
            ("a: 09", json!({"a": "09"})),
            ("a: 0b101", json!({"a": 5})),
            ("a: -0x1f", json!({"a": -31})),
            ("a: 1e5", json!({"a": "1e5"})),
            ("a: 1.0e+5", json!({"a": 100000.0})),
            ("a: 10:30", json!({"a": 630})),
            ("a: 12:30:45", json!({"a": 45045})),
            ("a: 1_000", json!({"a": 1000})),
            ("a: +5", json!({"a": 5})),
            ("a: -.5", json!({"a": "-.5"})),
            ("a: .5", json!({"a": 0.5})),
            ("a: 1.", json!({"a": 1.0})),
            ("a: 2001-12-14", json!({"a": "2001-12-14"})),
            ("a: ~", json!({"a": null})),
            ("a:", json!({"a": null})),
            ("a: !!str 12", json!({"a": "12"})),
            ("a: ! 12", json!({"a": 12})),
            ("a: !!int \"12\"", json!({"a": 12})),
            ("a: \"12\"", json!({"a": "12"})),
            ("a: 'yes'", json!({"a": "yes"})),
            ("a: |\n  text\n", json!({"a": "text\n"})),
            (
                "{1: a, null: c, 1.5: d}",
                json!({"1": "a", "null": "c", "1.5": "d"}),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text), Ok(expected), "{text:?}");
        }
    }

    #[test]
    fn keys_keep_document_order_and_the_last_duplicate_wins_in_place() {
        let value = parse("b: 1\na: 2\nb: 3\n").unwrap();
        assert_eq!(value, json!({"b": 3, "a": 2}));
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["b", "a"]);
    }

    #[test]
    fn merge_keys_anchors_and_aliases() {
        let text = "base: &b {x: 1, y: 2}\nother: &o {y: 9, z: 3}\n\
                    one: {<<: *b, x: 5}\nboth: {<<: [*b, *o], w: 0}\nlist: [*b, *b]\n";
        let value = parse(text).unwrap();
        assert_eq!(value["one"], json!({"x": 5, "y": 2}));
        // PyYAML: the first mapping in the list wins, the mapping's own keys win over all.
        assert_eq!(value["both"], json!({"y": 2, "z": 3, "x": 1, "w": 0}));
        let keys: Vec<&String> = value["both"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["y", "z", "x", "w"]);
        assert_eq!(value["list"], json!([{"x": 1, "y": 2}, {"x": 1, "y": 2}]));
    }

    #[test]
    fn refuses_what_safe_load_refuses_with_a_position() {
        let err = parse("title: t\nx: !!python/object:os.system ls\n").unwrap_err();
        assert_eq!((err.line, err.column), (2, 4));
        assert!(
            err.message
                .starts_with("YAML tags are not allowed: '!!python/object:os.system'"),
            "{}",
            err.message
        );
        let err = parse("a: !custom 1").unwrap_err();
        assert!(err.message.contains("'!custom'"), "{}", err.message);
        let err = parse("a: .inf").unwrap_err();
        assert!(
            err.message.contains("not a finite number"),
            "{}",
            err.message
        );
        let err = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(err.message, "expected a single document in the stream");
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.line >= 2, "{err:?}");
        let err = parse("? [1]\n: x\n").unwrap_err();
        assert_eq!(err.message, "found unhashable key");
    }

    #[test]
    fn empty_stream_is_null_and_alias_bombs_are_stopped() {
        assert_eq!(parse(""), Ok(Value::Null));
        assert_eq!(parse("# nothing\n"), Ok(Value::Null));
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (name, previous) in ["b", "c", "d", "e", "f", "g"]
            .iter()
            .zip(["a", "b", "c", "d", "e", "f"])
        {
            bomb.push_str(&format!("{name}: &{name} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}]\n"));
        }
        let err = parse(&bomb).unwrap_err();
        assert!(
            err.message
                .contains("anchors and aliases expand this document beyond 1000000 values"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_large_string_aliased_many_times_is_stopped_by_its_size() {
        // Issue 8: 1 MiB aliased 3,000 times took ~8 GB; stopped at 64 MiB of copied text.
        let mut text = format!("a: &a \"{}\"\nb: [", "x".repeat(1 << 20));
        text.push_str(&vec!["*a"; 3000].join(", "));
        text.push_str("]\n");
        let err = parse(&text).unwrap_err();
        assert_eq!(
            (err.line, err.message.as_str()),
            (
                2,
                "anchors and aliases expand this document beyond 64 MiB of text"
            )
        );
        // Fewer copies are fine.
        let mut text = format!("a: &a \"{}\"\nb: [", "x".repeat(1 << 20));
        text.push_str(&vec!["*a"; 60].join(", "));
        text.push_str("]\n");
        assert_eq!(parse(&text).unwrap()["b"].as_array().unwrap().len(), 60);
    }

    #[test]
    fn deep_nesting_is_refused_with_its_position_aliases_too() {
        // Block style: each level one more indented `- `.
        let block: String = (0..200).map(|i| format!("{}-\n", "  ".repeat(i))).collect();
        let err = parse(&block).unwrap_err();
        assert_eq!(
            (err.line, err.column, err.message.as_str()),
            (
                128,
                255,
                "collections nest deeper than 127 levels, the most chaosrt reads"
            )
        );
        let ok: String = (0..127).map(|i| format!("{}- ", "  ".repeat(i))).collect();
        assert!(parse(&format!("{ok}x\n")).is_ok());
        let flow = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        // saphyr-parser's scanner stops flow nesting itself, a little later, told the same way.
        let err = parse(&flow).unwrap_err();
        assert_eq!((err.line, err.column), (1, 256), "{}", err.message);
        assert_eq!(
            err.message,
            "collections nest deeper than 127 levels, the most chaosrt reads"
        );
        // Each alias adds its anchor's depth: 100 + 100 levels.
        let deep = format!("{}x{}", "[".repeat(100), "]".repeat(100));
        let text = format!("a: &a {deep}\nb: {}*a{}\n", "[".repeat(99), "]".repeat(99));
        let err = parse(&text).unwrap_err();
        assert_eq!((err.line, err.column), (2, 103), "{}", err.message);
    }

    #[test]
    fn sexagesimal_numbers_too_large_are_errors_not_overflows() {
        let text = format!("a: 1{}", ":00".repeat(30));
        let err = parse(&text).unwrap_err();
        assert_eq!(
            err.message,
            format!("'1{}' is too large for a JSON integer", ":00".repeat(30))
        );
    }
}
