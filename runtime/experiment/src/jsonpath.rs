//! JSON paths as Chaos Toolkit evaluates them: with the `jsonpath2` package's grammar and semantics,
//! which differ from RFC 9535 enough that an RFC engine gives other answers on real experiments.
//!
//! - A filter `[?(expr)]` keeps the *current* node when `expr` holds; it does not iterate children.
//!   `$.foo.*[?(@.baz)]` keeps the elements of `foo` that have `baz` (RFC 9535 would look inside
//!   them), and `$.foo[?(@.baz = "x")]` tests `foo` itself.
//! - Comparisons are `=`, `!=`, `<`, `<=`, `>`, `>=` (ordering only between numbers); the logical
//!   words are `and`, `or`, `not`, and `or` binds tighter than `and`.
//! - Strings are double-quoted only, and taken as written between the quotes (no unescaping).
//! - `.length()`, `.keys()`, `.values()`, `.entries()`, `.charAt(i)`, `.substring(i[, j])`.
//! - Slices use Python's `range` over the adjusted bounds, as `jsonpath2` does.
//!
//! Every rule here was checked against `jsonpath2` 0.4.5 (`Path.parse_str(p).match(v)`).

use super::python::{is_py_number, py_cmp, py_eq, py_truthy};
use serde_json::{Map, Value};
use std::cmp::Ordering;

/// A parsed path, starting at the root (`$`).
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath(Path);

impl JsonPath {
    /// Parses `text` with `jsonpath2`'s grammar; the error says where and what was expected.
    pub fn parse(text: &str) -> Result<JsonPath, String> {
        let tokens = lex(text)?;
        let mut parser = Parser {
            tokens,
            at: 0,
            depth: 0,
        };
        let path = parser.path()?;
        if !path.from_root {
            return Err("a JSON path starts with '$'".into());
        }
        parser.expect_end()?;
        Ok(JsonPath(path))
    }

