//! Bad input never panics: arbitrary bytes and mutated real rosters always
//! give a roster or diagnostics with real positions.

use proptest::prelude::*;

use psrt::roster::{LoadError, parse, validate::validate};

fn real_roster() -> &'static str {
    include_str!("../../roster.yaml")
}

fn assert_sane(bytes: &[u8]) {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    match parse(bytes) {
        Ok(loaded) => {
            let _ = validate(&loaded, today);
        }
        Err(LoadError::Invalid { diagnostics, .. }) => {
            assert!(!diagnostics.is_empty());
            let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u32 + 2;
            for d in &diagnostics {
                assert!(
                    d.loc.line >= 1 && d.loc.line <= lines,
                    "{d:?} in {lines} lines"
                );
                assert!(!d.message.is_empty());
            }
        }
        Err(LoadError::Io(e)) => panic!("{e}"),
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    Replace(usize, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let pos = 0..4000usize;
    prop_oneof![
        (pos.clone(), 1..40usize).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (
            pos.clone(),
            prop::collection::vec(
                prop::sample::select(b" \n\t:-#[]{}\"'&*!|>%@`,?0aZ\xff\x00".to_vec()),
                1..8
            )
        )
            .prop_map(|(a, b)| Mutation::Insert(a, b)),
        (0..200usize).prop_map(Mutation::DuplicateLine),
        (0..200usize, 0..200usize).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (pos, any::<u8>()).prop_map(|(a, b)| Mutation::Replace(a, b)),
    ]
}

fn apply(text: &[u8], m: &Mutation) -> Vec<u8> {
    let mut v = text.to_vec();
    let clamp = |i: usize| i.min(v.len());
    match m {
        Mutation::Delete(a, n) => {
            let a = clamp(*a);
            let b = (a + n).min(v.len());
            v.drain(a..b);
        }
        Mutation::Insert(a, bytes) => {
            let a = clamp(*a);
            v.splice(a..a, bytes.iter().copied());
        }
        Mutation::Replace(a, b) => {
            if !v.is_empty() {
                let a = (*a).min(v.len() - 1);
                v[a] = *b;
            }
        }
        Mutation::DuplicateLine(i) | Mutation::SwapLines(i, _) => {
            let mut lines: Vec<Vec<u8>> = v.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
            let n = lines.len();
            match m {
                Mutation::DuplicateLine(_) => {
                    let l = lines[i % n].clone();
                    lines.insert(i % n, l);
                }
                Mutation::SwapLines(_, j) => lines.swap(i % n, j % n),
                _ => unreachable!(),
            }
            v = lines.join(&b'\n');
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        assert_sane(&bytes);
    }

    #[test]
    fn yaml_like_text_never_panics(text in "[ \\n\\t:\\-#\\[\\]{}\"'&*!|>%@,a-z0-9]{0,400}") {
        assert_sane(text.as_bytes());
    }

    #[test]
    fn mutated_real_rosters_never_panic(muts in prop::collection::vec(mutation(), 1..6)) {
        let mut text = real_roster().as_bytes().to_vec();
        for m in &muts {
            text = apply(&text, m);
        }
        assert_sane(&text);
    }

    /// The event reader (`roster::yaml::read`) on arbitrary bytes: no
    /// panic, and whenever it answers, its tree is serde-saphyr's, every
    /// position included.
    #[test]
    fn the_event_reader_agrees_with_serde_saphyr_on_arbitrary_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..2048)
    ) {
        agrees(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn the_event_reader_agrees_with_serde_saphyr_on_yaml_like_text(
        text in "[ \\n\\t:\\-#\\[\\]{}\"'&*!|>%@,.~_+a-fx-z0-9]{0,400}"
    ) {
        agrees(&text);
    }

    #[test]
    fn the_event_reader_agrees_with_serde_saphyr_on_mutated_rosters(
        muts in prop::collection::vec(mutation(), 1..6)
    ) {
        let mut text = real_roster().as_bytes().to_vec();
        for m in &muts {
            text = apply(&text, m);
        }
        agrees(&String::from_utf8_lossy(&text));
    }

    /// Rosters cut in two halves (`roster::yaml::read_in_two`): whenever
    /// the halves answer, their tree is the one of the whole.
    #[test]
    fn the_two_halves_agree_with_serde_saphyr_on_member_lists(
        head in prop::sample::select(vec!["", "version: 1\n", "a: 1\nb:\n  - x\n", "- x\n"]),
        pieces in prop::collection::vec(member_piece(), 1..24),
        crlf in any::<bool>(),
    ) {
        let mut text = format!("{head}members:\n{}", pieces.concat());
        if crlf {
            text = text.replace('\n', "\r\n");
        }
        agrees(&text);
    }

    /// Scalars shaped like numbers, booleans and nulls, as values and keys,
    /// plain and quoted.
    #[test]
    fn the_event_reader_resolves_scalars_as_serde_saphyr_does(
        v in "[-+]?(0[xXoObB])?[0-9a-fA-F_.eE]{0,12}|[-+]?\\.(inf|Inf|INF|nan|NaN)|~|null|Null|[tT]rue|FALSE|[0-9]{15,25}",
        quote in prop::sample::select(vec!["", "'", "\""]),
    ) {
        for text in [
            format!("k: {quote}{v}{quote}\n"),
            format!("- {quote}{v}{quote}\n- [{v}, {{a: {v}}}]\n"),
            format!("{quote}{v}{quote}: k\n"),
            format!("{quote}{v}{quote}: k\nz: {v}\n"),
        ] {
            agrees(&text);
        }
    }
}

/// See `roster::yaml`: the fast reader's tree equals serde-saphyr's, or it
/// defers to serde-saphyr.
fn agrees(text: &str) {
    let general = || psrt::roster::load::parse_tree_general(text);
    if let Some(fast) = psrt::roster::yaml::read_whole(text) {
        assert_eq!(Ok(&fast), general().as_ref(), "{text:?}");
    }
    if let Some(two) = psrt::roster::yaml::read_in_two(text) {
        assert_eq!(Ok(&two), general().as_ref(), "in two halves: {text:?}");
    }
}

/// The generator above is not vacuous: a good share of its rosters are
/// read in two halves (and agree), many others defer.
#[test]
fn member_lists_reach_the_two_halves() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let lists = prop::collection::vec(member_piece(), 1..24);
    let (mut split, total) = (0, 400);
    for _ in 0..total {
        let pieces = lists.new_tree(&mut runner).unwrap().current();
        let text = format!("version: 1\nmembers:\n{}", pieces.concat());
        agrees(&text);
        split += usize::from(psrt::roster::yaml::read_in_two(&text).is_some());
    }
    assert!(split * 10 > total, "{split} of {total} split");
    assert!(split * 10 < total * 9, "{split} of {total} split");
}

/// Pieces of a `members` list: mostly entries that read (some of them
/// leaving a scalar open across lines), sometimes one that cannot (left
/// open at the end, another column, another document), and noise.
fn member_piece() -> impl Strategy<Value = String> {
    let entries = [
        "  - name: A\n    github: a\n",
        "  - name: B\n    github:\n",
        "  -\n",
        "  - \n",
        "  - n: |+\n      x\n\n\n",
        "  - n: >-\n      folded\n      text\n\n",
        "  - \"multi\n    - line\"\n",
        "  - 'multi\n    - line'\n",
        "  - plain\n    continued\n",
        "  # a comment\n",
        "# a comment\n",
        "\n",
        "  - ? k\n    : v\n",
        "  - roles:\n    - admin\n",
        "  - roles:\n  - admin\n",
        "  - k: v # c\n",
        "  - k: \"v\"\n",
        "  - [a,\n    b]\n",
        "  - |\n",
        "  - n: >+\n\n",
        "  - n: |2-\n",
        "  - ? k\n",
        "  - ?\n",
        "  - n:\n",
        "  - n: ''\n",
        "  - {a: 1,\n    b: 2}\n",
    ];
    let breaking = [
        "  - n: |\n  x\n",
        "  - \"open\n",
        "  - [a,\n  - b]\n",
        "...\n",
        "---\n",
        "other: 1\n",
        "notes: |\n",
        "members:\n",
        "- x\n",
        "    - y\n",
        " - z\n",
        "  -\tx\n",
        "\t- x\n",
        "  - &a x\n",
        "  - *a\n",
        "  - a: 1\n    a: 2\n",
        "\r\n",
    ];
    prop_oneof![
        30 => prop::sample::select(entries.to_vec()).prop_map(str::to_owned),
        1 => prop::sample::select(breaking.to_vec()).prop_map(str::to_owned),
        1 => "[ \\n\\t:\\-#\\[\\]{}\"'|>a-c0-9]{0,30}",
    ]
}

#[test]
fn garbage_files_exit_1_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    for (i, bytes) in [
        &b"\x00\x01\x02"[..],
        b"\xff\xfe",
        b"[[[[",
        b"- - - -",
        b"*x",
        b"&a [*a]",
    ]
    .iter()
    .enumerate()
    {
        let path = dir.path().join(format!("r{i}.yaml"));
        std::fs::write(&path, bytes).unwrap();
        let r = crate::common::run(
            crate::common::psrt()
                .arg("--roster")
                .arg(&path)
                .arg("check"),
        );
        assert_eq!(r.code, 1, "{bytes:?}: {}", r.all());
        assert!(
            r.stdout.contains(&format!("r{i}.yaml:")),
            "{bytes:?}: {}",
            r.all()
        );
    }
}
