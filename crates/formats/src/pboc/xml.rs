//! One `<Document>` line as a small element tree (quick-xml, zero-copy where no entity needs
//! resolving), and the escaping the writer uses.

use super::codes::ErrorCode;
use super::{ELEMENT_DEPTH_MAX, ELEMENTS_PER_RECORD_MAX};
use ob_model::FieldError;
use quick_xml::events::Event;
use std::borrow::Cow;

/// The root element of every record line.
pub(crate) const ROOT: &str = "Document";

/// One element: its name, its text (leaves) and where it sits.
#[derive(Debug)]
pub(crate) struct Elem<'a> {
    pub name: &'a str,
    pub text: Cow<'a, str>,
    /// Index of the parent element; the root's is itself (0).
    pub parent: usize,
    pub has_children: bool,
}

/// The elements of one record in document order; element 0 is the root.
#[derive(Debug, Default)]
pub(crate) struct Tree<'a> {
    pub elems: Vec<Elem<'a>>,
}

impl<'a> Tree<'a> {
    /// Indices of the children of `parent`, in order.
    pub fn children(&self, parent: usize) -> impl Iterator<Item = usize> + '_ {
        self.elems.iter().enumerate().skip(parent + 1).filter(move |(_, e)| e.parent == parent).map(|(i, _)| i)
    }

    /// The element at `i` (the root when out of range).
    pub fn get(&self, i: usize) -> &Elem<'a> {
        self.elems.get(i).or(self.elems.first()).unwrap_or(&EMPTY)
    }
}

static EMPTY: Elem<'static> = Elem { name: "", text: Cow::Borrowed(""), parent: 0, has_children: false };

fn bad(message: impl Into<String>) -> FieldError {
    FieldError::new(ErrorCode::XmlInvalid.code(), "", message)
}

/// Parses one line: exactly one `Document` element, elements and text only, no attributes,
/// at most [`ELEMENT_DEPTH_MAX`] levels and [`ELEMENTS_PER_RECORD_MAX`] elements.
pub(crate) fn parse(line: &[u8]) -> Result<Tree<'_>, FieldError> {
    let text = std::str::from_utf8(line).map_err(|_| bad("the record is not UTF-8"))?;
    let mut reader = quick_xml::Reader::from_str(text);
    let config = reader.config_mut();
    config.trim_text(false);
    config.check_end_names = true;
    config.expand_empty_elements = true;
    let mut tree = Tree { elems: Vec::with_capacity(64) };
    let mut stack: Vec<usize> = Vec::with_capacity(ELEMENT_DEPTH_MAX);
    let mut done = false;
    loop {
        let event = reader.read_event().map_err(|e| bad(format!("not well-formed XML: {}", short(&e.to_string()))))?;
        match event {
            Event::Start(start) => {
                if done {
                    return Err(bad("more than one root element"));
                }
                if start.attributes_raw().trim() != "" {
                    return Err(FieldError::new(ErrorCode::Element.code(), "", "attributes are not used"));
                }
                let name = in_line(text, start.name().0).ok_or_else(|| bad("an element name is not in the line"))?;
                open(&mut tree, &mut stack, name)?;
            }
            Event::End(_) => {
                if let Some(e) = stack.pop().and_then(|i| tree.elems.get_mut(i)) {
                    close(e)?;
                }
                done = stack.is_empty();
            }
            Event::Text(t) => add_text(&mut tree, &stack, done, t.into_inner())?,
            Event::CData(c) => add_text(&mut tree, &stack, done, c.into_inner())?,
            Event::GeneralRef(r) => add_text(&mut tree, &stack, done, Cow::Owned(resolve(&r)?.to_string()))?,
            Event::Comment(_) | Event::Empty(_) => {}
            Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {
                return Err(bad("declarations, processing instructions and DTDs are not used"));
            }
            Event::Eof if done => return Ok(tree),
            Event::Eof => return Err(bad("the record ends before its root element is closed")),
        }
    }
}

/// `part` (borrowed from the event) as a slice of `text` itself, for the tree's lifetime.
fn in_line<'a>(text: &'a str, part: &str) -> Option<&'a str> {
    let offset = (part.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    text.get(offset..offset.checked_add(part.len())?).filter(|s| *s == part)
}

