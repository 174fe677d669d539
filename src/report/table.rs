//! The plain-text summary table printed at the end of a run: one row per case with its status,
//! duration and detail.

use super::{human_duration, Suite};

/// The table, with a header row and columns padded to their widest cell.
pub fn write(suite: &Suite) -> String {
    let rows: Vec<[String; 4]> = suite
        .cases
        .iter()
        .map(|c| {
            [
                c.name.clone(),
                c.status.to_string(),
                human_duration(c.duration),
                c.detail.lines().next().unwrap_or("").to_string(),
            ]
        })
        .collect();
    let header = ["PHASE", "STATUS", "DURATION", "DETAIL"].map(str::to_string);
    let mut width = [0usize; 3];
    for r in std::iter::once(&header).chain(rows.iter()) {
        for (i, w) in width.iter_mut().enumerate() {
            *w = (*w).max(r[i].chars().count());
        }
    }
    let mut out = String::new();
    for r in std::iter::once(&header).chain(rows.iter()) {
        let line = format!(
            "{:<w0$}  {:<w1$}  {:>w2$}  {}",
            r[0],
            r[1],
            r[2],
            r[3],
            w0 = width[0],
            w1 = width[1],
            w2 = width[2]
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
