//! Reading machine-readable answers out of model text, tolerantly but never by keyword.
//!
//! Models asked for "a JSON object" answer with the object alone, inside a Markdown fence,
//! after a sentence of preamble, or followed by an explanation. [`json_object`] finds the
//! object in all of these: a fenced block marked `json` first, then any fenced block, then the
//! first balanced `{…}` in the text that parses. It never guesses a value from free text: when
//! no object parses, the answer is `None` and the caller re-asks or fails closed.

use serde::de::DeserializeOwned;

/// The first JSON object in `text` (see the module docs for where it looks).
///
/// ```
/// use mgx_core::parse::json_object;
///
/// let answer = "Sure! Here is the verdict:\n```json\n{\"verdict\": \"approved\", \"findings\": []}\n```\nLet me know.";
/// let v = json_object(answer).unwrap();
/// assert_eq!(v["verdict"], "approved");
/// assert_eq!(json_object("The code looks approved to me."), None); // no object: no verdict
/// ```
pub fn json_object(text: &str) -> Option<serde_json::Value> {
    let fenced = fences(text);
    fenced
        .iter()
        .filter(|(lang, _)| lang.eq_ignore_ascii_case("json"))
        .chain(
            fenced
                .iter()
                .filter(|(lang, _)| !lang.eq_ignore_ascii_case("json")),
        )
        .find_map(|(_, body)| parse_object(body.trim()).or_else(|| balanced_object(body)))
        .or_else(|| balanced_object(text))
}

/// The first JSON object in `text` that deserialises as `T`.
pub fn parse_json<T: DeserializeOwned>(text: &str) -> Option<T> {
    // The common answer is the object alone: read it straight into `T`, no `Value` between.
    if let Some(v) = direct(text.trim()) {
        return Some(v);
    }
    let shaped = |candidate: &str| objects(candidate).find_map(|v| serde_json::from_value(v).ok());
    // Fenced bodies, each whole and then its objects; then the objects of the whole text (read
    // whole above already).
    fences(text)
        .iter()
        .find_map(|(_, body)| direct(body.trim()).or_else(|| shaped(body)))
        .or_else(|| shaped(text))
}

/// `text` as `T` when it is one JSON object (not an array a struct would also accept).
fn direct<T: DeserializeOwned>(text: &str) -> Option<T> {
    if text.starts_with('{') {
        serde_json::from_str(text).ok()
    } else {
        None
    }
}

fn parse_object(text: &str) -> Option<serde_json::Value> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v @ serde_json::Value::Object(_)) => Some(v),
        _ => None,
    }
}

/// Fenced blocks: (info string, body). A fence is a line starting with three or more
/// backticks or tildes; it closes at the next line of the same character, at least as long.
fn fences(text: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut lines = line_spans(text).into_iter().peekable();
    while let Some((start, end)) = lines.next() {
        let line = &text[start..end];
        let trimmed = line.trim_start();
        let Some(marker) = trimmed.chars().next().filter(|c| *c == '`' || *c == '~') else {
            continue;
        };
        let run = trimmed.chars().take_while(|c| *c == marker).count();
        if run < 3 {
            continue;
        }
        let info = trimmed[run..].trim();
        let body_start = end.min(text.len());
        let mut body_end = None;
        for (s, e) in lines.by_ref() {
            let l = text[s..e].trim();
            if l.chars().take_while(|c| *c == marker).count() >= run
                && l.chars().all(|c| c == marker)
            {
                body_end = Some(s);
                break;
            }
        }
        // An unclosed fence runs to the end (models get cut off).
        let body = &text[body_start..body_end.unwrap_or(text.len())];
        out.push((info.split_whitespace().next().unwrap_or(""), body));
    }
    out
}

/// (start, end) of each line, ends excluding the newline.
fn line_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            spans.push((start, i));
            start = i + 1;
        }
    }
    if start < text.len() {
        spans.push((start, text.len()));
    }
    spans
}

