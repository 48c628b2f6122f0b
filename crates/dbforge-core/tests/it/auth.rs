//! Authentication: the configured admin key becomes a principal with a stable, non-secret id;
//! a wrong or missing key is refused, each with its own reason.

use dbforge_core::{AuthFailure, DEV_KEY, KeySource};

use crate::support::{ADMIN_KEY, TestCore};

#[test]
fn the_admin_key_yields_a_principal_with_a_stable_twelve_hex_digit_id() {
    let test = TestCore::start();
    assert_eq!(test.opened.key_source, KeySource::Configured);
    let principal = test
        .core
        .authenticate(Some(ADMIN_KEY))
        .expect("the configured key is accepted");
    assert!(principal.is_admin());
    let id = principal.key_id().to_string();
    assert_eq!(id.len(), 12, "{id}");
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
    let again = test
        .core
        .authenticate(Some(ADMIN_KEY))
        .expect("accepted again");
    assert_eq!(again.key_id().to_string(), id, "the same key, the same id");
    assert_eq!(again, test.admin);
}

#[test]
fn a_wrong_key_is_rejected_and_no_key_is_missing() {
    let test = TestCore::start();
    assert_eq!(
        test.core.authenticate(Some("not-the-admin-key-0123456789")),
        Err(AuthFailure::Rejected)
    );
    assert_eq!(test.core.authenticate(Some("")), Err(AuthFailure::Rejected));
    assert_eq!(
        test.core.authenticate(Some(&ADMIN_KEY[1..])),
        Err(AuthFailure::Rejected),
        "a part of the key is not the key"
    );
    assert_eq!(
        test.core.authenticate(Some(DEV_KEY)),
        Err(AuthFailure::Rejected),
        "the development key works only in development mode"
    );
    assert_eq!(test.core.authenticate(None), Err(AuthFailure::Missing));
}
