//! What the benchmarks of the audit log (`bench_viewer`, `bench_scale`) share: the seeded
//! log ([`seeded_log`]) and the viewer's pages, timed ([`viewer_pages`]). Each example
//! includes it with `#[path = "common/mod.rs"] mod common;`.

pub mod seeded_log;
pub mod viewer_pages;

/// An error of any part of a benchmark, sendable across tasks.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The median of `values` (the upper one of an even count), sorting them; NaN for none.
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The `p`-th quantile of `values` (nearest rank, `p` in 0..=1), sorting them; NaN for none.
pub fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let Some(last) = values.len().checked_sub(1) else {
        return f64::NAN;
    };
    values[(last as f64 * p).round() as usize]
}
