//! The tests' own view of the tenant and the Workbench organization, through the documented
//! Microsoft Graph and Workbench APIs only, with the same variables the provider reads. It
//! works alike against the embedded sandbox, a separate `expel-sandbox` process and a real
//! sandbox tenant: tests check results and make out-of-band changes through it, never
//! through the sandbox's insides.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A failed call, with the answer's text.
#[derive(Debug, thiserror::Error)]
#[error("{method} {url}: {status}: {body}")]
pub struct ApiError {
    /// The request method.
    pub method: String,
    /// The URL, query included.
    pub url: String,
    /// The answer's status (0 when no answer came).
    pub status: u16,
    /// The answer's body.
    pub body: String,
}

/// Where the APIs are and how to sign in: the provider's variables.
#[derive(Clone, Debug)]
struct Endpoints {
    tenant: String,
    client_id: String,
    client_secret: String,
    authority: String,
    graph: String,
    workbench: String,
    api_key: String,
}

impl Endpoints {
    fn from(env: &HashMap<String, String>) -> Result<Self, String> {
        let get = |name: &str| env.get(name).filter(|v| !v.is_empty()).cloned();
        let need = |name: &str| get(name).ok_or_else(|| format!("{name} is not set"));
        Ok(Self {
            tenant: need("ARM_TENANT_ID")?,
            client_id: need("ARM_CLIENT_ID")?,
            client_secret: need("ARM_CLIENT_SECRET").map_err(|_| {
                "the tests' own Graph calls sign in with ARM_CLIENT_SECRET, which is not set"
                    .to_owned()
            })?,
            authority: get("AZURE_AUTHORITY_HOST")
                .unwrap_or_else(|| "https://login.microsoftonline.com".to_owned()),
            graph: get("EXPEL_GRAPH_ENDPOINT")
                .unwrap_or_else(|| "https://graph.microsoft.com".to_owned()),
            workbench: get("EXPEL_WORKBENCH_URL")
                .unwrap_or_else(|| "https://workbench.expel.io".to_owned()),
            api_key: get("EXPEL_API_KEY").unwrap_or_default(),
        })
    }
}

/// Graph and Workbench, as the tests see them.
pub struct TenantApi {
    endpoints: Endpoints,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
    token: Mutex<Option<String>>,
}

