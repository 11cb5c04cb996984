//! When to send: the data's own clock (pacing) and a rate limit.
//!
//! The rate limit is a token bucket in its virtual-scheduling form (GCRA):
//! each message may leave no earlier than `next`, which advances by
//! 1/rate per message. A sender that falls behind (a slow send, a late
//! wake-up) may catch up by at most `burst` messages (the bucket's
//! capacity), so over any stretch much longer than that the achieved rate
//! is the configured one.
//! Waits sleep until shortly before the deadline and then spin (yielding),
//! because a plain sleep overshoots by tens of microseconds, a large error
//! at 10,000 messages/s.

use std::time::{Duration, Instant};

/// The data's pacing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pacing {
    /// No waiting for the data's clock.
    AsFastAsPossible,
    /// This many days of data per second of wall time.
    DaysPerSecond(f64),
    /// Real time: one day of data per day (`DaysPerSecond(1/86400)`).
    Original,
}

impl Pacing {
    /// Wall seconds per second of data time, or `None` for no pacing.
    pub fn wall_per_data_second(self) -> Option<f64> {
        match self {
            Pacing::AsFastAsPossible => None,
            Pacing::DaysPerSecond(d) => Some(1.0 / (d * 86_400.0)),
            Pacing::Original => Some(1.0),
        }
    }
}

/// Wait until `deadline`, or until `limit` if that comes first; returns
/// false when the limit cut the wait short.
pub fn wait_until(deadline: Instant, limit: Option<Instant>) -> bool {
    let (target, cut) = match limit {
        Some(l) if l < deadline => (l, true),
        _ => (deadline, false),
    };
    const SPIN: Duration = Duration::from_micros(400);
    loop {
        let now = Instant::now();
        if now >= target {
            return !cut;
        }
        let left = target - now;
        if left > SPIN {
            std::thread::sleep(left - SPIN);
        } else {
            std::thread::yield_now();
        }
    }
}

/// A rate limit of `rate` messages per second.
/// `t` plus `secs` seconds (negative counts as 0), saturating at a century
/// from now: `Duration::from_secs_f64` panics on what a user may ask for
/// (`--max-seconds 1e308`, `--rate 1e-300`).
pub fn after(t: Instant, secs: f64) -> Instant {
    let far = Duration::from_secs(100 * 365 * 86_400);
    let d = Duration::try_from_secs_f64(secs.max(0.0)).map_or(far, |d| d.min(far));
    t.checked_add(d).unwrap_or(t)
}

#[derive(Debug, Clone)]
pub struct RateLimiter {
    interval: f64,
    burst: f64,
    next: Option<Instant>,
}

impl RateLimiter {
    /// `rate` > 0 messages per second; catch-up allowance of `burst_messages`.
    pub fn new(rate: f64, burst_messages: f64) -> RateLimiter {
        let interval = 1.0 / rate;
        RateLimiter {
            interval,
            burst: interval * burst_messages.max(1.0),
            next: None,
        }
    }

    /// The earliest instant `n` messages may leave, and books them.
    pub fn reserve(&mut self, n: usize) -> Instant {
        let now = Instant::now();
        let earliest = Duration::try_from_secs_f64(self.burst)
            .ok()
            .and_then(|b| now.checked_sub(b))
            .unwrap_or(now);
        let start = match self.next {
            None => now,
            Some(next) if next < earliest => earliest,
            Some(next) => next,
        };
        self.next = Some(after(start, self.interval * n as f64));
        start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_spaces_messages() {
        let mut l = RateLimiter::new(1000.0, 1.0);
        let t0 = l.reserve(1);
        let t1 = l.reserve(1);
        let t2 = l.reserve(10);
        let t3 = l.reserve(1);
        let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1e3;
        assert!((ms(t0, t1) - 1.0).abs() < 1e-6);
        assert!((ms(t1, t2) - 1.0).abs() < 1e-6);
        assert!((ms(t2, t3) - 10.0).abs() < 1e-6);
    }

    /// Rates and limits a user may type never panic: they saturate at a
    /// century, which a --max-seconds limit then cuts short.
    #[test]
    fn extreme_rates_and_limits_saturate() {
        let now = Instant::now();
        let century = Duration::from_secs(100 * 365 * 86_400);
        assert_eq!(after(now, 1e308) - now, century);
        assert_eq!(after(now, f64::INFINITY) - now, century);
        assert_eq!(after(now, -5.0), now);
        assert_eq!(after(now, f64::NAN), now);
        let mut slow = RateLimiter::new(1e-300, 4.0);
        let first = slow.reserve(1);
        assert_eq!(slow.reserve(1) - first, century);
    }
}
