//! Property tests over every parser of untrusted input: Graph and Workbench answers (bodies,
//! error bodies, paging links), `Retry-After`, certificate files and identity errors, the
//! import IDs of the three resources and context list values.
//!
//! The first property of each is that no input makes it panic: a panic in a provider plugin
//! kills the plugin process and Terraform reports a crash instead of a diagnostic. The others
//! pin down what the parser promises for inputs it accepts (round trips, what is kept) and
//! what an error says when it refuses one.
//!
//! Inputs are arbitrary bytes and text, arbitrary JSON, and JSON shaped like the real answers
//! with fields dropped, retyped, cut short or changed by one byte, so that generated cases get
//! past the first check of a parser. `make test` runs a few hundred cases of each property;
//! `make fuzz` runs many more (`PROPTEST_CASES` overrides the counts here). A failure prints
//! its smallest input: make it a named unit test beside the parser it breaks.
//!
//! Not for: behaviour over HTTP, which `tests/` checks against a local server.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use proptest::prelude::*;
use proptest::sample::{select, Index};
use secrecy::SecretString;
use serde_json::{json, Map, Value};
use url::Url;

use crate::framework::timeouts;
use crate::graph::auth::{
    describe_identity_error, load_certificate, Credential, EntraSettings, TokenSource,
};
use crate::graph::client::{decode as decode_graph, Page};
use crate::graph::{
    self, AppRoleAssignment, Application, GraphClient, GraphError, RoleAssignment, RoleDefinition,
    ServicePrincipal,
};
use crate::http::{parse_retry_after, route_template, RetryPolicy};
use crate::remediation::{ApplicationType, Remediation};
use crate::resources::context_values;
use crate::resources::{context_list, remediation_permissions, role_assignment};
use crate::workbench::types::Resource;
use crate::workbench::{self, ContextType, Document, WorkbenchClient, WorkbenchError};

/// The Graph endpoint and Workbench URL the clients under test are bound to.
const GRAPH_ENDPOINT: &str = "https://graph.example.test";
const WORKBENCH_URL: &str = "https://workbench.example.test";

/// `cases` per property unless `PROPTEST_CASES` says otherwise (`make fuzz`).
///
/// Failures are not persisted to regression files: the printed smallest input becomes a named
/// unit test beside the parser, where it reads as a specification.
fn config(cases: u32) -> ProptestConfig {
    // The default configuration has already read the PROPTEST_* variables.
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    config.failure_persistence = None;
    config
}

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/// Field names the parsers look for, so that arbitrary objects often reach past the first check.
const KNOWN_KEYS: &[&str] = &[
    "value",
    "@odata.nextLink",
    "error",
    "code",
    "message",
    "innerError",
    "id",
    "appId",
    "displayName",
    "appRoles",
    "allowedMemberTypes",
    "appRoleId",
    "principalId",
    "resourceId",
    "requiredResourceAccess",
    "resourceAppId",
    "resourceAccess",
    "type",
    "templateId",
    "roleDefinitionId",
    "directoryScopeId",
    "data",
    "links",
    "next",
    "errors",
    "title",
    "detail",
    "validation",
    "error_description",
    "attributes",
    "relationships",
    "name",
    "description",
    "context_type",
    "is_array",
    "organization",
];

/// Text of any characters, text of URL and id characters, or nothing.
fn text() -> BoxedStrategy<String> {
    prop_oneof![
        ".{0,40}",
        "[a-zA-Z0-9_./:?=&%@-]{0,40}",
        Just(String::new()),
    ]
    .boxed()
}

fn key() -> BoxedStrategy<String> {
    prop_oneof![select(KNOWN_KEYS).prop_map(str::to_owned), text()].boxed()
}

/// Any JSON value, a few levels deep.
fn any_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
    .boxed()
}

fn string() -> BoxedStrategy<Value> {
    text().prop_map(Value::String).boxed()
}

fn guid() -> BoxedStrategy<Value> {
    any::<u128>()
        .prop_map(|n| Value::String(uuid::Uuid::from_u128(n).to_string()))
        .boxed()
}

fn id() -> BoxedStrategy<Value> {
    prop_oneof![guid(), string()].boxed()
}

fn one_of(names: &'static [&'static str]) -> BoxedStrategy<Value> {
    prop_oneof![3 => select(names).prop_map(Value::from), 1 => string()].boxed()
}

fn nullable(value: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    prop_oneof![3 => value, 1 => Just(Value::Null)].boxed()
}

fn list_of(item: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    prop::collection::vec(item, 0..4)
        .prop_map(Value::Array)
        .boxed()
}

