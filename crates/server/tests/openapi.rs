//! The OpenAPI document (`GET /v1/openapi.json`): structurally valid, complete for the router,
//! and true to what the endpoints answer. Every body the real router gives back here is checked
//! against the schema the document declares for its method, path and status, by a strict
//! validator for the JSON Schema subset utoipa emits (below): an undeclared property, a wrong
//! type, a missing required field, a value off an enum, a pattern or a format all fail.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use ob_bureau::Bureau;
use ob_bureau::access::Role;
use ob_bureau::clock::ManualClock;
use ob_bureau::crypto::Keys;
use ob_bureau::ingest::IngestOptions;
use ob_bureau::report::{ReportRequest, Requester};
use ob_bureau::rights::DisputeTarget;
use ob_model::{
    AccountType, DisputeState, DisputeType, DocumentNumber, DocumentType, QueryReason, RepaymentStatus, StatementType,
    YearMonth,
};
use ob_server::openapi::ApiDoc;
use ob_server::{AppState, router};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use time::macros::datetime;
use tower::ServiceExt;
use utoipa::OpenApi;

const ZHANG: &str =
    r#"{"name":"张三","birth_date":"1949-12-31","document":{"type":"prc_resident_id","number":"11010519491231002X"}}"#;
const ZHANG_ID: &str = "11010519491231002X";
/// A valid document with no file.
const NOBODY_ID: &str = "110105198505054565";
const EVIDENCE: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

/// Every route the router serves, as (method, path template). Kept by hand beside `router()`:
/// the document must list exactly these, and the router must answer each of them.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/health"),
    ("get", "/metrics"),
    ("post", "/v1/batches"),
    ("get", "/v1/batches"),
    ("get", "/v1/batches/{id}"),
    ("get", "/v1/batches/{id}/feedback"),
    ("get", "/v1/stale-accounts"),
    ("post", "/v1/reports"),
    ("get", "/v1/disputes"),
    ("post", "/v1/disputes/{id}/answer"),
    ("post", "/v1/disputes/{id}/reinsert"),
    ("get", "/v1/correction-notices"),
    ("get", "/v1/admin/orgs"),
    ("post", "/v1/admin/orgs"),
    ("post", "/v1/admin/orgs/{code}/keys"),
    ("post", "/v1/admin/keys/revoke"),
    ("get", "/v1/me/explain"),
    ("get", "/v1/openapi.json"),
];

/// Routes anyone may call, without a key.
const OPEN_ROUTES: [&str; 3] = ["/health", "/metrics", "/v1/openapi.json"];

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

// ---------------------------------------------------------------------------------------------
// The validator.

/// Keywords that only annotate: they constrain nothing.
const ANNOTATIONS: [&str; 8] =
    ["description", "title", "examples", "example", "default", "deprecated", "readOnly", "writeOnly"];
/// Keywords the validator enforces.
const ASSERTIONS: [&str; 19] = [
    "$ref",
    "type",
    "enum",
    "const",
    "nullable",
    "format",
    "pattern",
    "minimum",
    "maximum",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "allOf",
    "oneOf",
    "anyOf",
    "minLength",
    "maxLength",
    "minItems",
];

/// Validates JSON values against the schemas of an OpenAPI 3.1 document.
struct Validator<'d> {
    doc: &'d Value,
}

impl<'d> Validator<'d> {
    fn new(doc: &'d Value) -> Self {
        Validator { doc }
    }

