//! The modules in `asn1/verbatim/` are PROTOCOL 2.1's modules token for token (checked against
//! the original text where it is found beside the repository, as in CI), and `asn1/portable/`
//! differs from them by exactly the two changes documented in `asn1/README.md` (PROTOCOL 2.1).

use baton_asn1::MODULE_SOURCES;
use std::path::PathBuf;

/// ASN.1 tokens: comments (one token each, `--` to end of line), `::=`, `..`, punctuation,
/// and words.
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let (code, comment) = match line.find("--") {
            Some(i) => (&line[..i], Some(line[i..].trim())),
            None => (line, None),
        };
        let mut spaced = code.replace("::=", " ::= ").replace("..", " .. ");
        for p in ["{", "}", "(", ")", ",", ";"] {
            spaced = spaced.replace(p, &format!(" {p} "));
        }
        out.extend(spaced.split_whitespace().map(str::to_owned));
        out.extend(comment.map(str::to_owned));
    }
    out
}

#[test]
fn tokenizer_splits_punctuation() {
    assert_eq!(
        tokens("A ::= NumericString (SIZE(0..16)) -- note\nB{x,y}"),
        [
            "A",
            "::=",
            "NumericString",
            "(",
            "SIZE",
            "(",
            "0",
            "..",
            "16",
            ")",
            ")",
            "-- note",
            "B",
            "{",
            "x",
            ",",
            "y",
            "}"
        ]
    );
}

#[test]
fn portable_differs_only_by_module_name_case_and_exports() {
    for (name, verbatim, portable) in MODULE_SOURCES {
        let mut expected = tokens(verbatim);
        // Change 1: the module name starts with a capital letter (X.680 12.1).
        let first = &mut expected[0];
        assert!(first.starts_with("failover-"), "{name}: {first}");
        *first = format!("F{}", &first[1..]);
        // Change 2: `EXPORTS ;` (export nothing) is dropped; the default (export all) has
        // the same effect for a module that nothing imports.
        let at = expected
            .windows(2)
            .position(|w| w == ["EXPORTS", ";"])
            .unwrap_or_else(|| panic!("{name}: verbatim has EXPORTS ;"));
        expected.drain(at..at + 2);
        assert_eq!(tokens(portable), expected, "{name}");
    }
}

fn seed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/seeds/003_2ac2dc5f4763f653.txt")
}

#[test]
fn verbatim_is_the_seed_token_for_token() {
    let path = seed_path();
    let seed = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("skipped: seed not found at {} ({e})", path.display());
            return;
        }
        Err(e) => panic!("seed not found at {}: {e}", path.display()),
    };
    // The seed has the four modules of PROTOCOL 2.1; the replication module (2.8) is baton's.
    for (name, verbatim, _) in &MODULE_SOURCES[..4] {
        let module = name.trim_end_matches(".asn");
        let start = seed
            .find(&format!("\n{module}\n"))
            .unwrap_or_else(|| panic!("{module} not in the seed"));
        let end = start + seed[start..].find("\nEND").expect("module ends") + "\nEND".len();
        assert_eq!(tokens(verbatim), tokens(&seed[start..end]), "{name}");
    }
}

/// Every module's verbatim text appears in docs/PROTOCOL.md, token for token, in a fenced
/// `asn1` block (2.1 for the seed's four, 2.8 for the replication module).
#[test]
fn protocol_md_has_every_module_token_for_token() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/PROTOCOL.md");
    let doc = std::fs::read_to_string(&path).expect("docs/PROTOCOL.md is readable");
    let blocks: Vec<Vec<String>> = doc
        .split("```asn1\n")
        .skip(1)
        .filter_map(|b| b.split_once("```").map(|(code, _)| tokens(code)))
        .collect();
    for (name, verbatim, _) in MODULE_SOURCES {
        assert!(
            blocks.contains(&tokens(verbatim)),
            "{name}: not in docs/PROTOCOL.md token for token"
        );
    }
}
