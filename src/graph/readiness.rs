//! Read-only Graph calls of the readiness checks: MFA registration, hybrid sync, who may be
//! reset (users, their directory roles and group memberships), and the message trace
//! prerequisite. Lookups of many users go through JSON `$batch` (20 requests per call), never
//! one HTTP request per user.
//!
//! Not for writes: nothing here changes the tenant.

use std::collections::BTreeMap;

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;
use url::Url;

use super::error::classify;
use super::{client, filter, GraphClient, GraphError, RoleAssignment};

/// Registration reports: AuditLog.Read.All (Reports.Read.All is not enough).
pub const AUDIT_LOG: &str = "AuditLog.Read.All";
/// Reading users.
pub const USERS: &str = "User.Read.All (or Directory.Read.All)";
/// Reading the groups a user belongs to.
pub const GROUPS: &str = "GroupMember.Read.All (or Directory.Read.All)";
/// Reading the organization object.
pub const ORGANIZATION: &str = "Organization.Read.All (or Directory.Read.All)";
/// Reading directory role assignments.
pub const ROLES_READ: &str =
    "RoleManagement.Read.Directory (or RoleManagement.ReadWrite.Directory)";

/// appId of Microsoft's app whose service principal the v1.0 message trace API needs in the
/// tenant (without it the API answers 401 "the service principal for App ID … was not found").
pub const MESSAGE_TRACE_APP_ID: &str = "8bd644d1-64a1-4d4b-ae52-2e0cbf64e373";

/// Graph's limit of requests in one JSON batch.
pub const BATCH_SIZE: usize = 20;

/// The error code with which Graph refuses the registration reports to a tenant without an
/// Entra ID P1 or P2 licence.
// [I] The reference sheet infers this code; it is matched here only, together with the status.
const NON_PREMIUM_TENANT: &str = "Authentication_RequestFromNonPremiumTenantOrB2CTenant";

/// True when `err` says the tenant lacks the Entra ID P1/P2 licence the reports need.
pub fn is_missing_licence(err: &GraphError) -> bool {
    matches!(err, GraphError::Forbidden { failure, .. } if failure.code.eq_ignore_ascii_case(NON_PREMIUM_TENANT))
}

/// One row of `reports/authenticationMethods/userRegistrationDetails`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationDetail {
    /// The user's object id.
    pub id: String,
    /// Sign-in name.
    #[serde(default)]
    pub user_principal_name: String,
    /// `member` or `guest`.
    #[serde(default)]
    pub user_type: Option<String>,
    /// Whether the user has registered a strong authentication method.
    #[serde(default)]
    pub is_mfa_registered: bool,
}

/// The tenant's hybrid (on-premises sync) state.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationSync {
    /// Tenant id.
    pub id: String,
    /// `true` when synchronised from on-premises, `false` when it once was, `None` when never.
    #[serde(default)]
    pub on_premises_sync_enabled: Option<bool>,
    /// Last sync, as Graph formats it.
    #[serde(default)]
    pub on_premises_last_sync_date_time: Option<String>,
}

/// A user as the reset checks need it.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryUser {
    /// Object id.
    pub id: String,
    /// Sign-in name.
    #[serde(default)]
    pub user_principal_name: String,
    /// Primary SMTP address.
    #[serde(default)]
    pub mail: Option<String>,
    /// Whether the account may sign in.
    #[serde(default)]
    pub account_enabled: Option<bool>,
    /// `Member` or `Guest`.
    #[serde(default)]
    pub user_type: Option<String>,
    /// Whether the user is synchronised from on-premises.
    #[serde(default)]
    pub on_premises_sync_enabled: Option<bool>,
}

/// A directory object a user is a member of (a group, a directory role, an administrative
/// unit). Without a permission that can read groups, Graph returns only `id` and the type,
/// so `is_assignable_to_role` is then `None`: unknown, never "no".
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Membership {
    /// Object id.
    pub id: String,
    /// `#microsoft.graph.group`, …
    #[serde(rename = "@odata.type", default)]
    pub odata_type: Option<String>,
    /// Display name, when readable.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Whether directory roles can be assigned to the group.
    #[serde(default)]
    pub is_assignable_to_role: Option<bool>,
}

impl Membership {
    /// Whether this is a group.
    pub fn is_group(&self) -> bool {
        self.odata_type.as_deref() == Some("#microsoft.graph.group")
    }
}

/// A directory role definition with whether it is built in.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleDefinitionSummary {
    /// Definition id.
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// Built in (as opposed to custom).
    #[serde(default)]
    pub is_built_in: Option<bool>,
}

/// How a list value names a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum UserKey {
    /// By `userPrincipalName`.
    UserPrincipalName,
    /// By `mail`.
    Mail,
}

