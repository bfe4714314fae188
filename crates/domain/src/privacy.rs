//! Masking of personal data for lists and logs. Full values stay in the record for the people
//! entitled to see them; anything shown in a list, written to a log or put in a search index goes
//! through these functions first.

/// `张三丰` -> `张**`; a single character stays as `*`.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        None => String::new(),
        Some(first) => {
            let rest = chars.count();
            if rest == 0 {
                "*".to_owned()
            } else {
                let mut s = String::with_capacity(1 + rest);
                s.push(first);
                s.extend(std::iter::repeat_n('*', rest));
                s
            }
        }
    }
}

/// `13812345678` -> `138****5678`. Anything not 11 characters is masked whole.
pub fn mask_phone(phone: &str) -> String {
    let c: Vec<char> = phone.chars().collect();
    if c.len() == 11 {
        format!(
            "{}****{}",
            c[..3].iter().collect::<String>(),
            c[7..].iter().collect::<String>()
        )
    } else {
        "*".repeat(c.len())
    }
}

/// `32011119900307123X` -> `3201**********123X`.
pub fn mask_id_number(id: &str) -> String {
    let c: Vec<char> = id.chars().collect();
    if c.len() > 8 {
        let mid = c.len() - 8;
        format!(
            "{}{}{}",
            c[..4].iter().collect::<String>(),
            "*".repeat(mid),
            c[c.len() - 4..].iter().collect::<String>()
        )
    } else {
        "*".repeat(c.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_name("李"), "*");
        assert_eq!(mask_name(""), "");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("123"), "***");
        assert_eq!(mask_id_number("32011119900307123X"), "3201**********123X");
    }
}
