//! libyaml's parser as a safe stream of owned events. One of pgrender's
//! two unsafe modules (with the thread placement in `parallel::beside`):
//! libyaml comes as `unsafe-libyaml`, a translation of
//! the C library (the one `serde_yaml` is built on) that keeps C's raw
//! pointers and manual frees, so this module owns the parser and every
//! event it hands out and frees each exactly once.
#![allow(unsafe_code)]

use std::ffi::CStr;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ops::Range;

use unsafe_libyaml::{
    YAML_ALIAS_EVENT, YAML_DOCUMENT_END_EVENT, YAML_DOCUMENT_START_EVENT, YAML_MAPPING_END_EVENT,
    YAML_MAPPING_START_EVENT, YAML_PLAIN_SCALAR_STYLE, YAML_SCALAR_EVENT, YAML_SEQUENCE_END_EVENT,
    YAML_SEQUENCE_START_EVENT, YAML_STREAM_END_EVENT, YAML_STREAM_START_EVENT, YAML_UTF8_ENCODING, yaml_event_delete,
    yaml_event_t, yaml_mark_t, yaml_parser_delete, yaml_parser_initialize, yaml_parser_parse, yaml_parser_set_encoding,
    yaml_parser_set_input_string, yaml_parser_t,
};

/// One parse event, with what pgrender reads of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The stream begins.
    StreamStart,
    /// The stream ends; no events follow.
    StreamEnd,
    /// A document begins.
    DocumentStart,
    /// A document ends.
    DocumentEnd,
    /// `*name`.
    Alias(String),
    /// A scalar.
    Scalar(Scalar),
    /// A sequence begins.
    SequenceStart(Properties),
    /// A sequence ends.
    SequenceEnd,
    /// A mapping begins.
    MappingStart(Properties),
    /// A mapping ends.
    MappingEnd,
}

/// A node's anchor and tag, as written (a tag with its handle resolved,
/// e.g. `tag:yaml.org,2002:str` for `!!str`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Properties {
    /// `&name`, without the `&`.
    pub anchor: Option<String>,
    /// The tag.
    pub tag: Option<String>,
}

/// A scalar event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar {
    /// The value, quotes removed and escapes resolved.
    pub value: String,
    /// Whether it was written plain (unquoted, not a block scalar).
    pub plain: bool,
    /// Anchor and tag.
    pub properties: Properties,
}

/// libyaml rejected the input; rendering words the error itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntaxError;

/// A libyaml parser over a borrowed text.
pub struct Parser<'input> {
    /// Boxed because libyaml keeps a pointer to the parser inside it (its
    /// string reader's data), so it must not move once initialised.
    sys: Box<MaybeUninit<yaml_parser_t>>,
    input: PhantomData<&'input str>,
}

impl<'input> Parser<'input> {
    /// A parser reading `text`.
    pub fn new(text: &'input str) -> Self {
        let mut sys = Box::new(MaybeUninit::<yaml_parser_t>::uninit());
        let parser = sys.as_mut_ptr();
        // SAFETY: `parser` points to writable memory the size of a parser;
        // initialisation writes all of it. It only fails when an allocation
        // fails, and the allocator then aborts instead of returning.
        let initialised = unsafe { yaml_parser_initialize(parser) };
        assert!(initialised.ok, "libyaml could not allocate its parser");
        // SAFETY: the parser is initialised and has no input yet. `text` is
        // UTF-8 and outlives the parser (`'input`), which reads it in place.
        unsafe {
            yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING);
            yaml_parser_set_input_string(parser, text.as_ptr(), text.len() as u64);
        }
        Parser { sys, input: PhantomData }
    }

    /// The next event and its byte range in the text. Once the stream has
    /// ended or failed, every call fails.
    pub fn next_event(&mut self) -> Result<(Event, Range<usize>), SyntaxError> {
        let mut raw = RawEvent::empty();
        // SAFETY: the parser was initialised in `new` and its input is alive;
        // `raw` is a valid empty event for libyaml to fill.
        let parsed = unsafe { yaml_parser_parse(self.sys.as_mut_ptr(), &raw mut raw.0) };
        if parsed.fail {
            return Err(SyntaxError);
        }
        let event = raw.event().ok_or(SyntaxError)?;
        Ok((event, byte(raw.0.start_mark)..byte(raw.0.end_mark)))
    }
}

impl Drop for Parser<'_> {
    fn drop(&mut self) {
        // SAFETY: the parser was initialised in `new` and is freed only here.
        unsafe { yaml_parser_delete(self.sys.as_mut_ptr()) }
    }
}

/// An event as libyaml fills it. Invariant: all zeroes (libyaml's empty
/// event) or filled by `yaml_parser_parse`, so the fields that its type
/// names are valid, and it owns the strings they point to.
struct RawEvent(yaml_event_t);

