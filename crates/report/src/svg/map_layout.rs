//! Where a map's areas go: the projection, and insets for outlying areas.

use super::map::{MARGIN, MAX_MAP_HEIGHT};
use super::WIDTH;
use crate::geojson::Feature;
use crate::text::fixed_trimmed;

/// Equirectangular projection with longitudes shrunk by cos(mid-latitude),
/// so shapes keep their proportions near that latitude.
pub(super) struct Projection {
    min_lon: f64,
    max_lat: f64,
    x_scale: f64,
    scale: f64,
    x_offset: f64,
    y_offset: f64,
}

/// Longitude/latitude bounds: [min_lon, min_lat, max_lon, max_lat].
type Bounds = [f64; 4];

fn bounds<'a>(points: impl Iterator<Item = &'a [f64; 2]>) -> Option<Bounds> {
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for &[lon, lat] in points {
        b = [b[0].min(lon), b[1].min(lat), b[2].max(lon), b[3].max(lat)];
    }
    b[0].is_finite().then_some(b)
}

fn union(a: Bounds, b: Bounds) -> Bounds {
    [
        a[0].min(b[0]),
        a[1].min(b[1]),
        a[2].max(b[2]),
        a[3].max(b[3]),
    ]
}

/// Where each feature is drawn. Areas far from the rest (islands such as
/// the Canaries for Spain) would shrink the main map to a corner of a sea;
/// they are drawn at the same scale in framed insets in the bottom-left
/// corner instead.
pub(super) struct MapLayout {
    pub projections: Vec<Projection>,
    /// Feature index → projection index.
    pub group_of: Vec<usize>,
    /// x, y, width, height of each inset's frame.
    pub inset_frames: Vec<[f64; 4]>,
    pub height: f64,
}

/// Two groups of areas farther apart than this share of the whole extent
/// are drawn separately.
const INSET_GAP: f64 = 0.15;
/// An inset may take at most this share of the map's width and height.
const INSET_MAX: f64 = 0.4;

impl MapLayout {
    pub fn fit(features: &[Feature]) -> Option<MapLayout> {
        let boxes: Vec<Option<Bounds>> = features
            .iter()
            .map(|f| bounds(f.polygons.iter().flatten().flatten()))
            .collect();
        let all = boxes.iter().flatten().copied().reduce(union)?;
        let gap = INSET_GAP * (all[2] - all[0]).max(all[3] - all[1]);
        let group_of = group_by_gap(&boxes, gap);
        let n_groups = group_of.iter().max().map_or(0, |g| g + 1);
        let mut group_box: Vec<Option<Bounds>> = vec![None; n_groups];
        let mut group_size = vec![0usize; n_groups];
        for (g, b) in group_of.iter().zip(&boxes) {
            group_size[*g] += 1;
            if let Some(b) = b {
                group_box[*g] = Some(group_box[*g].map_or(*b, |x| union(x, *b)));
            }
        }
        // The main group has the most areas; insets only pay off when the
        // others are small beside it.
        let main = (0..n_groups).max_by_key(|&g| (group_size[g], usize::MAX - g))?;
        let main_box = group_box[main]?;
        let usable = WIDTH - 2.0 * MARGIN;
        let extent = |b: Bounds| {
            let xs = ((b[1] + b[3]) / 2.0).to_radians().cos();
            (((b[2] - b[0]) * xs).max(1e-9), (b[3] - b[1]).max(1e-9), xs)
        };
        let (w, h, xs) = extent(main_box);
        let scale = (usable / w).min(MAX_MAP_HEIGHT / h);
        let height = h * scale;
        let mut projections = Vec::with_capacity(n_groups);
        let mut inset_frames = Vec::new();
        let mut corner_x = MARGIN;
        let mut use_insets = n_groups > 1;
        for (g, b) in group_box.iter().enumerate() {
            let Some(b) = *b else {
                projections.push(Projection::at(main_box, xs, scale, MARGIN, 0.0));
                continue;
            };
            if g == main {
                let x0 = MARGIN + (usable - w * scale) / 2.0;
                projections.push(Projection::at(b, xs, scale, x0, 0.0));
                continue;
            }
            let (gw, gh, gxs) = extent(b);
            let s = scale
                .min(INSET_MAX * usable / gw)
                .min(INSET_MAX * height / gh);
            let pad = 6.0;
            let (fw, fh) = (gw * s + 2.0 * pad, gh * s + 2.0 * pad);
            if corner_x + fw > MARGIN + usable {
                use_insets = false;
            }
            inset_frames.push([corner_x, height - fh, fw, fh]);
            projections.push(Projection::at(b, gxs, s, corner_x + pad, height - fh + pad));
            corner_x += fw + pad;
        }
        if use_insets && !inset_frames.is_empty() {
            // The insets sit in a row along the bottom; mirror the row to the
            // right when that covers less of the main map.
            let main_boxes: Vec<[f64; 4]> = boxes
                .iter()
                .zip(&group_of)
                .filter(|(_, g)| **g == main)
                .filter_map(|(b, _)| b.map(|b| projections[main].project_box(b)))
                .collect();
            let covered = |frames: &[[f64; 4]]| -> f64 {
                frames
                    .iter()
                    .map(|f| main_boxes.iter().map(|m| overlap(*f, *m)).sum::<f64>())
                    .sum()
            };
            let row_end = corner_x - 6.0;
            let shift = MARGIN + usable - row_end;
            let mirrored: Vec<[f64; 4]> = inset_frames
                .iter()
                .map(|f| [f[0] + shift, f[1], f[2], f[3]])
                .collect();
            if covered(&mirrored) < covered(&inset_frames) {
                inset_frames = mirrored;
                for (g, p) in projections.iter_mut().enumerate() {
                    if g != main && group_box[g].is_some() {
                        p.x_offset += shift;
                    }
                }
            }
        }
        if !use_insets {
            // One projection for everything, as the data lie.
            let (w, h, xs) = extent(all);
            let scale = (usable / w).min(MAX_MAP_HEIGHT / h);
            let x0 = MARGIN + (usable - w * scale) / 2.0;
            return Some(MapLayout {
                projections: vec![Projection::at(all, xs, scale, x0, 0.0)],
                group_of: vec![0; features.len()],
                inset_frames: Vec::new(),
                height: h * scale,
            });
        }
        Some(MapLayout {
            projections,
            group_of,
            inset_frames,
            height,
        })
    }
}

