//! The conformance judge: holds recorded v1 exchanges against GoTo's published OpenAPI document
//! (the trimmed copy in `tests/openapi/gotomeeting-rest-v1.json`), in both directions: what the
//! client sent (path, query parameters, required headers, request body) and what the server
//! answered (status, response body). Schemas are checked by the `jsonschema` crate, not by us.
//!
//! Use it on any client, e.g. the operator's v1 client, from a test file:
//!
//! ```ignore
//! #[path = "conformance/judge.rs"]
//! mod judge;
//!
//! let sim = Simulator::start(SimConfig { first_key: 1001, record_exchanges: true, ..SimConfig::default() }).await?;
//! // ... drive the client against sim.v1_base_url() ...
//! let doc = judge::Document::published_v1();
//! let found = judge::violations(&doc, &sim.exchanges());
//! assert!(found.is_empty(), "{}", judge::report(&found));
//! // and, to see that every operation was exercised:
//! assert!(judge::unexercised(&doc, &sim.exchanges()).is_empty());
//! ```
//!
//! How strictly: undocumented query parameters, undocumented body fields (either direction), a
//! missing required field, parameter or header, a body sent to an operation that takes none, a
//! status the operation does not document, a 204 with a body, and a wrong type, enum value,
//! date-time or int32/int64 range are all violations. The error bodies of 4xx answers are not
//! judged: the document gives them no schema. Statuses the transport adds to any operation (401,
//! 429, 5xx) are violations too unless the caller tolerates them ([`Options::tolerating`]).
//! Keep keys below 2^53 in judged worlds: `serde_json::Value` holds numbers above 2^64 as f64.
#![allow(dead_code)] // each test binary uses a different part

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use goto_operator::simulator::Exchange;
use serde_json::{Map, Value, json};

/// The trimmed published document, as committed.
pub const PUBLISHED_V1: &str = "tests/openapi/gotomeeting-rest-v1.json";

/// Which side of an exchange broke the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Request,
    Response,
}

/// One way an exchange departs from the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Index of the exchange in the slice given to [`violations`].
    pub exchange: usize,
    /// `METHOD path?query -> status`, to find it in the log.
    pub what: String,
    pub side: Side,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = match self.side {
            Side::Request => "request",
            Side::Response => "response",
        };
        write!(
            f,
            "#{} {}: {side}: {}",
            self.exchange, self.what, self.message
        )
    }
}

/// Every violation, one a line.
pub fn report(found: &[Violation]) -> String {
    found
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// What the judge forgives.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Statuses accepted on every operation although the document does not list them.
    pub tolerated_statuses: Vec<u16>,
}

impl Options {
    /// Accepts `statuses` everywhere (e.g. `[401, 429, 500, 502, 503, 504]` when faults were
    /// injected on purpose); the answer's body is then not judged.
    pub fn tolerating(statuses: &[u16]) -> Self {
        Options {
            tolerated_statuses: statuses.to_vec(),
        }
    }
}

/// Path parameters of a matched path: (name, decoded value).
type PathParams = Vec<(String, String)>;

/// A compiled schema.
struct Schema {
    source: Value,
    validator: jsonschema::Validator,
}

impl Schema {
    fn compile(source: Value) -> Result<Schema, String> {
        let validator = jsonschema::draft7::options()
            .should_validate_formats(true)
            .build(&source)
            .map_err(|e| format!("schema {source}: {e}"))?;
        Ok(Schema { source, validator })
    }

    /// Every error, as `at /pointer: message`.
    fn errors(&self, instance: &Value) -> Vec<String> {
        self.validator
            .iter_errors(instance)
            .map(|e| {
                let at = e.instance_path().to_string();
                let at = if at.is_empty() { "/".to_string() } else { at };
                format!("at {at}: {e}")
            })
            .collect()
    }

    fn schema_type(&self) -> Option<&str> {
        self.source.get("type").and_then(Value::as_str)
    }
}

struct Parameter {
    name: String,
    /// `query`, `header` or `path`.
    location: String,
    required: bool,
    schema: Schema,
}

struct Operation {
    method: String,
    /// The path template as the document writes it, e.g. `/organizers/{organizerKey}`.
    template: String,
    parameters: Vec<Parameter>,
    /// (required, schema of application/json)
    request_body: Option<(bool, Schema)>,
    /// Status -> schema of its application/json content (None: no content documented).
    responses: BTreeMap<String, Option<Schema>>,
}

/// An OpenAPI 3.0 document, ready to judge: `$ref`s inlined, schemas compiled.
pub struct Document {
    /// The path of its first server's URL, e.g. `/G2M/rest`: exchanges' paths start with it.
    pub base_path: String,
    operations: Vec<Operation>,
}

