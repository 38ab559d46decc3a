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
