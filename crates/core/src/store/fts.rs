//! Full-text search for Chinese without a custom SQLite tokenizer: text is rewritten into
//! overlapping character bigrams ("邻里纠纷" -> "邻里 里纠 纠纷 纷") before FTS5 sees it, and a
//! query becomes the phrase of its own bigrams. A store created since schema step 5 indexes with
//! FTS5's `ascii` tokenizer: these tokens are final, so it only splits on the spaces (`unicode61`
//! classified and folded every character again, a third of the cost of storing a pulled record).
//! Older stores keep `unicode61`, which gives the same tokens for this input (see migrations).
//! A phrase of consecutive bigrams matches exactly where the query is a substring of the text, so
//! any query of two or more characters finds every record containing it. A one-character query is a prefix query on the
//! bigrams; the trailing unigram of each run makes the last character of a run findable too.
//! Latin letters and digits stay whole words (lower-cased here) and are matched as prefixes.
//!
//! Why not the `trigram` tokenizer: it cannot match queries shorter than three characters, and
//! most Chinese search words (纠纷, 漏水, 物业) have two.

/// Rewrites `text` into the token stream stored in the FTS index.
pub fn index_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
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
        // FTS5 syntax never reaches MATCH unquoted: operators become plain quoted words.
        assert_eq!(match_query("\" OR *").as_deref(), Some("\"or\"*"));
        assert_eq!(match_query("\"*()，。"), None);
    }
}
