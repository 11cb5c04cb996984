//! The contract between data and filters.
//!
//! A `DataModel` knows a twin's observations and how a member's model
//! output maps onto them: aggregation, reporting delays, ascertainment and
//! noise. Filters (particle, Kalman-type, iterated) use only this trait and
//! [`crate::Model`], so they work for any domain.
//!
//! "History" is the member's recent model observables (the rows
//! `Model::observe` wrote), oldest first, the last one being `day`. A data
//! model with reporting delays asks for a longer `window`.

pub trait DataModel: Sync {
    /// How many days of model observables `log_lik`/`predict` look at (≥ 1).
    fn window(&self) -> usize;

    /// Whether any observation falls on `day` (a day without data is no update).
    fn has_data(&self, day: usize) -> bool;

    /// log p(data on `day` | member). `params` are the member's parameters
    /// (natural scale); observation parameters such as a dispersion may be
    /// among them.
    fn log_lik(&self, day: usize, params: &[f64], history: &[&[f64]]) -> f64;

    /// The observed values on `day`, in a fixed order (empty if none).
    fn observed(&self, day: usize) -> Vec<f64>;

    /// A member's expected values of those observations, same order.
    fn predict(&self, day: usize, params: &[f64], history: &[&[f64]], out: &mut [f64]);

    /// Observation error variance of value `index` on `day`, given the
    /// ensemble's mean prediction (for Kalman-type updates).
    fn error_variance(&self, day: usize, index: usize, predicted_mean: f64) -> f64;

    /// Each observation's own log-likelihood term on `day`, in `observed`
    /// order (their sum is `log_lik`), so that a filter whose weights
    /// collapse can say which observation did it. `None`: this data model
    /// does not split its likelihood.
    fn log_lik_terms(&self, _day: usize, _params: &[f64], _history: &[&[f64]]) -> Option<Vec<f64>> {
        None
    }

    /// The columns of a full row of model observables that this data model
    /// reads, ascending, when it reads only some: filters then keep each
    /// history row as just those values, in that order, and pass such rows
    /// to every method here. `None` (the default): whole rows.
    fn history_columns(&self) -> Option<&[usize]> {
        None
    }

    /// Observation `index` of `day` in words, for diagnostics.
    fn describe(&self, _day: usize, index: usize) -> String {
        format!("observation {index}")
    }
}