fn open<'a>(tree: &mut Tree<'a>, stack: &mut Vec<usize>, name: &'a str) -> Result<(), FieldError> {
    if stack.is_empty() && name != ROOT {
        return Err(bad("the root element is not <Document>"));
    }
    if stack.len() >= ELEMENT_DEPTH_MAX {
        return Err(bad("elements nested too deep"));
    }
    if tree.elems.len() >= ELEMENTS_PER_RECORD_MAX {
        return Err(bad("too many elements in one record"));
    }
    let parent = stack.last().copied().unwrap_or(0);
    if let Some(p) = tree.elems.get_mut(parent).filter(|_| !stack.is_empty()) {
        p.has_children = true;
        if !p.text.trim().is_empty() {
            return Err(bad("an element holds both text and elements"));
        }
    }
    stack.push(tree.elems.len());
    tree.elems.push(Elem { name, text: Cow::Borrowed(""), parent, has_children: false });
    Ok(())
}

fn add_text<'a>(tree: &mut Tree<'a>, stack: &[usize], done: bool, s: Cow<'a, str>) -> Result<(), FieldError> {
    let Some(elem) = stack.last().and_then(|&i| tree.elems.get_mut(i)).filter(|_| !done) else {
        return if s.trim().is_empty() { Ok(()) } else { Err(bad("text outside the root element")) };
    };
    if elem.text.is_empty() {
        elem.text = s;
    } else {
        elem.text.to_mut().push_str(&s);
    }
    Ok(())
}

/// At an element's end: its text trimmed; an element with children holds no other text.
fn close(e: &mut Elem<'_>) -> Result<(), FieldError> {
    let trimmed = e.text.trim();
    if e.has_children && !trimmed.is_empty() {
        return Err(bad("an element holds both text and elements"));
    }
    if trimmed.len() != e.text.len() {
        e.text = match std::mem::take(&mut e.text) {
            Cow::Borrowed(b) => Cow::Borrowed(b.trim()),
            Cow::Owned(o) => Cow::Owned(o.trim().to_owned()),
        };
    }
    Ok(())
}

fn resolve(r: &quick_xml::events::BytesRef<'_>) -> Result<Cow<'static, str>, FieldError> {
    let name = r.xml10_content();
    if let Some(s) = quick_xml::escape::resolve_predefined_entity(&name) {
        return Ok(Cow::Borrowed(s));
    }
    match r.resolve_char_ref() {
        Ok(Some(c)) if is_xml_char(c) => Ok(Cow::Owned(c.to_string())),
        _ => Err(bad("an unknown entity or character reference")),
    }
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

/// Keeps error texts short (they end up in 100-character feedback messages).
fn short(s: &str) -> &str {
    s.char_indices().nth(60).and_then(|(i, _)| s.get(..i)).unwrap_or(s)
}

/// Appends `<name>text</name>` with the text escaped.
pub(crate) fn leaf(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    out.push_str(&quick_xml::escape::partial_escape(text));
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Appends `<name>`.
pub(crate) fn open_tag(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

/// Appends `</name>`.
pub(crate) fn close_tag(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_nested_record() {
        let t = parse(b"<Document><A><B>x &amp; y</B><C><![CDATA[<z>]]></C></A><D>&#x4E2D;</D></Document>").unwrap();
        let names: Vec<_> = t.elems.iter().map(|e| (e.name, e.text.as_ref(), e.parent)).collect();
        assert_eq!(names, [("Document", "", 0), ("A", "", 0), ("B", "x & y", 1), ("C", "<z>", 1), ("D", "中", 0)]);
        assert_eq!(t.children(0).collect::<Vec<_>>(), [1, 4]);
    }

    #[test]
    fn refuses_what_is_not_one_document() {
        let cases: [&[u8]; 9] = [
            b"<Other/>",
            b"<Document>",
            b"<Document></Document><Document></Document>",
            b"<Document a=\"1\"></Document>",
            b"<Document><A>t<B/></A></Document>",
            b"<Document><A>&foo;</A></Document>",
            b"<?xml version=\"1.0\"?><Document/>",
            b"<Document></Other>",
            b"<Document>\xff</Document>",
        ];
        for c in cases {
            assert!(parse(c).is_err(), "{}", String::from_utf8_lossy(c));
        }
        let deep = format!("{}{}", "<Document>".to_owned() + &"<a>".repeat(10), "</a>".repeat(10) + "</Document>");
        assert!(parse(deep.as_bytes()).is_err());
    }
}