/// A well-typed JSON object with these fields.
fn object(fields: Vec<(&'static str, BoxedStrategy<Value>)>) -> BoxedStrategy<Value> {
    let (names, values): (Vec<&'static str>, Vec<BoxedStrategy<Value>>) =
        fields.into_iter().unzip();
    values
        .prop_map(move |values| {
            let fields = names.iter().map(|name| (*name).to_owned()).zip(values);
            Value::Object(fields.collect::<Map<_, _>>())
        })
        .boxed()
}

/// One change to a JSON tree: which node (in pre-order), what to do, and with what.
type Damage = (Index, u8, Value, Index);

/// A real-looking answer with up to two nodes replaced by any JSON, nulled, removed or
/// retyped; a third of them untouched.
fn damaged(answer: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    let damage = (any::<Index>(), 0..4u8, any_json(), any::<Index>());
    (answer, prop::collection::vec(damage, 0..3))
        .prop_map(|(mut answer, damages)| {
            for damage in damages {
                apply(&mut answer, damage);
            }
            answer
        })
        .boxed()
}

fn apply(answer: &mut Value, (node, how, replacement, member): Damage) {
    let mut n = node.index(count_nodes(answer));
    let Some(node) = nth_node(answer, &mut n) else {
        return;
    };
    match (how, node) {
        (0, node) => *node = replacement,
        (1, node) => *node = Value::Null,
        (2, Value::Object(map)) if !map.is_empty() => {
            if let Some(key) = map.keys().nth(member.index(map.len())).cloned() {
                map.remove(&key);
            }
        }
        (2, Value::Array(items)) if !items.is_empty() => {
            items.remove(member.index(items.len()));
        }
        (_, node) => *node = retyped(node),
    }
}

/// The same content as another JSON type: text as a number, a number as text, and so on.
fn retyped(value: &Value) -> Value {
    match value {
        Value::Null => Value::from(0),
        Value::Bool(b) => Value::from(b.to_string()),
        Value::Number(n) => Value::from(n.to_string()),
        Value::String(s) => s.parse::<f64>().map_or(Value::from(s.len()), Value::from),
        Value::Array(items) => Value::Object(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v.clone()))
                .collect(),
        ),
        Value::Object(map) => Value::Array(map.values().cloned().collect()),
    }
}

fn count_nodes(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(count_nodes).sum(),
        Value::Object(map) => map.values().map(count_nodes).sum(),
        _ => 0,
    }
}

fn nth_node<'v>(value: &'v mut Value, n: &mut usize) -> Option<&'v mut Value> {
    if *n == 0 {
        return Some(value);
    }
    *n -= 1;
    match value {
        Value::Array(items) => items.iter_mut().find_map(|item| nth_node(item, n)),
        Value::Object(map) => map.values_mut().find_map(|item| nth_node(item, n)),
        _ => None,
    }
}

/// The bytes of an answer as the wire may deliver them: whole, cut short, with one byte
/// changed, or no JSON at all.
fn wire(answer: BoxedStrategy<Value>) -> BoxedStrategy<Vec<u8>> {
    let sent = (answer, any::<Index>(), any::<u8>(), 0..5u8).prop_map(|(value, at, byte, how)| {
        let mut bytes = serde_json::to_vec(&value).expect("JSON values serialize");
        let at = at.index(bytes.len());
        match how {
            0 => bytes.truncate(at),
            1 => bytes[at] = byte,
            _ => {}
        }
        bytes
    });
    prop_oneof![6 => sent, 1 => prop::collection::vec(any::<u8>(), 0..256)].boxed()
}

/// A paging link: on the expected origin, on another one, relative, or any text.
fn link(base: &'static str) -> BoxedStrategy<String> {
    let path = "[a-zA-Z0-9/._$=&?%-]{0,30}";
    prop_oneof![
        path.prop_map(move |p| format!("{base}/{p}")),
        path.prop_map(move |p| format!("{}/{p}", base.to_uppercase())),
        path.prop_map(move |p| format!("{base}:443/{p}")),
        path.prop_map(move |p| format!("{base}:8443/{p}")),
        path.prop_map(move |p| format!("{}/{p}", base.replace("https:", "http:"))),
        ("[a-z]{1,8}", path).prop_map(|(host, p)| format!("https://{host}.other.test/{p}")),
        path.prop_map(|p| format!("//elsewhere.test/{p}")),
        path.prop_map(|p| format!("/{p}")),
        path.prop_map(|p| format!("?{p}")),
        text(),
    ]
    .boxed()
}

fn graph_app_role() -> BoxedStrategy<Value> {
    object(vec![
        ("id", id()),
        (
            "value",
            one_of(&["User.ReadWrite.All", "Exchange.ManageAsApp"]),
        ),
        ("displayName", nullable(string())),
        (
            "allowedMemberTypes",
            list_of(one_of(&["Application", "User"])),
        ),
    ])
}

/// The objects this provider reads from Graph: servicePrincipal, appRoleAssignment,
/// application, unifiedRoleDefinition, unifiedRoleAssignment.
fn graph_objects() -> Vec<BoxedStrategy<Value>> {
    vec![
        object(vec![
            ("id", id()),
            ("appId", id()),
            ("displayName", nullable(string())),
            ("appRoles", list_of(graph_app_role())),
        ]),
        object(vec![
            ("id", id()),
            ("appRoleId", id()),
            ("principalId", id()),
            ("resourceId", id()),
            ("resourceDisplayName", nullable(string())),
        ]),
        object(vec![
            ("id", id()),
            ("appId", id()),
            ("displayName", nullable(string())),
            (
                "requiredResourceAccess",
                list_of(object(vec![
                    ("resourceAppId", id()),
                    (
                        "resourceAccess",
                        list_of(object(vec![
                            ("id", id()),
                            ("type", one_of(&["Role", "Scope"])),
                        ])),
                    ),
                ])),
            ),
        ]),
        object(vec![
            ("id", id()),
            ("templateId", nullable(id())),
            ("displayName", string()),
        ]),
        object(vec![
            ("id", id()),
            ("roleDefinitionId", id()),
            ("principalId", id()),
            ("directoryScopeId", one_of(&["/"])),
        ]),
    ]
}

/// A page of one kind of Graph object.
fn graph_page() -> BoxedStrategy<Value> {
    let pages = graph_objects().into_iter().map(|kind| {
        object(vec![
            ("value", list_of(kind)),
            (
                "@odata.nextLink",
                nullable(link(GRAPH_ENDPOINT).prop_map(Value::String).boxed()),
            ),
        ])
    });
    prop::strategy::Union::new(pages).boxed()
}

fn graph_error_body() -> BoxedStrategy<Value> {
    object(vec![(
        "error",
        object(vec![
            ("code", string()),
            ("message", string()),
            ("innerError", any_json()),
        ]),
    )])
}

