//! Expel Workbench v2 (JSON:API) client: bearer API key, paging via `links.next`, retries.
//!
//! Knows nothing of Terraform or of Microsoft Graph. Wire shapes stay in this module;
//! callers get [`ContextList`] and [`Organization`].

pub mod error;
pub mod remediation;
pub mod types;

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

pub use error::WorkbenchError;
pub use remediation::{
    ListLink, ListType, RemediationSetting, SecurityDevice, SettingChange, Vendor,
};
pub use types::{ContextList, ContextListSpec, ContextType, Organization};

use crate::http::{Answer, BaseUrl, NotABase, Outcome, RetryPolicy, Sender, Verdict};
use types::Resource;

const CONTEXT_VARIABLES: &[&str] = &["api", "v2", "context_variables"];
const ORGANIZATIONS: &[&str] = &["api", "v2", "organizations"];
/// Page size asked for; Workbench's maximum is undocumented, so links.next is always followed.
const PAGE_LIMIT: usize = 500;

/// A Workbench client for one API key (and, for multi-organization keys, one organization).
#[derive(Clone)]
pub struct WorkbenchClient {
    /// `<workbench url>/`
    base: BaseUrl,
    api_key: SecretString,
    organization_id: Option<String>,
    sender: Sender,
}

impl std::fmt::Debug for WorkbenchClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkbenchClient")
            .field("base", &self.base.as_url().as_str())
            .field("organization_id", &self.organization_id)
            .finish_non_exhaustive()
    }
}

/// A JSON:API document: its data, what it includes, and the link to the next page.
#[derive(Deserialize)]
struct Document<T> {
    data: T,
    #[serde(default)]
    included: Vec<Resource>,
    #[serde(default)]
    links: Links,
}

/// A document's links.
#[derive(Deserialize, Default)]
struct Links {
    #[serde(default)]
    next: Option<String>,
}

impl WorkbenchClient {
    /// A client for `workbench_url` (e.g. `https://workbench.expel.io`).
    pub fn new(
        http: reqwest::Client,
        workbench_url: &Url,
        api_key: SecretString,
        organization_id: Option<String>,
        retry: RetryPolicy,
    ) -> Result<Self, NotABase> {
        Ok(Self {
            base: BaseUrl::new(workbench_url)?,
            api_key,
            organization_id,
            sender: Sender::new(http, retry, "Expel Workbench", "workbench"),
        })
    }

    /// The organization configured for this client, if any.
    pub fn organization_id(&self) -> Option<&str> {
        self.organization_id.as_deref()
    }

    /// Sends one logical request, retrying what is transient, and returns a success answer.
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<bytes::Bytes, WorkbenchError> {
        let (method, url) = (&method, &url);
        self.sender
            .send(method, url.path(), |attempt| async move {
                let request = self
                    .sender
                    .request(method, url, body)
                    .bearer_auth(self.api_key.expose_secret());
                match self.sender.exchange(&attempt, request).await {
                    Answer::Success(body) => Outcome::Done(body),
                    Answer::Refused { received, verdict } => Outcome::Failed {
                        verdict,
                        error: error::classify(received.status.as_u16(), &received.body),
                    },
                    Answer::Dropped(err) => Outcome::Failed {
                        verdict: Verdict::Transient(None),
                        error: WorkbenchError::Transient(err.to_string()),
                    },
                }
            })
            .await
    }

    async fn get_one(&self, url: Url) -> Result<Resource, WorkbenchError> {
        let bytes = self.send(Method::GET, url, None).await?;
        Ok(decode::<Document<Resource>>(&bytes)?.data)
    }

    /// The first page of a collection, `filters` as `filter[<name>]` parameters.
    fn collection_url(&self, segments: &[&str], filters: &[(String, &str)]) -> Url {
        let limit = PAGE_LIMIT.to_string();
        let mut query: Vec<(&str, &str)> = filters
            .iter()
            .map(|(name, value)| (name.as_str(), *value))
            .collect();
        query.push(("page[limit]", &limit));
        self.base.join(segments, &query)
    }

    /// Follows `links.next` (absolute or relative) until it is absent.
    async fn get_all(&self, url: Url) -> Result<Vec<Resource>, WorkbenchError> {
        Ok(self.get_all_including(url).await?.0)
    }

    /// Like `get_all`, also returning what every page includes (`include=`).
    async fn get_all_including(
        &self,
        url: Url,
    ) -> Result<(Vec<Resource>, Vec<Resource>), WorkbenchError> {
        let mut items = Vec::new();
        let mut included = Vec::new();
        let mut next = Some(url);
        while let Some(url) = next.take() {
            let bytes = self.send(Method::GET, url.clone(), None).await?;
            let page: Document<Vec<Resource>> = decode(&bytes)?;
            items.extend(page.data);
            included.extend(page.included);
            next = match page.links.next {
                Some(link) => Some(self.same_origin(&url, &link)?),
                None => None,
            };
        }
        Ok((items, included))
    }

