//! The one column-aligned text table pg-audit prints (the attach plan, the status report,
//! the command's audit-log listing): cells are padded with elastic tabstops (`tabwriter`),
//! so a long table name widens its column for every row, and control characters in a cell
//! (a table named with a tab or a newline) are shown escaped instead of breaking the layout.

use std::fmt;
use std::io::Write as _;

/// Rows of text cells printed as aligned columns, two spaces apart; the last cell of a row is
/// not padded and trailing blanks are trimmed.
///
/// ```
/// use pg_audit_runtime::TextTable;
/// let mut table = TextTable::new(0);
/// table.row(["id", "table"]);
/// table.row(["10", "public.orders"]);
/// assert_eq!(table.to_string(), "id  table\n10  public.orders\n");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextTable {
    min_width: usize,
    rows: Vec<Vec<String>>,
}

impl TextTable {
    /// An empty table whose cells are padded to at least `min_width` characters (so a
    /// column of labels lines up whatever labels appear).
    pub fn new(min_width: usize) -> Self {
        TextTable {
            min_width,
            rows: Vec::new(),
        }
    }

    /// Adds a row.
    pub fn row<C: Into<String>>(&mut self, cells: impl IntoIterator<Item = C>) -> &mut Self {
        self.rows.push(cells.into_iter().map(Into::into).collect());
        self
    }
}

impl fmt::Display for TextTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut writer = tabwriter::TabWriter::new(Vec::new())
            .minwidth(self.min_width)
            .padding(2);
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(|cell| printable(cell)).collect();
            writeln!(writer, "{}", cells.join("\t")).map_err(|_| fmt::Error)?;
        }
        let bytes = writer.into_inner().map_err(|_| fmt::Error)?;
        for line in String::from_utf8_lossy(&bytes).lines() {
            writeln!(f, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

/// The cell with control characters escaped (`\t`, `\n`, `\u{1b}`).
fn printable(cell: &str) -> String {
    cell.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(min_width: usize, rows: &[&[&str]]) -> String {
        let mut table = TextTable::new(min_width);
        for row in rows {
            table.row(row.iter().copied());
        }
        table.to_string()
    }

    #[test]
    fn columns_align_on_the_widest_cell_and_the_last_cell_is_not_padded() {
        assert_eq!(
            table(
                0,
                &[
                    &["ok", "public.a", "key (id)"],
                    &["create", "public.longer", "x"]
                ]
            ),
            "ok      public.a       key (id)\ncreate  public.longer  x\n"
        );
    }

    #[test]
    fn the_minimum_width_holds_the_first_column_steady() {
        assert_eq!(table(7, &[&["ok", "t", "r"]]), "ok       t        r\n");
    }

    #[test]
    fn a_tab_or_newline_in_a_cell_is_shown_escaped_and_quotes_are_kept() {
        assert_eq!(
            table(0, &[&["ok", "public.\"a\tb\nc\"", "r"]]),
            "ok  public.\"a\\tb\\nc\"  r\n"
        );
    }

    #[test]
    fn an_empty_last_cell_leaves_no_trailing_blanks() {
        assert_eq!(table(0, &[&["a", ""], &["bb", "c"]]), "a\nbb  c\n");
    }
}
