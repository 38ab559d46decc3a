//! The security-announce email, from the devguide's advisory template
//! (`security/psrt.rst`, "Advisory email"):
//!
//! ```text
//! Title: [{CVE-YYYY-XXXX}] {title}
//!
//! There is a {LOW, MEDIUM, HIGH, CRITICAL} severity vulnerability affecting {project}.
//!
//! {description}
//!
//! Please see the linked CVE ID for the latest information on affected versions:
//!
//! * https://www.cve.org/CVERecord?id={CVE-YYYY-XXXX}
//! * {pull request URL}
//! ```
//!
//! psrt renders it from `templates/announce-email.txt` (editable), adding
//! the affected and fixed versions the advisory states. The severity is the
//! rating of the CVSS score psrt computed.

use minijinja::{Value, context};

use super::Facts;

/// Where the email goes.
pub const TO: &str = "security-announce@python.org";

/// The template's variables.
pub fn context(f: &Facts) -> Value {
    let a = &f.advisory;
    let mut projects: Vec<String> = Vec::new();
    for p in &f.products {
        if !projects.contains(&p.product) {
            projects.push(p.product.clone());
        }
    }
    let project = match projects.as_slice() {
        [] => a.repo.clone(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    let affected: Vec<Value> = f
        .products
        .iter()
        .flat_map(|p| {
            p.ranges.iter().map(|(r, patched)| {
                let fixed = patched.clone().or_else(|| r.fixed().map(str::to_owned));
                let line = match &fixed {
                    Some(v) => format!("{} {} (fixed in {v})", p.product, r.describe()),
                    None => format!("{} {}", p.product, r.describe()),
                };
                context! {
                    product => p.product.clone(),
                    range => r.describe(),
                    fixed => fixed,
                    line => line,
                }
            })
        })
        .collect();
    let pulls: Vec<Value> = f
        .fix_pulls
        .iter()
        .map(|p| context! { url => p.url.clone(), base => p.base.clone(), merged => p.merge_commit.is_some() })
        .collect();
    context! {
        cve_id => f.cve_id.clone(),
        cve_url => format!("https://www.cve.org/CVERecord?id={}", f.cve_id),
        ghsa_id => a.ghsa_id.clone(),
        ghsa_url => a.html_url.clone(),
        title => a.summary.trim().to_owned(),
        description => a.description.trim().to_owned(),
        severity => f.cvss.severity.as_upper(),
        score => format!("{:.1}", f.cvss.score),
        vector => f.cvss.vector.clone(),
        cvss_version => f.cvss.version.as_str(),
        project => project,
        affected => affected,
        pull_requests => pulls,
    }
}
