//! Generators for the property tests beside each parser of untrusted input (the `properties`
//! test modules).
//!
//! The first property of each parser is that no input makes it panic: a panic in a provider
//! plugin kills the plugin process and Terraform reports a crash instead of a diagnostic. The
//! others pin down what the parser promises for inputs it accepts (round trips, what is kept)
//! and what an error says when it refuses one.
//!
//! Inputs are arbitrary bytes and text, arbitrary JSON, and JSON shaped like the real answers
//! with fields dropped, retyped, cut short or changed by one byte, so that generated cases get
//! past the first check of a parser. `make test` runs a few hundred cases of each property;
//! `make fuzz` runs many more (`PROPTEST_CASES` overrides the counts here). A failure prints
//! its smallest input: make it a named unit test beside the parser it breaks.
//!
//! Not for: behaviour over HTTP, which `tests/` checks against a local server.

use proptest::prelude::*;
use proptest::sample::{select, Index};
use serde_json::{Map, Value};
use url::Url;

use crate::workbench::ContextType;

/// The Graph endpoint the clients under test are bound to.
pub(crate) const GRAPH_ENDPOINT: &str = "https://graph.example.test";
/// The Workbench URL the clients under test are bound to.
pub(crate) const WORKBENCH_URL: &str = "https://workbench.example.test";

/// `cases` per property unless `PROPTEST_CASES` says otherwise (`make fuzz`).
///
/// Failures are not persisted to regression files: the printed smallest input becomes a named
/// unit test beside the parser, where it reads as a specification.
pub(crate) fn config(cases: u32) -> ProptestConfig {
    // The default configuration has already read the PROPTEST_* variables.
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    config.failure_persistence = None;
    config
}

// ---------------------------------------------------------------------------------------------
// Any input
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
pub(crate) fn text() -> BoxedStrategy<String> {
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
pub(crate) fn any_json() -> BoxedStrategy<Value> {
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

pub(crate) fn string() -> BoxedStrategy<Value> {
    text().prop_map(Value::String).boxed()
}

pub(crate) fn guid() -> BoxedStrategy<Value> {
    any::<u128>()
        .prop_map(|n| Value::String(uuid::Uuid::from_u128(n).to_string()))
        .boxed()
}

pub(crate) fn id() -> BoxedStrategy<Value> {
    prop_oneof![guid(), string()].boxed()
}

/// Import-ID-like text: pieces of valid IDs, separators and noise.
pub(crate) fn id_text() -> BoxedStrategy<String> {
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

pub(crate) fn one_of(names: &'static [&'static str]) -> BoxedStrategy<Value> {
    prop_oneof![3 => select(names).prop_map(Value::from), 1 => string()].boxed()
}

pub(crate) fn nullable(value: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    prop_oneof![3 => value, 1 => Just(Value::Null)].boxed()
}

pub(crate) fn list_of(item: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    prop::collection::vec(item, 0..4)
        .prop_map(Value::Array)
        .boxed()
}

/// A well-typed JSON object with these fields.
pub(crate) fn object(fields: Vec<(&'static str, BoxedStrategy<Value>)>) -> BoxedStrategy<Value> {
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
pub(crate) fn damaged(answer: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
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
pub(crate) fn wire(answer: BoxedStrategy<Value>) -> BoxedStrategy<Vec<u8>> {
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
pub(crate) fn link(base: &'static str) -> BoxedStrategy<String> {
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

/// Text that is not JSON, like the HTML of a gateway error page.
pub(crate) fn not_json() -> BoxedStrategy<Vec<u8>> {
    ".{0,600}"
        .prop_map(|t| format!("<{t}").into_bytes())
        .boxed()
}

pub(crate) fn origin_of(url: &str) -> url::Origin {
    Url::parse(url).expect("a URL").origin()
}

// ---------------------------------------------------------------------------------------------
// Microsoft Graph answers
// ---------------------------------------------------------------------------------------------

pub(crate) fn graph_app_role() -> BoxedStrategy<Value> {
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
pub(crate) fn graph_objects() -> Vec<BoxedStrategy<Value>> {
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
pub(crate) fn graph_page() -> BoxedStrategy<Value> {
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

pub(crate) fn graph_error_body() -> BoxedStrategy<Value> {
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
pub(crate) fn graph_answer() -> BoxedStrategy<Value> {
    let object = prop::strategy::Union::new(graph_objects()).boxed();
    prop_oneof![
        3 => damaged(graph_page()),
        2 => damaged(object),
        1 => damaged(graph_error_body()),
        1 => any_json(),
    ]
    .boxed()
}

// ---------------------------------------------------------------------------------------------
// Expel Workbench answers
// ---------------------------------------------------------------------------------------------

pub(crate) fn context_type_name() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => select(ContextType::ALL.to_vec()).prop_map(|t| Value::from(t.as_str())),
        1 => string(),
    ]
    .boxed()
}

pub(crate) fn workbench_resource() -> BoxedStrategy<Value> {
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
pub(crate) fn workbench_error_body() -> BoxedStrategy<Value> {
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
pub(crate) fn workbench_answer() -> BoxedStrategy<Value> {
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
