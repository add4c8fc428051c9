//! Every handler shape `#[audited_handler]` supports compiles, and every mistake a user can
//! make with it or with `audit_tables!` is a compile error with a readable, well-spanned
//! message (each `.stderr` was read by a person before it was committed).

#[test]
fn macro_uses_compile_and_mistakes_are_clear_errors() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