impl Document {
    /// The trimmed published v1 document committed in the repository.
    pub fn published_v1() -> Document {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(PUBLISHED_V1);
        Document::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    pub fn load(path: &Path) -> Result<Document, String> {
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        let doc: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        Document::from_value(&doc)
    }

    pub fn from_value(doc: &Value) -> Result<Document, String> {
        let server = doc["servers"][0]["url"]
            .as_str()
            .ok_or("the document names no server")?;
        let base_path = url::Url::parse(server)
            .map_err(|e| format!("server {server}: {e}"))?
            .path()
            .trim_end_matches('/')
            .to_string();
        let paths = doc["paths"]
            .as_object()
            .ok_or("the document has no paths")?;
        let mut operations = Vec::new();
        for (template, item) in paths {
            let item = item.as_object().ok_or("a path item is not an object")?;
            for (method, op) in item {
                operations.push(operation(doc, method, template, op)?);
            }
        }
        Ok(Document {
            base_path,
            operations,
        })
    }

    /// `(METHOD, template)` of every operation of the document.
    pub fn operations(&self) -> Vec<(String, String)> {
        self.operations
            .iter()
            .map(|o| (o.method.to_uppercase(), o.template.clone()))
            .collect()
    }

    /// The operation for a method and a path relative to the base path; the template with the
    /// most literal segments wins. Err: the path is not the document's, or the method is not
    /// documented for it.
    fn find(&self, method: &str, path: &str) -> Result<(&Operation, PathParams), String> {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let mut best: Option<(usize, &str, PathParams)> = None;
        for template in self.operations.iter().map(|o| o.template.as_str()) {
            let Some((literals, params)) = match_template(template, &segments) else {
                continue;
            };
            if best.as_ref().is_none_or(|(n, _, _)| literals > *n) {
                best = Some((literals, template, params));
            }
        }
        let Some((_, template, params)) = best else {
            return Err(format!("no path of the document matches {path}"));
        };
        self.operations
            .iter()
            .find(|o| o.template == template && o.method.eq_ignore_ascii_case(method))
            .map(|o| (o, params))
            .ok_or_else(|| format!("{template} documents no {method}"))
    }
}

/// How many literal segments of `template` match, and the path parameters, when it matches.
fn match_template(template: &str, segments: &[&str]) -> Option<(usize, PathParams)> {
    let parts: Vec<&str> = template.trim_start_matches('/').split('/').collect();
    if parts.len() != segments.len() {
        return None;
    }
    let mut literals = 0;
    let mut params = Vec::new();
    for (part, seg) in parts.iter().zip(segments) {
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            if seg.is_empty() {
                return None;
            }
            let value = percent_decode(seg);
            params.push((name.to_string(), value));
        } else if part == seg {
            literals += 1;
        } else {
            return None;
        }
    }
    Some((literals, params))
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Follows a local `$ref` (`#/components/...`).
fn resolve<'a>(doc: &'a Value, reference: &str) -> Result<&'a Value, String> {
    let pointer = reference
        .strip_prefix('#')
        .ok_or_else(|| format!("{reference}: only local references are supported"))?;
    doc.pointer(pointer)
        .ok_or_else(|| format!("{reference} does not resolve in the document"))
}

/// An object with its `$ref` followed (Parameter, Request Body and Response objects).
fn deref<'a>(doc: &'a Value, v: &'a Value) -> Result<&'a Value, String> {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(doc, r),
        None => Ok(v),
    }
}

/// An OpenAPI 3.0 schema turned into a self-contained JSON Schema: `$ref`s inlined, objects
/// with documented properties closed (an undocumented field is a violation), int32/int64
/// formats turned into bounds.
fn json_schema(doc: &Value, schema: &Value, depth: usize) -> Result<Value, String> {
    if depth > 32 {
        return Err("schemas nest deeper than 32 (a $ref cycle?)".into());
    }
    match schema {
        Value::Object(map) => {
            if let Some(r) = map.get("$ref").and_then(Value::as_str) {
                return json_schema(doc, resolve(doc, r)?, depth + 1);
            }
            let mut out = Map::new();
            for (k, v) in map {
                let v = match k.as_str() {
                    "properties" => {
                        let props = v.as_object().ok_or("properties is not an object")?;
                        let mut inlined = Map::new();
                        for (name, p) in props {
                            inlined.insert(name.clone(), json_schema(doc, p, depth + 1)?);
                        }
                        Value::Object(inlined)
                    }
                    "items" | "additionalProperties" | "not" => json_schema(doc, v, depth + 1)?,
                    "allOf" | "anyOf" | "oneOf" => Value::Array(
                        v.as_array()
                            .ok_or("a combinator is not an array")?
                            .iter()
                            .map(|s| json_schema(doc, s, depth + 1))
                            .collect::<Result<_, _>>()?,
                    ),
                    _ => v.clone(),
                };
                out.insert(k.clone(), v);
            }
            if out.contains_key("properties") && !out.contains_key("additionalProperties") {
                out.insert("additionalProperties".into(), Value::Bool(false));
            }
            let bounds = match out.get("format").and_then(Value::as_str) {
                Some("int64") => Some((json!(i64::MIN), json!(i64::MAX))),
                Some("int32") => Some((json!(i32::MIN), json!(i32::MAX))),
                _ => None,
            };
            if let Some((min, max)) = bounds {
                out.entry("minimum").or_insert(min);
                out.entry("maximum").or_insert(max);
            }
            Ok(Value::Object(out))
        }
        other => Ok(other.clone()),
    }
}

