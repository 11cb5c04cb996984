//! The shared frame of time-series charts: plot area, date and value
//! scales fitted to all the data, axes, and the cut-off marker.

use didymos_core::Date;

use super::axis::{date_ticks, draw_axes, DateTick, Linear, PlotArea, ValueTicks};
use crate::text::{coord, escape};

/// Where the plot sits in the 800-wide viewBox; the legend goes below.
const AREA: PlotArea = PlotArea {
    left: 80.0,
    top: 24.0,
    right: 780.0,
    bottom: 360.0,
};
/// Top of the legend, below the date labels.
pub const LEGEND_TOP: f64 = 395.0;

pub struct Frame {
    pub area: PlotArea,
    x: Linear,
    y: Linear,
    y_ticks: ValueTicks,
    x_ticks: Vec<DateTick>,
}

impl Frame {
    /// Scales covering every date and value given. Non-negative data get a
    /// y axis from 0 so that band widths are not exaggerated. `None` when
    /// there is no date at all.
    pub fn fit(
        dates: impl IntoIterator<Item = Date>,
        values: impl IntoIterator<Item = f64>,
    ) -> Option<Frame> {
        let mut first: Option<Date> = None;
        let mut last: Option<Date> = None;
        for d in dates {
            first = Some(first.map_or(d, |f| f.min(d)));
            last = Some(last.map_or(d, |l| l.max(d)));
        }
        let (mut first, mut last) = (first?, last?);
        if first == last {
            first = first.add_days(-1);
            last = last.add_days(1);
        }
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if !lo.is_finite() {
            (lo, hi) = (0.0, 1.0);
        }
        if lo >= 0.0 {
            lo = 0.0;
        }
        let y_ticks = ValueTicks::nice(lo, hi, 5);
        let x = Linear {
            d0: f64::from(first.days_since_epoch()),
            d1: f64::from(last.days_since_epoch()),
            r0: AREA.left,
            r1: AREA.right,
        };
        let y = Linear {
            d0: y_ticks.lo,
            d1: y_ticks.hi,
            r0: AREA.bottom,
            r1: AREA.top,
        };
        Some(Frame {
            area: AREA,
            x,
            y,
            y_ticks,
            x_ticks: date_ticks(first, last, 7),
        })
    }

    pub fn x(&self, date: Date) -> f64 {
        self.x.at(f64::from(date.days_since_epoch()))
    }

    pub fn y(&self, v: f64) -> f64 {
        self.y.at(v)
    }

    pub fn draw_axes(&self, out: &mut String, y_label: &str) {
        draw_axes(
            out,
            self.area,
            &self.x,
            &self.y,
            &self.y_ticks,
            &self.x_ticks,
            y_label,
        );
    }

    /// A dashed vertical line marking the last date with data.
    pub fn draw_cutoff(&self, out: &mut String, date: Date) {
        let px = coord(self.x(date));
        out.push_str(&format!(
            "<g class=\"cutoff\"><line x1=\"{px}\" x2=\"{px}\" y1=\"{}\" y2=\"{}\" stroke=\"#555\" \
             stroke-dasharray=\"4 4\"/><text x=\"{px}\" y=\"{}\" text-anchor=\"middle\" \
             font-size=\"12\" fill=\"#555\">{}</text></g>",
            coord(self.area.top),
            coord(self.area.bottom),
            coord(self.area.top - 8.0),
            escape(&format!("data cut-off {date}")),
        ));
    }

    /// Observations as dots.
    pub fn draw_observed(&self, out: &mut String, observed: &[(Date, f64)]) {
        out.push_str("<g class=\"observed\" fill=\"#111\">");
        for (date, v) in observed {
            out.push_str(&format!(
                "<circle data-series=\"observed\" cx=\"{}\" cy=\"{}\" r=\"2.5\"><title>{}</title></circle>",
                coord(self.x(*date)),
                coord(self.y(*v)),
                escape(&format!("{date}: observed {}", crate::text::value(*v))),
            ));
        }
        out.push_str("</g>");
    }
}
