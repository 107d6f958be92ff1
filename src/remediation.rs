//! The catalog of what each Expel Microsoft 365 auto remediation needs from the tenant: the
//! single source for resources, validation and docs.

use std::fmt;
use std::str::FromStr;

/// Microsoft Graph's appId.
pub const MICROSOFT_GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
/// Office 365 Exchange Online's appId.
pub const EXCHANGE_ONLINE_APP_ID: &str = "00000002-0000-0ff1-ce00-000000000000";

/// An Expel auto remediation for Microsoft 365.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Remediation {
    /// Reset Credentials: resets a compromised user's password.
    ResetCredentials,
    /// Remove Malicious Email: deletes a malicious message from mailboxes.
    RemoveMaliciousEmail,
}

impl Remediation {
    /// Every remediation.
    pub const ALL: [Remediation; 2] = [
        Remediation::ResetCredentials,
        Remediation::RemoveMaliciousEmail,
    ];

    /// The name used in configuration and import IDs.
    pub fn as_str(self) -> &'static str {
        match self {
            Remediation::ResetCredentials => "reset_credentials",
            Remediation::RemoveMaliciousEmail => "remove_malicious_email",
        }
    }

    /// appId of the API whose permission the remediation needs.
    pub fn resource_app_id(self) -> &'static str {
        match self {
            Remediation::ResetCredentials => MICROSOFT_GRAPH_APP_ID,
            Remediation::RemoveMaliciousEmail => EXCHANGE_ONLINE_APP_ID,
        }
    }

    /// Display name of that API.
    pub fn resource_name(self) -> &'static str {
        match self {
            Remediation::ResetCredentials => "Microsoft Graph",
            Remediation::RemoveMaliciousEmail => "Office 365 Exchange Online",
        }
    }

    /// The application permission (app role value) needed.
    pub fn permission(self) -> &'static str {
        match self {
            Remediation::ResetCredentials => "User.ReadWrite.All",
            Remediation::RemoveMaliciousEmail => "Exchange.ManageAsApp",
        }
    }

    /// The app role id Microsoft documents for that permission. Verified at run time against
    /// the resource service principal's `appRoles`, never trusted alone.
    pub fn documented_app_role_id(self) -> &'static str {
        match self {
            Remediation::ResetCredentials => "741f803b-c850-494e-b5df-cde7c675a1ca",
            Remediation::RemoveMaliciousEmail => "dc50a0fb-09a3-484d-be87-e023b12c6440",
        }
    }

    /// The directory role the app's service principal needs.
    pub fn directory_role(self) -> &'static str {
        match self {
            Remediation::ResetCredentials => "User Administrator",
            Remediation::RemoveMaliciousEmail => "Security Reader",
        }
    }

    /// Limits of the remediation the user must know about.
    pub fn limits(self) -> &'static str {
        match self {
            Remediation::ResetCredentials => "Privileged and administrator accounts cannot have their credentials reset. Users must have MFA registered, and hybrid tenants (synchronised from on-premises Active Directory) need password writeback.",
            Remediation::RemoveMaliciousEmail => "Message Trace must be enabled in Exchange Online. Customers onboarded with the Expel app before 2026-03-12 must grant consent again for Exchange.ManageAsApp.",
        }
    }
}

/// The two kinds of list an auto remediation can be limited by (one kind at a time).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ListKind {
    /// "Never reset" / "Never remove": these assets are never remediated automatically.
    Never,
    /// "Always reset": only these assets are remediated automatically.
    Always,
}

impl ListKind {
    /// The attribute of `expel_auto_remediation` holding lists of this kind.
    pub fn attribute(self) -> &'static str {
        match self {
            ListKind::Never => "never_list_ids",
            ListKind::Always => "always_list_ids",
        }
    }
}

