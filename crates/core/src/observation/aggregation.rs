//! Aggregation: which model cells (unit, stratum) make up each observation
//! location.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Located, Result};

/// How strata are treated when aggregating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StrataMode {
    /// One observation location per location id: strata are summed.
    #[default]
    AllStrata,
    /// One observation location per (location id, stratum).
    PerStratum,
}

/// An observation location: a location id, and the stratum for
/// [`StrataMode::PerStratum`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObsLocation {
    pub location: String,
    /// Index into the model's strata (`None` when strata are summed).
    pub stratum: Option<usize>,
}

/// Maps model cells onto observation locations. Locations are sorted by id
/// (then stratum index), so their order is stable whatever the order of
/// the lookup.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregation {
    n_units: usize,
    n_strata: usize,
    mode: StrataMode,
    locations: Vec<ObsLocation>,
    /// For each location, the cell indices `u * n_strata + s` to sum.
    cells: Vec<Vec<usize>>,
}

impl Aggregation {
    /// Each model unit is its own location (named after the unit).
    pub fn identity(units: &[String], n_strata: usize, mode: StrataMode) -> Result<Self> {
        let lookup: HashMap<String, String> =
            units.iter().map(|u| (u.clone(), u.clone())).collect();
        Self::from_lookup(units, n_strata, &lookup, mode)
    }

    /// From a lookup `unit id → location id`. Every key must be a model
    /// unit. Model units missing from the lookup belong to no location
    /// (their output is not observed).
    pub fn from_lookup(
        units: &[String],
        n_strata: usize,
        lookup: &HashMap<String, String>,
        mode: StrataMode,
    ) -> Result<Self> {
        let at = Located::default().field("unit");
        let unit_index = index_units(units, &at)?;
        let mut pairs = Vec::with_capacity(lookup.len());
        for (unit, location) in lookup {
            let u = *unit_index.get(unit.as_str()).ok_or_else(|| {
                Error::input(at.clone(), format!("unknown unit `{unit}` in the lookup"))
            })?;
            pairs.push((u, location.clone()));
        }
        Ok(Self::build(units.len(), n_strata, mode, pairs))
    }

    /// From a two-column CSV file with header `unit,location`.
    pub fn from_csv(
        path: &Path,
        units: &[String],
        n_strata: usize,
        mode: StrataMode,
    ) -> Result<Self> {
        let text = crate::fs::read_text(path, crate::fs::DATA_MAX_BYTES)?;
        Self::parse_csv(&text, path, units, n_strata, mode)
    }