fn compile(doc: &Value, schema: &Value) -> Result<Schema, String> {
    Schema::compile(json_schema(doc, schema, 0)?)
}

/// The application/json schema of a content map, if any.
fn json_content(content: Option<&Value>) -> Option<&Value> {
    let content = content?.as_object()?;
    content
        .iter()
        .find(|(media, _)| media.starts_with("application/json"))
        .and_then(|(_, m)| m.get("schema"))
}

fn operation(doc: &Value, method: &str, template: &str, op: &Value) -> Result<Operation, String> {
    let at = |e: String| format!("{} {template}: {e}", method.to_uppercase());
    let mut parameters = Vec::new();
    for p in op["parameters"].as_array().into_iter().flatten() {
        let p = deref(doc, p).map_err(at)?;
        parameters.push(Parameter {
            name: p["name"].as_str().unwrap_or_default().to_string(),
            location: p["in"].as_str().unwrap_or_default().to_string(),
            required: p["required"].as_bool().unwrap_or(false),
            schema: compile(doc, &p["schema"]).map_err(at)?,
        });
    }
    let request_body = match op.get("requestBody") {
        Some(body) => {
            let body = deref(doc, body).map_err(at)?;
            let schema = json_content(body.get("content"))
                .ok_or_else(|| at("the request body has no application/json schema".into()))?;
            Some((
                body["required"].as_bool().unwrap_or(false),
                compile(doc, schema).map_err(at)?,
            ))
        }
        None => None,
    };
    let mut responses = BTreeMap::new();
    for (status, response) in op["responses"].as_object().into_iter().flatten() {
        let response = deref(doc, response).map_err(at)?;
        let schema = json_content(response.get("content"))
            .map(|s| compile(doc, s))
            .transpose()
            .map_err(at)?;
        responses.insert(status.clone(), schema);
    }
    Ok(Operation {
        method: method.to_lowercase(),
        template: template.to_string(),
        parameters,
        request_body,
        responses,
    })
}

