//! Text rules: required, length in characters (not bytes: Chinese is three bytes a character in
//! UTF-8), and no control characters (a NUL or escape code pasted into a summary breaks exports).

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
    let bad = value
        .chars()
        .any(|c| c.is_control() && !(rule.multiline && matches!(c, '\n' | '\r' | '\t')));
    if bad {
        errors.push(FieldError::new(
            ErrorCode::InvalidCharacters,
            field,
            "含有不可见的控制字符，请删除后重试",
            "contains invisible control characters; remove them",
        ));
    }
}
