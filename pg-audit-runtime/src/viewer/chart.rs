//! The pictures: activity over a window as stacked bars (changes per operation, requests per
//! status class) and a record's timeline, laid out here as plain shapes with their numbers
//! and drawn as inline SVG by the templates, which escape every text. No script, no inline
//! style: colours come from classes of the page's style sheet.

use super::display;
use crate::query::{Activity, AuditLogEntry, Bucket, MAX_COUNTED};
use chrono::{DateTime, Utc};

/// The drawing's size in SVG units (it scales to the page's width).
const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 190.0;
/// The plot area inside it: room for the count labels on the left and the times below.
const LEFT: f64 = 52.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 26.0;
/// At most this many time labels under the bars.
const MAX_TIME_LABELS: usize = 8;

/// The series of the Changes chart, bottom to top, with their CSS classes.
pub(crate) const OPERATIONS: [(&str, &str); 6] = [
    ("INSERT", "s-insert"),
    ("UPDATE", "s-update"),
    ("DELETE", "s-delete"),
    ("TRUNCATE", "s-truncate"),
    ("DDL", "s-ddl"),
    ("SNAPSHOT", "s-snapshot"),
];

/// The series of the Requests chart, bottom to top.
pub(crate) const STATUS_CLASSES: [(&str, &str); 6] = [
    ("2xx", "s-2xx"),
    ("3xx", "s-3xx"),
    ("4xx", "s-4xx"),
    ("5xx", "s-5xx"),
    ("1xx", "s-1xx"),
    ("other", "s-other"),
];

/// One segment of a stacked bar: one series in one bucket.
pub(crate) struct Bar {
    pub(crate) x: String,
    pub(crate) y: String,
    pub(crate) width: String,
    pub(crate) height: String,
    pub(crate) class: &'static str,
    pub(crate) series: &'static str,
    pub(crate) bucket: String,
    pub(crate) count: i64,
    /// The tooltip: bucket, count and series.
    pub(crate) title: String,
}

/// A text placed in the drawing.
pub(crate) struct Label {
    pub(crate) x: String,
    pub(crate) y: String,
    /// `start`, `middle` or `end`: which part of the text sits at `x`.
    pub(crate) anchor: &'static str,
    pub(crate) text: String,
}

/// A horizontal grid line with its count.
pub(crate) struct GridLine {
    pub(crate) y: String,
    pub(crate) label: Label,
}

/// A series in the legend, with its total.
pub(crate) struct Legend {
    pub(crate) class: &'static str,
    pub(crate) series: &'static str,
    pub(crate) total: i64,
}

/// The part of the window the count did not reach.
pub(crate) struct Uncounted {
    pub(crate) x: String,
    pub(crate) y: String,
    pub(crate) width: String,
    pub(crate) height: String,
    pub(crate) label: Label,
}

/// A stacked bar chart of activity over a window.
pub(crate) struct Chart {
    /// The element id (`activity`, `request-activity`).
    pub(crate) id: &'static str,
    /// What it shows, for the heading and for screen readers.
    pub(crate) title: String,
    /// The window and bucket size, as text.
    pub(crate) window: String,
    pub(crate) bucket: &'static str,
    /// Rows counted.
    pub(crate) counted: i64,
    /// What the chart does not show, said in words (the window held more rows than are
    /// counted, or was longer than a chart spans).
    pub(crate) notes: Vec<String>,
    pub(crate) bars: Vec<Bar>,
    pub(crate) grid: Vec<GridLine>,
    pub(crate) times: Vec<Label>,
    pub(crate) legend: Vec<Legend>,
    pub(crate) uncounted: Option<Uncounted>,
    /// Shown in the plot when nothing was counted.
    pub(crate) empty: Option<Label>,
    pub(crate) view_box: String,
    pub(crate) plot_left: String,
    pub(crate) plot_right: String,
}

fn num(value: f64) -> String {
    format!("{value:.1}")
}

/// The smallest of 1, 2, 5 × 10ⁿ at or above `value` (at least 1).
fn nice_ceiling(value: i64) -> i64 {
    let mut step = 1i64;
    loop {
        for factor in [1, 2, 5] {
            if step.saturating_mul(factor) >= value {
                return step.saturating_mul(factor);
            }
        }
        step = step.saturating_mul(10);
    }
}