/// Where a user stands in the directory: its direct role assignments and memberships.
#[derive(Clone, Debug, Default)]
pub struct Standing {
    /// Directory roles assigned to the user directly.
    pub role_assignments: Vec<RoleAssignment>,
    /// Groups (and other objects) the user is a direct member of.
    pub memberships: Vec<Membership>,
}

/// One page of a collection inside a batch answer.
#[derive(Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
}

#[derive(Deserialize)]
struct BatchAnswer {
    #[serde(default)]
    responses: Vec<BatchItem>,
}

#[derive(Deserialize)]
struct BatchItem {
    id: String,
    status: u16,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    body: serde_json::Value,
}

/// One GET of a collection for [`GraphClient::batch_lists`].
struct ListRequest {
    url: Url,
    permission: &'static str,
}

const USER_FIELDS: &str = "id,userPrincipalName,mail,accountEnabled,userType,onPremisesSyncEnabled";

impl GraphClient {
    /// Member users without MFA registered, from the registration report (paged). Disabled
    /// users are not in the report.
    pub async fn users_without_mfa(&self) -> Result<Vec<RegistrationDetail>, GraphError> {
        let url = self.url(
            &[
                "reports",
                "authenticationMethods",
                "userRegistrationDetails",
            ],
            &[("$filter", "isMfaRegistered eq false")],
        );
        let rows: Vec<RegistrationDetail> = self.list(url, AUDIT_LOG).await?;
        // [I] userType is not documented as filterable on this report: filtered here.
        Ok(rows
            .into_iter()
            // Rows the filter should have left out, should a replica ignore it.
            .filter(|r| !r.is_mfa_registered)
            .filter(|r| {
                r.user_type
                    .as_deref()
                    .is_none_or(|t| t.eq_ignore_ascii_case("member"))
            })
            .collect())
    }

    /// The tenant's on-premises sync state.
    pub async fn organization_sync(&self) -> Result<Option<OrganizationSync>, GraphError> {
        let url = self.url(
            &["organization"],
            &[(
                "$select",
                "id,onPremisesSyncEnabled,onPremisesLastSyncDateTime",
            )],
        );
        Ok(self.list(url, ORGANIZATION).await?.into_iter().next())
    }

    /// Every directory role definition (one call, paged): names for the roles users hold.
    pub async fn role_definitions(&self) -> Result<Vec<RoleDefinitionSummary>, GraphError> {
        let url = self.url(
            &["roleManagement", "directory", "roleDefinitions"],
            &[("$select", "id,displayName,isBuiltIn")],
        );
        self.list(url, ROLES_READ).await
    }

    /// The users named by `keys`, in order, each `None` when no user has that name; batched.
    pub async fn find_users(
        &self,
        keys: &[(UserKey, String)],
    ) -> Result<Vec<Result<Option<DirectoryUser>, GraphError>>, GraphError> {
        let requests = keys
            .iter()
            .map(|(key, value)| {
                let property = match key {
                    UserKey::UserPrincipalName => "userPrincipalName",
                    UserKey::Mail => "mail",
                };
                let filter = filter::eq(property, value);
                ListRequest {
                    url: self.url(
                        &["users"],
                        &[("$filter", &filter), ("$select", USER_FIELDS)],
                    ),
                    permission: USERS,
                }
            })
            .collect();
        let answers = self.batch_lists::<DirectoryUser>(requests).await?;
        Ok(answers
            .into_iter()
            .map(|found| found.map(|users| users.into_iter().next()))
            .collect())
    }

    /// The direct role assignments and memberships of each user, in order; batched (two
    /// requests per user).
    pub async fn standings(
        &self,
        user_ids: &[String],
    ) -> Result<Vec<Result<Standing, GraphError>>, GraphError> {
        let mut requests = Vec::with_capacity(user_ids.len() * 2);
        for id in user_ids {
            let filter = filter::eq("principalId", id);
            requests.push(ListRequest {
                url: self.url(
                    &["roleManagement", "directory", "roleAssignments"],
                    &[("$filter", &filter)],
                ),
                permission: ROLES_READ,
            });
            // [I] memberOf with $select of isAssignableToRole: the reference sheet infers it.
            requests.push(ListRequest {
                url: self.url(
                    &["users", id, "memberOf"],
                    &[("$select", "id,displayName,isAssignableToRole")],
                ),
                permission: GROUPS,
            });
        }
        let mut answers = self
            .batch_lists::<serde_json::Value>(requests)
            .await?
            .into_iter();
        let mut standings = Vec::with_capacity(user_ids.len());
        while let (Some(roles), Some(groups)) = (answers.next(), answers.next()) {
            standings.push(standing(roles, groups));
        }
        Ok(standings)
    }