    /// Like [`Aggregation::from_csv`] on text already read; `path` is only
    /// used in error messages. Blank lines are skipped; fields are trimmed
    /// and may be wrapped in double quotes. Unknown units and duplicate
    /// units are errors naming the file and line.
    pub fn parse_csv(
        text: &str,
        path: &Path,
        units: &[String],
        n_strata: usize,
        mode: StrataMode,
    ) -> Result<Self> {
        let file = Located::file(path);
        let unit_index = index_units(units, &file)?;
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i as u64 + 1, l))
            .filter(|(_, l)| !l.trim().is_empty());
        let (hline, header) = lines.next().ok_or_else(|| {
            Error::input(file.clone(), "empty file; expected header `unit,location`")
        })?;
        let h = split_fields(header.trim_start_matches('\u{feff}'));
        if h.len() != 2 || h[0] != "unit" || h[1] != "location" {
            return Err(Error::input(
                file.clone().at_line(hline),
                format!("expected header `unit,location`, got `{}`", header.trim()),
            ));
        }
        let mut seen: HashMap<usize, u64> = HashMap::new();
        let mut pairs = Vec::new();
        for (line, raw) in lines {
            let f = split_fields(raw);
            let at = file.clone().at_line(line);
            if f.len() != 2 {
                return Err(Error::input(
                    at,
                    format!("expected 2 fields (unit,location), got {}", f.len()),
                ));
            }
            let (unit, location) = (f[0].as_str(), f[1].as_str());
            if location.is_empty() {
                return Err(Error::input(at.field("location"), "empty location"));
            }
            let u = *unit_index.get(unit).ok_or_else(|| {
                Error::input(at.clone().field("unit"), format!("unknown unit `{unit}`"))
            })?;
            if let Some(first) = seen.insert(u, line) {
                return Err(Error::input(
                    at.field("unit"),
                    format!("duplicate unit `{unit}` (first on line {first})"),
                ));
            }
            pairs.push((u, location.to_string()));
        }
        Ok(Self::build(units.len(), n_strata, mode, pairs))
    }

    fn build(
        n_units: usize,
        n_strata: usize,
        mode: StrataMode,
        mut pairs: Vec<(usize, String)>,
    ) -> Self {
        pairs.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        let mut locations: Vec<ObsLocation> = Vec::new();
        let mut cells: Vec<Vec<usize>> = Vec::new();
        let mut ids: Vec<&str> = pairs.iter().map(|p| p.1.as_str()).collect();
        ids.dedup();
        for id in ids {
            let members: Vec<usize> = pairs.iter().filter(|p| p.1 == id).map(|p| p.0).collect();
            match mode {
                StrataMode::AllStrata => {
                    locations.push(ObsLocation {
                        location: id.to_string(),
                        stratum: None,
                    });
                    cells.push(
                        members
                            .iter()
                            .flat_map(|&u| (0..n_strata).map(move |s| u * n_strata + s))
                            .collect(),
                    );
                }
                StrataMode::PerStratum => {
                    for s in 0..n_strata {
                        locations.push(ObsLocation {
                            location: id.to_string(),
                            stratum: Some(s),
                        });
                        cells.push(members.iter().map(|&u| u * n_strata + s).collect());
                    }
                }
            }
        }
        Aggregation {
            n_units,
            n_strata,
            mode,
            locations,
            cells,
        }
    }

    pub fn n_units(&self) -> usize {
        self.n_units
    }
    pub fn n_strata(&self) -> usize {
        self.n_strata
    }
    pub fn mode(&self) -> StrataMode {
        self.mode
    }
    /// The observation locations, in output order.
    pub fn locations(&self) -> &[ObsLocation] {
        &self.locations
    }
    /// Number of observation locations.
    pub fn len(&self) -> usize {
        self.locations.len()
    }
    pub fn is_empty(&self) -> bool {
        self.locations.is_empty()
    }
    /// For each location, the cell indices `u * n_strata + s` it sums.
    pub fn cells(&self) -> &[Vec<usize>] {
        &self.cells
    }
    /// Position of a location (with its stratum for `PerStratum`).
    pub fn location_index(&self, location: &str, stratum: Option<usize>) -> Option<usize> {
        self.locations
            .iter()
            .position(|l| l.location == location && l.stratum == stratum)
    }

    /// Sum of observable `observable` over each location's cells in `row`
    /// (laid out `units × strata × observables`).
    pub fn apply(
        &self,
        row: &[f64],
        observable: usize,
        n_strata: usize,
        n_observables: usize,
    ) -> Vec<f64> {
        let mut out = vec![0.0; self.len()];
        self.apply_into(row, observable, n_strata, n_observables, &mut out);
        out
    }

    /// Like [`Aggregation::apply`], writing into `out` (one per location).
    pub fn apply_into(
        &self,
        row: &[f64],
        observable: usize,
        n_strata: usize,
        n_observables: usize,
        out: &mut [f64],
    ) {
        debug_assert_eq!(
            n_strata, self.n_strata,
            "aggregation built for another strata count"
        );
        for (o, cells) in out.iter_mut().zip(&self.cells) {
            *o = self.sum_cells(cells, row, observable, n_observables);
        }
    }

    /// Sum of one location's cells in `row`.
    pub(crate) fn sum_cells(
        &self,
        cells: &[usize],
        row: &[f64],
        observable: usize,
        n_observables: usize,
    ) -> f64 {
        cells
            .iter()
            .map(|&c| row[c * n_observables + observable])
            .sum()
    }
}

fn index_units<'a>(units: &'a [String], at: &Located) -> Result<HashMap<&'a str, usize>> {
    let mut map = HashMap::with_capacity(units.len());
    for (i, u) in units.iter().enumerate() {
        if map.insert(u.as_str(), i).is_some() {
            return Err(Error::input(
                at.clone(),
                format!("model unit `{u}` appears twice"),
            ));
        }
    }
    Ok(map)
}

fn split_fields(line: &str) -> Vec<String> {
    line.split(',')
        .map(|f| {
            let f = f.trim();
            let f = f
                .strip_prefix('"')
                .and_then(|g| g.strip_suffix('"'))
                .unwrap_or(f);
            f.trim().to_string()
        })
        .collect()
}