/// The first balanced `{…}` that parses as a JSON object.
fn balanced_object(text: &str) -> Option<serde_json::Value> {
    objects(text).next()
}

/// At most this many `{…}` spans are tried as JSON in one text (each try may read the span):
/// a hostile answer full of braces costs linear time, not quadratic.
const MAX_TRIES: usize = 256;

/// Balanced `{…}` spans that parse as JSON objects, outermost first and in order. Braces
/// inside JSON strings are skipped. One pass pairs every brace; then spans are tried.
fn objects(text: &str) -> impl Iterator<Item = serde_json::Value> + '_ {
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let (mut in_string, mut escaped) = (false, false);
    for (i, &b) in text.as_bytes().iter().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            // Quotes count only inside a brace: prose apostrophes and quotes do not.
            b'"' if !open.is_empty() => in_string = true,
            b'{' => open.push(i),
            b'}' => {
                if let Some(start) = open.pop() {
                    pairs.push((start, i));
                }
            }
            _ => {}
        }
    }
    pairs.sort_unstable();
    let mut covered_to = 0;
    pairs
        .into_iter()
        .take(MAX_TRIES)
        .filter_map(move |(start, end)| {
            // Inside an object already returned: skip.
            if start < covered_to {
                return None;
            }
            let v = parse_object(&text[start..=end])?;
            covered_to = end + 1;
            Some(v)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn objects_are_found_in_the_shapes_models_answer_in() {
        let v =
            json!({"complexity": "M", "files": ["a.py"], "note": "use {braces} and \"quotes\""});
        let s = v.to_string();
        for text in [
            s.clone(),
            format!("```json\n{s}\n```"),
            format!("Here is the analysis:\n\n```JSON\n{s}\n```\n\nAnything else?"),
            format!("~~~\n{s}\n~~~"),
            format!("Analysis: {s} — done."),
            format!("```json\n{s}"), // cut off before the closing fence
            format!("```python\nx = {{1: 2}}\n```\n{s}"),
        ] {
            assert_eq!(json_object(&text), Some(v.clone()), "{text}");
        }
    }

    #[test]
    fn no_object_means_none_never_a_guess() {
        for text in [
            "approved",
            "LGTM, approved!",
            "{not json}",
            "{\"a\": ",
            "[1, 2]",
            "",
        ] {
            assert_eq!(json_object(text), None, "{text}");
        }
    }

    #[test]
    fn hostile_brace_soup_is_read_in_one_pass() {
        // Quadratic scanning would take minutes here.
        assert_eq!(json_object(&"{".repeat(200_000)), None);
        assert_eq!(json_object(&"{\"a\": [1, {\"b\": ".repeat(20_000)), None);
        let nested = format!(
            "{}{}",
            "{\"a\":".repeat(100),
            "1".to_string() + &"}".repeat(100)
        );
        assert!(json_object(&nested).is_some());
    }

    #[test]
    fn typed_parsing_skips_objects_of_another_shape() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Verdict {
            verdict: String,
        }
        let text = "First {\"thinking\": 1}, then {\"verdict\": \"changes_required\"}.";
        assert_eq!(
            parse_json::<Verdict>(text),
            Some(Verdict {
                verdict: "changes_required".into()
            })
        );
        assert_eq!(parse_json::<Verdict>("{\"thinking\": 1}"), None);
    }

    proptest! {
        #[test]
        fn any_object_inside_any_prose_is_found(
            before in "[^{}`~]{0,40}",
            after in "[^{}`~]{0,40}",
            key in "[a-z]{1,8}",
            value in ".{0,20}",
        ) {
            let v = json!({ key: value });
            let text = format!("{before}{v}{after}");
            prop_assert_eq!(json_object(&text), Some(v));
        }

        #[test]
        fn arbitrary_text_never_panics(text in ".{0,200}") {
            let _ = json_object(&text);
        }
    }
}