    /// The values the path matches in `document`, in `jsonpath2`'s order.
    pub fn query(&self, document: &Value) -> Vec<Value> {
        eval_path(&self.0, document, document)
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Path {
    /// `$` (true) or `@`.
    from_root: bool,
    steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    /// `.x` or `[…]`: selectors applied to each current node.
    Child(Vec<Selector>),
    /// `..x` or `..[…]`: selectors applied to each current node and all its descendants.
    Descend(Vec<Selector>),
}

#[derive(Debug, Clone, PartialEq)]
enum Selector {
    Key(String),
    Index(i64),
    Slice(Option<i64>, Option<i64>, Option<i64>),
    Wildcard,
    Filter(Expr),
    /// `[@.x]`: each value the inner path gives is used as an index (int) or key (string).
    Node(Path),
    Call(Function, Vec<Operand>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Function {
    CharAt,
    Entries,
    Keys,
    Length,
    Substring,
    Values,
}

impl Function {
    fn named(name: &str) -> Option<Function> {
        Some(match name {
            "charAt" => Function::CharAt,
            "entries" => Function::Entries,
            "keys" => Function::Keys,
            "length" => Function::Length,
            "substring" => Function::Substring,
            "values" => Function::Values,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Path(Path),
    Value(Value),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Compare(Operand, Comparison, Operand),
    /// A path that matches anything, or a truthy literal.
    Exists(Operand),
}

// ---------------------------------------------------------------------------------------------
// Lexing: the token set of jsonpath2's ANTLR grammar, longest match first, whitespace skipped.

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Current,
    Descend,
    Root,
    Dot,
    Star,
    And,
    Or,
    Not,
    Cmp(Comparison),
    True,
    False,
    Null,
    BraceL,
    BraceR,
    BracketL,
    BracketR,
    Colon,
    Comma,
    ParenL,
    ParenR,
    Question,
    Id(String),
    /// The text between the quotes, as written.
    Str(String),
    Number(String),
}

fn lex(text: &str) -> Result<Vec<(usize, Tok)>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let start = i;
        let (tok, len) = match c {
            ' ' | '\t' | '\n' | '\r' => {
                i += 1;
                continue;
            }
            '@' => (Tok::Current, 1),
            '$' => (Tok::Root, 1),
            '.' if next == Some('.') => (Tok::Descend, 2),
            '.' => (Tok::Dot, 1),
            '*' => (Tok::Star, 1),
            '=' => (Tok::Cmp(Comparison::Eq), 1),
            '!' if next == Some('=') => (Tok::Cmp(Comparison::Ne), 2),
            '<' if next == Some('=') => (Tok::Cmp(Comparison::Le), 2),
            '<' => (Tok::Cmp(Comparison::Lt), 1),
            '>' if next == Some('=') => (Tok::Cmp(Comparison::Ge), 2),
            '>' => (Tok::Cmp(Comparison::Gt), 1),
            '{' => (Tok::BraceL, 1),
            '}' => (Tok::BraceR, 1),
            '[' => (Tok::BracketL, 1),
            ']' => (Tok::BracketR, 1),
            ':' => (Tok::Colon, 1),
            ',' => (Tok::Comma, 1),
            '(' => (Tok::ParenL, 1),
            ')' => (Tok::ParenR, 1),
            '?' => (Tok::Question, 1),
            '"' => {
                let len = string_len(&chars[i..])
                    .ok_or_else(|| format!("column {}: unterminated or invalid string", i + 1))?;
                let inner: String = chars[i + 1..i + len - 1].iter().collect();
                (Tok::Str(inner), len)
            }
            '-' | '0'..='9' => {
                let len = number_len(&chars[i..])
                    .ok_or_else(|| format!("column {}: invalid number", i + 1))?;
                (Tok::Number(chars[i..i + len].iter().collect()), len)
            }
            c if c == '_' || c.is_ascii_alphabetic() => {
                let word: String = chars[i..]
                    .iter()
                    .take_while(|c| **c == '_' || c.is_ascii_alphanumeric())
                    .collect();
                let len = word.chars().count();
                let tok = match word.as_str() {
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "not" => Tok::Not,
                    "true" => Tok::True,
                    "false" => Tok::False,
                    "null" => Tok::Null,
                    _ => Tok::Id(word),
                };
                (tok, len)
            }
            other => return Err(format!("column {}: unexpected character '{other}'", i + 1)),
        };
        tokens.push((start, tok));
        i += len;
    }
    Ok(tokens)
}

/// Length of a JSON-style string literal at the start of `chars` (quotes included).
fn string_len(chars: &[char]) -> Option<usize> {
    let mut i = 1;
    loop {
        match chars.get(i)? {
            '"' => return Some(i + 1),
            '\\' => match chars.get(i + 1)? {
                '"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't' => i += 2,
                'u' if chars.get(i + 2..i + 6)?.iter().all(char::is_ascii_hexdigit) => i += 6,
                _ => return None,
            },
            c if (*c as u32) < 0x20 => return None,
            _ => i += 1,
        }
    }
}

/// Length of a number at the start of `chars`: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?(0|[1-9][0-9]*))?`.
fn number_len(chars: &[char]) -> Option<usize> {
    let digit = |i: usize| chars.get(i).is_some_and(char::is_ascii_digit);
    let mut i = usize::from(chars.first() == Some(&'-'));
    let int = |i: &mut usize| -> bool {
        if chars.get(*i) == Some(&'0') {
            *i += 1;
            true
        } else if digit(*i) {
            while digit(*i) {
                *i += 1;
            }
            true
        } else {
            false
        }
    };
    if !int(&mut i) {
        return None;
    }
    if chars.get(i) == Some(&'.') && digit(i + 1) {
        i += 1;
        while digit(i) {
            i += 1;
        }
    }
    if matches!(chars.get(i), Some('e' | 'E')) {
        let mut j = i + 1;
        if matches!(chars.get(j), Some('+' | '-')) {
            j += 1;
        }
        if int(&mut j) {
            i = j;
        }
    }
    Some(i)
}

// ---------------------------------------------------------------------------------------------
// Parsing: jsonpath2's grammar, by recursive descent.

/// How deeply paths, filters, `not`s, parentheses and literal values may nest in a path: the
/// parser and the evaluator recurse, and must not overflow the stack (engine threads have small
/// ones). Real paths nest a few levels.
pub const MAX_PATH_DEPTH: usize = 64;

struct Parser {
    tokens: Vec<(usize, Tok)>,
    at: usize,
    /// Recursive constructs open around the token being read.
    depth: usize,
}

impl Parser {
    /// Parses one recursive construct with `parse`, if it nests no deeper than allowed.
    fn nested<T>(
        &mut self,
        parse: impl FnOnce(&mut Parser) -> Result<T, String>,
    ) -> Result<T, String> {
        if self.depth == MAX_PATH_DEPTH {
            return Err(format!(
                "{}: the path nests deeper than {MAX_PATH_DEPTH} levels",
                match self.tokens.get(self.at) {
                    Some((column, _)) => format!("column {}", column + 1),
                    None => "at the end".to_string(),
                }
            ));
        }
        self.depth += 1;
        let parsed = parse(self);
        self.depth -= 1;
        parsed
    }

    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.at).map(|(_, t)| t)
    }

    fn bump(&mut self) -> Option<Tok> {
        let tok = self.tokens.get(self.at).map(|(_, t)| t.clone());
        self.at += 1;
        tok
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek() == Some(tok) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn error(&self, expected: &str) -> String {
        match self.tokens.get(self.at) {
            Some((column, tok)) => {
                format!("column {}: expected {expected}, found {tok:?}", column + 1)
            }
            None => format!("expected {expected} at the end"),
        }
    }

    fn expect(&mut self, tok: &Tok, what: &str) -> Result<(), String> {
        if self.eat(tok) {
            Ok(())
        } else {
            Err(self.error(what))
        }
    }

    fn expect_end(&self) -> Result<(), String> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.error("the end of the path")),
        }
    }

