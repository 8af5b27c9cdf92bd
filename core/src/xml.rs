//! The two things the SDK needs from XML: is a document well-formed (LendingTree leads are
//! checked before sending, answers after receiving), and what text does an error body say.

use quick_xml::Reader;
use quick_xml::events::Event;

/// Checks that `xml` is one well-formed document: a single root element, every tag closed in
/// order, entities valid, nothing but whitespace, comments and processing instructions outside
/// the root.
pub(crate) fn check_well_formed(xml: &str) -> Result<(), String> {
    let mut reader = Reader::from_str(xml);
    let mut depth = 0usize;
    let mut roots = 0usize;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("not well-formed XML at byte {}: {e}", reader.error_position()))?;
        match event {
            Event::Start(e) => {
                check_attributes(&e)?;
                if depth == 0 {
                    roots += 1;
                }
                depth += 1;
            }
            Event::End(_) => depth -= 1,
            Event::Empty(e) => {
                check_attributes(&e)?;
                if depth == 0 {
                    roots += 1;
                }
            }
            Event::Text(t) if depth == 0 && !t.xml10_content().trim().is_empty() => {
                return Err("not well-formed XML: text outside the root element".into());
            }
            Event::GeneralRef(r) => {
                if depth == 0 {
                    return Err("not well-formed XML: content outside the root element".into());
                }
                resolve_ref(&r)?;
            }
            Event::CData(_) if depth == 0 => {
                return Err("not well-formed XML: content outside the root element".into());
            }
            Event::Eof => break,
            _ => {}
        }
        if roots > 1 {
            return Err("not well-formed XML: more than one root element".into());
        }
    }
    if depth != 0 {
        return Err("not well-formed XML: unclosed element at the end of the document".into());
    }
    if roots == 0 {
        return Err("not well-formed XML: no root element".into());
    }
    Ok(())
}

/// The reader only parses attributes on request; unquoted values and duplicates are errors.
fn check_attributes(e: &quick_xml::events::BytesStart<'_>) -> Result<(), String> {
    for attribute in e.attributes() {
        attribute.map_err(|err| format!("not well-formed XML: bad attribute: {err}"))?;
    }
    Ok(())
}

/// The character an entity reference stands for: the five predefined entities or a
/// character reference (a DTD's own entities are not supported, so they are not well-formed).
fn resolve_ref(r: &quick_xml::events::BytesRef<'_>) -> Result<char, String> {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return Ok(c);
    }
    match r.xml10_content().as_ref() {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        other => Err(format!("not well-formed XML: unknown entity &{other};")),
    }
}

/// The human-readable text of an XML error body: the text of the first element named like a
/// message (`Message`, `ErrorMessage`, `Error`, `Description`, `Reason`, any case), else all
/// of its text, each element's text separated by a space.
pub(crate) fn error_text(xml: &str) -> Option<String> {
    const MESSAGE_TAGS: [&str; 5] = ["message", "errormessage", "error", "description", "reason"];
    let mut reader = Reader::from_str(xml);
    let mut pieces: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut message: Option<(usize, String)> = None;
    let mut depth = 0usize;
    let flush = |current: &mut String, pieces: &mut Vec<String>| {
        let text = current.trim();
        if !text.is_empty() {
            pieces.push(text.to_owned());
        }
        current.clear();
    };
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => {
                flush(&mut current, &mut pieces);
                depth += 1;
                let name = e.local_name().as_ref().to_ascii_lowercase();
                if message.is_none() && MESSAGE_TAGS.contains(&name.as_str()) {
                    message = Some((depth, String::new()));
                }
            }
            Event::End(_) => {
                if let Some((d, text)) = message.as_mut() {
                    if *d == depth {
                        let found = format!("{text}{current}").trim().to_owned();
                        if !found.is_empty() {
                            return Some(found);
                        }
                        message = Some((usize::MAX, String::new()));
                    }
                }
                flush(&mut current, &mut pieces);
                depth = depth.saturating_sub(1);
            }
            Event::Text(t) => current.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => current.push(resolve_ref(&r).ok()?),
            Event::CData(c) => current.push_str(&c.xml10_content()),
            Event::Eof => break,
            _ => {}
        }
    }
    flush(&mut current, &mut pieces);
    let joined = pieces.join(" ");
    if joined.is_empty() { None } else { Some(joined) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed() {
        assert!(check_well_formed(r#"<?xml version="1.0" encoding="UTF-8"?><Lead a="1"><Name>Ann &amp; Bo</Name><X/></Lead>"#).is_ok());
        assert!(check_well_formed("<a>\n</a>\n<!-- trailing comment -->\n").is_ok());
    }

    #[test]
    fn malformed() {
        for bad in ["", "just text", "<a>", "<a></b>", "<a></a><b></b>", "<a>&bogus;</a>", "{\"json\": 1}", "<a></a>tail", "<a b=1></a>"] {
            assert!(check_well_formed(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn error_text_prefers_message_elements() {
        let xml = "<LeadResponse><Status>Error</Status><Message>Missing &lt;Phone&gt;</Message></LeadResponse>";
        assert_eq!(error_text(xml).as_deref(), Some("Missing <Phone>"));
        assert_eq!(error_text("<R><A>one</A><B>two</B></R>").as_deref(), Some("one two"));
        assert_eq!(error_text("<R/>"), None);
    }
}
