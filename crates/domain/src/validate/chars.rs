//! Which characters free text and names may hold: no control characters, and none of the
//! invisible format characters that change how a text reads without showing themselves.
//!
//! A bidirectional override (U+202E) makes a list title or a party's name read backwards; an
//! isolate, a direction mark or a zero-width space makes two names that look the same differ
//! (a duplicate party, a dispatcher assigning to the wrong colleague) and hides text from search.
//! One function decides for the device's validation, the server's and the server's admin names,
//! so a hostile device that skips its own check is refused by the server with the same rule.
//!
//! Kept, because real text needs them and they cannot reorder anything:
//! - U+200D ZERO WIDTH JOINER and U+200C ZERO WIDTH NON-JOINER: emoji sequences (👨‍👩‍👧) and the
//!   Arabic-script languages written in China (Uyghur, Kazakh) need them. They are accepted only
//!   between two characters that are neither Han, ASCII, white space nor themselves invisible:
//!   a joiner inside a Chinese or Latin name (`张\u{200D}三`) only makes a look-alike.
//! - U+180E MONGOLIAN VOWEL SEPARATOR and the variation selectors (emoji presentation, the
//!   ideographic variation sequences of rare characters in people's names).
//!
//! Invariant: a text that passes [`first_forbidden_char`] contains none of [`is_always_refused`]
//! (multi-line text aside, which holds line breaks and tabs).

/// Whether `c` is refused wherever it stands (line breaks aside, which the field's rule decides).
pub fn is_always_refused(c: char) -> bool {
    if c.is_control() {
        return true;
    }
    matches!(
        c as u32,
        0x00AD // soft hyphen: invisible, splits a word for search
        | 0x061C // Arabic letter mark (a direction mark)
        | 0x115F | 0x1160 | 0x3164 | 0xFFA0 // Hangul fillers: blank look-alikes
        | 0x200B // zero width space
        | 0x200E | 0x200F // left-to-right and right-to-left marks
        | 0x202A..=0x202E // embeddings and overrides
        | 0x2060..=0x2064 // word joiner, invisible operators
        | 0x2066..=0x2069 // isolates
        | 0x206A..=0x206F // deprecated format characters (symmetric swapping, digit shapes)
        | 0xFEFF // zero width no-break space (byte-order mark)
        | 0xFFF9..=0xFFFB // interlinear annotation: hides text
        | 0x1BCA0..=0x1BCA3 // shorthand format controls
        | 0x1D173..=0x1D17A // musical format controls
        | 0xE0001 | 0xE0020..=0xE007F // tag characters: invisible text
    )
}

/// A joiner: accepted only between two characters that need it (see the module header).
fn is_joiner(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}')
}

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x2FDF | 0x3000..=0x303F | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF)
}

/// Whether `c` may stand beside a joiner.
fn joins(c: Option<char>) -> bool {
    c.is_some_and(|c| {
        !c.is_ascii() && !c.is_whitespace() && !is_han(c) && !is_joiner(c) && !is_always_refused(c)
    })
}

/// Line and paragraph separators: line breaks like `\n`, so only multi-line text holds them.
fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