impl Remediation {
    /// Workbench's `action_type` of the remediation's `remediation_action_settings`.
    pub fn action_type(self) -> &'static str {
        match self {
            Remediation::ResetCredentials => "RESET_CREDENTIALS_O365",
            Remediation::RemoveMaliciousEmail => "REMOVE_MALICIOUS_EMAIL",
        }
    }

    /// The remediation of a Workbench `action_type`, if it is one of these.
    pub fn from_action_type(action_type: &str) -> Option<Self> {
        Remediation::ALL
            .into_iter()
            .find(|r| r.action_type() == action_type)
    }

    /// The verb Workbench's list names use: "reset" or "remove".
    fn verb(self) -> &'static str {
        match self {
            Remediation::ResetCredentials => "reset",
            Remediation::RemoveMaliciousEmail => "remove",
        }
    }

    /// The list's name in Workbench, e.g. "Never reset", when the remediation offers it.
    pub fn list_name(self, kind: ListKind) -> Option<String> {
        let prefix = match kind {
            ListKind::Never => "Never",
            ListKind::Always => "Always",
        };
        (!self.list_context_types(kind).is_empty()).then(|| format!("{prefix} {}", self.verb()))
    }

    /// The context types a list of this kind may have (`expel_context_list.context_type`);
    /// empty when the remediation offers no such list (Remove Malicious Email has no
    /// "Always" list).
    pub fn list_context_types(self, kind: ListKind) -> &'static [&'static str] {
        match (self, kind) {
            (Remediation::ResetCredentials, _) => &["username", "email_address"],
            (Remediation::RemoveMaliciousEmail, ListKind::Never) => &["email_address"],
            (Remediation::RemoveMaliciousEmail, ListKind::Always) => &[],
        }
    }
}

impl fmt::Display for Remediation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a remediation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown remediation {0:?}; use reset_credentials or remove_malicious_email")]
pub struct UnknownRemediation(String);

impl FromStr for Remediation {
    type Err = UnknownRemediation;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Remediation::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRemediation(s.to_owned()))
    }
}

/// Which app the remediation runs as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ApplicationType {
    /// Expel's multi-tenant "Expel Microsoft 365 Integration" app: admin consent only.
    Expel,
    /// The customer's own app registration: declare the permission, then consent.
    Custom,
}

impl ApplicationType {
    /// The configuration name.
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationType::Expel => "expel",
            ApplicationType::Custom => "custom",
        }
    }
}

/// A name that is not an application type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown application_type {0:?}; use expel (Expel's integration app) or custom (your own app registration)")]
pub struct UnknownApplicationType(String);

impl FromStr for ApplicationType {
    type Err = UnknownApplicationType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "expel" => Ok(ApplicationType::Expel),
            "custom" => Ok(ApplicationType::Custom),
            _ => Err(UnknownApplicationType(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remediations_round_trip_through_their_names() {
        for r in Remediation::ALL {
            assert_eq!(r.as_str().parse::<Remediation>(), Ok(r));
        }
    }

    #[test]
    fn unknown_remediation_lists_the_valid_ones() {
        let err = "reset_password"
            .parse::<Remediation>()
            .unwrap_err()
            .to_string();
        assert!(err.contains("reset_credentials") && err.contains("remove_malicious_email"));
    }

    #[test]
    fn action_types_map_both_ways() {
        assert_eq!(
            Remediation::ResetCredentials.action_type(),
            "RESET_CREDENTIALS_O365"
        );
        assert_eq!(
            Remediation::RemoveMaliciousEmail.action_type(),
            "REMOVE_MALICIOUS_EMAIL"
        );
        for r in Remediation::ALL {
            assert_eq!(Remediation::from_action_type(r.action_type()), Some(r));
        }
        assert_eq!(Remediation::from_action_type("ISOLATE_HOST"), None);
    }

    #[test]
    fn lists_follow_the_guides() {
        let reset = Remediation::ResetCredentials;
        let remove = Remediation::RemoveMaliciousEmail;
        assert_eq!(
            reset.list_name(ListKind::Never).as_deref(),
            Some("Never reset")
        );
        assert_eq!(
            reset.list_name(ListKind::Always).as_deref(),
            Some("Always reset")
        );
        assert_eq!(
            remove.list_name(ListKind::Never).as_deref(),
            Some("Never remove")
        );
        assert_eq!(remove.list_name(ListKind::Always), None);
        assert_eq!(
            reset.list_context_types(ListKind::Always),
            ["username", "email_address"]
        );
        assert_eq!(
            remove.list_context_types(ListKind::Never),
            ["email_address"]
        );
    }

    #[test]
    fn application_types_parse() {
        assert_eq!(
            "custom".parse::<ApplicationType>(),
            Ok(ApplicationType::Custom)
        );
        assert!("Expel".parse::<ApplicationType>().is_err());
    }
}
