//! Observation models: how a member's model observables become the numbers
//! that are actually measured.
//!
//! The chain for one stream is
//! model observable (units × strata) → [`Aggregation`] onto observation
//! locations → reporting [`Delay`] (convolution over past days) →
//! [`Ascertainment`] (the observed share) → optional [`WeekdayEffect`]
//! (a weekly reporting pattern) → [`Noise`] (Poisson, negative
//! binomial or log-normal). A [`StreamSet`] fuses several streams into one
//! [`crate::DataModel`] for filters.

pub mod aggregation;
pub mod delay;
pub mod noise;
pub mod stream;
pub mod weekday;

pub use aggregation::{Aggregation, ObsLocation, StrataMode};
pub use delay::{erf, erfc, gamma_cdf, gamma_p, gamma_q, lognormal_cdf, Delay};
pub use noise::{Noise, MIN_MEAN};
pub use stream::{Ascertainment, Stream, StreamSet, MIN_ERROR_VARIANCE};
pub use weekday::WeekdayEffect;