    /// `jsonpath_: ('$' | '@') subscript?`
    fn path(&mut self) -> Result<Path, String> {
        self.nested(Parser::path_inner)
    }

    fn path_inner(&mut self) -> Result<Path, String> {
        let from_root = match self.peek() {
            Some(Tok::Root) => true,
            Some(Tok::Current) => false,
            _ => return Err(self.error("'$'")),
        };
        self.at += 1;
        let mut steps = Vec::new();
        loop {
            match self.peek() {
                Some(Tok::Descend) => {
                    self.at += 1;
                    let selectors = if self.peek() == Some(&Tok::BracketL) {
                        self.bracketed()?
                    } else {
                        vec![self.bareword()?]
                    };
                    steps.push(Step::Descend(selectors));
                }
                Some(Tok::Dot) => {
                    self.at += 1;
                    steps.push(Step::Child(vec![self.bareword()?]));
                }
                Some(Tok::BracketL) => steps.push(Step::Child(self.bracketed()?)),
                _ => break,
            }
        }
        Ok(Path { from_root, steps })
    }

    /// `ID arguments? | '*'`
    fn bareword(&mut self) -> Result<Selector, String> {
        match self.bump() {
            Some(Tok::Star) => Ok(Selector::Wildcard),
            Some(Tok::Id(name)) if self.peek() == Some(&Tok::ParenL) => self.call(&name),
            Some(Tok::Id(name)) => Ok(Selector::Key(name)),
            _ => {
                self.at -= 1;
                Err(self.error("a name or '*'"))
            }
        }
    }

    /// `'(' (operand (',' operand)*)? ')'` after a function name.
    fn call(&mut self, name: &str) -> Result<Selector, String> {
        let function = Function::named(name)
            .ok_or_else(|| format!("callable subscript '{name}' not found"))?;
        self.expect(&Tok::ParenL, "'('")?;
        let mut arguments = Vec::new();
        if !self.eat(&Tok::ParenR) {
            loop {
                arguments.push(self.operand()?);
                if self.eat(&Tok::ParenR) {
                    break;
                }
                self.expect(&Tok::Comma, "',' or ')'")?;
            }
        }
        Ok(Selector::Call(function, arguments))
    }