impl TenantApi {
    /// A client for the tenant the provider environment `env` points at.
    pub fn new(env: &[(String, String)]) -> Result<Self, String> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let env: HashMap<String, String> = env.iter().cloned().collect();
        let endpoints = Endpoints::from(&env)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|err| err.to_string())?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|err| err.to_string())?;
        Ok(Self {
            endpoints,
            http,
            runtime,
            token: Mutex::new(None),
        })
    }

    fn token(&self) -> Result<String, ApiError> {
        if let Some(token) = self.token.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            return Ok(token);
        }
        let e = &self.endpoints;
        let url = format!(
            "{}/{}/oauth2/v2.0/token",
            e.authority.trim_end_matches('/'),
            e.tenant
        );
        let scope = format!("{}/.default", e.graph.trim_end_matches('/'));
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", e.client_id.as_str()),
            ("client_secret", e.client_secret.as_str()),
            ("scope", scope.as_str()),
        ];
        let answer = self.send(Method::POST, &url, |r| r.form(&form))?;
        let token = answer["access_token"]
            .as_str()
            .ok_or_else(|| ApiError {
                method: "POST".into(),
                url: url.clone(),
                status: 200,
                body: "no access_token in the answer".into(),
            })?
            .to_owned();
        *self.token.lock().unwrap_or_else(|p| p.into_inner()) = Some(token.clone());
        Ok(token)
    }

    /// Sends a request, trying again on 429, 5xx and dropped connections (the fault
    /// profiles reach these calls too), and returns the JSON answer (`null` for 204).
    fn send(
        &self,
        method: Method,
        url: &str,
        build: impl Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Result<Value, ApiError> {
        let fail = |status: u16, body: String| ApiError {
            method: method.to_string(),
            url: url.to_owned(),
            status,
            body,
        };
        let mut last = fail(0, "not sent".into());
        // Whether an earlier attempt may have been carried out (its answer was lost or came
        // back 5xx): a delete then finds nothing to delete, which is what it wanted.
        let mut maybe_done = false;
        for attempt in 0..12u32 {
            let request = build(self.http.request(method.clone(), url));
            let outcome = self.runtime.block_on(async {
                let response = request.send().await?;
                let status = response.status();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok());
                let body = response.text().await?;
                Ok::<_, reqwest::Error>((status, retry_after, body))
            });
            let wait = match outcome {
                Ok((status, _, body)) if status.is_success() => {
                    return Ok(if body.trim().is_empty() {
                        Value::Null
                    } else {
                        serde_json::from_str(&body).unwrap_or(Value::String(body))
                    });
                }
                Ok((status, retry_after, body))
                    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() =>
                {
                    maybe_done |= status.is_server_error();
                    last = fail(status.as_u16(), body);
                    Duration::from_secs(retry_after.unwrap_or(1))
                }
                Ok((status, _, _))
                    if maybe_done
                        && method == Method::DELETE
                        && status == StatusCode::NOT_FOUND =>
                {
                    return Ok(Value::Null);
                }
                Ok((status, _, body)) => return Err(fail(status.as_u16(), body)),
                Err(err) => {
                    maybe_done = true;
                    last = fail(0, err.to_string());
                    Duration::from_millis(200 * u64::from(attempt + 1))
                }
            };
            std::thread::sleep(wait);
        }
        Err(last)
    }

    /// A Graph v1.0 call; `path` is relative to `/v1.0/` and may carry a query.
    pub fn graph(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, ApiError> {
        let url = format!(
            "{}/v1.0/{}",
            self.endpoints.graph.trim_end_matches('/'),
            path.trim_start_matches('/')
        );
        self.graph_url(method, &url, body)
    }

    fn graph_url(&self, method: Method, url: &str, body: Option<Value>) -> Result<Value, ApiError> {
        // A token refused as expired (the sandbox's fault profiles refuse them early) is
        // fetched again once, as the provider does.
        for refreshed in [false, true] {
            let token = self.token()?;
            let outcome = self.send(method.clone(), url, |request| {
                let request = request.bearer_auth(&token);
                match &body {
                    Some(body) => request.json(body),
                    None => request,
                }
            });
            match outcome {
                Err(err) if err.status == 401 && !refreshed => {
                    *self.token.lock().unwrap_or_else(|p| p.into_inner()) = None;
                }
                other => return other,
            }
        }
        unreachable!("the second attempt always returns")
    }

    /// Every item of a Graph collection, following `@odata.nextLink`.
    pub fn graph_list(&self, path: &str) -> Result<Vec<Value>, ApiError> {
        let mut page = self.graph(Method::GET, path, None)?;
        let mut items = Vec::new();
        loop {
            items.extend(page["value"].as_array().cloned().unwrap_or_default());
            match page["@odata.nextLink"].as_str() {
                Some(next) => page = self.graph_url(Method::GET, next, None)?,
                None => return Ok(items),
            }
        }
    }

    /// A Workbench v2 call; `path` is relative to `/api/v2/`.
    pub fn workbench(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, ApiError> {
        let url = format!(
            "{}/api/v2/{}",
            self.endpoints.workbench.trim_end_matches('/'),
            path.trim_start_matches('/')
        );
        let key = self.endpoints.api_key.clone();
        self.send(method, &url, |request| {
            let request = request
                .bearer_auth(&key)
                .header("content-type", "application/vnd.api+json");
            match &body {
                Some(body) => request.body(body.to_string()),
                None => request,
            }
        })
    }

    /// The service principal of an appId, if there is one.
    pub fn service_principal_of(&self, app_id: &str) -> Result<Option<Value>, ApiError> {
        let found = self.graph_list(&format!(
            "servicePrincipals?$filter=appId%20eq%20%27{app_id}%27"
        ))?;
        Ok(found.into_iter().next())
    }

    /// Assigns a directory role at `/` by hand (as in the portal) and returns the assignment's
    /// id; a retried request whose first attempt had landed finds that one.
    pub fn assign_role(
        &self,
        principal: &str,
        role_definition_id: &str,
    ) -> Result<String, ApiError> {
        let body = json!({"roleDefinitionId": role_definition_id, "principalId": principal, "directoryScopeId": "/"});
        self.create_or_find(
            "roleManagement/directory/roleAssignments",
            body,
            "conflicting object",
            || self.role_assignments_of(principal),
            |a| a["roleDefinitionId"] == role_definition_id,
        )
    }

    /// Grants an app role by hand (admin consent in the portal) and returns the grant's id;
    /// a retried request whose first attempt had landed finds that one.
    pub fn grant(
        &self,
        principal: &str,
        resource: &str,
        app_role_id: &str,
    ) -> Result<String, ApiError> {
        let body =
            json!({"principalId": principal, "resourceId": resource, "appRoleId": app_role_id});
        self.create_or_find(
            &format!("servicePrincipals/{resource}/appRoleAssignedTo"),
            body,
            "already exists",
            || self.grants_held_by(principal),
            |g| g["appRoleId"] == app_role_id && g["resourceId"] == resource,
        )
    }

    /// POSTs `body` to `path` and returns the new object's id. A 400 saying `conflict` (a
    /// retried request whose first attempt had landed) returns the id of the one in
    /// `existing` that `matches` instead.
    fn create_or_find(
        &self,
        path: &str,
        body: Value,
        conflict: &str,
        existing: impl FnOnce() -> Result<Vec<Value>, ApiError>,
        matches: impl Fn(&Value) -> bool,
    ) -> Result<String, ApiError> {
        match self.graph(Method::POST, path, Some(body)) {
            Ok(created) => Ok(created["id"].as_str().unwrap_or_default().to_owned()),
            Err(err) if err.status == 400 && err.body.contains(conflict) => existing()?
                .into_iter()
                .find(|object| matches(object))
                .and_then(|object| object["id"].as_str().map(str::to_owned))
                .ok_or(err),
            Err(err) => Err(err),
        }
    }

    /// The directory role assignments of a principal.
    pub fn role_assignments_of(&self, principal: &str) -> Result<Vec<Value>, ApiError> {
        self.graph_list(&format!(
            "roleManagement/directory/roleAssignments?$filter=principalId%20eq%20%27{principal}%27"
        ))
    }

    /// The grants (app role assignments) a service principal holds.
    pub fn grants_held_by(&self, principal: &str) -> Result<Vec<Value>, ApiError> {
        self.graph_list(&format!("servicePrincipals/{principal}/appRoleAssignments"))
    }

    /// An app registration by object id.
    pub fn application(&self, object_id: &str) -> Result<Value, ApiError> {
        self.graph(Method::GET, &format!("applications/{object_id}"), None)
    }

    /// The permission ids an app registration declares, in order.
    pub fn declared_ids(&self, object_id: &str) -> Result<Vec<String>, ApiError> {
        let app = self.application(object_id)?;
        Ok(app["requiredResourceAccess"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|e| e["resourceAccess"].as_array().cloned().unwrap_or_default())
            .filter_map(|a| a["id"].as_str().map(str::to_owned))
            .collect())
    }

    /// Replaces an app registration's `requiredResourceAccess`.
    pub fn set_required_resource_access(
        &self,
        object_id: &str,
        entries: Value,
    ) -> Result<(), ApiError> {
        self.graph(
            Method::PATCH,
            &format!("applications/{object_id}"),
            Some(json!({ "requiredResourceAccess": entries })),
        )
        .map(drop)
    }

    /// Replaces a context list's values in Workbench, as a person editing it there would.
    pub fn set_context_values(&self, id: &str, values: &[&str]) -> Result<(), ApiError> {
        let body = json!({"data": {"type": "context_variables", "id": id, "attributes": {"value": values}}});
        self.workbench(
            Method::PATCH,
            &format!("context_variables/{id}"),
            Some(body),
        )
        .map(drop)
    }

    /// Deletes a context list in Workbench.
    pub fn delete_context_list(&self, id: &str) -> Result<(), ApiError> {
        self.workbench(Method::DELETE, &format!("context_variables/{id}"), None)
            .map(drop)
    }

    /// Every context entry of the organizations the API key sees.
    pub fn context_lists(&self) -> Result<Vec<Value>, ApiError> {
        let mut page = self.workbench(Method::GET, "context_variables?page[limit]=500", None)?;
        let mut items = Vec::new();
        loop {
            items.extend(page["data"].as_array().cloned().unwrap_or_default());
            match page["links"]["next"].as_str() {
                Some(next) if next.starts_with("http") => {
                    let key = self.endpoints.api_key.clone();
                    page = self.send(Method::GET, next, |r| r.bearer_auth(&key))?;
                }
                Some(next) => {
                    let path = next.trim_start_matches('/').trim_start_matches("api/v2/");
                    page = self.workbench(Method::GET, path, None)?;
                }
                None => return Ok(items),
            }
        }
    }

    /// The organization's auto remediation setting of `action_type`, e.g.
    /// `RESET_CREDENTIALS_O365`.
    pub fn remediation_setting(&self, action_type: &str) -> Result<Value, ApiError> {
        let page = self.workbench(
            Method::GET,
            &format!("remediation_action_settings?filter[action_type]={action_type}"),
            None,
        )?;
        page["data"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["attributes"]["action_type"] == action_type)
            .cloned()
            .ok_or_else(|| ApiError {
                method: "GET".into(),
                url: format!("remediation_action_settings?filter[action_type]={action_type}"),
                status: 200,
                body: "no such setting".into(),
            })
    }

    /// Changes a setting's attributes in Workbench, as a person in Settings > Auto
    /// Remediations would.
    pub fn change_remediation_setting(&self, id: &str, attributes: Value) -> Result<(), ApiError> {
        let body = json!({"id": id, "data": {"type": "remediation_action_settings", "id": id, "attributes": attributes}});
        self.workbench(
            Method::PATCH,
            &format!("remediation_action_settings/{id}"),
            Some(body),
        )
        .map(drop)
    }

    /// The page of a setting's list sources, their context labels included.
    fn list_source_page(&self, setting_id: &str) -> Result<Value, ApiError> {
        self.workbench(
            Method::GET,
            &format!(
                "remediation_action_setting_list_sources?filter[remediation_action_setting][id]={setting_id}&include=context_label&page[limit]=500"
            ),
            None,
        )
    }

    /// The list sources of a setting.
    pub fn list_sources_of(&self, setting_id: &str) -> Result<Vec<Value>, ApiError> {
        let page = self.list_source_page(setting_id)?;
        Ok(page["data"].as_array().cloned().unwrap_or_default())
    }

    /// The context variable ids of a setting's `CONTEXT_LABEL` list sources, sorted.
    pub fn linked_list_ids(&self, setting_id: &str) -> Result<Vec<String>, ApiError> {
        let page = self.list_source_page(setting_id)?;
        let labels = page["included"].as_array().cloned().unwrap_or_default();
        let mut ids: Vec<String> = page["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|s| s["attributes"]["source_type"] == "CONTEXT_LABEL")
            .filter_map(|s| {
                let label_id = &s["relationships"]["context_label"]["data"]["id"];
                let label = labels.iter().find(|l| &l["id"] == label_id)?;
                label["relationships"]["context_variables"]["data"][0]["id"]
                    .as_str()
                    .map(str::to_owned)
            })
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// Links a context list to a setting by hand: a context label referencing the list, and a
    /// `CONTEXT_LABEL` list source pointing the setting at it (the reading of the schema the
    /// provider also relies on).
    pub fn link_list_by_hand(&self, setting_id: &str, list_id: &str) -> Result<(), ApiError> {
        let label = self.workbench(
            Method::POST,
            "context_labels",
            Some(json!({"data": {
                "type": "context_labels",
                "attributes": {"title": "Linked by hand", "description": null, "definition": {"context_variable_id": list_id}},
                "relationships": {"context_variables": {"data": [{"type": "context_variables", "id": list_id}]}},
            }})),
        )?;
        let label_id = label["data"]["id"].as_str().unwrap_or_default();
        let linked = self.workbench(
            Method::POST,
            "remediation_action_setting_list_sources",
            Some(json!({"data": {
                "type": "remediation_action_setting_list_sources",
                "attributes": {"source_type": "CONTEXT_LABEL"},
                "relationships": {
                    "remediation_action_setting": {"data": {"type": "remediation_action_settings", "id": setting_id}},
                    "context_label": {"data": {"type": "context_labels", "id": label_id}},
                },
            }})),
        );
        match linked {
            // A retried POST whose first answer was lost meets its own list source.
            Err(err)
                if err.status == 409
                    && self
                        .linked_list_ids(setting_id)?
                        .iter()
                        .any(|id| id == list_id) =>
            {
                Ok(())
            }
            other => other.map(drop),
        }
    }

    /// Creates a context list by hand from a `context_variables` document and returns the
    /// created resource; a retried POST whose first answer was lost finds its own list by name.
    pub fn create_context_list(&self, body: Value) -> Result<Value, ApiError> {
        let name = body["data"]["attributes"]["name"].clone();
        match self.workbench(Method::POST, "context_variables", Some(body)) {
            Err(err) if err.status == 409 => self
                .context_lists()?
                .into_iter()
                .find(|l| l["attributes"]["name"] == name)
                .map(|l| json!({ "data": l }))
                .ok_or(err),
            other => other,
        }
    }

    /// Deletes a list source by hand.
    pub fn delete_list_source(&self, id: &str) -> Result<(), ApiError> {
        self.workbench(
            Method::DELETE,
            &format!("remediation_action_setting_list_sources/{id}"),
            None,
        )
        .map(drop)
    }
}