/// The first character `text` may not hold, if any. `multiline` admits line breaks and tabs.
pub fn first_forbidden_char(text: &str, multiline: bool) -> Option<char> {
    let mut prev: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let allowed_break = multiline && (is_line_break(c) || c == '\t');
        let refused = if is_joiner(c) {
            !(joins(prev) && joins(chars.peek().copied()))
        } else {
            (is_always_refused(c) || is_line_break(c)) && !allowed_break
        };
        if refused {
            return Some(c);
        }
        prev = Some(c);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_overrides_and_invisible_spaces_are_refused() {
        for bad in [
            "\u{202E}纠纷调解",
            "王\u{200B}五",
            "a\u{2066}b\u{2069}",
            "\u{FEFF}title",
            "x\u{200E}",
            "\u{061C}",
            "tag\u{E0041}",
            "a\u{2028}b",
        ] {
            assert!(first_forbidden_char(bad, false).is_some(), "{bad:?}");
        }
        assert_eq!(first_forbidden_char("ab\u{202E}c", true), Some('\u{202E}'));
    }

    #[test]
    fn joiners_only_where_emoji_and_scripts_need_them() {
        // A family emoji, a rainbow flag (after a variation selector), Uyghur and Persian words.
        for ok in [
            "👨\u{200D}👩\u{200D}👧",
            "🏳\u{FE0F}\u{200D}🌈",
            "ئۇي\u{200C}غۇر",
            "می\u{200C}خواهم",
        ] {
            assert_eq!(first_forbidden_char(ok, false), None, "{ok:?}");
        }
        for bad in [
            "张\u{200D}三",
            "ad\u{200C}min",
            "\u{200D}👩",
            "👩\u{200D}",
            "👩\u{200D}\u{200D}👩",
        ] {
            assert!(first_forbidden_char(bad, false).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn ordinary_text_and_line_breaks_in_long_text_pass() {
        let text = "居民反映楼上漏水，已协调物业。\n第二行\t（附件 2 份）❤\u{FE0F} 葛\u{E0100} ᠮᠣᠩ\u{180E}ᠭᠣᠯ";
        assert_eq!(first_forbidden_char(text, true), None);
        assert_eq!(first_forbidden_char(text, false), Some('\n'));
        assert_eq!(first_forbidden_char("a\u{2029}b", true), None);
    }

    /// The characters the rule names, one of each kind.
    const REFUSED: &[char] = &[
        '\u{0}',
        '\u{1B}',
        '\u{7F}',
        '\u{9B}',
        '\u{AD}',
        '\u{61C}',
        '\u{115F}',
        '\u{200B}',
        '\u{200E}',
        '\u{200F}',
        '\u{202A}',
        '\u{202B}',
        '\u{202C}',
        '\u{202D}',
        '\u{202E}',
        '\u{2060}',
        '\u{2064}',
        '\u{2066}',
        '\u{2067}',
        '\u{2068}',
        '\u{2069}',
        '\u{206F}',
        '\u{3164}',
        '\u{FEFF}',
        '\u{FFA0}',
        '\u{FFF9}',
        '\u{1BCA0}',
        '\u{1D173}',
        '\u{E0001}',
        '\u{E0041}',
        '\u{E007F}',
    ];

    fn check(field: &str, value: &str, multiline: bool) -> Vec<crate::FieldError> {
        let mut errors = Vec::new();
        let rule = crate::rules::TextRule {
            required: false,
            max_chars: usize::MAX,
            multiline,
        };
        crate::validate::check_text(&mut errors, field, value, rule);
        errors
    }

    proptest::proptest! {
        #[test]
        fn accepted_text_holds_none_of_the_refused_characters(
            s in ".*", field in "[a-z_]{1,12}", multiline in proptest::bool::ANY,
        ) {
            let errors = check(&field, &s, multiline);
            if errors.is_empty() {
                let breaks = |c: char| multiline && (is_line_break(c) || c == '\t');
                proptest::prop_assert!(
                    !s.chars().any(|c| is_always_refused(c) && !breaks(c)), "{:?}", s
                );
                proptest::prop_assert!(multiline || !s.chars().any(is_line_break), "{:?}", s);
            }
            for e in &errors {
                proptest::prop_assert_eq!(e.code, crate::ErrorCode::InvalidCharacters);
                proptest::prop_assert_eq!(&e.field, &field);
            }
        }

        #[test]
        fn a_refused_character_anywhere_is_named_at_its_field(
            pre in ".{0,20}", post in ".{0,20}", i in 0..REFUSED.len(),
            field in "[a-z_]{1,12}", multiline in proptest::bool::ANY,
        ) {
            let c = REFUSED[i];
            let errors = check(&field, &format!("{pre}{c}{post}"), multiline);
            proptest::prop_assert_eq!(errors.len(), 1);
            proptest::prop_assert_eq!(errors[0].code, crate::ErrorCode::InvalidCharacters);
            proptest::prop_assert_eq!(&errors[0].field, &field);
            proptest::prop_assert!(errors[0].message.en.contains("U+"));
        }
    }
}