    fn resolve(&self, reference: &str) -> &'d Value {
        let pointer = reference.strip_prefix('#').unwrap_or_else(|| panic!("not a local $ref: {reference}"));
        self.doc.pointer(pointer).unwrap_or_else(|| panic!("$ref {reference} does not resolve"))
    }

    /// A component schema by name.
    fn component(&self, name: &str) -> &'d Value {
        self.resolve(&format!("#/components/schemas/{name}"))
    }

    /// The errors of `value` against `schema`, none when it matches.
    fn errors(&self, schema: &Value, value: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        self.validate(schema, value, "$", true, &mut errors);
        errors
    }

    /// `strict`: an object may hold only the properties the schema declares (unless
    /// `additionalProperties` says otherwise). Members of an `allOf` are checked loosely and the
    /// `allOf` itself checks the union of their properties.
    fn validate(&self, schema: &Value, value: &Value, at: &str, strict: bool, errors: &mut Vec<String>) {
        let schema = match schema {
            Value::Bool(true) => return,
            Value::Bool(false) => return errors.push(format!("{at}: nothing is allowed here")),
            Value::Object(o) => o,
            _ => panic!("{at}: a schema is an object or a boolean: {schema}"),
        };
        for key in schema.keys() {
            assert!(
                ANNOTATIONS.contains(&key.as_str()) || ASSERTIONS.contains(&key.as_str()),
                "{at}: the validator does not know the keyword {key:?}: teach it before relying on it"
            );
        }
        if let Some(r) = schema.get("$ref") {
            self.validate(self.resolve(r.as_str().expect("$ref is a string")), value, at, strict, errors);
        }
        if value.is_null() && schema.get("nullable") == Some(&Value::Bool(true)) {
            return;
        }
        if let Some(t) = schema.get("type") {
            let types: Vec<&str> = match t {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().map(|t| t.as_str().expect("type names are strings")).collect(),
                _ => panic!("{at}: bad type {t}"),
            };
            if !types.iter().any(|t| has_type(value, t)) {
                return errors.push(format!("{at}: {} is not of type {}", short(value), t));
            }
        }
        if let Some(Value::Array(allowed)) = schema.get("enum")
            && !allowed.contains(value)
        {
            errors.push(format!("{at}: {} is not one of {}", short(value), Value::Array(allowed.clone())));
        }
        if let Some(c) = schema.get("const")
            && c != value
        {
            errors.push(format!("{at}: {} is not {c}", short(value)));
        }
        if let (Some(p), Value::String(s)) = (schema.get("pattern"), value) {
            let re = regex_lite::Regex::new(p.as_str().expect("pattern is a string")).expect("pattern compiles");
            if !re.is_match(s) {
                errors.push(format!("{at}: {s:?} does not match {p}"));
            }
        }
        if let (Some(n), Value::String(s)) = (schema.get("minLength"), value)
            && (s.chars().count() as u64) < n.as_u64().expect("minLength")
        {
            errors.push(format!("{at}: {s:?} is shorter than {n}"));
        }
        if let (Some(n), Value::String(s)) = (schema.get("maxLength"), value)
            && (s.chars().count() as u64) > n.as_u64().expect("maxLength")
        {
            errors.push(format!("{at}: {s:?} is longer than {n}"));
        }
        if let (Some(n), Value::Array(items)) = (schema.get("minItems"), value)
            && (items.len() as u64) < n.as_u64().expect("minItems")
        {
            errors.push(format!("{at}: {} items, fewer than {n}", items.len()));
        }
        if let Some(f) = schema.get("format") {
            check_format(f.as_str().expect("format is a string"), value, at, errors);
        }
        if let (Some(min), Some(v)) = (schema.get("minimum").and_then(Value::as_f64), value.as_f64())
            && v < min
        {
            errors.push(format!("{at}: {v} is below the minimum {min}"));
        }
        if let (Some(max), Some(v)) = (schema.get("maximum").and_then(Value::as_f64), value.as_f64())
            && v > max
        {
            errors.push(format!("{at}: {v} is above the maximum {max}"));
        }
        if let Value::Object(fields) = value {
            self.object(schema, fields, at, strict, errors);
        }
        if let (Some(items), Value::Array(values)) = (schema.get("items"), value) {
            for (i, v) in values.iter().enumerate() {
                self.validate(items, v, &format!("{at}[{i}]"), true, errors);
            }
        }
        if let Some(Value::Array(all)) = schema.get("allOf") {
            for s in all {
                self.validate(s, value, at, false, errors);
            }
            if strict && let Value::Object(fields) = value {
                let known: BTreeSet<String> = all.iter().flat_map(|s| self.declared(s)).collect();
                for key in fields.keys().filter(|k| !known.contains(*k)) {
                    errors.push(format!("{at}: undeclared property {key:?}"));
                }
            }
        }
        for (keyword, exactly_one) in [("oneOf", true), ("anyOf", false)] {
            if let Some(Value::Array(options)) = schema.get(keyword) {
                let failures: Vec<Vec<String>> = options
                    .iter()
                    .map(|s| {
                        let mut e = Vec::new();
                        self.validate(s, value, at, strict, &mut e);
                        e
                    })
                    .collect();
                let matched = failures.iter().filter(|e| e.is_empty()).count();
                if matched == 0 || (exactly_one && matched > 1) {
                    errors.push(format!("{at}: {matched} of the {keyword} options match: {failures:?}"));
                }
            }
        }
    }

    fn object(
        &self,
        schema: &serde_json::Map<String, Value>,
        fields: &serde_json::Map<String, Value>,
        at: &str,
        strict: bool,
        errors: &mut Vec<String>,
    ) {
        for name in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            let name = name.as_str().expect("required names are strings");
            if !fields.contains_key(name) {
                errors.push(format!("{at}: required property {name:?} is missing"));
            }
        }
        let declared = schema.get("properties").and_then(Value::as_object);
        let describes_fields = declared.is_some() || schema.contains_key("additionalProperties");
        for (key, v) in fields {
            let here = format!("{at}.{key}");
            match (declared.and_then(|d| d.get(key)), schema.get("additionalProperties")) {
                (Some(s), _) => self.validate(s, v, &here, true, errors),
                (None, Some(extra)) => self.validate(extra, v, &here, true, errors),
                (None, None) if strict && describes_fields => errors.push(format!("{at}: undeclared property {key:?}")),
                (None, None) => {}
            }
        }
    }

    /// The property names a schema declares, through `$ref` and `allOf`.
    fn declared(&self, schema: &Value) -> BTreeSet<String> {
        let mut names: BTreeSet<String> =
            schema.get("properties").and_then(Value::as_object).into_iter().flatten().map(|(k, _)| k.clone()).collect();
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            names.extend(self.declared(self.resolve(r)));
        }
        for s in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
            names.extend(self.declared(s));
        }
        names
    }

    /// Panics with every error when `value` does not match `schema`.
    fn assert_valid(&self, schema: &Value, value: &Value, what: &str) {
        let errors = self.errors(schema, value);
        let text = value.to_string();
        let excerpt: String = text.chars().take(600).collect();
        assert!(errors.is_empty(), "{what} does not match its schema:\n  {}\nbody: {excerpt}", errors.join("\n  "));
    }
}

fn has_type(value: &Value, t: &str) -> bool {
    match t {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64(),
        _ => panic!("unknown type {t}"),
    }
}

fn check_format(format: &str, value: &Value, at: &str, errors: &mut Vec<String>) {
    let ok = match (format, value) {
        ("date", Value::String(s)) => {
            time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).is_ok()
        }
        ("date-time", Value::String(s)) => {
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
        }
        ("int32", Value::Number(_)) => value.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
        ("int64", Value::Number(_)) => value.as_i64().is_some(),
        ("date" | "date-time" | "int32" | "int64", _) => true, // the type check speaks for others
        _ => panic!("{at}: the validator does not know the format {format:?}"),
    };
    if !ok {
        errors.push(format!("{at}: {} is not a valid {format}", short(value)));
    }
}

fn short(value: &Value) -> String {
    let s = value.to_string();
    if s.chars().count() > 80 { format!("{}…", s.chars().take(80).collect::<String>()) } else { s }
}

/// Whether a property's schema admits null.
fn nullable(schema: &Value) -> bool {
    let null_type = |s: &Value| match s.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "null"),
        _ => false,
    };
    null_type(schema)
        || schema.get("nullable") == Some(&Value::Bool(true))
        || ["oneOf", "anyOf"]
            .iter()
            .any(|k| schema.get(*k).and_then(Value::as_array).is_some_and(|o| o.iter().any(null_type)))
}

