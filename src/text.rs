//! Text from outside (GoTo's answers) bounded before it is kept: in statuses, messages, logs.

/// `text` cut to at most `max` characters (on a character boundary), ending in `…` when cut.
pub fn bounded(text: impl Into<String>, max: usize) -> String {
    let text = text.into();
    match text.char_indices().nth(max) {
        None => text,
        Some((end, _)) => {
            let mut cut = text[..end].to_string();
            cut.pop();
            cut.push('…');
            cut
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_on_a_character_boundary_and_says_so() {
        assert_eq!(bounded("short", 10), "short");
        assert_eq!(bounded("exactly", 7), "exactly");
        assert_eq!(bounded("abcdef", 4), "abc…");
        assert_eq!(bounded("ééééé", 3), "éé…");
    }
}