/// Anything Graph (or a gateway in front of it) might answer.
fn graph_answer() -> BoxedStrategy<Value> {
    let object = prop::strategy::Union::new(graph_objects()).boxed();
    prop_oneof![
        3 => damaged(graph_page()),
        2 => damaged(object),
        1 => damaged(graph_error_body()),
        1 => any_json(),
    ]
    .boxed()
}

fn context_type_name() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => select(ContextType::ALL.to_vec()).prop_map(|t| Value::from(t.as_str())),
        1 => string(),
    ]
    .boxed()
}

fn workbench_resource() -> BoxedStrategy<Value> {
    let value = prop_oneof![string(), any::<u16>().prop_map(Value::from)].boxed();
    object(vec![
        ("type", one_of(&["context_variables", "organizations"])),
        ("id", id()),
        (
            "attributes",
            object(vec![
                ("name", string()),
                ("description", nullable(string())),
                ("context_type", context_type_name()),
                ("value_type", one_of(&["string", "integer", "ip_address"])),
                ("is_array", any::<bool>().prop_map(Value::Bool).boxed()),
                ("value", nullable(list_of(value))),
            ]),
        ),
        (
            "relationships",
            object(vec![(
                "organization",
                object(vec![(
                    "data",
                    object(vec![("type", one_of(&["organizations"])), ("id", id())]),
                )]),
            )]),
        ),
    ])
}

/// The three error shapes Workbench uses: JSON:API `errors`, `message` + `validation`, OAuth.
fn workbench_error_body() -> BoxedStrategy<Value> {
    prop_oneof![
        object(vec![(
            "errors",
            list_of(object(vec![
                ("status", one_of(&["400", "404", "409", "422"])),
                ("title", string()),
                ("detail", string()),
            ])),
        )]),
        object(vec![("message", string()), ("validation", any_json())]),
        object(vec![
            ("error", prop_oneof![string(), any_json()].boxed()),
            ("error_description", string()),
        ]),
    ]
    .boxed()
}

/// Anything Workbench (or a gateway in front of it) might answer.
fn workbench_answer() -> BoxedStrategy<Value> {
    let document = object(vec![
        (
            "data",
            prop_oneof![list_of(workbench_resource()), workbench_resource()].boxed(),
        ),
        (
            "links",
            object(vec![(
                "next",
                nullable(link(WORKBENCH_URL).prop_map(Value::String).boxed()),
            )]),
        ),
        ("meta", any_json()),
    ]);
    prop_oneof![
        3 => damaged(document),
        2 => damaged(workbench_error_body()),
        1 => any_json(),
    ]
    .boxed()
}

/// Import-ID-like text: pieces of valid IDs, separators and noise.
fn id_text() -> BoxedStrategy<String> {
    let piece = prop_oneof![
        guid().prop_map(|v| v.as_str().unwrap_or_default().to_owned()),
        select(&[
            "reset_credentials",
            "remove_malicious_email",
            "custom",
            "expel",
            "name:",
            "/roleManagement/directory/roleAssignments/",
            "/",
            " ",
            "\t",
            "",
        ])
        .prop_map(str::to_owned),
        text(),
    ];
    prop::collection::vec(piece, 0..5)
        .prop_map(|pieces| pieces.concat())
        .boxed()
}

/// Host names of two to four labels. None has `--`: `xn--` labels are IDNs, which URLs
/// check further.
fn host_name() -> BoxedStrategy<String> {
    prop::collection::vec("[a-z0-9]{1,10}(-[a-z0-9]{1,10}){0,2}", 2..5)
        .prop_map(|labels| labels.join("."))
        .boxed()
}

/// The link azure_identity ends its messages with.
const TROUBLESHOOTING: &str = "https://aka.ms/azsdk/rust/identity/troubleshoot";

/// Text that is not JSON, like the HTML of a gateway error page.
fn not_json() -> BoxedStrategy<Vec<u8>> {
    ".{0,600}"
        .prop_map(|t| format!("<{t}").into_bytes())
        .boxed()
}

// ---------------------------------------------------------------------------------------------
// The clients whose paging links are checked
// ---------------------------------------------------------------------------------------------

static GRAPH: LazyLock<GraphClient> = LazyLock::new(|| {
    let http = crate::http::client().expect("an HTTP client");
    let settings = EntraSettings {
        tenant_id: Some("00000000-0000-0000-0000-0000000000aa".into()),
        client_id: Some("00000000-0000-0000-0000-0000000000bb".into()),
        credential: Credential::Secret(SecretString::from("not-a-secret".to_owned())),
        authority_host: Url::parse("https://login.example.test").expect("a URL"),
        scope: format!("{GRAPH_ENDPOINT}/.default"),
    };
    let tokens = TokenSource::new(settings, http.clone()).expect("a token source");
    let endpoint = Url::parse(GRAPH_ENDPOINT).expect("a URL");
    GraphClient::new(http, &endpoint, Arc::new(tokens), RetryPolicy::default())
        .expect("an https endpoint is a base")
});

static WORKBENCH: LazyLock<WorkbenchClient> = LazyLock::new(|| {
    let http = crate::http::client().expect("an HTTP client");
    let url = Url::parse(WORKBENCH_URL).expect("a URL");
    WorkbenchClient::new(
        http,
        &url,
        SecretString::from("not-a-key".to_owned()),
        None,
        RetryPolicy::default(),
    )
    .expect("an https URL is a base")
});

fn origin_of(url: &str) -> url::Origin {
    Url::parse(url).expect("a URL").origin()
}