/// Every `(pointer, schema object)` below `value`, the document's schemas included.
fn walk<'v>(value: &'v Value, at: String, out: &mut Vec<(String, &'v Value)>) {
    match value {
        Value::Object(o) => {
            out.push((at.clone(), value));
            for (k, v) in o {
                walk(v, format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), out);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                walk(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// The world: a bureau with a furnisher, a lender holding Zhang's consent, an operator.

fn header_line(furnisher: &str, name: &str) -> String {
    format!(
        r#"{{"kind":"header","format":"openbureau.jsonl","version":1,"furnisher":"{furnisher}","furnisher_name":"{name}"}}"#
    )
}

fn file(lines: &[String]) -> String {
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

fn month(key: &str, month: &str, days_late: u32) -> String {
    let status = RepaymentStatus::from_days_past_due(days_late);
    let past_due = if days_late > 0 { 5_000 } else { 0 };
    format!(
        r#"{{"kind":"month","account_key":"{key}","month":"{month}","balance":50000,"amount_due":5000,"past_due_amount":{past_due},"days_past_due":{days_late},"status":"{status}"}}"#
    )
}

/// Furnisher FURNA's batch about Zhang: an account with a late month (after a notice) and one
/// line refused (a month in the future), so that the feedback is not empty.
fn furnisher_file() -> String {
    file(&[
        header_line("FURNA", "Alpha Bank"),
        format!(
            r#"{{"kind":"consent","subject":{ZHANG},"scope":"report","granted_on":"2024-01-01","expires_on":"2030-01-01","evidence_sha256":"{EVIDENCE}"}}"#
        ),
        format!(
            r#"{{"kind":"account","account_key":"A1","subject":{ZHANG},"account_type":"R1","opened_on":"2024-01-10","currency":"CNY","credit_limit":500000}}"#
        ),
        month("A1", "2024-02", 0),
        r#"{"kind":"notice","account_key":"A1","notified_on":"2024-03-02","channel":"sms"}"#.to_owned(),
        month("A1", "2024-03", 20),
        month("A1", "2024-04", 0),
        month("A1", "2024-05", 0),
        month("A1", "2099-05", 0),
    ])
}

struct World {
    router: Router,
    state: AppState,
    furnisher: String,
    lender: String,
    admin: String,
    doc: Value,
}

/// What came back.
struct Answer {
    status: u16,
    content_type: String,
    text: String,
    retry_after: Option<String>,
}

fn world(rate: Option<(u32, u32)>) -> World {
    let clock = Arc::new(ManualClock::new(datetime!(2024-06-05 02:00 UTC)));
    let mut bureau = Bureau::new(ob_store::testing::scratch_from_env(), Keys::from_master(&[7; 32]), clock).unwrap();
    let lender_file = file(&[
        header_line("LENDC", "Cautious Lender"),
        format!(
            r#"{{"kind":"consent","subject":{ZHANG},"scope":"inquire","purpose":"02","consent_ref":"AUTH-02","granted_on":"2024-01-01","expires_on":"2030-01-01","evidence_sha256":"{EVIDENCE}"}}"#
        ),
    ]);
    let options = IngestOptions {
        register_unknown_furnisher: true,
        expected_furnisher: None,
        keep_feedback: false,
        cached_max: None,
        prefetch: None,
    };
    let digest: [u8; 32] = Sha256::digest(lender_file.as_bytes()).into();
    let s = bureau.ingest_jsonl(lender_file.as_bytes(), digest, &options, &mut Vec::new(), &mut |_| {}).unwrap();
    assert_eq!(s.rejected, 0);
    bureau.add_org("FURNA", "Alpha Bank", &[Role::Furnisher]).unwrap();
    bureau.add_org("LENDC", "Cautious Lender", &[Role::Lender]).unwrap();
    let furnisher = bureau.issue_key(Some("FURNA"), "test").unwrap();
    let lender = bureau.issue_key(Some("LENDC"), "test").unwrap();
    let admin = bureau.issue_key(None, "operator").unwrap();
    let mut state = AppState::new(bureau).with_log(false);
    if let Some((per_s, burst)) = rate {
        state = state.with_rate(per_s, burst);
    }
    let doc = serde_json::from_str(ob_server::openapi::document_json()).unwrap();
    World { router: router(state.clone()), state, furnisher, lender, admin, doc }
}

impl World {
    async fn send(&self, method: &str, path: &str, key: Option<&str>, body: String) -> Answer {
        let mut req = Request::builder().method(method.to_uppercase().as_str()).uri(path);
        if let Some(key) = key {
            req = req.header("authorization", format!("Bearer {key}"));
        }
        let response = self.router.clone().oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
        let text_of = |name| response.headers().get(name).map(|v: &header::HeaderValue| v.to_str().unwrap().to_owned());
        let (content_type, retry_after) =
            (text_of(header::CONTENT_TYPE).unwrap_or_default(), text_of(header::RETRY_AFTER));
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        Answer { status, content_type, text: String::from_utf8(bytes.to_vec()).unwrap(), retry_after }
    }

    /// Sends a request, expects `status`, and checks the body against the schema the document
    /// declares for this method, path template and status. Returns the JSON body (or null).
    async fn expect(
        &self,
        method: &str,
        template: &str,
        path: &str,
        key: Option<&str>,
        body: Value,
        status: u16,
    ) -> Value {
        let body = match body {
            Value::String(s) => s,
            Value::Null => String::new(),
            v => v.to_string(),
        };
        let a = self.send(method, path, key, body).await;
        let what = format!("{} {path} → {}", method.to_uppercase(), a.status);
        assert_eq!(a.status, status, "{what}: {}", a.text);
        let declared = &self.doc["paths"][template][method]["responses"][status.to_string()];
        assert!(declared.is_object(), "{what}: the document declares no {status} for {method} {template}");
        let content = declared["content"].as_object().unwrap_or_else(|| panic!("{what}: no content declared"));
        let schema = content
            .get(&a.content_type)
            .unwrap_or_else(|| {
                panic!("{what}: answered {:?}, the document declares {:?}", a.content_type, content.keys())
            })
            .get("schema")
            .unwrap_or_else(|| panic!("{what}: no schema"));
        if status == 429 {
            assert!(declared["headers"]["Retry-After"].is_object(), "{what}: Retry-After not declared");
            assert!(a.retry_after.is_some(), "{what}: no Retry-After");
        }
        let v = Validator::new(&self.doc);
        if a.content_type == "application/json" {
            let json: Value = serde_json::from_str(&a.text).unwrap_or_else(|e| panic!("{what}: not JSON: {e}"));
            v.assert_valid(schema, &json, &what);
            json
        } else {
            v.assert_valid(schema, &Value::String(a.text.clone()), &what);
            if a.content_type == ob_bureau::ingest::FEEDBACK_MEDIA_TYPE {
                for line in a.text.lines() {
                    let json: Value = serde_json::from_str(line).unwrap();
                    v.assert_valid(v.component("FeedbackLine"), &json, &format!("{what}, a feedback line"));
                }
            }
            Value::Null
        }
    }
}

fn report_body(doc: &str, purpose: &str) -> Value {
    json!({"document_type": "prc_resident_id", "document_number": doc, "purpose": purpose,
        "authorization_sha256": EVIDENCE})
}

/// Uploads Zhang's file, then adds a dispute and a statement on the late month and a self-view
/// among the queries; returns the upload's answer and the lender's report, both checked against
/// the document.
async fn upload_and_report(w: &World) -> (Value, Value) {
    let f = Some(w.furnisher.as_str());
    let upload = w.expect("post", "/v1/batches", "/v1/batches", f, Value::String(furnisher_file()), 201).await;
    assert_eq!(upload["feedback"].as_array().map(Vec::len), Some(1), "{upload}");
    let zhang = DocumentNumber::parse(DocumentType::PrcResidentId, ZHANG_ID).unwrap();
    {
        let mut b = w.state.bureau().lock().unwrap();
        let own =
            b.produce_report(&ReportRequest { document: zhang.clone(), as_of: None, requester: Requester::Person });
        let account_ref = own.unwrap().account_groups[0].accounts[0].account_ref.clone();
        let march = YearMonth::new(2024, 3).unwrap();
        let target = DisputeTarget::Month(account_ref.clone(), march);
        b.file_dispute(&zhang, &target, DisputeType::DenyOverdue).unwrap();
        b.add_statement(&zhang, &account_ref, Some(march), StatementType::ThirdPartyLate, "My employer paid late.")
            .unwrap();
    }
    let l = Some(w.lender.as_str());
    (upload, w.expect("post", "/v1/reports", "/v1/reports", l, report_body(ZHANG_ID, "02"), 200).await)
}

// ---------------------------------------------------------------------------------------------
// (a) The document itself.

#[tokio::test]
async fn the_document_is_served_without_a_key_and_is_the_generated_one() {
    let w = world(None);
    let served = w.expect("get", "/v1/openapi.json", "/v1/openapi.json", None, Value::Null, 200).await;
    assert_eq!(served, serde_json::to_value(ApiDoc::openapi()).unwrap());
    assert_eq!(served, w.doc);
}

#[test]
fn the_document_is_structurally_valid_openapi_3_1() {
    let doc: Value = serde_json::to_value(ApiDoc::openapi()).unwrap();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1.")), "{}", doc["openapi"]);
    assert_eq!(doc["info"]["title"], "OpenBureau API");
    assert!(doc["info"]["version"].as_str().is_some_and(|v| !v.is_empty()));
    assert_eq!(
        doc["components"]["securitySchemes"]["api_key"],
        json!({"type": "http", "scheme": "bearer",
        "description": doc["components"]["securitySchemes"]["api_key"]["description"]})
    );

    // Every $ref resolves.
    let mut nodes = Vec::new();
    walk(&doc, String::new(), &mut nodes);
    let mut refs = 0;
    for (at, node) in &nodes {
        if let Some(r) = node.get("$ref").and_then(Value::as_str) {
            let target = r.strip_prefix('#').and_then(|p| doc.pointer(p));
            assert!(target.is_some(), "{at}: $ref {r} does not resolve");
            refs += 1;
        }
    }
    assert!(refs > 30, "only {refs} $refs: the schemas are not referenced");

    let tags: BTreeSet<&str> = doc["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    let mut operation_ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let template_params: BTreeSet<&str> =
            path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect();
        for (method, op) in item.as_object().unwrap() {
            let what = format!("{method} {path}");
            assert!(METHODS.contains(&method.as_str()), "{what}: unexpected key");
            let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{what}: no operationId"));
            assert!(operation_ids.insert(id.to_owned()), "{what}: operationId {id} twice");
            for t in op["tags"].as_array().unwrap_or_else(|| panic!("{what}: no tag")) {
                assert!(tags.contains(t.as_str().unwrap()), "{what}: tag {t} undeclared");
            }
            let responses = op["responses"].as_object().unwrap_or_else(|| panic!("{what}: no responses"));
            assert!(responses.keys().any(|s| s.starts_with('2')), "{what}: no success response");
            for (status, r) in responses {
                assert!(status.len() == 3 && status.parse::<u16>().is_ok(), "{what}: status {status}");
                assert!(r["description"].is_string(), "{what} {status}: no description");
                for (media, c) in r["content"].as_object().unwrap_or_else(|| panic!("{what} {status}: no content")) {
                    assert!(c["schema"].is_object(), "{what} {status} {media}: no schema");
                }
                if status.starts_with('4') || status.starts_with('5') {
                    assert_eq!(
                        r["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorEnvelope",
                        "{what} {status}: errors are the envelope"
                    );
                }
            }
            let keyed = op["security"] == json!([{"api_key": []}]);
            // A person's own routes are opened by the web sign-in's cookie, not a key.
            let session = op["security"] == json!([{"session": []}]);
            assert!(!session || path.starts_with("/v1/me/"), "{what}: the session opens /v1/me/ only");
            assert_eq!(keyed || session, !OPEN_ROUTES.contains(&path.as_str()), "{what}: security {}", op["security"]);
            if session {
                for status in ["401", "500"] {
                    assert!(responses.contains_key(status), "{what}: {status} undeclared");
                }
            }
            if keyed {
                for status in ["401", "429", "500"] {
                    assert!(responses.contains_key(status), "{what}: {status} undeclared");
                }
                // A keyed endpoint's JSON answers are named schemas, never a bare `object` that
                // any body would match.
                for (status, r) in responses {
                    if let Some(schema) = r["content"].get("application/json").map(|c| &c["schema"]) {
                        let r = schema["$ref"].as_str().unwrap_or_else(|| panic!("{what} {status}: {schema}"));
                        assert!(r.starts_with("#/components/schemas/"), "{what} {status}: {r}");
                    }
                }
            }
            let path_params: BTreeSet<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .map(|p| {
                    assert_eq!(p["required"], true, "{what}: path parameter {} not required", p["name"]);
                    assert!(p["schema"].is_object(), "{what}: path parameter {} has no schema", p["name"]);
                    p["name"].as_str().unwrap()
                })
                .collect();
            assert_eq!(path_params, template_params, "{what}: path parameters");
        }
    }

    // Every schema keyword anywhere is one the validator enforces or an annotation, and every
    // format is one it checks: nothing the document says goes unchecked.
    let v = Validator::new(&doc);
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        let mut inner = Vec::new();
        walk(schema, String::new(), &mut inner);
        for (at, node) in inner {
            if at.ends_with("/properties") || at.contains("/examples") || at.ends_with("/headers") {
                continue;
            }
            for key in node.as_object().unwrap().keys() {
                assert!(
                    ANNOTATIONS.contains(&key.as_str()) || ASSERTIONS.contains(&key.as_str()),
                    "{name}{at}: keyword {key:?} unknown to the validator"
                );
            }
            if let Some(f) = node.get("format").and_then(Value::as_str) {
                assert!(["date", "date-time", "int32", "int64"].contains(&f), "{name}{at}: format {f}");
            }
        }
        let _ = v.declared(schema);
    }
}

#[test]
fn required_lists_hold_every_field_that_is_always_there() {
    let doc: Value = serde_json::to_value(ApiDoc::openapi()).unwrap();
    // Request fields that may be left out (`#[serde(default)]`), though not nullable.
    let may_be_omitted = [("KeyRequest", "label")];
    let mut objects = 0;
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        let parts: Vec<&Value> = match schema.get("allOf").and_then(Value::as_array) {
            Some(all) => all.iter().collect(),
            None => vec![schema],
        };
        for part in parts {
            let Some(properties) = part.get("properties").and_then(Value::as_object) else { continue };
            objects += 1;
            let required: BTreeSet<&str> =
                part["required"].as_array().into_iter().flatten().map(|r| r.as_str().unwrap()).collect();
            for (field, s) in properties {
                let always = !nullable(s) && !may_be_omitted.contains(&(name.as_str(), field.as_str()));
                assert_eq!(required.contains(field.as_str()), always, "{name}.{field}: required {}", !always);
            }
            if name != "KeyRequest" {
                assert!(!required.is_empty(), "{name}: no required property");
            }
        }
    }
    assert!(objects >= 30, "{objects} object schemas");
    // The report's required lists are what the structs hold: spot checks.
    let report = &doc["components"]["schemas"]["Report"]["required"];
    assert_eq!(
        *report,
        json!([
            "format_version",
            "header",
            "identity",
            "summary",
            "account_groups",
            "guarantees",
            "agreements",
            "queries"
        ])
    );
    assert!(doc["components"]["schemas"]["AccountDetail"]["required"].as_array().unwrap().len() >= 14);
}

#[test]
fn code_lists_are_listed_by_their_codes() {
    let doc: Value = serde_json::to_value(ApiDoc::openapi()).unwrap();
    fn codes<T: Copy>(all: &[T], s: fn(T) -> &'static str) -> Vec<&'static str> {
        all.iter().map(|c| s(*c)).collect()
    }
    let lists: BTreeMap<&str, Vec<&str>> = BTreeMap::from([
        ("AccountType", codes(AccountType::ALL, AccountType::as_str)),
        ("RepaymentStatus", codes(RepaymentStatus::ALL, RepaymentStatus::as_str)),
        ("QueryReason", codes(QueryReason::ALL, QueryReason::as_str)),
        ("DisputeType", codes(DisputeType::ALL, DisputeType::as_str)),
        ("DisputeState", codes(DisputeState::ALL, DisputeState::as_str)),
        ("StatementType", codes(StatementType::ALL, StatementType::as_str)),
        ("DocumentType", codes(&DocumentType::ALL, DocumentType::as_str)),
        ("Responsibility", codes(ob_model::Responsibility::ALL, ob_model::Responsibility::as_str)),
        ("AccountState", codes(ob_model::AccountState::ALL, ob_model::AccountState::as_str)),
        ("Classification", codes(ob_model::Classification::ALL, ob_model::Classification::as_str)),
        ("LoanKind", codes(ob_model::LoanKind::ALL, ob_model::LoanKind::as_str)),
        ("GuaranteeMode", codes(ob_model::GuaranteeMode::ALL, ob_model::GuaranteeMode::as_str)),
        ("RepayFrequency", codes(ob_model::RepayFrequency::ALL, ob_model::RepayFrequency::as_str)),
        ("RepaymentMethod", codes(ob_model::RepaymentMethod::ALL, ob_model::RepaymentMethod::as_str)),
        ("SpecialKind", codes(ob_model::SpecialKind::ALL, ob_model::SpecialKind::as_str)),
        ("AgreementKind", codes(ob_model::AgreementKind::ALL, ob_model::AgreementKind::as_str)),
        ("Copy", vec!["person", "institution"]),
        ("DisputeAnswer", vec!["corrected", "verified", "deleted"]),
        ("OrgRole", vec!["furnisher", "lender"]),
    ]);
    let mut seen = BTreeSet::new();
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        if let Some(values) = schema.get("enum") {
            let want = lists.get(name.as_str()).unwrap_or_else(|| panic!("{name}: an enum this test does not know"));
            assert_eq!(*values, json!(want), "{name}: the document must list the codes as serialized");
            seen.insert(name.as_str());
        }
    }
    assert_eq!(seen, lists.keys().copied().collect::<BTreeSet<_>>());
    let v = Validator::new(&doc);
    for (name, value, ok) in [
        ("YearMonth", "2024-05", true),
        ("YearMonth", "2024-5", false),
        ("YearMonth", "2024-13", false),
        ("Currency", "CNY", true),
        ("Currency", "cny", false),
    ] {
        assert_eq!(v.errors(v.component(name), &json!(value)).is_empty(), ok, "{name} {value}");
    }
}

#[test]
fn the_bureau_s_refusals_are_documented_from_its_one_list() {
    let doc: Value = serde_json::to_value(ApiDoc::openapi()).unwrap();
    let listed = doc["components"]["schemas"]["ErrorBody"]["properties"]["code"]["description"].as_str().unwrap();
    for r in ob_bureau::Refusal::ALL {
        let status = ob_server::error::refusal_status(r.kind()).as_u16();
        assert!(listed.contains(&format!("`{}` ({status}): {}", r.code(), r.message_en())), "{r:?}: {listed}");
    }
    // Every code a response names is either one of the bureau's refusals, under the status of its
    // kind, or one of the server's own.
    let server_codes = [
        "BAD_REQUEST",
        "DOCUMENT_INVALID",
        "PURPOSE_INVALID",
        "CONSENT_PROOF_REQUIRED",
        "UNAUTHENTICATED",
        "ROLE_REQUIRED",
        "NOT_FOUND",
        "TOO_LARGE",
        "BODY_TIMEOUT",
        "RATE_LIMITED",
        "INTERNAL",
        "BUSY",
        "STORE_UNAVAILABLE",
        "NO_FILE",
    ];
    let mut named = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().unwrap() {
                if !(status.starts_with('4') || status.starts_with('5')) {
                    continue;
                }
                let description = response["description"].as_str().unwrap();
                for code in description.split(", ").map(|c| c.split([' ', ':']).next().unwrap()) {
                    let what = format!("{method} {path} {status}: {code}");
                    match ob_bureau::Refusal::from_code(code) {
                        Some(r) => {
                            let want = ob_server::error::refusal_status(r.kind()).as_u16().to_string();
                            assert_eq!(*status, want, "{what}");
                            named.insert(code);
                        }
                        None => assert!(server_codes.contains(&code), "{what}: not a code"),
                    }
                }
            }
        }
    }
    for code in ["NO_CONSENT", "FURNISHER_MISMATCH", "DISPUTE_CLOSED", "UNKNOWN_ORGANIZATION", "ORG_NO_ROLE"] {
        assert!(named.contains(code), "{code} is answered by some route: {named:?}");
    }
}

#[tokio::test]
async fn the_document_lists_exactly_the_routes_the_router_serves() {
    let w = world(None);
    let documented: BTreeSet<(String, String)> = w.doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(p, item)| item.as_object().unwrap().keys().map(|m| (m.clone(), p.clone())))
        .collect();
    let listed: BTreeSet<(String, String)> = ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(documented, listed);
    let paths: BTreeSet<&str> = ROUTES.iter().map(|(_, p)| *p).collect();
    for path in paths {
        let concrete = path.replace("{id}", "1").replace("{code}", "NOPE");
        for method in METHODS {
            let a = w.send(method, &concrete, None, String::new()).await;
            let what = format!("{method} {concrete} → {}: {}", a.status, a.text);
            if ROUTES.contains(&(method, path)) {
                // Served: answered by its handler (200 when open, else 401 without a key).
                let want = if OPEN_ROUTES.contains(&path) { 200 } else { 401 };
                assert_eq!(a.status, want, "{what}");
            } else {
                assert_eq!(a.status, 405, "{what}: the router serves a method the document does not list");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// (b) What the endpoints answer matches the document.

#[tokio::test]
async fn every_answer_matches_the_schema_the_document_declares() {
    let w = world(None);
    let (f, l, a) = (Some(w.furnisher.as_str()), Some(w.lender.as_str()), Some(w.admin.as_str()));
    let none = None;

    // Furnishers.
    let (_, report) = upload_and_report(&w).await;
    let again = w.expect("post", "/v1/batches", "/v1/batches", f, Value::String(furnisher_file()), 200).await;
    assert_eq!(again["already_ingested"], true);
    let id = again["batch_id"].as_i64().unwrap();
    let (status_path, feedback_path) = (format!("/v1/batches/{id}"), format!("/v1/batches/{id}/feedback"));
    w.expect("post", "/v1/batches", "/v1/batches", f, Value::Null, 400).await;
    w.expect("post", "/v1/batches", "/v1/batches", none, Value::String(furnisher_file()), 401).await;
    w.expect("post", "/v1/batches", "/v1/batches", l, Value::String(furnisher_file()), 403).await;
    let page = w.expect("get", "/v1/batches", "/v1/batches?limit=1", f, Value::Null, 200).await;
    assert_eq!(page["next_after"], id, "the optional field is exercised");
    let all = w.expect("get", "/v1/batches", "/v1/batches", f, Value::Null, 200).await;
    assert_eq!(all["batches"].as_array().map(Vec::len), Some(1));
    w.expect("get", "/v1/batches", "/v1/batches", none, Value::Null, 401).await;
    w.expect("get", "/v1/batches", "/v1/batches", a, Value::Null, 403).await;
    let batch = w.expect("get", "/v1/batches/{id}", &status_path, f, Value::Null, 200).await;
    assert_eq!(batch["rejected"], 1);
    w.expect("get", "/v1/batches/{id}", "/v1/batches/99", f, Value::Null, 404).await;
    w.expect("get", "/v1/batches/{id}/feedback", &feedback_path, f, Value::Null, 200).await;
    w.expect("get", "/v1/batches/{id}/feedback", "/v1/batches/99/feedback", f, Value::Null, 404).await;

    // Lenders.
    let account = &report["account_groups"][0]["accounts"][0];
    assert_eq!(account["history"].as_array().map(Vec::len), Some(60), "{report}");
    assert!(account["latest"].is_object() && account["status_line_from"].is_string(), "{report}");
    assert_eq!(account["disputes"].as_array().map(Vec::len), Some(1), "{report}");
    assert_eq!(account["statements"].as_array().map(Vec::len), Some(1), "{report}");
    assert!(report["queries"].as_array().is_some_and(|q| q.len() >= 2), "{report}");
    assert!(report["summary"]["overdue"].as_array().is_some_and(|o| !o.is_empty()), "{report}");
    assert!(report["identity"]["documents"].as_array().is_some_and(|d| !d.is_empty()), "{report}");
    w.expect("post", "/v1/reports", "/v1/reports", l, report_body(ZHANG_ID, "99"), 400).await;
    w.expect("post", "/v1/reports", "/v1/reports", l, Value::String("{".into()), 400).await;
    w.expect("post", "/v1/reports", "/v1/reports", none, report_body(ZHANG_ID, "02"), 401).await;
    w.expect("post", "/v1/reports", "/v1/reports", f, report_body(ZHANG_ID, "02"), 403).await;
    w.expect("post", "/v1/reports", "/v1/reports", l, report_body(NOBODY_ID, "02"), 403).await;

    // Furnishers answer disputes: the month's (verified), then the account's (deleted, then
    // certified and reinserted).
    let queue = w.expect("get", "/v1/disputes", "/v1/disputes", f, Value::Null, 200).await;
    let month_dispute = queue["disputes"][0]["id"].as_i64().unwrap();
    assert_eq!(queue["disputes"][0]["month"], "2024-03", "{queue}");
    // A lender answers the disputes of its inquiries (none here); an operator's key answers none.
    let lenders = w.expect("get", "/v1/disputes", "/v1/disputes", l, Value::Null, 200).await;
    assert_eq!(lenders, json!({"disputes": []}));
    w.expect("get", "/v1/disputes", "/v1/disputes", a, Value::Null, 403).await;
    let (answer, reinsert) = ("/v1/disputes/{id}/answer", "/v1/disputes/{id}/reinsert");
    let path = format!("/v1/disputes/{month_dispute}/answer");
    w.expect("post", answer, &path, f, json!({"answer": "maybe"}), 400).await;
    w.expect("post", answer, "/v1/disputes/99/answer", f, json!({"answer": "verified"}), 404).await;
    let verified = w.expect("post", answer, &path, f, json!({"answer": "verified", "note": "checked"}), 200).await;
    assert_eq!(verified["history"].as_array().map(Vec::len), Some(2), "{verified}");
    w.expect("post", answer, &path, f, json!({"answer": "verified"}), 409).await;
    let path = format!("/v1/disputes/{month_dispute}/reinsert");
    w.expect("post", reinsert, &path, f, json!({"note": "accurate"}), 409).await;
    let account_dispute = {
        // The person disputes by the references of their own copy; the lender's are its own.
        let zhang = DocumentNumber::parse(DocumentType::PrcResidentId, ZHANG_ID).unwrap();
        let mut b = w.state.bureau().lock().unwrap();
        let own =
            b.produce_report(&ReportRequest { document: zhang.clone(), as_of: None, requester: Requester::Person });
        let account_ref = own.unwrap().account_groups[0].accounts[0].account_ref.clone();
        assert_ne!(account["account_ref"].as_str(), Some(account_ref.as_str()), "{report}");
        b.file_dispute(&zhang, &DisputeTarget::Account(account_ref), DisputeType::NotMine).unwrap().0
    };
    let path = format!("/v1/disputes/{account_dispute}/answer");
    w.expect("post", answer, &path, f, json!({"answer": "deleted"}), 200).await;
    let path = format!("/v1/disputes/{account_dispute}/reinsert");
    w.expect("post", reinsert, &path, f, json!({}), 400).await;
    let back = w.expect("post", reinsert, &path, f, json!({"note": "the contract is signed"}), 200).await;
    assert_eq!(back["state"], "reinserted", "{back}");

    // Operators.
    let orgs = w.expect("get", "/v1/admin/orgs", "/v1/admin/orgs", a, Value::Null, 200).await;
    assert_eq!(orgs["organizations"].as_array().map(Vec::len), Some(2));
    w.expect("get", "/v1/admin/orgs", "/v1/admin/orgs", f, Value::Null, 403).await;
    w.expect("get", "/v1/admin/orgs", "/v1/admin/orgs", none, Value::Null, 401).await;
    let new_org = json!({"code": "NEWCO", "name": "New Co", "roles": ["lender", "furnisher"]});
    w.expect("post", "/v1/admin/orgs", "/v1/admin/orgs", a, new_org, 200).await;
    let bad_org = json!({"code": "X", "name": "X", "roles": ["admin"]});
    w.expect("post", "/v1/admin/orgs", "/v1/admin/orgs", a, bad_org, 400).await;
    let keys = "/v1/admin/orgs/{code}/keys";
    let key = w.expect("post", keys, "/v1/admin/orgs/NEWCO/keys", a, json!({"label": "second"}), 201).await;
    w.expect("post", keys, "/v1/admin/orgs/NOPE/keys", a, json!({}), 404).await;
    w.expect("post", keys, "/v1/admin/orgs/NEWCO/keys", l, json!({}), 403).await;
    let revoke = "/v1/admin/keys/revoke";
    let digest = json!({"key_sha256": key["key_sha256"]});
    let done = w.expect("post", revoke, revoke, a, digest.clone(), 200).await;
    assert_eq!(done, json!({"revoked": true}));
    w.expect("post", revoke, revoke, a, digest, 404).await;
    w.expect("post", revoke, revoke, a, json!({"key_sha256": "zz"}), 400).await;

    // Open to everyone.
    w.expect("get", "/health", "/health", none, Value::Null, 200).await;
    w.expect("get", "/metrics", "/metrics", none, Value::Null, 200).await;
}

#[tokio::test]
async fn a_rate_limited_answer_matches_too() {
    let w = world(Some((1, 1)));
    let f = Some(w.furnisher.as_str());
    w.expect("get", "/v1/batches", "/v1/batches", f, Value::Null, 200).await;
    w.expect("get", "/v1/batches", "/v1/batches", f, Value::Null, 429).await;
}

// ---------------------------------------------------------------------------------------------
// The validator fails on real mismatches.

fn mutated(value: &Value, pointer: &str, change: impl FnOnce(&mut Value)) -> Value {
    let mut v = value.clone();
    change(v.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer} not in the body")));
    v
}

fn without(value: &Value, pointer: &str, field: &str) -> Value {
    mutated(value, pointer, |v| {
        v.as_object_mut().unwrap().remove(field).unwrap_or_else(|| panic!("{field} not at {pointer}"));
    })
}

#[tokio::test]
async fn the_validator_rejects_bodies_that_do_not_match() {
    let w = world(None);
    let (upload, report) = upload_and_report(&w).await;
    let v = Validator::new(&w.doc);
    let schema = v.component("Report");
    assert_eq!(v.errors(schema, &report), Vec::<String>::new(), "the real report passes");
    let acct = "/account_groups/0/accounts/0";
    let cases = [
        ("a number as a string", mutated(&report, "/format_version", |v| *v = json!("1"))),
        ("a missing required field", without(&report, "/header", "report_id")),
        ("a missing required field deep down", without(&report, &format!("{acct}/history/0"), "status")),
        ("an unknown code", mutated(&report, "/account_groups/0/account_type", |v| *v = json!("Z9"))),
        ("an unknown query reason", mutated(&report, "/queries/0/reason", |v| *v = json!("PostLoan"))),
        ("a month off its pattern", mutated(&report, &format!("{acct}/history/0/month"), |v| *v = json!("2024-13"))),
        ("a date that does not exist", mutated(&report, "/queries/0/on", |v| *v = json!("2024-02-30"))),
        ("null where none is allowed", mutated(&report, "/header/as_of", |v| *v = Value::Null)),
        ("a negative count", mutated(&report, "/header/dispute_marks", |v| *v = json!(-1))),
        ("an undeclared property", mutated(&report, "/identity", |v| v["religion"] = json!("x"))),
        ("an object for a nullable reference", mutated(&report, "/score", |v| *v = json!({"score": 1}))),
        ("a wrong item in an array", mutated(&report, &format!("{acct}/disputes"), |v| v[0] = json!(7))),
        ("a currency in lower case", mutated(&report, &format!("{acct}/currency"), |v| *v = json!("cny"))),
    ];
    for (what, body) in cases {
        assert!(!v.errors(schema, &body).is_empty(), "the validator let {what} through");
    }

    // The flattened upload answer (allOf): its own and its batch's fields are required, and
    // nothing else is allowed.
    let schema = v.component("UploadAnswer");
    assert_eq!(v.errors(schema, &upload), Vec::<String>::new());
    for (what, body) in [
        ("an own field missing", without(&upload, "", "already_ingested")),
        ("a batch field missing", without(&upload, "", "batch_id")),
        ("an undeclared property", mutated(&upload, "", |v| v["extra"] = json!(1))),
        ("a feedback line without its code", without(&upload, "/feedback/0", "code")),
    ] {
        assert!(!v.errors(schema, &body).is_empty(), "the validator let {what} through");
    }

    let envelope = v.component("ErrorEnvelope");
    let error = json!({"error": {"code": "NOT_FOUND", "message": "no such batch of yours"}});
    assert_eq!(v.errors(envelope, &error), Vec::<String>::new());
    for body in [
        json!({"error": {"code": 404, "message": "x"}}),
        json!({"error": {"code": "X"}}),
        json!({"error": {"code": "X", "message": "x"}, "detail": "x"}),
        json!({"code": "X", "message": "x"}),
    ] {
        assert!(!v.errors(envelope, &body).is_empty(), "the validator let {body} through");
    }
}

/// A report that carries a bureau score (a small simulated population, the score built from its
/// history) matches the Report schema the document declares for `POST /v1/reports`: the score
/// section is checked with real numbers and reasons, not only as null.
#[test]
fn a_scored_report_matches_the_report_schema() {
    let dir = tempfile::tempdir().unwrap();
    let end_month = ob_model::YearMonth::parse("2025-12").unwrap();
    let config = ob_sim::SimConfig { people: 600, months: 24, seed: 11, end_month, ..Default::default() };
    let sim = ob_sim::simulate(&config, dir.path()).unwrap();
    let clock = Arc::new(ManualClock::new(time::OffsetDateTime::UNIX_EPOCH));
    let policy = ob_model::policy::Policy { notice_before_negative: false, ..ob_model::policy::Policy::prc() };
    let mut bureau = Bureau::new(ob_store::testing::scratch_from_env(), Keys::from_master(&[4; 32]), clock.clone())
        .unwrap()
        .with_policy(policy);
    let options = IngestOptions {
        register_unknown_furnisher: true,
        expected_furnisher: None,
        keep_feedback: false,
        cached_max: None,
        prefetch: None,
    };
    for f in &sim.files {
        clock.set(f.deliver_on.with_hms(2, 0, 0).unwrap().assume_utc());
        bureau.ingest_path(&f.path, &options, &mut std::io::sink(), &mut |_| {}).unwrap();
    }
    clock.set(end_month.plus(1).day(20).midnight().assume_utc());
    bureau.build_score(end_month.plus(-12).last_day()).unwrap();
    let truth = ob_sim::read_truth(dir.path().join("truth.jsonl")).unwrap();
    let mut report_of = |i: usize, as_of: Option<time::Date>| {
        let person = &truth[i];
        let document = ob_model::DocumentNumber::parse(person.document_type, &person.document_number).unwrap();
        let report = bureau.produce_report(&ReportRequest { document, as_of, requester: Requester::Person }).unwrap();
        serde_json::to_value(&report).unwrap()
    };
    let value = (0..truth.len())
        .map(|i| report_of(i, None))
        .find(|v| v["score"]["reasons"].as_array().is_some_and(|r| !r.is_empty()))
        .expect("a scored report with reasons");
    // Before the simulation's first month: no score, and why.
    let not_scored = report_of(0, Some(time::macros::date!(2023 - 06 - 30)));
    assert!(not_scored["score"]["score"].is_null() && not_scored["score"]["not_scored"]["code"].is_string());

    let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
    let validator = Validator::new(&doc);
    let schema = &doc["paths"]["/v1/reports"]["post"]["responses"]["200"]["content"]["application/json"]["schema"];
    for value in [&value, &not_scored] {
        let errors = validator.errors(schema, value);
        assert!(errors.is_empty(), "the report does not match its schema: {errors:#?}");
    }
    let mut broken = value.clone();
    broken["score"]["percentile"] = json!("high");
    assert!(!validator.errors(schema, &broken).is_empty(), "the score's fields are checked");
}
