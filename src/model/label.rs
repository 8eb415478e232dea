//! Kubernetes' syntax of label keys and values, so a scenario is rejected
//! where the API server would reject the same object.
//!
//! The rules of `k8s.io/apimachinery/pkg/api/validate/content` (`IsLabelKey`,
//! `IsLabelValue`, `IsDNS1123Subdomain`; `validation.IsQualifiedName` and
//! `validation.IsValidLabelValue` are their older names), written as
//! character checks instead of upstream's regular expressions:
//!
//! * a **key** (also taint and toleration keys, topology keys and node
//!   selector keys) is an optional prefix and a name separated by one `/`;
//!   the name is 1–63 characters of `[-A-Za-z0-9_.]` starting and ending
//!   with an alphanumeric character; the prefix, if any, is a DNS-1123
//!   subdomain: at most 253 characters of `[-a-z0-9.]`, dot-separated parts
//!   that each start and end with a lowercase alphanumeric character;
//! * a **value** is empty, or 1–63 characters under the name's rule.
//!
//! No crate implements these rules (the `k8s-openapi` types do not
//! validate), hence this small module. The messages follow upstream's.

/// Longest name part of a key, and longest value (`LabelValueMaxLength`).
pub const LABEL_MAX_LENGTH: usize = 63;
/// Longest key prefix (`DNS1123SubdomainMaxLength`).
pub const DNS1123_SUBDOMAIN_MAX_LENGTH: usize = 253;

/// What a name part or a label value consists of (after "must").
const NAME_RULE: &str = "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric \
                         character (e.g. 'MyName', 'my.name' or '123-abc')";

/// Whether `s` is `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
fn is_name(s: &str) -> bool {
    let b = s.as_bytes();
    let (Some(first), Some(last)) = (b.first(), b.last()) else { return false };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && b.iter().all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// Whether `s` is a DNS-1123 subdomain: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
/// parts joined by dots, at most 253 characters (`IsDNS1123Subdomain`).
fn dns1123_subdomain_error(s: &str) -> Option<String> {
    if s.len() > DNS1123_SUBDOMAIN_MAX_LENGTH {
        return Some(format!("must be no more than {DNS1123_SUBDOMAIN_MAX_LENGTH} characters"));
    }
    let lower = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let part_ok = |p: &str| {
        let b = p.as_bytes();
        matches!((b.first(), b.last()), (Some(f), Some(l)) if lower(f) && lower(l)) && b.iter().all(|c| lower(c) || *c == b'-')
    };
    (!s.split('.').all(part_ok)).then(|| {
        "must be a lowercase RFC 1123 subdomain: lower case alphanumeric characters, '-' or '.', starting and ending \
         with an alphanumeric character (e.g. 'example.com')"
            .to_string()
    })
}

/// Why `key` is not a valid label key (`IsLabelKey`), or `None` if it is.
pub fn label_key_error(key: &str) -> Option<String> {
    let name = match key.split_once('/') {
        None => key,
        Some((_, rest)) if rest.contains('/') => {
            return Some(format!(
                "`{key}` is not a valid key: a key is a name with an optional DNS subdomain prefix and one '/' (e.g. \
                 'example.com/MyName')"
            ))
        }
        Some((prefix, name)) => {
            if prefix.is_empty() {
                return Some(format!("`{key}` is not a valid key: its prefix part must be non-empty"));
            }
            if let Some(e) = dns1123_subdomain_error(prefix) {
                return Some(format!("`{key}` is not a valid key: its prefix part {e}"));
            }
            name
        }
    };
    if name.is_empty() {
        Some(format!("`{key}` is not a valid key: its name part must be non-empty"))
    } else if name.len() > LABEL_MAX_LENGTH {
        Some(format!("`{key}` is not a valid key: its name part must be no more than {LABEL_MAX_LENGTH} characters"))
    } else if !is_name(name) {
        Some(format!("`{key}` is not a valid key: its name part must {NAME_RULE}"))
    } else {
        None
    }
}

/// Why `value` is not a valid label value (`IsLabelValue`), or `None` if it is.
pub fn label_value_error(value: &str) -> Option<String> {
    if value.len() > LABEL_MAX_LENGTH {
        Some(format!("`{value}` is not a valid label value: it must be no more than {LABEL_MAX_LENGTH} characters"))
    } else if !value.is_empty() && !is_name(value) {
        Some(format!("`{value}` is not a valid label value: it must be empty or {NAME_RULE}"))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vectors of upstream's `TestIsQualifiedName` (validation_test.go).
    #[test]
    fn keys_follow_is_qualified_name() {
        let long_prefix = format!("{}.com/a", "a".repeat(250));
        let good = [
            "simple",
            "now-with-dashes",
            "1-starts-with-num",
            "1234",
            "simple/simple",
            "now-with-dashes/simple",
            "now-with-dashes/now-with-dashes",
            "now.with.dots/simple",
            "now-with.dashes-and.dots/simple",
            "1-num.2-num/3-num",
            "1234/5678",
            "1.2.3.4/5678",
            "Uppercase_Is_OK_123",
            "example.com/Uppercase_Is_OK_123",
            "requests.storage-foo",
        ];
        for k in good.iter().copied().chain([&*"a".repeat(63), &*format!("{}/a", "a".repeat(253))]) {
            assert_eq!(label_key_error(k), None, "{k}");
        }
        let bad = [
            "nospecialchars%^=@",
            "cantendwithadash-",
            "-cantstartwithadash-",
            "only/one/slash",
            "Example.com/abc",
            "example_com/abc",
            "example.com/",
            "/simple",
            &*"a".repeat(64),
            &*long_prefix,
            "",
            "a b",
        ];
        for k in bad {
            assert!(label_key_error(k).is_some(), "{k}");
        }
    }

    /// Vectors of upstream's `TestIsValidLabelValue`.
    #[test]
    fn values_follow_is_valid_label_value() {
        for v in [
            "simple",
            "now-with-dashes",
            "1-starts-with-num",
            "end-with-num-1",
            "1234",
            "A.B.C",
            "Uppercase_Is_OK_123",
            "",
            &*"a".repeat(63),
        ] {
            assert_eq!(label_value_error(v), None, "{v}");
        }
        for v in [
            "nospecialchars%^=@",
            "Tama-nui-te-rā.is.Māori.sun",
            "\\backslashes\\are\\bad",
            "-starts-with-dash",
            "ends-with-dash-",
            ".starts.with.dot",
            "ends.with.dot.",
            &*"a".repeat(64),
        ] {
            assert!(label_value_error(v).is_some(), "{v}");
        }
    }
}
