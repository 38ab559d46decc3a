//! The organisation's teams and invitations: who is in a team and with
//! which role, invitations pending and failed, and the writes `psrt sync`
//! makes (membership, role, cancelling an invitation).

use std::collections::HashSet;

use http::Method;
use serde::Deserialize;

use super::model::{Invitation, MembershipState, Team, TeamRole, User};
use super::transport::{Fresh, Sensitivity::Public, decode, enc};
use super::{GitHub, GitHubError};
use crate::ids::Login;

fn team_path(org: &str, team: &str) -> String {
    format!("/orgs/{}/teams/{}", enc(org), enc(team))
}

impl GitHub {
    /// Every member of `team`, whatever their role.
    pub async fn team_members(&self, org: &str, team: &str) -> Result<Vec<User>, GitHubError> {
        self.list(&format!("{}/members", team_path(org, team)), Public)
            .await
    }

    /// The logins of every member of `team`.
    pub async fn team_logins(&self, org: &str, team: &str) -> Result<HashSet<Login>, GitHubError> {
        let users = self.team_members(org, team).await?;
        Ok(users.into_iter().map(|u| Login::new(u.login)).collect())
    }

    /// The logins of every member of `team`, only if the list changed since
    /// psrt last acted upon it (conditional requests).
    pub async fn team_logins_if_changed(
        &self,
        org: &str,
        team: &str,
    ) -> Result<Fresh<HashSet<Login>>, GitHubError> {
        let users: Fresh<Vec<User>> = self
            .list_if_changed(&format!("{}/members", team_path(org, team)), Public)
            .await?;
        Ok(users.map(|u| u.into_iter().map(|u| Login::new(u.login)).collect()))
    }

    /// The union of several teams' members, or why one cannot be read.
    pub async fn logins_in_teams(
        &self,
        org: &str,
        teams: &[String],
    ) -> Result<HashSet<Login>, String> {
        let mut all = HashSet::new();
        for t in teams {
            match self.team_logins(org, t).await {
                Ok(set) => all.extend(set),
                Err(e) => return Err(format!("cannot read team {org}/{t}: {}", e.reason())),
            }
        }
        Ok(all)
    }

    /// The members of `team` who hold `role` (GitHub filters by role; each
    /// person is in exactly one of the two lists).
    pub async fn team_members_with_role(
        &self,
        org: &str,
        team: &str,
        role: TeamRole,
    ) -> Result<Vec<User>, GitHubError> {
        self.list(
            &format!("{}/members?role={}", team_path(org, team), role.as_str()),
            Public,
        )
        .await
    }

    /// The team's pending invitations.
    pub async fn team_invitations(
        &self,
        org: &str,
        team: &str,
    ) -> Result<Vec<Invitation>, GitHubError> {
        self.list(&format!("{}/invitations", team_path(org, team)), Public)
            .await
    }

    /// The organisation's failed invitations.
    pub async fn failed_invitations(&self, org: &str) -> Result<Vec<Invitation>, GitHubError> {
        self.list(&format!("/orgs/{}/failed_invitations", enc(org)), Public)
            .await
    }

    /// The teams an invitation names.
    pub async fn invitation_teams(
        &self,
        org: &str,
        invitation_id: u64,
    ) -> Result<Vec<Team>, GitHubError> {
        self.list(
            &format!("/orgs/{}/invitations/{invitation_id}/teams", enc(org)),
            Public,
        )
        .await
    }

    /// Whether the team exists (or the token can see it).
    pub async fn team_exists(&self, org: &str, team: &str) -> Result<bool, GitHubError> {
        Ok(self
            .get_opt::<serde::de::IgnoredAny>(&team_path(org, team), Public)
            .await?
            .is_some())
    }

    /// Adds `login` to the team with `role`, or changes their role; someone
    /// outside the organisation is invited (the membership is pending).
    pub async fn set_team_membership(
        &self,
        org: &str,
        team: &str,
        login: &str,
        role: TeamRole,
    ) -> Result<MembershipState, GitHubError> {
        #[derive(Deserialize)]
        struct Membership {
            state: String,
        }
        let path = format!("{}/memberships/{}", team_path(org, team), enc(login));
        let body = serde_json::json!({ "role": role.as_str() });
        let resp = self.write(Method::PUT, &path, Some(&body), Public).await?;
        let m: Membership = decode(&resp, &Method::PUT, &path)?;
        Ok(if m.state == "pending" {
            MembershipState::Pending
        } else {
            MembershipState::Active
        })
    }

    /// Takes `login` out of the team.
    pub async fn remove_team_membership(
        &self,
        org: &str,
        team: &str,
        login: &str,
    ) -> Result<(), GitHubError> {
        let path = format!("{}/memberships/{}", team_path(org, team), enc(login));
        self.write(Method::DELETE, &path, None, Public).await?;
        Ok(())
    }

    /// Cancels an organisation invitation.
    pub async fn cancel_invitation(
        &self,
        org: &str,
        invitation_id: u64,
    ) -> Result<(), GitHubError> {
        let path = format!("/orgs/{}/invitations/{invitation_id}", enc(org));
        self.write(Method::DELETE, &path, None, Public).await?;
        Ok(())
    }
}
