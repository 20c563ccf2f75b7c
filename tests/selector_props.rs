//! The selector language: printing a parsed selector and parsing it again gives the same
//! selector, for generated selectors and for whatever text happens to parse; garbage is an
//! error, never a panic.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::time::Duration;

use proptest::prelude::*;
use rqtop::rq::select::{Cmp, Field, Selector, Term, Test, TextOp, TextValue, TimeField, parse};

fn field() -> impl Strategy<Value = Field> {
    prop_oneof![
        Just(Field::Id),
        Just(Field::Queue),
        Just(Field::Func),
        Just(Field::Worker),
        Just(Field::Status),
        Just(Field::Sig),
        Just(Field::Origin),
        Just(Field::Exc),
        "[a-z_][a-z0-9_]{0,6}".prop_map(Field::Meta),
    ]
}

fn text() -> impl Strategy<Value = String> {
    // Spaces, quotes, backslashes, operators, unicode, slashes: everything that needs care.
    "[a-zA-Z0-9 .*?\"\\\\=~<>!/é\u{202e}-]{0,10}"
}

fn test() -> impl Strategy<Value = Test> {
    prop_oneof![
        text()
            .prop_filter("a word is not empty", |w| !w.trim().is_empty())
            .prop_map(Test::Word),
        (
            field(),
            prop_oneof![Just(TextOp::Eq), Just(TextOp::Ne), Just(TextOp::Contains)],
            text()
        )
            .prop_map(|(field, op, v)| Test::Text {
                field,
                op,
                value: TextValue::Plain(v)
            }),
        (field(), "[a-z/.*()|?]{1,8}").prop_filter_map("valid regex", |(field, pat)| {
            regex::Regex::new(&pat).ok().map(|re| Test::Text {
                field,
                op: TextOp::Contains,
                value: TextValue::Regex(re),
            })
        }),
        (
            prop_oneof![Just(TimeField::Age), Just(TimeField::Ended)],
            prop_oneof![Just(Cmp::Lt), Just(Cmp::Le), Just(Cmp::Gt), Just(Cmp::Ge)],
            0_u64..100_000_000,
            0_u32..1_000_000_000
        )
            .prop_map(|(field, op, s, ns)| Test::Age {
                field,
                op,
                value: Duration::new(s, ns)
            }),
    ]
}

fn selector() -> impl Strategy<Value = Selector> {
    proptest::collection::vec(
        (any::<bool>(), test()).prop_map(|(negated, test)| Term { negated, test }),
        0..6,
    )
    .prop_map(|terms| Selector { terms })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn printed_selectors_parse_back_the_same(sel in selector()) {
        let printed = sel.to_string();
        let again = parse(&printed);
        prop_assert!(again.is_ok(), "{printed:?}: {:?}", again.err());
        prop_assert_eq!(again.unwrap(), sel, "{}", printed);
    }

    #[test]
    fn whatever_parses_prints_back_to_itself(s in "[a-z !=~<>\"\\\\/.*0-9hms]{0,30}") {
        if let Ok(sel) = parse(&s) {
            let printed = sel.to_string();
            prop_assert_eq!(parse(&printed).unwrap(), sel, "{} -> {}", s, printed);
        }
    }

    #[test]
    fn garbage_never_panics(s in "\\PC{0,40}") {
        let _ = parse(&s);
    }
}
