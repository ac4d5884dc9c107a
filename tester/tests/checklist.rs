//! PROTOCOL.md section 10's checklist is the tester's index: every requirement the tester
//! checks is named there by its test id, and every id named there is a test of the tester.

use baton_tester::Requirement;
use std::collections::BTreeSet;

fn checklist() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/PROTOCOL.md");
    let text = std::fs::read_to_string(path).expect("docs/PROTOCOL.md");
    let start = text.find("\n## 10. Conformance").expect("section 10");
    let end = text.find("\n## 11.").expect("section 11");
    text[start..end].to_owned()
}

fn all() -> Vec<&'static Requirement> {
    baton_tester::member::REQUIREMENTS
        .iter()
        .chain(baton_tester::member::QUORUM_REQUIREMENTS)
        .chain(baton_tester::member::QUORUM_SERVING_REQUIREMENTS)
        .chain(baton_tester::status::REQUIREMENTS)
        .chain(baton_tester::node::REQUIREMENTS)
        .chain(baton_tester::component::REQUIREMENTS)
        .chain(baton_tester::secure::peer::REQUIREMENTS)
        .chain(baton_tester::secure::status::REQUIREMENTS)
        .chain(baton_tester::secure::component::REQUIREMENTS)
        .collect()
}

#[test]
fn every_requirement_is_named_in_the_checklist() {
    let text = checklist();
    let missing: Vec<&str> = all()
        .iter()
        .map(|r| r.id)
        .filter(|id| !text.contains(&format!("`{id}`")) && !text.contains(&format!("`{id} ")))
        .collect();
    assert!(
        missing.is_empty(),
        "not in PROTOCOL.md section 10: {missing:?}"
    );
}

#[test]
fn every_id_the_checklist_names_is_a_test_and_ids_are_unique() {
    let ids: BTreeSet<&str> = all().iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), all().len(), "duplicate ids");
    let text = checklist();
    for line in text.lines().filter(|l| l.contains("`baton conformance`:")) {
        let tail = &line[line.find("`baton conformance`:").expect("found")..];
        for id in tail.split('`').skip(3).step_by(2) {
            let id = id.split(' ').next().unwrap_or(id);
            assert!(
                ids.contains(id),
                "PROTOCOL.md names `{id}`, which no test has"
            );
        }
    }
}

#[test]
fn every_requirement_has_a_section_and_a_title() {
    for r in all() {
        assert!(!r.section.is_empty() && !r.title.is_empty(), "{}", r.id);
        assert!(
            r.section
                .split(", ")
                .all(|s| s.split('.').all(|n| n.parse::<u8>().is_ok())),
            "{}: section {:?}",
            r.id,
            r.section
        );
    }
}