/// A Graph next link is followed only on the Graph endpoint; a refusal says why.
fn check_graph_next_link(link: &str) -> Result<(), TestCaseError> {
    match GRAPH.same_origin(link) {
        Ok(url) => prop_assert_eq!(url.origin(), origin_of(GRAPH_ENDPOINT), "{}", link),
        Err(err) => prop_assert!(err.to_string().contains("@odata.nextLink"), "{err}"),
    }
    Ok(())
}

/// The page a Workbench next link is read from.
fn workbench_page() -> Url {
    Url::parse(&format!(
        "{WORKBENCH_URL}/api/v2/context_variables?page[limit]=500"
    ))
    .expect("a URL")
}

/// A Workbench next link is followed only on the Workbench URL; a refusal says why.
fn check_workbench_next_link(link: &str) -> Result<(), TestCaseError> {
    match WORKBENCH.same_origin(&workbench_page(), link) {
        Ok(url) => prop_assert_eq!(url.origin(), origin_of(WORKBENCH_URL), "{}", link),
        Err(err) => prop_assert!(err.to_string().contains("links.next"), "{err}"),
    }
    Ok(())
}

/// Decoding a Graph answer as `T` gives a `T` or an error saying the answer could not be decoded.
fn decodes_or_says_why<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> Result<Option<T>, TestCaseError> {
    match decode_graph::<T>(bytes) {
        Ok(decoded) => Ok(Some(decoded)),
        Err(err) => {
            prop_assert!(matches!(err, GraphError::Unexpected(_)), "{err:?}");
            prop_assert!(
                err.to_string().contains("could not decode the answer"),
                "{err}"
            );
            Ok(None)
        }
    }
}

fn graph_page_is_followed_safely<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> Result<(), TestCaseError> {
    if let Some(page) = decodes_or_says_why::<Page<T>>(bytes)? {
        if let Some(link) = page.next_link {
            check_graph_next_link(&link)?;
        }
    }
    Ok(())
}

fn workbench_decodes_or_says_why<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> Result<Option<Document<T>>, TestCaseError> {
    match workbench::decode::<Document<T>>(bytes) {
        Ok(document) => Ok(Some(document)),
        Err(err) => {
            prop_assert!(matches!(err, WorkbenchError::Unexpected(_)), "{err:?}");
            prop_assert!(
                err.to_string().contains("could not decode the answer"),
                "{err}"
            );
            Ok(None)
        }
    }
}

