//! Scenario data: the worlds the demo, the tests, the soak and the
//! benchmarks seed, kept here once so that none of them copies another's.
//! Plain data and seeding only; what psrt should make of a world is for
//! the tests to say.

pub mod audit;
pub mod demo;

/// A roster's history, version by version, as (login, admin) pairs: people
/// join, leave, gain and lose the admin role, and version 4 spells two
/// logins in capitals (GitHub logins are case-insensitive). `sync_github`
/// replays it against the team, and the soak runs its nights through it.
pub const ROSTER_HISTORY: [&[(&str, bool)]; 6] = [
    &[("a", true), ("b", true)],
    &[("a", true), ("b", true), ("c", false), ("d", false)],
    &[
        ("a", true),
        ("b", false),
        ("c", true),
        ("d", false),
        ("e", false),
    ],
    &[
        ("a", true),
        ("c", true),
        ("d", false),
        ("e", false),
        ("f", false),
        ("g", false),
    ],
    &[
        ("A", true),
        ("C", true),
        ("d", true),
        ("e", false),
        ("f", false),
        ("g", false),
        ("h", false),
    ],
    &[
        ("c", true),
        ("d", true),
        ("e", false),
        ("f", false),
        ("g", false),
        ("h", false),
        ("i", false),
        ("j", false),
    ],
];
