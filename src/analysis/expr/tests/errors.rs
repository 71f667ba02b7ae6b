//! Every error points at the offending token; no input panics.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::{cases, error, error_at, rows, ALIASES};
use crate::analysis::expr::Expr;

#[test]
fn unknown_column_lists_known_columns_and_suggests_the_closest() {
    let (message, at) = error_at("agee >= 65");
    assert_eq!(at, "agee");
    assert!(message.starts_with(r#"unknown column "agee"; did you mean "age"? (known: manufacturer, patient_sex (sex), patient_age_years (age), slice_thickness (thickness), label,"#), "{message}");
    assert!(
        !message.contains("pixel_hash"),
        "unusable columns are not offered"
    );
    let (message, _) = error_at("Manufacturer == 'GE'");
    assert!(
        message.contains(r#"did you mean "manufacturer"?"#),
        "{message}"
    );
    let (message, _) = error_at("zzz == 1");
    assert!(
        message.starts_with(r#"unknown column "zzz" (known: "#),
        "{message}"
    );
}

#[test]
fn error_display_puts_carets_under_the_offending_token() {
    let e = error("sex == 'F' and agee >= 65");
    let shown = e.to_string();
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1], "  sex == 'F' and agee >= 65");
    assert_eq!(lines[2], "                 ^^^^");
    // End of input gets one caret past the text; non-ASCII counts as one column.
    let e = Expr::parse("sex == 'é' and").unwrap_err();
    assert_eq!(e.to_string().lines().nth(2), Some("                ^"));
}

#[test]
fn comparing_text_with_a_number_is_an_error_at_the_value() {
    let (message, at) = error_at("manufacturer > 5");
    assert_eq!(
        message,
        "cannot compare text column manufacturer with a number"
    );
    assert_eq!(at, "5");
    let (message, at) = error_at("sex in ('F', 1)");
    assert_eq!(
        message,
        "cannot compare text column patient_sex with a number"
    );
    assert_eq!(at, "1");
}

#[test]
fn comparing_a_number_with_text_is_an_error_with_a_hint() {
    let (message, at) = error_at("thickness >= '3'");
    assert_eq!(
        message,
        r#"cannot compare numeric column slice_thickness with text "3"; write the number without quotes: 3"#
    );
    assert_eq!(at, "'3'");
    let (message, _) = error_at("label == true");
    assert_eq!(message, "cannot compare numeric column label with true");
}

#[test]
fn ordering_text_or_booleans_is_an_error_at_the_operator() {
    let (message, at) = error_at("manufacturer >= 'G'");
    assert_eq!(at, ">=");
    assert!(
        message.starts_with("cannot order text column manufacturer"),
        "{message}"
    );
    let (message, at) = error_at("contrast_agent < true");
    assert_eq!(at, "<");
    assert!(
        message.starts_with("cannot order boolean column contrast_agent"),
        "{message}"
    );
}

#[test]
fn bad_dates_booleans_and_column_types_are_errors() {
    let (message, at) = error_at("study_date > 'June'");
    assert!(
        message.contains(r#"write a date as "YYYY-MM-DD""#),
        "{message}"
    );
    assert_eq!(at, "'June'");
    let (message, _) = error_at("study_date > 20240101");
    assert!(message.starts_with("cannot compare date column study_date with a number"));
    let (message, _) = error_at("contrast_agent == 'maybe'");
    assert!(message.contains("use true or false"), "{message}");
    let (message, at) = error_at("pixel_hash is null");
    assert_eq!(
        message,
        "column pixel_hash has type Binary, which expressions cannot compare"
    );
    assert_eq!(at, "pixel_hash");
    let (message, at) = error_at("scanner == 'x'");
    assert_eq!(
        message,
        "alias scanner stands for column manufacturer_model_name, which this table does not have"
    );
    assert_eq!(at, "scanner");
}

#[test]
fn syntax_errors_point_at_the_offending_token() {
    let cases: &[(&str, &str, &str)] = &[
        ("", "empty expression", ""),
        ("   ", "empty expression", ""),
        ("sex == 'F", "unterminated string", "'F"),
        ("sex == \"F", "unterminated string", "\"F"),
        (r"sex == 'a\nb'", "unknown escape", r"\n"),
        ("sex = 'F'", "`=` is written `==`", "="),
        ("sex == 'F' && age > 3", "`&&` is written `and`", "&&"),
        ("age <> 3", "`<>` is written `!=`", "<>"),
        ("age > 5mm", "invalid number `5mm`", "5mm"),
        ("age > 1.2.3", "invalid number", "1.2.3"),
        ("age > 1e999", "out of range", "1e999"),
        ("age > ", "found end of input", ""),
        ("age > )", "expected a value", ")"),
        ("sex == F", "quote text, as in \"F\"", "F"),
        ("age", "expected a comparison after `age`", ""),
        ("age 65", "expected a comparison after `age`", "65"),
        ("65 < age", "write the column first", "65"),
        ("and == 1", "expected a column name, found `and`", "and"),
        ("sex == 'F' age > 3", "after a complete condition", "age"),
        ("sex == 'F')", "unmatched `)`", ")"),
        ("(sex == 'F'", "this `(` is never closed", "("),
        ("(sex == 'F' age > 3)", "expected `)`, `and` or `or`", "age"),
        ("sex in ()", "empty list", "()"),
        ("sex in 'F'", "expected `(` after `in`", "'F'"),
        ("sex in ('F' 'M')", "expected `,` or `)`", "'M'"),
        ("sex in ('F',)", "expected a value", ")"),
        ("sex not 'F'", "expected `in` after `not`", "'F'"),
        ("sex is 'F'", "expected `null` or `not null`", "'F'"),
        ("sex is not nil", "expected `null` after `is`", "nil"),
        (
            "age > 3 and",
            "expected a column name, found end of input",
            "",
        ),
        ("age @ 3", "unexpected character `@`", "@"),
        ("sex == 'F' or éx == 1", "unexpected character `é`", "é"),
    ];
    for (text, expected, at) in cases {
        let e = Expr::parse(text).unwrap_err();
        assert!(e.message.contains(expected), "{text:?}: {}", e.message);
        assert_eq!(
            &text[e.position..e.position + e.len],
            *at,
            "{text:?}: {}",
            e.message
        );
        assert_eq!(e.source_text, *text);
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for text in [
        "(".repeat(100_000) + "a == 1",
        "not ".repeat(100_000) + "a == 1",
    ] {
        let e = Expr::parse(&text).unwrap_err();
        assert!(e.message.contains("nested too deeply"), "{}", e.message);
    }
    let nested = "(".repeat(60) + "sex == 'F'" + &")".repeat(60);
    assert_eq!(rows(&nested), [0, 4]);
    let long = vec!["age > 1"; 20_000].join(" or ");
    assert_eq!(rows(&long), [0, 1, 4]);
}

#[test]
fn random_and_mutated_input_never_panics() {
    let seeds = [
        "manufacturer == 'GE MEDICAL SYSTEMS' and (age >= 65 or thickness < 1)",
        "not (sex in ('F', 'O') and label != 1) or n_instances is null",
        r#"contrast_agent == "yes" and study_date >= '2024-06-30' and timestamp < '2024-05-02T01:00:00Z'"#,
        "label not in (0, -1.5e3, .5) or age is not null",
    ];
    let pieces = [
        "(",
        ")",
        "'",
        "\"",
        "\\",
        " and ",
        " or ",
        "not ",
        " in ",
        " is ",
        "null",
        "==",
        "!=",
        "<",
        ">=",
        "=",
        "!",
        ",",
        "-",
        ".",
        "e",
        "1",
        "9e99",
        "age",
        "sex",
        "é",
        "\n",
        "\t",
        "true",
        "'2024-01-01'",
        "manufacturer",
        "\u{0}",
    ];
    let batch = cases();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let mut outcomes = [0usize; 2];
    for round in 0..4000 {
        let text = if round % 2 == 0 {
            let mut chars: Vec<char> = seeds[rng.random_range(0..seeds.len())].chars().collect();
            for _ in 0..rng.random_range(1..4) {
                let at = rng.random_range(0..=chars.len());
                match rng.random_range(0..3) {
                    0 if at < chars.len() => {
                        chars.remove(at);
                    }
                    1 => chars
                        .splice(at..at, pieces[rng.random_range(0..pieces.len())].chars())
                        .for_each(drop),
                    _ => chars.insert(at, char::from(rng.random_range(32u8..127))),
                }
            }
            chars.into_iter().collect::<String>()
        } else {
            (0..rng.random_range(0..12))
                .map(|_| pieces[rng.random_range(0..pieces.len())])
                .collect::<String>()
        };
        let result = Expr::parse(&text).and_then(|expr| {
            let shown = expr.to_string();
            let again = Expr::parse(&shown).unwrap_or_else(|e| panic!("{text:?} → {shown:?}: {e}"));
            assert_eq!(again.to_string(), shown);
            expr.bind(&batch.schema(), ALIASES)?.evaluate(&batch)
        });
        if let Err(e) = &result {
            assert!(e.position + e.len <= text.len(), "{text:?}");
            let _ = e.to_string();
        }
        outcomes[usize::from(result.is_ok())] += 1;
    }
    assert!(
        outcomes[1] > 100,
        "too few inputs got through: {outcomes:?}"
    );
}
