//! How the ledger is kept (in clear, or encrypted in a workflow). Its own
//! file: `commands/mod.rs` is the judge's (CODEOWNERS), and the ledger is
//! no part of the approvals verdict.

/// How a command keeps its ledger. In a workflow (`GITHUB_ACTIONS`) the
/// ledger travels in an Actions cache any pull request can restore, so it
/// is written encrypted to the recipient of the job's own
/// `PSRT_CONTACT_KEY`, and the key is required: without it the command
/// stops before it reads or writes anything. Locally, the ledger is kept in
/// clear, and an encrypted one (a workflow's, fetched to look at) is opened
/// with the key when it is set.
pub fn ledger_keeping(env: &crate::config::Env) -> anyhow::Result<crate::ledger::Keeping> {
    use crate::ledger::Keeping;
    use crate::roster::contacts::{ContactKey, KEY_VAR};
    match (env.in_actions, ContactKey::from_env()) {
        (true, Some(Ok(key))) => Ok(Keeping::encrypted(key.identity().clone())),
        (true, None) => anyhow::bail!(
            "in a workflow the ledger is kept encrypted, to the recipient of {KEY_VAR}: {KEY_VAR} is not set; nothing was done (give this step the secret)"
        ),
        (true, Some(Err(e))) => {
            anyhow::bail!("in a workflow the ledger is kept encrypted: {e}; nothing was done")
        }
        (false, Some(Ok(key))) => Ok(Keeping::with_key(key.identity().clone())),
        (false, _) => Ok(Keeping::in_clear()),
    }
}