impl RawEvent {
    fn empty() -> Self {
        // SAFETY: an event is integers, pointers and a union of those; all
        // zeroes is `YAML_NO_EVENT` with no data, which libyaml expects.
        RawEvent(unsafe { MaybeUninit::zeroed().assume_init() })
    }

    /// The event as owned data; `None` for the empty event, which libyaml
    /// returns once the stream has ended or failed.
    fn event(&self) -> Option<Event> {
        let raw = &self.0;
        // SAFETY: by the type's invariant, the union field read in each arm
        // is the one libyaml filled for that event type, and its strings are
        // NUL-terminated or `length` bytes long, alive as long as `self`.
        let event = unsafe {
            match raw.type_ {
                YAML_STREAM_START_EVENT => Event::StreamStart,
                YAML_STREAM_END_EVENT => Event::StreamEnd,
                YAML_DOCUMENT_START_EVENT => Event::DocumentStart,
                YAML_DOCUMENT_END_EVENT => Event::DocumentEnd,
                YAML_ALIAS_EVENT => Event::Alias(text(raw.data.alias.anchor)?),
                YAML_SCALAR_EVENT => {
                    let scalar = &raw.data.scalar;
                    let bytes = if scalar.length == 0 {
                        &[][..]
                    } else {
                        std::slice::from_raw_parts(scalar.value, usize::try_from(scalar.length).ok()?)
                    };
                    Event::Scalar(Scalar {
                        value: String::from_utf8_lossy(bytes).into_owned(),
                        plain: scalar.style == YAML_PLAIN_SCALAR_STYLE,
                        properties: Properties { anchor: text(scalar.anchor), tag: text(scalar.tag) },
                    })
                }
                YAML_SEQUENCE_START_EVENT => {
                    let start = &raw.data.sequence_start;
                    Event::SequenceStart(Properties { anchor: text(start.anchor), tag: text(start.tag) })
                }
                YAML_SEQUENCE_END_EVENT => Event::SequenceEnd,
                YAML_MAPPING_START_EVENT => {
                    let start = &raw.data.mapping_start;
                    Event::MappingStart(Properties { anchor: text(start.anchor), tag: text(start.tag) })
                }
                YAML_MAPPING_END_EVENT => Event::MappingEnd,
                _ => return None,
            }
        };
        Some(event)
    }
}

impl Drop for RawEvent {
    fn drop(&mut self) {
        // SAFETY: by the type's invariant libyaml can free this event (the
        // empty event owns nothing), and it is freed only here.
        unsafe { yaml_event_delete(&raw mut self.0) }
    }
}

/// A NUL-terminated string of an event; `None` for a null pointer.
///
/// # Safety
/// `ptr` is null or points to a NUL-terminated string alive for the call.
unsafe fn text(ptr: *const u8) -> Option<String> {
    // SAFETY: the caller passes null or a live NUL-terminated string.
    (!ptr.is_null()).then(|| unsafe { CStr::from_ptr(ptr.cast()) }.to_string_lossy().into_owned())
}

/// A mark's offset, which `unsafe-libyaml` counts in bytes (the tests
/// check it on non-ASCII text).
fn byte(mark: yaml_mark_t) -> usize {
    usize::try_from(mark.index).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(text: &str) -> Result<Vec<(Event, Range<usize>)>, SyntaxError> {
        let mut parser = Parser::new(text);
        let mut out = Vec::new();
        loop {
            let (event, span) = parser.next_event()?;
            let end = event == Event::StreamEnd;
            out.push((event, span));
            if end {
                return Ok(out);
            }
        }
    }

    #[test]
    fn marks_are_byte_offsets() {
        let text = "é: ü\nb: !!str 'x'\n";
        let events = events(text).unwrap();
        let scalars: Vec<(&Scalar, &str)> = events
            .iter()
            .filter_map(|(e, span)| match e {
                Event::Scalar(s) => Some((s, &text[span.clone()])),
                _ => None,
            })
            .collect();
        assert_eq!(scalars[0].0.value, "é");
        assert_eq!(scalars[0].1, "é");
        assert_eq!(scalars[1].1, "ü");
        assert_eq!(scalars[3].1, "!!str 'x'");
        assert_eq!(scalars[3].0.properties.tag.as_deref(), Some("tag:yaml.org,2002:str"));
        assert!(!scalars[3].0.plain);
    }

    #[test]
    fn a_syntax_error_ends_the_stream() {
        assert_eq!(events("a: [unclosed\n"), Err(SyntaxError));
        let mut parser = Parser::new("a: 'x");
        while parser.next_event().is_ok() {}
    }
}