/// Reading a resource as a context list gives one or an error with a message.
fn reads_as_context_list_or_says_why(resource: Resource) -> Result<(), TestCaseError> {
    let _ = resource.related_id("organization");
    let organization = Resource {
        kind: resource.kind.clone(),
        id: resource.id.clone(),
        attributes: resource.attributes.clone(),
        relationships: resource.relationships.clone(),
    }
    .into_organization();
    prop_assert_eq!(&organization.id, &resource.id);
    if let Err(message) = resource.into_context_list() {
        prop_assert!(!message.is_empty());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Microsoft Graph answers
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn graph_answers_of_any_shape_decode_or_fail_with_a_message(bytes in wire(graph_answer())) {
        graph_page_is_followed_safely::<ServicePrincipal>(&bytes)?;
        graph_page_is_followed_safely::<AppRoleAssignment>(&bytes)?;
        graph_page_is_followed_safely::<Application>(&bytes)?;
        graph_page_is_followed_safely::<RoleDefinition>(&bytes)?;
        graph_page_is_followed_safely::<RoleAssignment>(&bytes)?;
        if let Some(principal) = decodes_or_says_why::<ServicePrincipal>(&bytes)? {
            let _ = principal.app_role("User.ReadWrite.All");
        }
        decodes_or_says_why::<AppRoleAssignment>(&bytes)?;
        decodes_or_says_why::<Application>(&bytes)?;
        decodes_or_says_why::<RoleAssignment>(&bytes)?;
    }

    #[test]
    fn well_formed_graph_pages_keep_every_item_and_the_next_link(
        principals in prop::collection::vec((".{0,20}", ".{0,20}"), 0..8),
        next in prop::option::of(link(GRAPH_ENDPOINT)),
    ) {
        let value: Vec<Value> = principals
            .iter()
            .map(|(id, app_id)| json!({"id": id, "appId": app_id, "appRoles": []}))
            .collect();
        let body = json!({"value": value, "@odata.nextLink": next}).to_string();
        let page: Page<ServicePrincipal> = decode_graph(body.as_bytes())?;
        let read: Vec<(String, String)> =
            page.value.into_iter().map(|p| (p.id, p.app_id)).collect();
        prop_assert_eq!(read, principals);
        prop_assert_eq!(page.next_link, next);
    }

    #[test]
    fn graph_next_links_are_followed_only_on_the_graph_endpoint(link in link(GRAPH_ENDPOINT)) {
        check_graph_next_link(&link)?;
    }

    #[test]
    fn graph_next_links_on_the_endpoint_are_followed(path in "[a-zA-Z0-9/._$=&?%-]{0,40}") {
        let link = format!("{GRAPH_ENDPOINT}/v1.0/{path}");
        prop_assert!(GRAPH.same_origin(&link).is_ok(), "{}", link);
    }

    #[test]
    fn graph_next_links_to_another_scheme_host_or_port_are_refused(
        link in prop_oneof![
            "[a-z]{1,8}".prop_map(|host| format!("https://{host}.other.test/v1.0/users")),
            "[a-z/]{0,20}".prop_map(|path| format!("http://graph.example.test/{path}")),
            "[a-z/]{0,20}".prop_map(|path| format!("https://graph.example.test:8443/{path}")),
            "[a-z/]{0,20}".prop_map(|path| format!("/v1.0/{path}")),
        ]
    ) {
        prop_assert!(GRAPH.same_origin(&link).is_err(), "{}", link);
    }

    #[test]
    fn graph_status_decides_the_error_class_whatever_the_body(
        status in 100u16..=599,
        body in prop_oneof![wire(graph_answer()), not_json()],
        request_id in prop::option::of(text()),
        client_request_id in text(),
    ) {
        let permission = "Application.Read.All";
        let err = graph::error::classify(status, &body, request_id, client_request_id, permission);
        let shown = err.to_string();
        prop_assert!(!shown.is_empty());
        match status {
            404 => prop_assert!(err.is_not_found(), "{err:?}"),
            409 => prop_assert!(err.is_already_exists(), "{err:?}"),
            400 => prop_assert!(
                matches!(err, GraphError::BadRequest(_) | GraphError::AlreadyExists(_)),
                "{err:?}"
            ),
            405 | 422 => prop_assert!(matches!(err, GraphError::BadRequest(_)), "{err:?}"),
            401 => prop_assert!(matches!(err, GraphError::Unauthorized(_)), "{err:?}"),
            403 => prop_assert!(shown.contains(permission), "{shown}"),
            429 => prop_assert!(matches!(err, GraphError::Throttled(_)), "{err:?}"),
            _ => prop_assert!(shown.contains(&format!("HTTP {status}")), "{shown}"),
        }
    }

    #[test]
    fn graph_error_bodies_keep_their_code_and_message(code in text(), message in text()) {
        let body = json!({"error": {"code": code, "message": message, "innerError": {}}});
        let err = graph::error::classify(
            404,
            body.to_string().as_bytes(),
            None,
            "c".into(),
            "Application.Read.All",
        );
        let GraphError::NotFound(failure) = err else {
            return Err(TestCaseError::fail(format!("{err:?}")));
        };
        if !(code.is_empty() && message.is_empty()) {
            prop_assert_eq!(failure.code, code);
            prop_assert_eq!(failure.message, message);
        }
    }

    #[test]
    fn graph_error_bodies_that_are_not_json_are_kept_as_at_most_300_characters(body in not_json()) {
        let err = graph::error::classify(404, &body, None, "c".into(), "Application.Read.All");
        let GraphError::NotFound(failure) = err else {
            return Err(TestCaseError::fail(format!("{err:?}")));
        };
        prop_assert!(failure.message.chars().count() <= 300);
        prop_assert!(String::from_utf8_lossy(&body).starts_with(&failure.message));
    }
}

// ---------------------------------------------------------------------------------------------
// Expel Workbench answers
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn workbench_answers_of_any_shape_decode_or_fail_with_a_message(
        bytes in wire(workbench_answer()),
    ) {
        if let Some(document) = workbench_decodes_or_says_why::<Resource>(&bytes)? {
            if let Some(link) = &document.links.next {
                check_workbench_next_link(link)?;
            }
            reads_as_context_list_or_says_why(document.data)?;
        }
        if let Some(document) = workbench_decodes_or_says_why::<Vec<Resource>>(&bytes)? {
            if let Some(link) = &document.links.next {
                check_workbench_next_link(link)?;
            }
            for resource in document.data {
                reads_as_context_list_or_says_why(resource)?;
            }
        }
    }

    #[test]
    fn well_formed_context_variables_read_back_every_value_as_text(
        context_type in select(ContextType::ALL.to_vec()),
        name in ".{0,30}",
        values in prop::collection::vec(
            prop_oneof![
                ".{0,20}".prop_map(Value::String),
                any::<u16>().prop_map(Value::from),
            ],
            0..8,
        ),
        organization in ".{0,20}",
    ) {
        let resource: Resource = serde_json::from_value(json!({
            "type": "context_variables",
            "id": "cv-1",
            "attributes": {"name": name, "context_type": context_type.as_str(), "value": values},
            "relationships": {
                "organization": {"data": {"type": "organizations", "id": organization}},
            },
        }))
        .map_err(|err| TestCaseError::fail(err.to_string()))?;
        let list = resource.into_context_list().map_err(TestCaseError::fail)?;
        let expected: Vec<String> = values
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect();
        prop_assert_eq!(list.values, expected);
        prop_assert_eq!(list.name, name);
        prop_assert_eq!(list.context_type, context_type);
        prop_assert_eq!(list.organization_id, Some(organization));
    }

    #[test]
    fn workbench_next_links_are_followed_only_on_the_workbench_url(link in link(WORKBENCH_URL)) {
        check_workbench_next_link(&link)?;
    }

    #[test]
    fn workbench_relative_next_links_are_followed(path in "[a-zA-Z0-9/._=&%\\[\\]-]{0,40}") {
        let link = format!("/api/v2/context_variables?{path}");
        let next = WORKBENCH.same_origin(&workbench_page(), &link);
        prop_assert!(next.is_ok(), "{:?}", next);
    }

    #[test]
    fn workbench_next_links_to_another_origin_are_refused(
        link in prop_oneof![
            "[a-z]{1,8}".prop_map(|host| format!("https://{host}.other.test/api/v2")),
            "[a-z]{1,8}".prop_map(|host| format!("//{host}.other.test/api/v2")),
            "[a-z/]{0,20}".prop_map(|path| format!("http://workbench.example.test/{path}")),
            "[a-z/]{0,20}".prop_map(|path| format!("https://workbench.example.test:8443/{path}")),
        ]
    ) {
        prop_assert!(WORKBENCH.same_origin(&workbench_page(), &link).is_err(), "{}", link);
    }

    #[test]
    fn workbench_status_decides_the_error_class_whatever_the_body(
        status in 100u16..=599,
        body in prop_oneof![wire(workbench_answer()), wire(workbench_error_body()), not_json()],
    ) {
        let err = workbench::error::classify(status, &body);
        let shown = err.to_string();
        prop_assert!(!shown.is_empty());
        match status {
            401 => prop_assert!(matches!(err, WorkbenchError::Unauthorized(_)), "{err:?}"),
            403 => prop_assert!(matches!(err, WorkbenchError::Forbidden(_)), "{err:?}"),
            404 => prop_assert!(err.is_not_found(), "{err:?}"),
            409 => prop_assert!(matches!(err, WorkbenchError::Conflict(_)), "{err:?}"),
            400 | 422 => prop_assert!(
                matches!(err, WorkbenchError::BadRequest(_) | WorkbenchError::Conflict(_)),
                "{err:?}"
            ),
            429 => prop_assert!(matches!(err, WorkbenchError::Throttled(_)), "{err:?}"),
            _ => prop_assert!(shown.contains(&format!("HTTP {status}")), "{shown}"),
        }
    }

    #[test]
    fn workbench_json_api_errors_are_reported_by_their_details(
        details in prop::collection::vec(".{0,30}", 1..5),
    ) {
        let errors: Vec<Value> = details
            .iter()
            .map(|detail| json!({"status": "422", "title": "Unprocessable", "detail": detail}))
            .collect();
        let body = json!({ "errors": errors }).to_string();
        prop_assert_eq!(workbench::error::message_of(body.as_bytes()), details.join("; "));
    }

    #[test]
    fn workbench_error_bodies_that_are_not_json_are_kept_as_at_most_300_characters(
        body in not_json(),
    ) {
        let message = workbench::error::message_of(&body);
        prop_assert!(message.chars().count() <= 300);
        prop_assert!(String::from_utf8_lossy(&body).starts_with(&message));
    }
}

