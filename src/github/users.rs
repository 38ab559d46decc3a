//! Accounts: by login, by the numeric id that survives renames, and psrt's
//! own identity (the App, or the token's user).

use serde::Deserialize;

use super::model::User;
use super::transport::{Sensitivity::Public, enc};
use super::{GitHub, GitHubError};

/// The GitHub App psrt runs as.
#[derive(Debug, Clone, Deserialize)]
pub struct App {
    pub id: u64,
    #[serde(default)]
    pub slug: Option<String>,
}

impl GitHub {
    /// The account that holds `login` now; `None` when nobody does.
    pub async fn user(&self, login: &str) -> Result<Option<User>, GitHubError> {
        self.get_opt(&format!("/users/{}", enc(login)), Public)
            .await
    }

    /// The account with this id, under its login of today; `None` when
    /// GitHub knows no such account.
    pub async fn user_by_id(&self, id: u64) -> Result<Option<User>, GitHubError> {
        self.get_opt(&format!("/user/{id}"), Public).await
    }

    /// The token's own user (`GET /user`).
    pub async fn authenticated_user(&self) -> Result<User, GitHubError> {
        self.get("/user", Public).await
    }

    /// The App psrt runs as (`GET /app`, signed with the App's key);
    /// `None` when psrt runs with a token.
    pub async fn app(&self) -> Result<Option<App>, GitHubError> {
        self.app_get("/app").await
    }

    /// The account psrt writes as: running as the App, its bot user
    /// (`{slug}[bot]`: the slug from `GET /app`, the account from `GET
    /// /users/{slug}[bot]`); with a token, the token's user (`GET /user`).
    pub async fn own_account(&self) -> Result<User, GitHubError> {
        match self.app().await? {
            Some(app) => {
                let slug = app.slug.ok_or_else(|| GitHubError::Decode {
                    method: http::Method::GET,
                    path: "/app".into(),
                    message: "GitHub did not say the App's slug".into(),
                })?;
                let login = format!("{slug}[bot]");
                self.user(&login).await?.ok_or_else(|| GitHubError::Decode {
                    method: http::Method::GET,
                    path: format!("/users/{}", enc(&login)),
                    message: "GitHub knows no account for the App's bot".into(),
                })
            }
            None => self.authenticated_user().await,
        }
    }
}
