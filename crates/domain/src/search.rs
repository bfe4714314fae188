//! Full-text search for Chinese without a custom SQLite tokenizer, shared by the device's store
//! and the server's console index so both find the same records for the same words: text is
//! rewritten into overlapping character bigrams ("邻里纠纷" -> "邻里 里纠 纠纷 纷") before FTS5
//! sees it, and a query becomes the phrase of its own bigrams. The tokens are final: an FTS5
//! table with the `ascii` tokenizer only splits them on the spaces (`unicode61` gives the same
//! tokens for this input, at a higher cost).
//! A phrase of consecutive bigrams matches exactly where the query is a substring of the text, so
//! any query of two or more characters finds every record containing it. A one-character query is a prefix query on the
//! bigrams; the trailing unigram of each run makes the last character of a run findable too.
//! Latin letters and digits stay whole words (lower-cased here) and are matched as prefixes.
//!
//! Why not the `trigram` tokenizer: it cannot match queries shorter than three characters, and
//! most Chinese search words (纠纷, 漏水, 物业) have two.

/// Rewrites `text` into the token stream stored in the FTS index: each CJK run's bigrams and its
/// last character, each other word lower-cased. One pass, no buffer but the output (every record
/// the server accepts and every save on a device runs it).
pub fn index_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    // The current run: its last character and whether it is a CJK run.
    let mut run: Option<(char, bool)> = None;
    for c in text.chars() {
        let class = if is_cjk(c) {
            Some(true)
        } else if c.is_alphanumeric() {
            Some(false)
        } else {
            None
        };
        let c = c.to_lowercase().next().unwrap_or(c);
        match (class, run) {
            (Some(true), Some((prev, true))) => push_token(&mut out, [prev, c].iter()),
            (Some(false), Some((_, false))) => out.push(c),
            (Some(cjk), _) => {
                end_run(&mut out, run);
                if !cjk {
                    push_token(&mut out, std::iter::once(&c));
                }
            }
            (None, _) => end_run(&mut out, run),
        }
        run = class.map(|cjk| (c, cjk));
    }
    end_run(&mut out, run);
    out
}

/// Closes a run: a CJK run's last character is a token of its own (a word is already out).
fn end_run(out: &mut String, run: Option<(char, bool)>) {
    if let Some((last, true)) = run {
        push_token(out, std::iter::once(&last));
    }
}

/// Turns what the user typed into an FTS5 MATCH expression, or `None` when nothing searchable is
/// left (only punctuation, say). All terms must match (AND).
pub fn match_query(query: &str) -> Option<String> {
    let mut terms = Vec::new();
    for run in runs(query) {
        match run {
            Run::Cjk(chars) if chars.len() == 1 => terms.push(format!("\"{}\"*", chars[0])),
            Run::Cjk(chars) => {
                let bigrams: Vec<String> = chars.windows(2).map(|p| p.iter().collect()).collect();
                terms.push(format!("\"{}\"", bigrams.join(" ")));
            }
            Run::Word(w) => terms.push(format!("\"{}\"*", w.iter().collect::<String>())),
        }
    }
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

/// The first character of an area token: private use, so no query [`match_query`] builds (it
/// keeps only CJK ideographs, letters and digits) can name one.
const AREA_MARK: char = '\u{E000}';

/// The token that marks a record as lying in area `area` (any level: county, township, grid).
/// Indexed beside the text so a search can be narrowed to a scope inside the full-text index;
/// a hash, so two areas may share one (callers still filter by area in SQL: the token only
/// narrows, never decides).
pub fn area_token(area: &str) -> String {
    // FNV-1a: stable across builds and platforms (the tokens are stored).
    let h = area.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    format!("{AREA_MARK}{h:016x}")
}

/// The first character of a kind token (private use, as [`AREA_MARK`]).
const KIND_MARK: char = '\u{E001}';

/// The token that marks a record as being of `kind` (`RecordKind::as_str`), indexed beside the
/// text so a search over one kind (the console's case list: disputes) is narrowed to it inside
/// the full-text index instead of collecting the matches of every kind.
pub fn kind_token(kind: &str) -> String {
    // Without `_`: the `ascii` tokenizer would split the token there.
    format!("{KIND_MARK}{}", kind.replace('_', ""))
}

/// The area tokens of every area that covers `grid` (each `-`-separated prefix), space-separated.
pub fn area_tokens(grid: &str) -> String {
    let mut out = String::new();
    for (i, c) in grid.char_indices() {
        if c == '-' {
            push_area(&mut out, &grid[..i]);
        }
    }
    push_area(&mut out, grid);
    out
}

fn push_area(out: &mut String, area: &str) {
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(&area_token(area));
}

/// A MATCH expression for `query` (from [`match_query`]) limited to records carrying one of the
/// area tokens of `any_of` (empty: no limit), every one of `all_of`, and the kind token of
/// `kind` if given.
pub fn within_areas(query: &str, any_of: &[&str], all_of: &[&str], kind: Option<&str>) -> String {
    let quoted = |a: &&str| format!("\"{}\"", area_token(a));
    let mut out = format!("({query})");
    if let Some(k) = kind {
        out.push_str(&format!(" AND \"{}\"", kind_token(k)));
    }
    if !any_of.is_empty() {
        let alts: Vec<String> = any_of.iter().map(quoted).collect();
        out.push_str(&format!(" AND ({})", alts.join(" OR ")));
    }
    for a in all_of {
        out.push_str(&format!(" AND {}", quoted(a)));
    }
    out
}

fn push_token<'a>(out: &mut String, chars: impl Iterator<Item = &'a char>) {
    if !out.is_empty() {
        out.push(' ');
    }
    out.extend(chars);
}

