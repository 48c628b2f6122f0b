//! Splits a SQL text into its statements, the way SQLite's own `sqlite3_complete` reads it:
//! semicolons inside quotes, comments and trigger bodies do not end a statement. This is
//! lexical only; whether a statement reads or writes is always SQLite's decision.

/// Returns each non-empty statement of `sql` (without its terminating semicolon).
pub fn split_statements(sql: &str) -> Vec<&str> {
    split(sql, true).0.into_iter().map(|(_, s)| s).collect()
}

/// The statements of `sql` that a `;` ends (all of them when `at_end`: the text is whole),
/// each with its byte offset in `sql`, and how many bytes of `sql` they take: the rest is a
/// statement still to be completed by more text (reading a long script a piece at a time).
pub(crate) fn split_terminated(sql: &str, at_end: bool) -> (Vec<(usize, &str)>, usize) {
    split(sql, at_end)
}

fn split(sql: &str, at_end: bool) -> (Vec<(usize, &str)>, usize) {
    let bytes = sql.as_bytes();
    let mut statements = Vec::new();
    let mut start = 0;
    let mut i = 0;
    // The first three words and the last word of the current statement (outside quotes and
    // comments): enough to tell whether a `;` sits inside a trigger body.
    let mut lead: Vec<String> = Vec::new();
    let mut last_word = String::new();
    let mut has_content = false;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\'' | b'"' | b'`' => {
                has_content = true;
                i = skip_quoted(bytes, i, c);
                continue;
            }
            b'[' => {
                has_content = true;
                i = bytes[i..]
                    .iter()
                    .position(|&b| b == b']')
                    .map_or(bytes.len(), |p| i + p + 1);
                continue;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = bytes[i..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(bytes.len(), |p| i + p + 1);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = sql[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |p| i + 2 + p + 2);
                continue;
            }
            b';' => {
                if !in_trigger_body(&lead, &last_word) {
                    if has_content {
                        let text = &sql[start..i];
                        let lead = text.len() - text.trim_start().len();
                        statements.push((start + lead, text.trim()));
                    }
                    start = i + 1;
                    lead.clear();
                    last_word.clear();
                    has_content = false;
                }
                i += 1;
                continue;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let end = bytes[i..]
                    .iter()
                    .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$'))
                    .map_or(bytes.len(), |p| i + p);
                let word = sql[i..end].to_ascii_uppercase();
                if lead.len() < 3 {
                    lead.push(word.clone());
                }
                last_word = word;
                has_content = true;
                i = end;
                continue;
            }
            c if !c.is_ascii_whitespace() => has_content = true,
            _ => {}
        }
        i += 1;
    }
    if !at_end {
        return (statements, start);
    }
    if has_content {
        let text = &sql[start..];
        let tail = text.trim();
        if !tail.is_empty() {
            statements.push((start + text.len() - text.trim_start().len(), tail));
        }
    }
    (statements, sql.len())
}

fn skip_quoted(bytes: &[u8], open: usize, quote: u8) -> usize {
    let mut i = open + 1;
    while i < bytes.len() {
        if bytes[i] == quote {
            // A doubled quote is an escaped quote.
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

/// Inside `CREATE [TEMP] TRIGGER ... BEGIN ...` until the word before a `;` is `END`.
fn in_trigger_body(lead: &[String], last_word: &str) -> bool {
    let is_trigger = match lead {
        [create, trigger, ..] if create == "CREATE" && trigger == "TRIGGER" => true,
        [create, temp, trigger, ..]
            if create == "CREATE"
                && (temp == "TEMP" || temp == "TEMPORARY")
                && trigger == "TRIGGER" =>
        {
            true
        }
        _ => false,
    };
    is_trigger && last_word != "END"
}

#[cfg(test)]
mod tests {
    use super::split_statements;

    #[test]
    fn splits_on_semicolons_outside_quotes_and_comments() {
        let sql = "create table t(a); insert into t values ('x;y', \"c;\"); -- tail; comment\n select 1 /* ; */;";
        assert_eq!(
            split_statements(sql),
            vec![
                "create table t(a)",
                "insert into t values ('x;y', \"c;\")",
                "-- tail; comment\n select 1 /* ; */"
            ]
        );
    }

    #[test]
    fn trailing_semicolons_and_blank_statements_vanish() {
        assert_eq!(split_statements("select 1;;  ; "), vec!["select 1"]);
        assert!(split_statements("  -- only a comment\n").is_empty());
    }

    #[test]
    fn trigger_bodies_stay_whole() {
        let sql = "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET a = 1; DELETE FROM u; END; SELECT 2";
        let parts = split_statements(sql);
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert!(parts[0].ends_with("END"));
    }

    #[test]
    fn a_piece_of_a_script_keeps_its_unfinished_statement_for_the_next() {
        let piece = "create table t(a);\ninsert into t values ('a;\nb'); insert into";
        let (done, used) = super::split_terminated(piece, false);
        assert_eq!(
            done,
            vec![
                (0, "create table t(a)"),
                (19, "insert into t values ('a;\nb')")
            ]
        );
        assert_eq!(&piece[used..], " insert into");
        let (done, used) = super::split_terminated(" insert into t values (1)", true);
        assert_eq!(done, vec![(1, "insert into t values (1)")]);
        assert_eq!(used, 25);
    }

    #[test]
    fn escaped_quotes_do_not_end_strings() {
        assert_eq!(split_statements("select 'it''s; fine'; select 2").len(), 2);
    }
}