/// A parameter's text as the JSON value its schema expects (numbers and booleans parsed).
fn typed(schema: &Schema, raw: &str) -> Value {
    let parsed = match schema.schema_type() {
        Some("integer") | Some("number") => serde_json::from_str::<Value>(raw)
            .ok()
            .filter(Value::is_number),
        Some("boolean") => match raw {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        _ => None,
    };
    parsed.unwrap_or_else(|| Value::String(raw.to_string()))
}

/// Every violation of the document by `exchanges`, strictly (see [`Options`]).
pub fn violations(doc: &Document, exchanges: &[Exchange]) -> Vec<Violation> {
    violations_with(doc, exchanges, &Options::default())
}

/// Every violation of the document by `exchanges`, forgiving what `options` says.
pub fn violations_with(
    doc: &Document,
    exchanges: &[Exchange],
    options: &Options,
) -> Vec<Violation> {
    let mut found = Vec::new();
    for (i, ex) in exchanges.iter().enumerate() {
        let query = ex
            .query
            .as_deref()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        let what = format!("{} {}{query} -> {}", ex.method, ex.path, ex.status);
        let mut add = |side, message: String| {
            found.push(Violation {
                exchange: i,
                what: what.clone(),
                side,
                message,
            })
        };
        judge(doc, ex, options, &mut add);
    }
    found
}

fn judge(doc: &Document, ex: &Exchange, options: &Options, add: &mut impl FnMut(Side, String)) {
    let Some(relative) = ex
        .path
        .strip_prefix(&doc.base_path)
        .filter(|r| r.starts_with('/'))
    else {
        add(
            Side::Request,
            format!("the path is not under {}", doc.base_path),
        );
        return;
    };
    let (op, path_params) = match doc.find(&ex.method, relative) {
        Ok(found) => found,
        Err(e) => {
            add(Side::Request, e);
            return;
        }
    };
    judge_request(op, ex, &path_params, add);
    if ex.dropped || ex.status == 0 {
        return;
    }
    judge_response(op, ex, options, add);
}

fn judge_request(
    op: &Operation,
    ex: &Exchange,
    path_params: &[(String, String)],
    add: &mut impl FnMut(Side, String),
) {
    let by = |location: &str| {
        op.parameters
            .iter()
            .filter(|p| p.location == location)
            .collect::<Vec<_>>()
    };
    for (name, value) in path_params {
        match by("path").into_iter().find(|p| &p.name == name) {
            Some(p) => {
                for e in p.schema.errors(&typed(&p.schema, value)) {
                    add(
                        Side::Request,
                        format!("path parameter {name}={value:?} {e}"),
                    );
                }
            }
            None => add(
                Side::Request,
                format!("path parameter {name} is not documented"),
            ),
        }
    }
    let mut given: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some(q) = ex.query.as_deref() {
        for (name, value) in url::form_urlencoded::parse(q.as_bytes()) {
            given
                .entry(name.into_owned())
                .or_default()
                .push(value.into_owned());
        }
    }
    let query_params = by("query");
    for (name, values) in &given {
        let Some(p) = query_params.iter().find(|p| &p.name == name) else {
            add(
                Side::Request,
                format!("query parameter {name} is not documented"),
            );
            continue;
        };
        if values.len() > 1 {
            add(
                Side::Request,
                format!("query parameter {name} is given {} times", values.len()),
            );
        }
        for value in values {
            for e in p.schema.errors(&typed(&p.schema, value)) {
                add(
                    Side::Request,
                    format!("query parameter {name}={value:?} {e}"),
                );
            }
        }
    }
    for p in query_params.iter().filter(|p| p.required) {
        if !given.contains_key(&p.name) {
            add(
                Side::Request,
                format!("required query parameter {} is missing", p.name),
            );
        }
    }
    for p in by("header").into_iter().filter(|p| p.required) {
        let present = ex
            .request_headers
            .iter()
            .any(|h| h.eq_ignore_ascii_case(&p.name));
        if !present {
            add(
                Side::Request,
                format!("required header {} is missing", p.name),
            );
        }
    }
    match (&op.request_body, &ex.request_body) {
        (Some((_, schema)), Some(body)) => {
            for e in schema.errors(body) {
                add(Side::Request, format!("body {e}"));
            }
        }
        (Some((true, _)), None) => add(Side::Request, "the required body is missing".into()),
        (Some((false, _)), None) => {}
        (None, Some(_)) => add(
            Side::Request,
            "a body was sent to an operation that takes none".into(),
        ),
        (None, None) => {}
    }
}

fn judge_response(
    op: &Operation,
    ex: &Exchange,
    options: &Options,
    add: &mut impl FnMut(Side, String),
) {
    let status = ex.status.to_string();
    let documented = op
        .responses
        .get(&status)
        .or_else(|| {
            op.responses
                .get(&format!("{}XX", status.chars().next().unwrap_or('0')))
        })
        .or_else(|| op.responses.get("default"));
    let Some(schema) = documented else {
        if !options.tolerated_statuses.contains(&ex.status) {
            let listed: Vec<&String> = op.responses.keys().collect();
            add(
                Side::Response,
                format!(
                    "status {status} is not documented for this operation (documented: {listed:?})"
                ),
            );
        }
        return;
    };
    match schema {
        Some(schema) => {
            let json = ex
                .response_content_type
                .as_deref()
                .is_some_and(|t| t.starts_with("application/json"));
            if !json {
                add(
                    Side::Response,
                    format!(
                        "the content type is {:?}, not application/json",
                        ex.response_content_type
                    ),
                );
            }
            match &ex.response_body {
                Some(body) => {
                    for e in schema.errors(body) {
                        add(Side::Response, format!("body {e}"));
                    }
                }
                None => add(Side::Response, "the documented body is missing".into()),
            }
        }
        None if ex.status == 204 && !ex.response_text.is_empty() => {
            add(Side::Response, "a 204 answer has a body".into());
        }
        None => {}
    }
}

/// `(METHOD, template)` of the document's operations that no exchange reached.
pub fn unexercised(doc: &Document, exchanges: &[Exchange]) -> Vec<(String, String)> {
    let reached: Vec<(String, String)> = exchanges
        .iter()
        .filter_map(|ex| {
            let relative = ex.path.strip_prefix(&doc.base_path)?;
            let (op, _) = doc.find(&ex.method, relative).ok()?;
            Some((op.method.to_uppercase(), op.template.clone()))
        })
        .collect();
    doc.operations()
        .into_iter()
        .filter(|op| !reached.contains(op))
        .collect()
}