    /// GETs each collection through `$batch`, 20 per call, following each one's next links.
    /// The outer error is a failed batch call; the inner ones are each request's own answer.
    /// An item Graph throttled or failed inside the batch is sent again on its own, through
    /// the one retry loop.
    async fn batch_lists<T: DeserializeOwned>(
        &self,
        requests: Vec<ListRequest>,
    ) -> Result<Vec<Result<Vec<T>, GraphError>>, GraphError> {
        let mut results = Vec::with_capacity(requests.len());
        for chunk in requests.chunks(BATCH_SIZE) {
            let body = json!({
                "requests": chunk.iter().enumerate().map(|(n, r)| json!({
                    "id": n.to_string(),
                    "method": "GET",
                    "url": self.relative(&r.url),
                })).collect::<Vec<_>>(),
            });
            let permission = chunk.first().map_or(USERS, |r| r.permission);
            let answer = self
                .send(
                    Method::POST,
                    self.url(&["$batch"], &[]),
                    Some(&body),
                    permission,
                )
                .await?;
            let answer: BatchAnswer = client::decode(&answer)?;
            let mut items: BTreeMap<usize, BatchItem> = answer
                .responses
                .into_iter()
                .filter_map(|item| item.id.parse().ok().map(|n| (n, item)))
                .collect();
            for (n, request) in chunk.iter().enumerate() {
                let result = match items.remove(&n) {
                    Some(item) => self.finish_item(item, request).await,
                    None => self.list(request.url.clone(), request.permission).await,
                };
                results.push(result);
            }
        }
        Ok(results)
    }

    /// One batch item's answer: its page and the pages after it, or its error.
    async fn finish_item<T: DeserializeOwned>(
        &self,
        item: BatchItem,
        request: &ListRequest,
    ) -> Result<Vec<T>, GraphError> {
        match item.status {
            200 => {
                let page: Page<T> = serde_json::from_value(item.body).map_err(|err| {
                    GraphError::Unexpected(format!("could not decode a batch answer: {err}"))
                })?;
                let mut items = page.value;
                if let Some(next) = page.next_link {
                    let url = Url::parse(&next).map_err(|err| {
                        GraphError::Unexpected(format!("bad @odata.nextLink {next:?}: {err}"))
                    })?;
                    items.extend(self.list::<T>(url, request.permission).await?);
                }
                Ok(items)
            }
            429 | 500..=599 => self.list(request.url.clone(), request.permission).await,
            status => {
                let body = serde_json::to_vec(&item.body).unwrap_or_default();
                let request_id = item
                    .headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("request-id"))
                    .map(|(_, v)| v.clone());
                Err(classify(
                    status,
                    &body,
                    request_id,
                    String::new(),
                    request.permission,
                ))
            }
        }
    }

    /// `url` relative to `/v1.0`, as a batch item names it: `/users?$filter=…`.
    fn relative(&self, url: &Url) -> String {
        let base = self.url(&[], &[]);
        let path = url
            .path()
            .strip_prefix(base.path().trim_end_matches('/'))
            .unwrap_or(url.path());
        match url.query() {
            Some(query) => format!("{path}?{query}"),
            None => path.to_owned(),
        }
    }
}

/// A user's standing from its two answers.
fn standing(
    roles: Result<Vec<serde_json::Value>, GraphError>,
    groups: Result<Vec<serde_json::Value>, GraphError>,
) -> Result<Standing, GraphError> {
    fn decode<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, GraphError> {
        serde_json::from_value(value)
            .map_err(|err| GraphError::Unexpected(format!("could not decode the answer: {err}")))
    }
    Ok(Standing {
        role_assignments: roles?.into_iter().map(decode).collect::<Result<_, _>>()?,
        memberships: groups?.into_iter().map(decode).collect::<Result<_, _>>()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::ApiFailure;

    fn forbidden(code: &str) -> GraphError {
        GraphError::Forbidden {
            permission: AUDIT_LOG,
            failure: ApiFailure {
                status: 403,
                code: code.into(),
                ..ApiFailure::default()
            },
        }
    }

    #[test]
    fn a_non_premium_tenant_is_a_missing_licence_not_a_missing_permission() {
        assert!(is_missing_licence(&forbidden(
            "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
        )));
        assert!(!is_missing_licence(&forbidden(
            "Authorization_RequestDenied"
        )));
    }

    #[test]
    fn memberships_without_group_permission_are_unknown_not_false() {
        let m: Membership =
            serde_json::from_value(json!({"@odata.type": "#microsoft.graph.group", "id": "g"}))
                .unwrap();
        assert!(m.is_group());
        assert_eq!(m.is_assignable_to_role, None);
    }
}
