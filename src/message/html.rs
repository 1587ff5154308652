//! HTML body to plain text, for messages that carry only an HTML body.
//!
//! The result feeds the `Label: value` body reader, so what matters is that each visual line of
//! the HTML becomes one text line: block elements (`<p>`, `<div>`, `<tr>`, `<li>`, headings) and
//! `<br>` end a line, table cells in one row are separated by a tab (so "Name" and "Jane Sample"
//! in two cells stay apart), runs of whitespace collapse to one space as a browser would, and
//! character references are decoded. `<head>`, `<style>`, `<script>` and comments are dropped.
//!
//! This is deliberately a tolerant scanner, not an HTML parser: malformed markup degrades to
//! slightly odd spacing, never to an error or a panic.

/// Converts HTML to plain text with one line per visual line.
pub fn html_to_text(html: &str) -> String {
    let mut out = Text::default();
    let mut rest = html;
    // Raw-text elements whose content is never shown; we skip to their closing tag.
    let mut skip_until: Option<&'static str> = None;

    while !rest.is_empty() {
        if let Some(end_tag) = skip_until {
            match find_ci(rest, end_tag) {
                Some(pos) => {
                    rest = rest.get(pos..).unwrap_or("");
                    skip_until = None;
                }
                None => break,
            }
            continue;
        }
        let Some(lt) = rest.find('<') else {
            out.push_text(rest);
            break;
        };
        out.push_text(rest.get(..lt).unwrap_or(""));
        rest = rest.get(lt..).unwrap_or("");

        if rest.starts_with("<!--") {
            rest = match rest.find("-->") {
                Some(pos) => rest.get(pos + 3..).unwrap_or(""),
                None => "",
            };
            continue;
        }
        let Some(gt) = rest.find('>') else {
            // An unterminated tag at the end: treat the remaining text as dropped markup.
            break;
        };
        let tag = rest.get(1..gt).unwrap_or("");
        rest = rest.get(gt + 1..).unwrap_or("");

        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match name.as_str() {
            "head" if !closing => skip_until = Some("</head"),
            "style" if !closing => skip_until = Some("</style"),
            "script" if !closing => skip_until = Some("</script"),
            "title" if !closing => skip_until = Some("</title"),
            "br" => out.newline(),
            // A paragraph ends with a blank line, as a reader sees it: "<p><b>Member's
            // birthday</b><br>04/04/1999</p>" is a label over its value, apart from the next.
            "p" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => out.paragraph_break(),
            "div" | "tr" | "li" | "ul" | "ol" | "table" | "blockquote" | "pre" | "hr" | "dt" | "dd"
            | "address" | "section" | "article" | "header" | "footer" => out.block_break(),
            "td" | "th" if !closing => out.cell(),
            _ => {}
        }
    }
    out.finish()
}

/// Accumulates text with HTML whitespace rules.
#[derive(Default)]
struct Text {
    out: String,
    /// Whitespace seen since the last word; emitted as one space before the next word.
    pending_space: bool,
    /// Whether the current line already has a table cell (so the next cell needs a tab).
    cell_on_line: bool,
}

impl Text {
    fn push_text(&mut self, raw: &str) {
        let decoded = decode_entities(raw);
        for ch in decoded.chars() {
            if ch.is_whitespace() && ch != '\u{a0}' {
                self.pending_space = true;
            } else {
                if self.pending_space && !self.at_line_start() {
                    self.out.push(' ');
                }
                self.pending_space = false;
                // A non-breaking space is shown as a space but must not collapse away.
                self.out.push(if ch == '\u{a0}' { ' ' } else { ch });
            }
        }
    }

    fn at_line_start(&self) -> bool {
        self.out.is_empty() || self.out.ends_with('\n') || self.out.ends_with('\t')
    }

    fn newline(&mut self) {
        trim_trailing_spaces(&mut self.out);
        self.out.push('\n');
        self.pending_space = false;
        self.cell_on_line = false;
    }

    /// Ends the current line unless we are already at the start of one.
    fn block_break(&mut self) {
        if !(self.out.is_empty() || self.out.ends_with('\n')) {
            self.newline();
        }
        self.cell_on_line = false;
    }

    /// Ends the current line and leaves one blank line, unless there is one already.
    fn paragraph_break(&mut self) {
        self.block_break();
        if !(self.out.is_empty() || self.out.ends_with("\n\n")) {
            self.newline();
        }
    }