fn bucket_text(bucket: Bucket, start: DateTime<Utc>) -> String {
    match bucket {
        Bucket::Hour => start.format("%Y-%m-%d %H:00 UTC").to_string(),
        Bucket::Day => start.format("%Y-%m-%d UTC").to_string(),
    }
}

fn time_label(bucket: Bucket, start: DateTime<Utc>) -> String {
    match bucket {
        Bucket::Hour => start.format("%m-%d %H:00").to_string(),
        Bucket::Day => start.format("%m-%d").to_string(),
    }
}

impl Chart {
    /// Lays out `activity` with `series` (name, class) stacked bottom to top; `noun` names
    /// a row ("changes", "requests") and `subject` what the filters selected.
    pub(crate) fn new(
        id: &'static str,
        activity: &Activity,
        series: &[(&'static str, &'static str)],
        noun: &str,
        subject: &str,
    ) -> Chart {
        let bucket = activity.bucket;
        let first = bucket.start_of(activity.since);
        let mut starts = vec![first];
        while let Some(next) = starts.last().map(|s| *s + bucket.width()) {
            if next >= activity.until {
                break;
            }
            starts.push(next);
        }
        let slots = starts.len();
        let plot_width = WIDTH - LEFT - RIGHT;
        let plot_height = HEIGHT - TOP - BOTTOM;
        let slot = plot_width / slots as f64;
        let bar_width = (slot * 0.8).max(1.0);
        let count_of = |start: DateTime<Utc>, name: &str| {
            activity
                .counts
                .iter()
                .filter(|c| c.bucket == start && c.series == name)
                .map(|c| c.rows)
                .sum::<i64>()
        };
        let highest = starts
            .iter()
            .map(|start| {
                activity
                    .counts
                    .iter()
                    .filter(|c| c.bucket == *start)
                    .map(|c| c.rows)
                    .sum::<i64>()
            })
            .max()
            .unwrap_or(0);
        let top = nice_ceiling(highest);
        let scale = plot_height / top as f64;
        let bottom = TOP + plot_height;

        let mut bars = Vec::new();
        for (index, start) in starts.iter().enumerate() {
            let x = LEFT + slot * index as f64 + (slot - bar_width) / 2.0;
            let mut stacked = 0i64;
            for (name, class) in series {
                let count = count_of(*start, name);
                if count == 0 {
                    continue;
                }
                let y = bottom - (stacked + count) as f64 * scale;
                bars.push(Bar {
                    x: num(x),
                    y: num(y),
                    width: num(bar_width),
                    height: num(count as f64 * scale),
                    class,
                    series: name,
                    bucket: start.to_rfc3339(),
                    count,
                    title: format!("{}: {count} {name} {noun}", bucket_text(bucket, *start)),
                });
                stacked += count;
            }
        }

        let mut grid = vec![(0, bottom), (top, TOP)];
        if top >= 2 && top % 2 == 0 {
            grid.insert(1, (top / 2, TOP + plot_height / 2.0));
        }
        let grid = grid
            .into_iter()
            .map(|(value, y)| GridLine {
                y: num(y),
                label: Label {
                    x: num(LEFT - 6.0),
                    y: num(y + 4.0),
                    anchor: "end",
                    text: value.to_string(),
                },
            })
            .collect();

        let step = slots.div_ceil(MAX_TIME_LABELS).max(1);
        let times = starts
            .iter()
            .enumerate()
            .step_by(step)
            .map(|(index, start)| {
                let x = LEFT + slot * index as f64 + slot / 2.0;
                // A label near the right edge ends there rather than running past it.
                let (x, anchor) = if x > WIDTH - RIGHT - 40.0 {
                    (WIDTH - RIGHT, "end")
                } else {
                    (x, "middle")
                };
                Label {
                    x: num(x),
                    y: num(HEIGHT - 8.0),
                    anchor,
                    text: time_label(bucket, *start),
                }
            })
            .collect();

        let legend = series
            .iter()
            .map(|(name, class)| Legend {
                class,
                series: name,
                total: activity
                    .counts
                    .iter()
                    .filter(|c| c.series == *name)
                    .map(|c| c.rows)
                    .sum(),
            })
            .filter(|item| item.total > 0)
            .collect();

        // Buckets before the one holding the oldest row counted were not reached.
        let (uncounted, notes) = match (activity.complete(), activity.oldest) {
            (false, Some(oldest)) => {
                let reached = bucket.start_of(oldest);
                let slots_before = starts.iter().filter(|s| **s < reached).count();
                let width = slot * slots_before as f64;
                let uncounted = (slots_before > 0).then(|| Uncounted {
                    x: num(LEFT),
                    y: num(TOP),
                    width: num(width),
                    height: num(plot_height),
                    label: Label {
                        x: num(LEFT + width / 2.0),
                        y: num(TOP + plot_height / 2.0),
                        anchor: "middle",
                        text: "not counted".into(),
                    },
                });
                let note = format!(
                    "More than {MAX_COUNTED} {noun} to read in this window: the chart counts those among the newest {MAX_COUNTED}, back to {}; narrow the window to count the rest.",
                    display::time(oldest)
                );
                (uncounted, vec![note])
            }
            _ => (None, Vec::new()),
        };
        let empty = (activity.counted == 0).then(|| Label {
            x: num(LEFT + plot_width / 2.0),
            y: num(TOP + plot_height / 2.0),
            anchor: "middle",
            text: format!("No {noun} in this window"),
        });

        Chart {
            id,
            title: format!("{} per {}{subject}", capitalized(noun), bucket.name()),
            window: format!(
                "{} – {}",
                display::time(activity.since),
                display::time(activity.until)
            ),
            bucket: bucket.name(),
            counted: activity.counted,
            notes,
            bars,
            grid,
            times,
            legend,
            uncounted,
            empty,
            view_box: format!("0 0 {WIDTH} {HEIGHT}"),
            plot_left: num(LEFT),
            plot_right: num(WIDTH - RIGHT),
        }
    }
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// One change on a record's timeline.
pub(crate) struct Mark {
    pub(crate) x: String,
    pub(crate) class: &'static str,
    pub(crate) operation: String,
    /// The page anchor of the change's entry.
    pub(crate) href: String,
    pub(crate) title: String,
}

/// The changes of a record's history page on one time axis, oldest left, each mark a
/// link to its entry below.
pub(crate) struct Timeline {
    pub(crate) marks: Vec<Mark>,
    pub(crate) times: Vec<Label>,
    pub(crate) view_box: String,
    pub(crate) axis_left: String,
    pub(crate) axis_right: String,
    pub(crate) axis_y: String,
}

/// The timeline's height; marks sit on its axis.
const TIMELINE_HEIGHT: f64 = 64.0;
const TIMELINE_MARGIN: f64 = 80.0;

impl Timeline {
    /// The timeline of these entries (any order); `None` when there are none.
    pub(crate) fn new(entries: &[AuditLogEntry]) -> Option<Timeline> {
        let first = entries.iter().map(|e| e.updated_at).min()?;
        let last = entries.iter().map(|e| e.updated_at).max()?;
        let span = (last - first).num_milliseconds().max(0) as f64;
        let width = WIDTH - 2.0 * TIMELINE_MARGIN;
        let axis_y = TIMELINE_HEIGHT / 2.0 - 6.0;
        let x_of = |at: DateTime<Utc>| {
            if span == 0.0 {
                TIMELINE_MARGIN + width / 2.0
            } else {
                TIMELINE_MARGIN + width * (at - first).num_milliseconds() as f64 / span
            }
        };
        let mut ordered: Vec<&AuditLogEntry> = entries.iter().collect();
        ordered.sort_by_key(|e| e.id);
        let marks = ordered
            .iter()
            .map(|entry| Mark {
                x: num(x_of(entry.updated_at)),
                class: OPERATIONS
                    .iter()
                    .find(|(name, _)| *name == entry.operation)
                    .map_or("s-other", |(_, class)| class),
                operation: entry.operation.clone(),
                href: format!("#change-{}", entry.id),
                title: format!(
                    "{} {}{}",
                    entry.operation,
                    display::time(entry.updated_at),
                    entry
                        .updated_by
                        .as_deref()
                        .map(|user| format!(" by {user}"))
                        .unwrap_or_default()
                ),
            })
            .collect();
        // The first time starts at the left end of the axis and the last ends at its right
        // end; a single change is labelled under its mark.
        let mut times = vec![Label {
            x: num(if last > first {
                TIMELINE_MARGIN - 8.0
            } else {
                x_of(first)
            }),
            y: num(TIMELINE_HEIGHT - 6.0),
            anchor: if last > first { "start" } else { "middle" },
            text: display::time(first),
        }];
        if last > first {
            times.push(Label {
                x: num(WIDTH - TIMELINE_MARGIN + 8.0),
                y: num(TIMELINE_HEIGHT - 6.0),
                anchor: "end",
                text: display::time(last),
            });
        }
        Some(Timeline {
            marks,
            times,
            view_box: format!("0 0 {WIDTH} {TIMELINE_HEIGHT}"),
            axis_left: num(TIMELINE_MARGIN),
            axis_right: num(WIDTH - TIMELINE_MARGIN),
            axis_y: num(axis_y),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::Count;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn activity(counts: &[(&str, &str, i64)], counted: i64, oldest: Option<&str>) -> Activity {
        Activity {
            since: at("2026-01-01T10:30:00Z"),
            until: at("2026-01-01T14:00:00Z"),
            bucket: Bucket::Hour,
            counts: counts
                .iter()
                .map(|(bucket, series, rows)| Count {
                    bucket: at(bucket),
                    series: series.to_string(),
                    rows: *rows,
                })
                .collect(),
            counted,
            examined: counted,
            oldest: oldest.map(at),
        }
    }

    #[test]
    fn nice_ceilings_are_one_two_or_five_times_a_power_of_ten() {
        let ceilings: Vec<i64> = [0, 1, 2, 3, 6, 11, 20, 499, 501]
            .into_iter()
            .map(nice_ceiling)
            .collect();
        assert_eq!(ceilings, [1, 1, 2, 5, 10, 20, 20, 500, 1000]);
    }

    #[test]
    fn each_bucket_of_the_window_gets_a_slot_and_its_series_are_stacked() {
        let chart = Chart::new(
            "activity",
            &activity(
                &[
                    ("2026-01-01T10:00:00Z", "INSERT", 3),
                    ("2026-01-01T10:00:00Z", "UPDATE", 1),
                    ("2026-01-01T13:00:00Z", "DELETE", 2),
                ],
                6,
                Some("2026-01-01T10:31:00Z"),
            ),
            &OPERATIONS,
            "changes",
            "",
        );
        // 10:00, 11:00, 12:00, 13:00: four slots, labelled at each.
        assert_eq!(chart.times.len(), 4);
        assert_eq!(chart.times[0].text, "01-01 10:00");
        let counts: Vec<_> = chart
            .bars
            .iter()
            .map(|b| (b.series, b.count, b.bucket.as_str()))
            .collect();
        assert_eq!(
            counts,
            [
                ("INSERT", 3, "2026-01-01T10:00:00+00:00"),
                ("UPDATE", 1, "2026-01-01T10:00:00+00:00"),
                ("DELETE", 2, "2026-01-01T13:00:00+00:00"),
            ]
        );
        // The UPDATE segment sits on top of the INSERT one.
        let (insert, update) = (&chart.bars[0], &chart.bars[1]);
        let insert_top: f64 = insert.y.parse().unwrap();
        let update_bottom =
            update.y.parse::<f64>().unwrap() + update.height.parse::<f64>().unwrap();
        assert!((insert_top - update_bottom).abs() < 0.2);
        assert_eq!(chart.grid.last().unwrap().label.text, "5");
        assert!(chart.notes.is_empty() && chart.uncounted.is_none() && chart.empty.is_none());
        assert_eq!(chart.title, "Changes per hour");
    }

    #[test]
    fn a_count_that_stopped_short_marks_the_buckets_it_did_not_reach() {
        let chart = Chart::new(
            "activity",
            &activity(
                &[("2026-01-01T13:00:00Z", "INSERT", MAX_COUNTED)],
                MAX_COUNTED,
                Some("2026-01-01T12:40:00Z"),
            ),
            &OPERATIONS,
            "changes",
            "",
        );
        let uncounted = chart.uncounted.expect("10:00 and 11:00 were not reached");
        let slot = (WIDTH - LEFT - RIGHT) / 4.0;
        assert_eq!(uncounted.width, num(slot * 2.0));
        assert!(chart.notes[0].contains("back to 2026-01-01 12:40:00.000 UTC"));
    }

    #[test]
    fn an_empty_window_says_so_and_draws_no_bar() {
        let chart = Chart::new(
            "activity",
            &activity(&[], 0, None),
            &OPERATIONS,
            "changes",
            "",
        );
        assert!(chart.bars.is_empty() && chart.legend.is_empty());
        assert_eq!(chart.empty.unwrap().text, "No changes in this window");
    }
}