// ---------------------------------------------------------------------------------------------
// Headers, certificate files, identity errors, log routes
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn retry_after_accepts_only_a_whole_number_of_seconds(value in prop::option::of(text())) {
        if let Some(wait) = parse_retry_after(value.as_deref()) {
            let digits = value.as_deref().unwrap_or_default().trim();
            let digits = digits.strip_prefix('+').unwrap_or(digits);
            prop_assert!(!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()));
            prop_assert_eq!(Some(wait.as_secs()), digits.parse::<u64>().ok());
        }
    }

    #[test]
    fn retry_after_of_any_whole_seconds_is_that_long(
        seconds in any::<u64>(),
        before in "[ \t]{0,2}",
        after in "[ \t]{0,2}",
    ) {
        prop_assert_eq!(
            parse_retry_after(Some(&format!("{before}{seconds}{after}"))),
            Some(Duration::from_secs(seconds))
        );
    }

    #[test]
    fn retry_after_as_an_http_date_is_ignored(
        day in select(&["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]),
        date in 1u8..=28,
        hour in 0u8..24,
    ) {
        let value = format!("{day}, {date:02} Oct 2015 {hour:02}:28:00 GMT");
        prop_assert_eq!(parse_retry_after(Some(&value)), None);
    }

    #[test]
    fn route_templates_keep_every_segment_of_any_path(path in text()) {
        let template = route_template(&path);
        prop_assert_eq!(template.split('/').count(), path.split('/').count());
    }

    #[test]
    fn identity_errors_become_one_trimmed_line_without_troubleshooting_links(
        lines in prop::collection::vec(
            prop_oneof![
                "[a-zA-Z0-9 .:,]{0,30}",
                Just(format!("To troubleshoot, visit {TROUBLESHOOTING}")),
                Just(format!("  To troubleshoot, visit {TROUBLESHOOTING}")),
            ],
            0..6,
        ),
        newline in select(&["\n", "\r\n"]),
    ) {
        let described = describe_identity_error(&lines.join(newline));
        prop_assert!(!described.contains('\n') && !described.contains('\r'), "{described:?}");
        prop_assert_eq!(described.trim(), &described);
        prop_assert!(!described.contains("aka.ms"), "{described:?}");
    }

    #[test]
    fn identity_errors_of_any_text_are_described_without_panicking(message in text()) {
        let described = describe_identity_error(&message);
        prop_assert_eq!(described.trim(), &described);
    }
}

/// A certificate file for the properties below, written to a file of its own per test.
fn write_certificate(test: &str, bytes: &[u8]) -> Result<std::path::PathBuf, TestCaseError> {
    let path = std::env::temp_dir().join(format!(
        "terraform-provider-expel-{test}-{}",
        std::process::id()
    ));
    std::fs::write(&path, bytes).map_err(|err| TestCaseError::fail(err.to_string()))?;
    Ok(path)
}

/// The password of [`CERTIFICATES`]' PKCS#12 file and encrypted PEM key.
const CERTIFICATE_PASSWORD: &str = "correct horse";

/// A self-signed certificate and its key as a PKCS#12 file, as PEM with a plain key and as
/// PEM with an encrypted key.
static CERTIFICATES: LazyLock<[Vec<u8>; 3]> = LazyLock::new(|| {
    use openssl::{asn1, ec, hash, nid, pkcs12, pkey, symm, x509};
    let group = ec::EcGroup::from_curve_name(nid::Nid::X9_62_PRIME256V1).expect("P-256");
    let key = pkey::PKey::from_ec_key(ec::EcKey::generate(&group).expect("a key")).expect("a key");
    let mut name = x509::X509NameBuilder::new().expect("a name");
    name.append_entry_by_text("CN", "parser-properties")
        .expect("a name");
    let name = name.build();
    let mut cert = x509::X509Builder::new().expect("a certificate");
    cert.set_version(2).expect("v3");
    cert.set_subject_name(&name).expect("a subject");
    cert.set_issuer_name(&name).expect("an issuer");
    cert.set_pubkey(&key).expect("a public key");
    cert.set_not_before(&asn1::Asn1Time::days_from_now(0).expect("now"))
        .expect("not before");
    cert.set_not_after(&asn1::Asn1Time::days_from_now(1).expect("tomorrow"))
        .expect("not after");
    cert.sign(&key, hash::MessageDigest::sha256())
        .expect("a signature");
    let cert = cert.build();
    let pfx = pkcs12::Pkcs12::builder()
        .name("parser-properties")
        .pkey(&key)
        .cert(&cert)
        .build2(CERTIFICATE_PASSWORD)
        .and_then(|p| p.to_der())
        .expect("a PKCS#12 file");
    let cert_pem = cert.to_pem().expect("PEM");
    let plain_key = key.private_key_to_pem_pkcs8().expect("PEM");
    let encrypted_key = key
        .private_key_to_pem_pkcs8_passphrase(
            symm::Cipher::aes_256_cbc(),
            CERTIFICATE_PASSWORD.as_bytes(),
        )
        .expect("PEM");
    [
        pfx,
        [&cert_pem[..], &plain_key[..]].concat(),
        [&cert_pem[..], &encrypted_key[..]].concat(),
    ]
});

/// Any password, often with a NUL character, sometimes the right one.
fn password() -> BoxedStrategy<Option<String>> {
    prop::option::of(prop_oneof![
        text(),
        (text(), text()).prop_map(|(a, b)| format!("{a}\0{b}")),
        Just(CERTIFICATE_PASSWORD.to_owned()),
        Just(format!("{CERTIFICATE_PASSWORD}\0")),
    ])
    .boxed()
}

proptest! {
    // Each case writes a file and runs OpenSSL's parsers.
    #![proptest_config(config(64))]

    #[test]
    fn certificate_files_of_any_bytes_are_refused_with_a_reason(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..512),
            prop::collection::vec(any::<u8>(), 0..512)
                .prop_map(|b| [&[0x30u8, 0x82][..], &b[..]].concat()),
            ".{0,300}".prop_map(|t| {
                format!("-----BEGIN CERTIFICATE-----\n{t}\n-----END CERTIFICATE-----\n")
                    .into_bytes()
            }),
            ".{0,300}".prop_map(|t| {
                format!("-----BEGIN PRIVATE KEY-----\n{t}\n-----END PRIVATE KEY-----\n")
                    .into_bytes()
            }),
        ],
        password in password(),
    ) {
        let path = write_certificate("any-bytes", &bytes)?;
        let loaded = load_certificate(&path, password.map(SecretString::from).as_ref());
        let _ = std::fs::remove_file(&path);
        match loaded {
            Ok(_) => return Err(TestCaseError::fail(format!("{bytes:?} taken for a certificate"))),
            Err(err) => prop_assert!(err.to_string().contains("client_certificate_path"), "{err}"),
        }
    }

    #[test]
    fn certificate_files_open_with_their_password_and_any_other_is_refused_with_a_reason(
        format in 0..3usize,
        password in password(),
    ) {
        let path = write_certificate("any-password", &CERTIFICATES[format])?;
        let loaded = load_certificate(&path, password.clone().map(SecretString::from).as_ref());
        let _ = std::fs::remove_file(&path);
        let plain_pem = format == 1;
        let right = password.as_deref() == Some(CERTIFICATE_PASSWORD);
        match loaded {
            Ok(_) => prop_assert!(right || plain_pem, "opened with {password:?}"),
            Err(err) => {
                prop_assert!(!right, "{err}");
                prop_assert!(err.to_string().contains("client_certificate_path"), "{err}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Import IDs and context list values
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn role_assignment_import_ids_parse_or_show_the_expected_form(text in id_text()) {
        match text.parse::<role_assignment::ImportId>() {
            Ok(id) => prop_assert_eq!(id.to_string().parse::<role_assignment::ImportId>(), Ok(id)),
            Err(err) => prop_assert!(err.to_string().contains("roleAssignments/<id>"), "{err}"),
        }
    }

    #[test]
    fn role_assignment_import_ids_in_either_form_round_trip(
        id in "[A-Za-z0-9_-]{1,80}",
        azuread_form in any::<bool>(),
        padding in "[ \t]{0,2}",
    ) {
        let prefix = if azuread_form { "/roleManagement/directory/roleAssignments/" } else { "" };
        let parsed: role_assignment::ImportId = format!("{padding}{prefix}{id}{padding}")
            .parse()
            .map_err(|err: role_assignment::ImportIdError| TestCaseError::fail(err.to_string()))?;
        prop_assert_eq!(parsed.to_string(), id);
        prop_assert_eq!(parsed.to_string().parse(), Ok(parsed));
    }

    #[test]
    fn remediation_permissions_import_ids_parse_or_show_the_expected_form(text in id_text()) {
        match text.parse::<remediation_permissions::ImportId>() {
            Ok(id) => {
                prop_assert_eq!(id.to_string().parse::<remediation_permissions::ImportId>(), Ok(id))
            }
            Err(err) => prop_assert!(
                err.to_string().contains("<service_principal_id>/<remediation>[/custom]"),
                "{err}"
            ),
        }
    }

    #[test]
    fn remediation_permissions_import_ids_round_trip(
        service_principal in any::<u128>(),
        remediation in select(Remediation::ALL.to_vec()),
        application_type in select(vec![ApplicationType::Expel, ApplicationType::Custom]),
    ) {
        let id = remediation_permissions::ImportId {
            service_principal_id: uuid::Uuid::from_u128(service_principal).hyphenated().to_string(),
            remediation,
            application_type,
        };
        prop_assert_eq!(id.to_string().parse(), Ok(id));
    }

    #[test]
    fn remediation_permissions_import_ids_take_any_spelling_of_the_guid(
        service_principal in any::<u128>(),
        spelling in 0..4usize,
        remediation in select(Remediation::ALL.to_vec()),
    ) {
        let guid = uuid::Uuid::from_u128(service_principal);
        let spelled = match spelling {
            0 => guid.hyphenated().to_string().to_uppercase(),
            1 => guid.simple().to_string(),
            2 => guid.braced().to_string(),
            _ => guid.hyphenated().to_string(),
        };
        let id: remediation_permissions::ImportId = format!("{spelled}/{remediation}")
            .parse()
            .map_err(|err: remediation_permissions::ImportIdError| TestCaseError::fail(err.to_string()))?;
        prop_assert_eq!(id.service_principal_id, guid.hyphenated().to_string());
        prop_assert_eq!(id.remediation, remediation);
        prop_assert_eq!(id.application_type, ApplicationType::Expel);
    }

    #[test]
    fn context_list_import_ids_parse_or_show_both_forms(text in id_text()) {
        match text.parse::<context_list::ImportId>() {
            Ok(id) => prop_assert_eq!(id.to_string().parse::<context_list::ImportId>(), Ok(id)),
            Err(err) => prop_assert!(err.to_string().contains("name:<name>"), "{err}"),
        }
    }

    #[test]
    fn context_list_import_ids_by_name_round_trip(name in ".{0,40}") {
        prop_assume!(!name.trim().is_empty());
        let id = context_list::ImportId::Name(name);
        prop_assert_eq!(id.to_string().parse(), Ok(id));
    }

    #[test]
    fn context_list_import_ids_by_id_round_trip(id in "[A-Za-z0-9_.-][A-Za-z0-9_.:-]{0,40}") {
        // Entry ids are GUIDs; text that starts with `name:` is a name.
        prop_assume!(!id.starts_with("name:"));
        let id = context_list::ImportId::Id(id);
        prop_assert_eq!(id.to_string().parse(), Ok(id));
    }

    #[test]
    fn context_types_parse_only_from_their_own_names(text in prop_oneof![
        select(ContextType::ALL.to_vec()).prop_map(|t| t.as_str().to_owned()),
        text(),
    ]) {
        match text.parse::<ContextType>() {
            Ok(t) => prop_assert_eq!(t.as_str(), text),
            Err(err) => prop_assert!(err.contains("email_address"), "{err}"),
        }
    }

    #[test]
    fn context_values_are_checked_without_panicking_and_errors_name_the_value(
        context_type in select(ContextType::ALL.to_vec()),
        value in prop_oneof![text(), id_text(), "[0-9a-fA-F.:/@*-]{0,140}"],
        other in text(),
    ) {
        if let Err(err) = context_values::check(context_type, &value) {
            prop_assert!(err.starts_with(&format!("{value:?} is not ")), "{err}");
        }
        prop_assert!(context_values::same_value(context_type, &value, &value));
        let _ = context_values::same_value(context_type, &value, &other);
        let _ = context_values::duplicates(context_type, &[&value, &other, &value.to_uppercase()]);
    }

    #[test]
    fn addresses_ports_and_hashes_in_their_usual_forms_pass_their_checks(
        v4 in any::<u32>(),
        v6 in any::<u128>(),
        v4_prefix in 0u8..=32,
        v6_prefix in 0u8..=128,
        port in 1u16..,
        hash in prop_oneof!["[0-9a-f]{32}", "[0-9A-F]{40}", "[0-9a-f]{64}", "[0-9a-f]{128}"],
        host in host_name(),
    ) {
        let v4 = Ipv4Addr::from(v4);
        let v6 = Ipv6Addr::from(v6);
        let passes =
            |t: ContextType, v: &str| context_values::check(t, v).map_err(TestCaseError::fail);
        passes(ContextType::IpAddress, &v4.to_string())?;
        passes(ContextType::IpAddress, &v6.to_string())?;
        passes(ContextType::CidrBlock, &format!("{v4}/{v4_prefix}"))?;
        passes(ContextType::CidrBlock, &format!("{v6}/{v6_prefix}"))?;
        passes(ContextType::Port, &port.to_string())?;
        passes(ContextType::FileHash, &hash)?;
        passes(ContextType::Hostname, &host)?;
        passes(ContextType::Domain, &host)?;
        passes(ContextType::EmailAddress, &format!("quarantine@{host}"))?;
        passes(ContextType::Url, &format!("https://{host}.test/login"))?;
        let too_long = format!("{v4}/{}", v4_prefix + 33);
        let refused = context_values::check(ContextType::CidrBlock, &too_long).is_err();
        prop_assert!(refused, "{}", too_long);
    }

    #[test]
    fn timeout_settings_of_any_text_give_a_positive_limit_or_name_the_setting(
        setting in prop_oneof![text(), "[0-9]{1,6}(ns|us|ms|s|m|h)([0-9]{1,3}(m|s))?"],
    ) {
        let block = tf_provider::value::Value::Value(timeouts::Timeouts {
            update: tf_provider::value::Value::Value(setting.clone()),
            ..Default::default()
        });
        let mut diags = tf_provider::Diagnostics::default();
        match timeouts::limit(&block, timeouts::Operation::Update, &mut diags) {
            Some(limit) => prop_assert!(!limit.is_zero() && diags.errors.is_empty()),
            None => {
                prop_assert_eq!(diags.errors.len(), 1);
                prop_assert!(diags.errors[0].summary.contains("timeouts.update"), "{:?}", diags.errors[0]);
            }
        }
    }
}