    /// `'[' subscriptable (',' subscriptable)* ']'`
    fn bracketed(&mut self) -> Result<Vec<Selector>, String> {
        self.expect(&Tok::BracketL, "'['")?;
        let mut selectors = vec![self.subscriptable()?];
        while self.eat(&Tok::Comma) {
            selectors.push(self.subscriptable()?);
        }
        self.expect(&Tok::BracketR, "',' or ']'")?;
        Ok(selectors)
    }

    fn subscriptable(&mut self) -> Result<Selector, String> {
        match self.peek().cloned() {
            Some(Tok::Str(key)) => {
                self.at += 1;
                Ok(Selector::Key(key))
            }
            Some(Tok::Number(text)) => {
                self.at += 1;
                let start =
                    integer(&text).ok_or_else(|| format!("'{text}' is not an integer index"))?;
                if self.peek() == Some(&Tok::Colon) {
                    self.slice(Some(start))
                } else {
                    Ok(Selector::Index(start))
                }
            }
            Some(Tok::Colon) => self.slice(None),
            Some(Tok::Star) => {
                self.at += 1;
                Ok(Selector::Wildcard)
            }
            Some(Tok::Question) => {
                self.at += 1;
                self.expect(&Tok::ParenL, "'(' after '?'")?;
                let expr = self.expression()?;
                self.expect(&Tok::ParenR, "')'")?;
                Ok(Selector::Filter(expr))
            }
            Some(Tok::Root | Tok::Current) => Ok(Selector::Node(self.path()?)),
            Some(Tok::Id(name)) => {
                self.at += 1;
                self.call(&name)
            }
            _ => Err(self.error("a key, an index, a slice, '*', a filter or a path")),
        }
    }

    /// `':' NUMBER? (':' NUMBER?)?` after an optional start.
    fn slice(&mut self, start: Option<i64>) -> Result<Selector, String> {
        self.expect(&Tok::Colon, "':'")?;
        let bound = |p: &mut Parser| -> Result<Option<i64>, String> {
            match p.peek().cloned() {
                Some(Tok::Number(text)) => {
                    p.at += 1;
                    integer(&text)
                        .map(Some)
                        .ok_or_else(|| format!("'{text}' is not an integer slice bound"))
                }
                _ => Ok(None),
            }
        };
        let end = bound(self)?;
        let step = if self.eat(&Tok::Colon) {
            bound(self)?
        } else {
            None
        };
        Ok(Selector::Slice(start, end, step))
    }

    /// `andExpression: orExpression ('and' andExpression)?` — `or` binds tighter.
    fn expression(&mut self) -> Result<Expr, String> {
        let mut all = vec![self.or_expression()?];
        while self.eat(&Tok::And) {
            all.push(self.or_expression()?);
        }
        Ok(if all.len() == 1 {
            all.remove(0)
        } else {
            Expr::And(all)
        })
    }

    fn or_expression(&mut self) -> Result<Expr, String> {
        let mut any = vec![self.not_expression()?];
        while self.eat(&Tok::Or) {
            any.push(self.not_expression()?);
        }
        Ok(if any.len() == 1 {
            any.remove(0)
        } else {
            Expr::Or(any)
        })
    }

    fn not_expression(&mut self) -> Result<Expr, String> {
        self.nested(Parser::not_expression_inner)
    }

    fn not_expression_inner(&mut self) -> Result<Expr, String> {
        if self.eat(&Tok::Not) {
            return Ok(Expr::Not(Box::new(self.not_expression()?)));
        }
        if self.eat(&Tok::ParenL) {
            let expr = self.expression()?;
            self.expect(&Tok::ParenR, "')'")?;
            return Ok(expr);
        }
        let left = self.operand()?;
        match self.peek() {
            Some(Tok::Cmp(op)) => {
                let op = *op;
                self.at += 1;
                Ok(Expr::Compare(left, op, self.operand()?))
            }
            _ => Ok(Expr::Exists(left)),
        }
    }

    /// `jsonpath__: jsonpath_ | value`
    fn operand(&mut self) -> Result<Operand, String> {
        match self.peek() {
            Some(Tok::Root | Tok::Current) => Ok(Operand::Path(self.path()?)),
            _ => Ok(Operand::Value(self.value()?)),
        }
    }

