//! Text rules: required, length in characters (not bytes: Chinese is three bytes a character in
//! UTF-8), and no control or invisible format characters (a NUL or escape code pasted into a
//! summary breaks exports; a direction override makes a title read backwards: `chars.rs`).

use crate::error::{ErrorCode, FieldError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TextRule {
    pub required: bool,
    pub max_chars: usize,
    /// Long free text may hold line breaks and tabs; short fields may not.
    pub multiline: bool,
}

/// Appends the failures of `value` under `rule` to `errors`. An optional field that is empty passes.
pub fn check_text(errors: &mut Vec<FieldError>, field: &str, value: &str, rule: TextRule) {
    // Checked first: a blank-looking value (a lone U+2028) is still stored as typed.
    if let Some(c) = super::chars::first_forbidden_char(value, rule.multiline) {
        errors.push(invalid_character(field, c));
    }
    if value.trim().is_empty() {
        if rule.required {
            errors.push(FieldError::new(
                ErrorCode::Required,
                field,
                "必填项不能为空",
                "this field is required",
            ));
        }
        return;
    }
    let n = value.chars().count();
    if n > rule.max_chars {
        errors.push(FieldError::new(
            ErrorCode::TooLong,
            field,
            format!("不能超过 {} 个字（现有 {n} 个）", rule.max_chars),
            format!("must be at most {} characters (has {n})", rule.max_chars),
        ));
    }
}

/// The `invalid_characters` error for `field`, naming the code point (it cannot be seen).
pub fn invalid_character(field: &str, c: char) -> FieldError {
    let cp = format!("U+{:04X}", u32::from(c));
    FieldError::new(
        ErrorCode::InvalidCharacters,
        field,
        format!("含有不可见的控制字符（{cp}），请删除后重试"),
        format!("contains an invisible control character ({cp}); remove it"),
    )
}
