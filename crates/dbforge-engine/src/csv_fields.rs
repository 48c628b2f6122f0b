//! CSV (RFC 4180) read a record at a time, keeping what general readers drop: whether each
//! field was quoted (a quoted field is always text: `""` is an empty text where an empty
//! field is NULL, `"\N"` the text where `\N` is NULL) and the line each record starts on.

use std::io::BufRead;

/// One field: its text, and whether it was quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    pub(crate) text: String,
    pub(crate) quoted: bool,
}

/// Records of a CSV text, read from `input`.
pub(crate) struct CsvRecords<R> {
    input: R,
    /// The line the next record starts on (1-based).
    line: usize,
    done: bool,
}

impl<R: BufRead> CsvRecords<R> {
    pub(crate) fn new(input: R) -> Self {
        Self {
            input,
            line: 1,
            done: false,
        }
    }

    /// The next record and the line it starts on; `None` at the end. A blank line is skipped.
    pub(crate) fn next_record(&mut self) -> Result<Option<(usize, Vec<Field>)>, String> {
        loop {
            if self.done {
                return Ok(None);
            }
            let start = self.line;
            let mut fields = Vec::new();
            let mut text = Vec::new();
            let mut quoted = false;
            // 0: at a field's start, 1: in an unquoted field, 2: in quotes, 3: after a closing quote.
            let mut state = 0u8;
            loop {
                let byte = match self.read_byte().map_err(|e| format!("line {start}: {e}"))? {
                    Some(b) => b,
                    None => {
                        self.done = true;
                        if state == 2 {
                            return Err(format!("line {start}: a quoted field is never closed"));
                        }
                        break;
                    }
                };
                match (state, byte) {
                    (2, b'"') => state = 3,
                    (2, b) => {
                        if b == b'\n' {
                            self.line += 1;
                        }
                        text.push(b);
                    }
                    (3, b'"') => {
                        text.push(b'"');
                        state = 2;
                    }
                    (0, b'"') => {
                        quoted = true;
                        state = 2;
                    }
                    (_, b',') => {
                        fields.push(field(std::mem::take(&mut text), quoted, start)?);
                        quoted = false;
                        state = 0;
                    }
                    (_, b'\n') => {
                        self.line += 1;
                        break;
                    }
                    (3, b'\r') => {}
                    (3, b) => {
                        return Err(format!(
                            "line {start}: `{}` after a closing quote (a field is quoted whole)",
                            char::from(b).escape_default()
                        ));
                    }
                    (_, b) => {
                        text.push(b);
                        state = 1;
                    }
                }
            }
            if text.last() == Some(&b'\r') && !quoted {
                text.pop();
            }
            if fields.is_empty() && text.is_empty() && !quoted {
                // A blank line (or the end of the input).
                continue;
            }
            fields.push(field(text, quoted, start)?);
            return Ok(Some((start, fields)));
        }
    }

    fn read_byte(&mut self) -> std::io::Result<Option<u8>> {
        let buffer = self.input.fill_buf()?;
        let Some(&byte) = buffer.first() else {
            return Ok(None);
        };
        self.input.consume(1);
        Ok(Some(byte))
    }
}

fn field(bytes: Vec<u8>, quoted: bool, line: usize) -> Result<Field, String> {
    let text =
        String::from_utf8(bytes).map_err(|_| format!("line {line}: the text is not UTF-8"))?;
    Ok(Field { text, quoted })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record's line and its fields (text, quoted).
    type Parsed = Vec<(usize, Vec<(String, bool)>)>;

    fn records(text: &str) -> Result<Parsed, String> {
        let mut reader = CsvRecords::new(text.as_bytes());
        let mut all = Vec::new();
        while let Some((line, fields)) = reader.next_record()? {
            all.push((
                line,
                fields.into_iter().map(|f| (f.text, f.quoted)).collect(),
            ));
        }
        Ok(all)
    }

    fn f(text: &str, quoted: bool) -> (String, bool) {
        (text.to_owned(), quoted)
    }

    #[test]
    fn quoting_is_kept_and_lines_are_counted_with_either_line_end() {
        let parsed =
            records("a,b\r\n1,\"\"\r\n,\"x\r\ny\"\r\n\r\n\"q\"\"\",\\N\n").expect("parses");
        assert_eq!(
            parsed,
            vec![
                (1, vec![f("a", false), f("b", false)]),
                (2, vec![f("1", false), f("", true)]),
                (3, vec![f("", false), f("x\r\ny", true)]),
                (6, vec![f("q\"", true), f("\\N", false)]),
            ]
        );
    }

    #[test]
    fn a_broken_quote_names_its_line() {
        assert_eq!(
            records("a\n\"open\n").expect_err("unclosed"),
            "line 2: a quoted field is never closed"
        );
        assert!(
            records("a\n\"x\"y\n")
                .expect_err("after quote")
                .starts_with("line 2:")
        );
    }
}