    fn value(&mut self) -> Result<Value, String> {
        self.nested(Parser::value_inner)
    }

    fn value_inner(&mut self) -> Result<Value, String> {
        match self.bump() {
            Some(Tok::Str(s)) => Ok(Value::String(s)),
            Some(Tok::Number(text)) => Ok(number(&text)),
            Some(Tok::True) => Ok(Value::Bool(true)),
            Some(Tok::False) => Ok(Value::Bool(false)),
            Some(Tok::Null) => Ok(Value::Null),
            Some(Tok::BracketL) => {
                let mut items = Vec::new();
                if !self.eat(&Tok::BracketR) {
                    loop {
                        items.push(self.value()?);
                        if self.eat(&Tok::BracketR) {
                            break;
                        }
                        self.expect(&Tok::Comma, "',' or ']'")?;
                    }
                }
                Ok(Value::Array(items))
            }
            Some(Tok::BraceL) => {
                let mut map = Map::new();
                if !self.eat(&Tok::BraceR) {
                    loop {
                        let Some(Tok::Str(key)) = self.bump() else {
                            self.at -= 1;
                            return Err(self.error("a string key"));
                        };
                        self.expect(&Tok::Colon, "':'")?;
                        map.insert(key, self.value()?);
                        if self.eat(&Tok::BraceR) {
                            break;
                        }
                        self.expect(&Tok::Comma, "',' or '}'")?;
                    }
                }
                Ok(Value::Object(map))
            }
            _ => {
                self.at = self.at.saturating_sub(1);
                Err(self.error("'@', '$' or a value"))
            }
        }
    }
}

/// `int(text)` for an index: digits only, no fraction or exponent.
fn integer(text: &str) -> Option<i64> {
    text.parse().ok()
}

/// jsonpath2 reads a number with `.`, `e` or `E` as a float, else as an int.
fn number(text: &str) -> Value {
    if text.contains(['.', 'e', 'E']) {
        text.parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number)
    } else {
        text.parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| text.parse::<f64>().map(Value::from).unwrap_or(Value::Null))
    }
}

// ---------------------------------------------------------------------------------------------
// Evaluation.

fn eval_path(path: &Path, root: &Value, current: &Value) -> Vec<Value> {
    let start = if path.from_root { root } else { current };
    let mut nodes = vec![start.clone()];
    for step in &path.steps {
        nodes = nodes
            .iter()
            .flat_map(|node| match step {
                Step::Child(selectors) => select(selectors, root, node),
                Step::Descend(selectors) => {
                    let mut out = Vec::new();
                    descend(selectors, root, node, &mut out);
                    out
                }
            })
            .collect();
    }
    nodes
}

/// Pre-order: the node itself, then each child's subtree.
fn descend(selectors: &[Selector], root: &Value, node: &Value, out: &mut Vec<Value>) {
    out.extend(select(selectors, root, node));
    for child in children(node) {
        descend(selectors, root, child, out);
    }
}

fn children(node: &Value) -> Box<dyn Iterator<Item = &Value> + '_> {
    match node {
        Value::Object(map) => Box::new(map.values()),
        Value::Array(items) => Box::new(items.iter()),
        _ => Box::new(std::iter::empty()),
    }
}

fn select(selectors: &[Selector], root: &Value, node: &Value) -> Vec<Value> {
    selectors
        .iter()
        .flat_map(|selector| apply(selector, root, node))
        .collect()
}

