//! `after` on `[[component]]` tables (PROTOCOL 6.1, components in order): read into the
//! node's order; unknown names, self references and cycles refused with file, line and key.

use super::*;

/// A pair, `alpha`'s file, with `components` as its `[[component]]` tables (from line 16).
fn pair(components: &str) -> String {
    format!(
        r#"name = "alpha"

[[member]]
name = "alpha"
id = "1"
address = "127.0.0.1:7401"

[[member]]
name = "beta"
id = "2"
address = "127.0.0.1:7402"

[listen]
status = "127.0.0.1:7421"

{components}"#
    )
}

fn err(text: &str) -> String {
    parse(Path::new("a.toml"), text).unwrap_err().to_string()
}

/// An application (linked), a VIP (script) after it, a third after both.
const APP_VIP: &str = r#"[[component]]
id = "10"

[[component]]
id = "20"
activate = "true"
after = ["10"]

[[component]]
id = "30"
after = ["20", "10"]
"#;

#[test]
fn after_is_read_into_the_nodes_component_order() {
    let c = parse(Path::new("a.toml"), &pair(APP_VIP)).unwrap();
    let order = &c.node.component_order;
    assert_eq!(order.after("20").collect::<Vec<_>>(), ["10"]);
    assert_eq!(order.after("30").collect::<Vec<_>>(), ["10", "20"]);
    assert_eq!(order.before("10").collect::<Vec<_>>(), ["20", "30"]);
    assert_eq!(order.after("10").count(), 0);
    assert!(c.node.validate().is_ok());
}

#[test]
fn after_naming_no_component_of_the_file_is_refused() {
    assert_eq!(
        err(&pair(
            &APP_VIP.replace("after = [\"10\"]", "after = [\"11\"]")
        )),
        "a.toml:22:10: component[1].after[0]: \"11\" is not the id of a [[component]] or \
         [[vip]] of this file"
    );
}

#[test]
fn a_component_after_itself_is_refused() {
    assert_eq!(
        err(&pair(&APP_VIP.replace(
            "after = [\"20\", \"10\"]",
            "after = [\"10\", \"30\"]"
        ))),
        "a.toml:26:16: component[2].after[1]: component 30 cannot be after itself"
    );
}

#[test]
fn a_cycle_is_refused_naming_the_first_components_after() {
    let text = pair(&APP_VIP.replace("id = \"10\"\n", "id = \"10\"\nafter = [\"30\"]\n"));
    assert_eq!(
        err(&text),
        "a.toml:18:9: component[0].after: the components are after each other in a cycle: 10 \
         after 30 after 20 after 10"
    );
}