/// Groups features whose bounding boxes come within `gap` of each other
/// (transitively); group numbers follow first appearance, so the result
/// does not depend on anything but the input order.
fn group_by_gap(boxes: &[Option<Bounds>], gap: f64) -> Vec<usize> {
    let n = boxes.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for i in 0..n {
        let Some(a) = boxes[i] else { continue };
        for (j, b) in boxes.iter().enumerate().skip(i + 1) {
            let Some(b) = *b else { continue };
            let near = a[0] - gap <= b[2]
                && b[0] - gap <= a[2]
                && a[1] - gap <= b[3]
                && b[1] - gap <= a[3];
            if near {
                let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
                parent[ri.max(rj)] = ri.min(rj);
            }
        }
    }
    let mut label = vec![usize::MAX; n];
    let mut next = 0;
    (0..n)
        .map(|i| {
            let r = root(&mut parent, i);
            if label[r] == usize::MAX {
                label[r] = next;
                next += 1;
            }
            label[r]
        })
        .collect()
}

/// Area of the intersection of two x, y, width, height rectangles.
fn overlap(a: [f64; 4], b: [f64; 4]) -> f64 {
    let w = (a[0] + a[2]).min(b[0] + b[2]) - a[0].max(b[0]);
    let h = (a[1] + a[3]).min(b[1] + b[3]) - a[1].max(b[1]);
    w.max(0.0) * h.max(0.0)
}

impl Projection {
    /// A lon/lat box as the x, y, width, height it covers on the map.
    fn project_box(&self, b: Bounds) -> [f64; 4] {
        let x = |lon: f64| self.x_offset + (lon - self.min_lon) * self.x_scale * self.scale;
        let y = |lat: f64| self.y_offset + (self.max_lat - lat) * self.scale;
        [x(b[0]), y(b[3]), x(b[2]) - x(b[0]), y(b[1]) - y(b[3])]
    }

    fn at(b: Bounds, x_scale: f64, scale: f64, x_offset: f64, y_offset: f64) -> Projection {
        Projection {
            min_lon: b[0],
            max_lat: b[3],
            x_scale,
            scale,
            x_offset,
            y_offset,
        }
    }

    /// Path data for all of a feature's rings. One decimal of an SVG unit is
    /// finer than a screen pixel; points that round onto their predecessor
    /// are dropped, which shrinks detailed coastlines a lot.
    pub fn path(&self, feature: &Feature) -> String {
        let mut d = String::new();
        for ring in feature.polygons.iter().flatten() {
            let mut last: Option<(String, String)> = None;
            let mut count = 0;
            for &[lon, lat] in ring {
                let x = fixed_trimmed(
                    self.x_offset + (lon - self.min_lon) * self.x_scale * self.scale,
                    1,
                );
                let y = fixed_trimmed(self.y_offset + (self.max_lat - lat) * self.scale, 1);
                if last.as_ref() == Some(&(x.clone(), y.clone())) {
                    continue;
                }
                d.push(if count == 0 { 'M' } else { 'L' });
                d.push_str(&format!("{x} {y}"));
                count += 1;
                last = Some((x, y));
            }
            d.push('Z');
        }
        d
    }
}