fn apply(selector: &Selector, root: &Value, node: &Value) -> Vec<Value> {
    match selector {
        Selector::Key(key) => node.get(key.as_str()).cloned().into_iter().collect(),
        Selector::Index(i) => index(node, *i).into_iter().collect(),
        Selector::Slice(start, end, step) => slice(node, *start, *end, *step),
        Selector::Wildcard => children(node).cloned().collect(),
        Selector::Filter(expr) if holds(expr, root, node) => vec![node.clone()],
        Selector::Filter(_) => Vec::new(),
        Selector::Node(path) => eval_path(path, root, node)
            .iter()
            .filter_map(|v| match v {
                Value::String(key) => node.get(key.as_str()).cloned(),
                // Python's bool is an int, so `true` indexes 1.
                Value::Bool(b) => index(node, i64::from(*b)),
                Value::Number(n) => n.as_i64().and_then(|i| index(node, i)),
                _ => None,
            })
            .collect(),
        Selector::Call(function, arguments) => {
            // Every combination of the arguments' values, as jsonpath2's itertools.product.
            let mut combinations: Vec<Vec<Value>> = vec![Vec::new()];
            for argument in arguments {
                let values = operand_values(argument, root, node);
                combinations = combinations
                    .into_iter()
                    .flat_map(|prefix| {
                        values.iter().map(move |v| {
                            let mut next = prefix.clone();
                            next.push(v.clone());
                            next
                        })
                    })
                    .collect();
            }
            combinations
                .iter()
                .filter_map(|args| call(*function, args, node))
                .collect()
        }
    }
}

/// `node[i]` for a list, Python-style negative indices; nothing out of range or for non-lists.
fn index(node: &Value, i: i64) -> Option<Value> {
    let items = node.as_array()?;
    let len = items.len() as i64;
    let i = if i < 0 { i + len } else { i };
    (0..len).contains(&i).then(|| items[i as usize].clone())
}

/// jsonpath2's slice: adjusted bounds, then Python's `range(start, end, step)` through `index`.
fn slice(node: &Value, start: Option<i64>, end: Option<i64>, step: Option<i64>) -> Vec<Value> {
    let Some(items) = node.as_array() else {
        return Vec::new();
    };
    let len = items.len() as i64;
    let start = start.map_or(0, |s| {
        if s >= 0 {
            s
        } else if s.abs() < len {
            s + len
        } else {
            0
        }
    });
    let end = end.map_or(len, |e| if e < 0 { e + len } else { e });
    let step = step.unwrap_or(1);
    let mut out = Vec::new();
    let mut i = start;
    // `range` with a zero step raises in Python; there is nothing sensible to select.
    while step != 0 && ((step > 0 && i < end) || (step < 0 && i > end)) {
        out.extend(index(node, i));
        i += step;
    }
    out
}

fn operand_values(operand: &Operand, root: &Value, node: &Value) -> Vec<Value> {
    match operand {
        Operand::Path(path) => eval_path(path, root, node),
        Operand::Value(value) => vec![value.clone()],
    }
}

fn holds(expr: &Expr, root: &Value, node: &Value) -> bool {
    match expr {
        Expr::And(all) => all.iter().all(|e| holds(e, root, node)),
        Expr::Or(any) => any.iter().any(|e| holds(e, root, node)),
        Expr::Not(inner) => !holds(inner, root, node),
        Expr::Exists(Operand::Path(path)) => !eval_path(path, root, node).is_empty(),
        Expr::Exists(Operand::Value(value)) => py_truthy(value),
        Expr::Compare(left, op, right) => {
            let lefts = operand_values(left, root, node);
            let rights = operand_values(right, root, node);
            lefts
                .iter()
                .any(|l| rights.iter().any(|r| compare(l, *op, r)))
        }
    }
}

fn compare(left: &Value, op: Comparison, right: &Value) -> bool {
    let ordered = |accept: fn(Ordering) -> bool| {
        is_py_number(left) && is_py_number(right) && py_cmp(left, right).is_some_and(accept)
    };
    match op {
        Comparison::Eq => py_eq(left, right),
        Comparison::Ne => !py_eq(left, right),
        Comparison::Lt => ordered(Ordering::is_lt),
        Comparison::Le => ordered(Ordering::is_le),
        Comparison::Gt => ordered(Ordering::is_gt),
        Comparison::Ge => ordered(Ordering::is_ge),
    }
}