enum Run {
    Cjk(Vec<char>),
    Word(Vec<char>),
}

/// Splits text into runs of CJK ideographs and runs of other letters/digits; everything else
/// (spaces, punctuation, quotes) separates runs, which also keeps FTS5 syntax out of queries.
fn runs(text: &str) -> Vec<Run> {
    let mut out = Vec::new();
    let mut cur: Option<Run> = None;
    for c in text.chars() {
        let next = if is_cjk(c) {
            Some(true)
        } else if c.is_alphanumeric() {
            Some(false)
        } else {
            None
        };
        match (next, &mut cur) {
            (Some(true), Some(Run::Cjk(v))) | (Some(false), Some(Run::Word(v))) => {
                v.push(c.to_lowercase().next().unwrap_or(c))
            }
            (Some(cjk), _) => {
                out.extend(cur.take());
                let v = vec![c.to_lowercase().next().unwrap_or(c)];
                cur = Some(if cjk { Run::Cjk(v) } else { Run::Word(v) });
            }
            (None, _) => out.extend(cur.take()),
        }
    }
    out.extend(cur);
    out
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F | 0x3040..=0x30FF)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bigrams() {
        assert_eq!(index_tokens("邻里纠纷"), "邻里 里纠 纠纷 纷");
        assert_eq!(index_tokens("楼上漏水，ABC 12"), "楼上 上漏 漏水 水 abc 12");
        assert_eq!(match_query("纠纷").as_deref(), Some("\"纠纷\""));
        assert_eq!(
            match_query("邻里纠纷").as_deref(),
            Some("\"邻里 里纠 纠纷\"")
        );
        assert_eq!(match_query("纠").as_deref(), Some("\"纠\"*"));
        assert_eq!(
            match_query("漏水 物业").as_deref(),
            Some("\"漏水\" AND \"物业\"")
        );
        assert_eq!(
            area_tokens("jingkou-zhengdonglu-03"),
            [
                area_token("jingkou"),
                area_token("jingkou-zhengdonglu"),
                area_token("jingkou-zhengdonglu-03")
            ]
            .join(" ")
        );
        assert_ne!(area_token("jingkou"), area_token("jingkou-zhengdonglu"));
        assert_eq!(
            within_areas("\"纠纷\"", &["a", "b"], &["a-1"], Some("dispute")),
            format!(
                "(\"纠纷\") AND \"{}\" AND (\"{}\" OR \"{}\") AND \"{}\"",
                kind_token("dispute"),
                area_token("a"),
                area_token("b"),
                area_token("a-1")
            )
        );
        // FTS5 syntax never reaches MATCH unquoted: operators become plain quoted words.
        assert_eq!(match_query("\" OR *").as_deref(), Some("\"or\"*"));
        assert_eq!(match_query("\"*()，。"), None);
    }

    /// Text drawn from CJK, Latin, digits, spaces, punctuation and FTS5 syntax characters.
    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                proptest::char::range('\u{4e00}', '\u{4e40}'),
                proptest::char::range('a', 'z'),
                proptest::char::range('A', 'Z'),
                proptest::char::range('0', '9'),
                proptest::sample::select(vec![' ', '，', '。', '"', '*', '(', ')', ':', '-', '^']),
            ],
            0..40,
        )
        .prop_map(|v| v.into_iter().collect())
    }

    /// A simulation of FTS5 over the stored tokens: a phrase matches consecutive tokens, a
    /// prefix term (`"x"*`) any token starting with it; terms are ANDed.
    fn fts_matches(tokens: &str, query: &str) -> bool {
        let toks: Vec<&str> = tokens.split(' ').filter(|t| !t.is_empty()).collect();
        query.split(" AND ").all(|term| {
            let prefix = term.ends_with('*');
            let phrase = term.trim_end_matches('*').trim_matches('"');
            let words: Vec<&str> = phrase.split(' ').collect();
            toks.windows(words.len()).any(|w| {
                w.iter().zip(&words).enumerate().all(|(i, (t, q))| {
                    if prefix && i == words.len() - 1 {
                        t.starts_with(q)
                    } else {
                        t == q
                    }
                })
            })
        })
    }

    /// The tokens as first defined, run by run: [`index_tokens`] must write exactly these
    /// (devices and the server store them).
    fn tokens_by_runs(text: &str) -> String {
        let mut out = String::new();
        for run in runs(text) {
            match run {
                Run::Cjk(chars) => {
                    for pair in chars.windows(2) {
                        push_token(&mut out, pair.iter());
                    }
                    if let Some(last) = chars.last() {
                        push_token(&mut out, std::iter::once(last));
                    }
                }
                Run::Word(w) => push_token(&mut out, w.iter()),
            }
        }
        out
    }

    proptest! {
        /// The one-pass tokens equal the run-by-run definition, for any text.
        #[test]
        fn tokens_equal_their_definition(s in text()) {
            prop_assert_eq!(index_tokens(&s), tokens_by_runs(&s));
        }

        /// Tokens are space-separated, never empty, and carry no FTS5 syntax: the `ascii`
        /// tokenizer sees exactly these words.
        #[test]
        fn tokens_are_clean_words(s in text()) {
            let t = index_tokens(&s);
            prop_assert!(!t.starts_with(' ') && !t.ends_with(' ') && !t.contains("  "));
            prop_assert!(t.chars().all(|c| c == ' ' || c.is_alphanumeric()));
            prop_assert!(!t.chars().any(|c| c.is_uppercase()));
        }

        /// No typed query can name an area or kind token: scopes narrow searches, users cannot.
        #[test]
        fn queries_never_reach_area_tokens(s in text(), g in "[a-z]{1,5}(-[a-z0-9]{1,4}){0,2}") {
            if let Some(q) = match_query(&s) {
                prop_assert!(!fts_matches(&area_tokens(&g), &q));
                for kind in ["dispute", "patrol_visit", "legal_education"] {
                    prop_assert!(!fts_matches(&kind_token(kind), &q));
                }
            }
        }

        /// A query is always a well-formed AND of quoted terms (no operator reaches MATCH bare).
        #[test]
        fn queries_are_quoted_terms(s in text()) {
            if let Some(q) = match_query(&s) {
                for term in q.split(" AND ") {
                    let body = term.trim_end_matches('*');
                    prop_assert!(body.starts_with('"') && body.ends_with('"') && body.len() >= 3);
                    prop_assert!(!body[1..body.len() - 1].contains('"'));
                }
            }
        }

        /// Any substring of indexed text that contains something searchable finds that text.
        #[test]
        fn a_substring_finds_its_text(s in text(), a in 0usize..40, len in 1usize..10) {
            let chars: Vec<char> = s.chars().collect();
            let a = a.min(chars.len());
            let b = (a + len).min(chars.len());
            let sub: String = chars[a..b].iter().collect();
            // A word cut in the middle on its left is not a prefix of a stored word.
            let cut_left = a > 0 && chars[a - 1].is_ascii_alphanumeric()
                && chars.get(a).is_some_and(|c| c.is_ascii_alphanumeric());
            if let (Some(q), false) = (match_query(&sub), cut_left) {
                prop_assert!(fts_matches(&index_tokens(&s), &q), "{q} in {}", index_tokens(&s));
            }
        }
    }
}