    /// Resolves a next link against the page it was read from, keeping it on the Workbench URL.
    fn same_origin(&self, current: &Url, link: &str) -> Result<Url, WorkbenchError> {
        let next = current
            .join(link)
            .map_err(|err| WorkbenchError::Unexpected(format!("bad links.next {link:?}: {err}")))?;
        if next.origin() != self.base.as_url().origin() {
            return Err(WorkbenchError::Unexpected(format!(
                "links.next {link:?} leaves the Workbench URL"
            )));
        }
        Ok(next)
    }

    /// The organizations the API key can see.
    pub async fn list_organizations(&self) -> Result<Vec<Organization>, WorkbenchError> {
        let items = self
            .get_all(self.collection_url(ORGANIZATIONS, &[]))
            .await?;
        Ok(items.into_iter().map(Resource::into_organization).collect())
    }

    fn context_url(&self, filters: &[(&str, &str)]) -> Url {
        let mut all: Vec<(String, &str)> = filters
            .iter()
            .map(|(name, value)| (format!("filter[{name}]"), *value))
            .collect();
        if let Some(org) = &self.organization_id {
            all.push(("filter[organization][id]".to_owned(), org));
        }
        self.collection_url(CONTEXT_VARIABLES, &all)
    }

    /// Every list-valued context entry of the organization.
    pub async fn list_context_lists(&self) -> Result<Vec<ContextList>, WorkbenchError> {
        let items = self.get_all(self.context_url(&[])).await?;
        Ok(items
            .into_iter()
            .filter(|r| r.attributes.get("is_array").and_then(Value::as_bool) != Some(false))
            .filter_map(|r| r.into_context_list().ok())
            .collect())
    }

    /// The context list with this exact name, if any.
    pub async fn find_context_list_by_name(
        &self,
        name: &str,
    ) -> Result<Option<ContextList>, WorkbenchError> {
        let items = self.get_all(self.context_url(&[("name", name)])).await?;
        // Filters may match loosely; the name must match exactly.
        for item in items {
            if item.attributes.get("name").and_then(Value::as_str) == Some(name) {
                return item
                    .into_context_list()
                    .map(Some)
                    .map_err(WorkbenchError::Unexpected);
            }
        }
        Ok(None)
    }

    /// Reads a context list by id.
    pub async fn get_context_list(&self, id: &str) -> Result<ContextList, WorkbenchError> {
        let url = self.base.object(CONTEXT_VARIABLES, id);
        self.get_one(url)
            .await?
            .into_context_list()
            .map_err(WorkbenchError::Unexpected)
    }

    /// Creates a context list.
    pub async fn create_context_list(
        &self,
        spec: &ContextListSpec,
    ) -> Result<ContextList, WorkbenchError> {
        let body = types::create_document(spec, self.organization_id.as_deref());
        let bytes = self
            .send(
                Method::POST,
                self.base.join(CONTEXT_VARIABLES, &[]),
                Some(&body),
            )
            .await?;
        decode::<Document<Resource>>(&bytes)?
            .data
            .into_context_list()
            .map_err(WorkbenchError::Unexpected)
    }

    /// Updates name, description and values of a context list.
    pub async fn update_context_list(
        &self,
        id: &str,
        spec: &ContextListSpec,
    ) -> Result<ContextList, WorkbenchError> {
        let body = types::update_document(id, spec);
        let url = self.base.object(CONTEXT_VARIABLES, id);
        let bytes = self.send(Method::PATCH, url, Some(&body)).await?;
        decode::<Document<Resource>>(&bytes)?
            .data
            .into_context_list()
            .map_err(WorkbenchError::Unexpected)
    }

    /// Deletes a context list. Absent lists count as deleted.
    pub async fn delete_context_list(&self, id: &str) -> Result<(), WorkbenchError> {
        let url = self.base.object(CONTEXT_VARIABLES, id);
        match self.send(Method::DELETE, url, None).await {
            Ok(_) => Ok(()),
            Err(err) if err.is_not_found() => Ok(()),
            Err(err) => Err(err),
        }
    }
}

/// Decodes an answer, or says it could not.
fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, WorkbenchError> {
    serde_json::from_slice(bytes)
        .map_err(|err| WorkbenchError::Unexpected(format!("could not decode the answer: {err}")))
}

#[cfg(test)]
mod properties;