fn call(function: Function, args: &[Value], node: &Value) -> Option<Value> {
    let int_arg = |i: usize| args.get(i).and_then(Value::as_i64);
    match (function, node) {
        (Function::Length, Value::Array(items)) if args.is_empty() => Some(items.len().into()),
        (Function::Length, Value::String(s)) if args.is_empty() => Some(s.chars().count().into()),
        (Function::Keys, Value::Object(map)) if args.is_empty() => {
            Some(map.keys().cloned().map(Value::String).collect())
        }
        (Function::Keys, Value::Array(items)) if args.is_empty() => {
            Some((0..items.len()).map(Value::from).collect())
        }
        (Function::Values, Value::Object(map)) if args.is_empty() => {
            Some(map.values().cloned().collect())
        }
        (Function::Values, Value::Array(_)) if args.is_empty() => Some(node.clone()),
        (Function::Entries, Value::Object(map)) if args.is_empty() => Some(
            map.iter()
                .map(|(k, v)| Value::Array(vec![Value::String(k.clone()), v.clone()]))
                .collect(),
        ),
        (Function::Entries, Value::Array(items)) if args.is_empty() => Some(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| Value::Array(vec![i.into(), v.clone()]))
                .collect(),
        ),
        (Function::CharAt, Value::String(s)) if args.len() == 1 => {
            let chars: Vec<char> = s.chars().collect();
            let i = int_arg(0)?;
            let i = if i < 0 { i + chars.len() as i64 } else { i };
            let c = chars.get(usize::try_from(i).ok()?)?;
            Some(Value::String(c.to_string()))
        }
        (Function::Substring, Value::String(s)) if (1..=2).contains(&args.len()) => {
            let chars: Vec<char> = s.chars().collect();
            let len = chars.len() as i64;
            // Python slice bounds: negative from the end, clamped to the string.
            let clamp = |i: i64| (if i < 0 { i + len } else { i }).clamp(0, len) as usize;
            let from = clamp(int_arg(0)?);
            let to = if args.len() == 2 {
                clamp(int_arg(1)?)
            } else {
                len as usize
            };
            Some(Value::String(chars[from..to.max(from)].iter().collect()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn query(path: &str, document: &Value) -> Vec<Value> {
        JsonPath::parse(path)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .query(document)
    }

    #[test]
    fn matches_like_jsonpath2() {
        // Each expectation is `[m.current_value for m in Path.parse_str(p).match(doc)]` with
        // jsonpath2 0.4.5.
        let doc = json!({
            "foo": [{"baz": "x", "n": 1}, {"baz": "y", "n": 2}, {"baz": "x", "n": 3}],
            "a": {"b": {"name": "q"}, "name": "r"},
            "s": "hello", "o": {"a": 1, "b": 2}, "arr": [0, 1, 2, 3, 4, 5], "items": [1, 5, 10]
        });
        let cases: Vec<(&str, Value)> = vec![
            ("$.foo[?(@.baz=\"x\")]", json!([])),
            ("$.foo[*][?(@.baz=\"x\")].n", json!([1, 3])),
            ("$.foo.*[?(@.baz = \"x\")].n", json!([1, 3])),
            ("$.foo[*][?(@.n > 1 and @.baz = \"x\")].n", json!([3])),
            ("$.foo[*][?(not @.n = 1)].n", json!([2, 3])),
            ("$.foo[*][?(@.baz != \"x\")].n", json!([2])),
            (
                "$.foo[*][?(@.n >= 2 or @.baz = \"x\" and @.n = 1)].n",
                json!([1]),
            ),
            (
                "$.foo[*][?(@.n = 1 or @.n = 2 and @.baz = \"x\")].n",
                json!([1]),
            ),
            ("$.foo[*][?(@.n = 1.0)].n", json!([1])),
            ("$.foo[*][?(@.n < \"3\")].n", json!([])),
            ("$.foo[*][?(@.n > true)].n", json!([2, 3])),
            ("$..[?(@.baz = \"x\")].n", json!([1, 3])),
            ("$[?(@.foo)].s", json!(["hello"])),
            ("$.a[?(@.name)].name", json!(["r"])),
            ("$.a[?(@.name=\"q\")]", json!([])),
            ("$.items[?(@ > 2)]", json!([])),
            ("$.items[*][?(@ > 2)]", json!([5, 10])),
            ("$.arr[?(@)].length()", json!([6])),
            ("$..name", json!(["r", "q"])),
            ("$.a.*", json!([{"name": "q"}, "r"])),
            ("$.foo[*].n", json!([1, 2, 3])),
            ("$.foo[0,2].n", json!([1, 3])),
            ("$.foo[-1].n", json!([3])),
            ("$[\"a\"][\"name\"]", json!(["r"])),
            ("$.o[\"a\",\"b\"]", json!([1, 2])),
            ("$ . o . a", json!([1])),
            ("$.s.length()", json!([5])),
            ("$.o.length()", json!([])),
            ("$.o.keys()", json!([["a", "b"]])),
            ("$.arr[keys()]", json!([[0, 1, 2, 3, 4, 5]])),
            ("$.o.entries()", json!([[["a", 1], ["b", 2]]])),
            ("$.o.values()", json!([[1, 2]])),
            ("$.s.charAt(1)", json!(["e"])),
            ("$.s[charAt(-1)]", json!(["o"])),
            ("$.s.substring(1,3)", json!(["el"])),
            ("$.s.substring(-2)", json!(["lo"])),
            ("$.arr[1:3]", json!([1, 2])),
            ("$.arr[-2:]", json!([4, 5])),
            ("$.arr[::2]", json!([0, 2, 4])),
            ("$.arr[-10:2]", json!([0, 1])),
            ("$.arr[3:0:-1]", json!([3, 2, 1])),
            ("$.arr[:-1]", json!([0, 1, 2, 3, 4])),
            ("$.o[$.o.a]", json!([])),
            ("$.arr[$.o.a]", json!([1])),
            ("$.o[@.keys()]", json!([])),
        ];
        for (path, expected) in cases {
            assert_eq!(Value::Array(query(path, &doc)), expected, "{path}");
        }
        assert_eq!(query("$", &doc), std::slice::from_ref(&doc));
    }

    #[test]
    fn chaostoolkit_lib_tolerance_examples() {
        // From chaostoolkit-lib's tests/test_tolerance.py.
        let list = json!({"foo": [{"baz": 1}, {"baz": 2}]});
        assert_eq!(query("$.foo.*[?(@.baz)]", &list).len(), 2);
        assert_eq!(query("$.notsofoo.*[?(@.baz)].baz", &list).len(), 0);
        assert_eq!(query("$.foo.*[?(@.baz=2)]", &list).len(), 1);
        let object = json!({"foo": {"baz": "hello"}});
        assert_eq!(query("$.foo[?(@.baz)].baz", &object), [json!("hello")]);
        assert_eq!(query("$.foo[?(@.baz=\"hello\")]", &object).len(), 1);
        assert_eq!(query("$.foo[?(@.baz=\"bonjour\")]", &object).len(), 0);
    }

    #[test]
    fn rejects_what_jsonpath2_rejects() {
        for bad in [
            "foo",
            "$.",
            "$[",
            "$.foo[?(@.a == 1)]",
            "$['a']",
            "$.a.nope()",
            "$[1.5]",
            "$..",
            "",
            "@.a",
        ] {
            assert!(JsonPath::parse(bad).is_err(), "{bad:?} should not parse");
        }
        assert_eq!(
            JsonPath::parse("$.a.nope()").unwrap_err(),
            "callable subscript 'nope' not found"
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let nots = format!("$[?({}@.a)]", "not ".repeat(100_000));
        let err = JsonPath::parse(&nots).unwrap_err();
        assert_eq!(err, "column 257: the path nests deeper than 64 levels");
        let parens = format!("$[?({}@.a{})]", "(".repeat(100_000), ")".repeat(100_000));
        assert!(
            JsonPath::parse(&parens)
                .unwrap_err()
                .contains("nests deeper than 64")
        );
        let lists = format!("$[?(@.a = {}{})]", "[".repeat(100_000), "]".repeat(100_000));
        let err = JsonPath::parse(&lists).unwrap_err();
        assert!(err.contains("nests deeper than 64"), "{err}");
        let paths = format!("$.a{}", "[?(@".repeat(100_000));
        assert!(
            JsonPath::parse(&paths)
                .unwrap_err()
                .contains("nests deeper than 64")
        );
        let fine = format!("$[?({}@.a)]", "not ".repeat(60));
        assert!(JsonPath::parse(&fine).is_ok());
    }
}