    fn cell(&mut self) {
        if self.cell_on_line {
            trim_trailing_spaces(&mut self.out);
            self.out.push('\t');
        }
        self.cell_on_line = true;
        self.pending_space = false;
    }

    fn finish(mut self) -> String {
        trim_trailing_spaces(&mut self.out);
        // Collapse runs of blank lines left by nested blocks and spacer paragraphs.
        let mut result = String::with_capacity(self.out.len());
        let mut blank_run = 0;
        for line in self.out.split('\n') {
            let line = line.trim_end();
            if line.trim().is_empty() {
                blank_run += 1;
                if blank_run > 1 || result.is_empty() {
                    continue;
                }
            } else {
                blank_run = 0;
            }
            result.push_str(line);
            result.push('\n');
        }
        while result.ends_with('\n') {
            result.pop();
        }
        result
    }
}

fn trim_trailing_spaces(s: &mut String) {
    while s.ends_with(' ') {
        s.pop();
    }
}

/// Case-insensitive ASCII search; returns a byte offset on a char boundary.
fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let needle = needle.as_bytes();
    hay.as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// Decodes `&name;`, `&#NNN;` and `&#xHH;` references; unknown ones are kept as written.
pub(crate) fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(rest.get(..amp).unwrap_or(""));
        rest = rest.get(amp..).unwrap_or("");
        // References are short; a `;` further away means this `&` is literal text.
        let semi = rest.get(..rest.len().min(12)).and_then(|head| head.find(';'));
        let decoded = semi.and_then(|semi| rest.get(1..semi)).and_then(entity);
        match (decoded, semi) {
            (Some(ch), Some(semi)) => {
                out.push(ch);
                rest = rest.get(semi + 1..).unwrap_or("");
            }
            _ => {
                out.push('&');
                rest = rest.get(1..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        return Some(char::from_u32(code).unwrap_or('\u{fffd}'));
    }
    Some(match name {
        "amp" | "AMP" => '&',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "ndash" => '–',
        "mdash" => '—',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "bull" => '•',
        "middot" => '·',
        "hellip" => '…',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "deg" => '°',
        "sect" => '§',
        "para" => '¶',
        "times" => '×',
        "check" => '✓',
        "cross" => '✗',
        "eacute" => 'é',
        "Eacute" => 'É',
        "aacute" => 'á',
        "iacute" => 'í',
        "oacute" => 'ó',
        "uacute" => 'ú',
        "ntilde" => 'ñ',
        "Ntilde" => 'Ñ',
        "uuml" => 'ü',
        "ouml" => 'ö',
        "auml" => 'ä',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_and_breaks_become_lines() {
        let html = "<html><head><title>x</title><style>p{color:red}</style></head><body>\
                    <p>Member Name: Jane  Sample</p><div>DOB:<br>01/02/1980</div>\
                    <!-- a <p> comment --><script>var a = '<p>';</script>CIN: 91234567A</body></html>";
        assert_eq!(
            html_to_text(html),
            "Member Name: Jane Sample\n\nDOB:\n01/02/1980\nCIN: 91234567A"
        );
    }

    #[test]
    fn table_rows_are_lines_and_cells_are_tabbed() {
        let html = "<table><tr><td>Name</td><td> Testy McTestface </td></tr>\n<tr><th>Phone</th>\
                    <td>(555) 555-0100</td></tr></table>";
        assert_eq!(
            html_to_text(html),
            "Name\tTesty McTestface\nPhone\t(555) 555-0100"
        );
    }

    #[test]
    fn entities_are_decoded() {
        assert_eq!(
            html_to_text("A&amp;B &lt;x&gt; caf&eacute; &#233;&#xE9; 5&nbsp;mi &bogus; AT&T"),
            "A&B <x> café éé 5 mi &bogus; AT&T"
        );
    }

    #[test]
    fn malformed_markup_does_not_panic() {
        for html in [
            "<",
            "<p",
            "<!-- open",
            "&",
            "&#xZZ;",
            "&#99999999;",
            "<style>never closed",
            "é<é>é",
        ] {
            let _ = html_to_text(html);
        }
        assert_eq!(html_to_text("text <b"), "text");
        assert_eq!(html_to_text("&#99999999;"), "\u{fffd}");
    }

    #[test]
    fn blank_runs_collapse() {
        assert_eq!(
            html_to_text("<p>a</p><p>&nbsp;</p><p></p><p></p><p>b</p>"),
            "a\n\nb"
        );
    }
}
