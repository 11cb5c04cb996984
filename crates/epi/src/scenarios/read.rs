//! Reading one `[[scenario]]`, its interventions and `[[capacity]]` entries.

use didymos_core::suggest::{closest, unknown_key_message};
use didymos_core::{Calendar, Error, Model, Result};
use didymos_spec::{Field, Section};

use super::{Capacity, ParamOp, ParameterChange, ScenarioDef};
use crate::mmca::interventions::first_conflict;
use crate::mmca::{Containment, Direction, Intervention, MmcaModel};

const TYPES: [&str; 5] = [
    "confinement",
    "mobility",
    "contacts",
    "vaccination",
    "parameter",
];

pub(super) struct Ctx<'a> {
    pub model: &'a MmcaModel,
    pub calendar: Calendar,
}

/// Prefix an input error with the scenario it belongs to.
fn in_scenario(e: Error, name: &str) -> Error {
    match e {
        Error::Input { at, msg } => Error::input(at, format!("scenario `{name}`: {msg}")),
        e => e,
    }
}

impl Ctx<'_> {
    /// A date within the calendar, as its 1-based day.
    pub fn day(&self, f: &Field) -> Result<usize> {
        let date = f.date()?;
        self.calendar.day_in_range(date).ok_or_else(|| {
            f.error(format!(
                "{date} is outside the simulated range {} … {}",
                self.calendar.start, self.calendar.end
            ))
        })
    }

    fn patch(&self, f: &Field) -> Result<usize> {
        self.patch_id(f.str()?, f)
    }

    /// The patch `id`; errors point at `f`.
    fn patch_id(&self, id: &str, f: &Field) -> Result<usize> {
        let ids = &self.model.layout().units;
        ids.iter().position(|u| u == id).ok_or_else(|| {
            f.error(match closest(id, ids.iter().map(String::as_str)) {
                Some(c) => format!("unknown patch `{id}`; did you mean `{c}`?"),
                None => format!("unknown patch `{id}` (not an id of the metapopulation)"),
            })
        })
    }

    /// `"all"` or an array of patch ids (no duplicates).
    fn patches(&self, f: &Field) -> Result<Vec<usize>> {
        if let Ok(s) = f.str() {
            if s == "all" {
                return Ok((0..self.model.layout().units.len()).collect());
            }
            return Err(f.error(format!(
                "expected \"all\" or an array of patch ids, found `{s}`"
            )));
        }
        let mut out = Vec::new();
        for p in f.array()? {
            let i = self.patch(&p)?;
            if out.contains(&i) {
                return Err(p.error(format!("patch `{}` is listed twice", p.str()?)));
            }
            out.push(i);
        }
        if out.is_empty() {
            return Err(f.error("no patch given"));
        }
        Ok(out)
    }

    fn stratum(&self, f: &Field) -> Result<usize> {
        let label = f.str()?;
        let strata = &self.model.layout().strata;
        strata.iter().position(|s| s == label).ok_or_else(|| {
            f.error(format!(
                "unknown stratum `{label}`; strata are: {}",
                strata.join(", ")
            ))
        })
    }

    fn observable(&self, f: &Field) -> Result<usize> {
        let name = f.str()?;
        let obs = self.model.observables();
        obs.iter().position(|o| o.name == name).ok_or_else(|| {
            let names = obs.iter().map(|o| o.name.as_str());
            f.error(unknown_key_message(name, names).replacen("key", "observable", 1))
        })
    }

    pub fn capacity(&self, f: &Field) -> Result<Capacity> {
        let t = f.table()?;
        t.check_keys(&["observable", "patches", "threshold", "thresholds"])?;
        let of = t.req("observable")?;
        let observable = self.observable(&of)?;
        let thresholds = match (t.get("threshold"), t.get("thresholds")) {
            (Some(one), None) => {
                let x = one.non_negative()?;
                let patches = match t.get("patches") {
                    Some(p) => self.patches(&p)?,
                    None => (0..self.model.layout().units.len()).collect(),
                };
                patches.into_iter().map(|p| (p, x)).collect()
            }
            (None, Some(each)) => {
                if let Some(p) = t.get("patches") {
                    return Err(p.error("give either `patches` with `threshold` or `thresholds`"));
                }
                let sec = each.table()?;
                let mut out = Vec::new();
                for (id, v) in sec.entries() {
                    let p = self.patch_id(id, &v)?;
                    out.push((p, v.non_negative()?));
                }
                out
            }
            (Some(f), Some(_)) => return Err(f.error("give `threshold` or `thresholds`, not both")),
            (None, None) => return Err(t.req("threshold").err().unwrap_or_else(|| f.error(""))),
        };
        Ok(Capacity {
            observable,
            observable_name: of.str()?.to_string(),
            thresholds,
        })
    }

    pub fn scenario(&self, f: &Field) -> Result<ScenarioDef> {
        let t = f.table()?;
        t.check_keys(&["name", "description", "intervention"])?;
        let nf = t.req("name")?;
        let name = nf.str()?.trim().to_string();
        if name.is_empty() {
            return Err(nf.error("empty scenario name"));
        }
        self.scenario_body(&t, &name)
            .map_err(|e| in_scenario(e, &name))
    }

    fn scenario_body(&self, t: &Section, name: &str) -> Result<ScenarioDef> {
        let description = match t.get("description") {
            Some(d) => d.str()?.to_string(),
            None => String::new(),
        };
        let mut s = ScenarioDef {
            name: name.to_string(),
            description,
            interventions: Vec::new(),
            intervention_at: Vec::new(),
            parameter_changes: Vec::new(),
        };
        let Some(list) = t.get("intervention") else {
            return Ok(s);
        };
        let mut fields = Vec::new();
        for f in list.array()? {
            match self.intervention(&f)? {
                Ok(iv) => {
                    s.interventions.push(iv);
                    s.intervention_at.push(f.at());
                    fields.push(f);
                }
                Err(p) => s.parameter_changes.push(p),
            }
        }
        if let Some((i, j)) = first_conflict(&s.interventions) {
            let (a, b) = (&s.interventions[i], &s.interventions[j]);
            let first = s.intervention_at[i]
                .line
                .map_or(String::new(), |l| format!(" (line {l})"));
            let (a0, a1) = a.window();
            let (b0, b1) = b.window();
            let date = |d: usize| self.calendar.start.add_days(d as i32 - 1);
            return Err(fields[j].error(format!(
                "this {} intervention ({} … {}) overlaps `{}`{first} ({} … {}){}",
                b.kind(),
                date(b0),
                date(b1),
                fields[i].path,
                date(a0),
                date(a1),
                match b {
                    Intervention::Mobility { .. } => " on a shared patch",
                    Intervention::Contacts { .. } => " on the same stratum",
                    _ => "",
                }
            )));
        }
        let vac: Vec<(usize, f64, f64)> = s
            .interventions
            .iter()
            .enumerate()
            .filter_map(|(k, iv)| match *iv {
                Intervention::Vaccination {
                    efficacy_infection: a,
                    efficacy_severe: b,
                    ..
                } => Some((k, a, b)),
                _ => None,
            })
            .collect();
        if let Some(w) = vac
            .windows(2)
            .find(|w| (w[0].1, w[0].2) != (w[1].1, w[1].2))
        {
            return Err(fields[w[1].0].error(format!(
                "all vaccinations of a scenario must have the same efficacies (as `{}`)",
                fields[w[0].0].path
            )));
        }
        Ok(s)
    }

    /// An intervention, or a parameter change (`type = "parameter"`).
    fn intervention(&self, f: &Field) -> Result<Result<Intervention, ParameterChange>> {
        let t = f.table()?;
        let tf = t.req("type")?;
        let kind = tf.str()?;
        let keys: &[&str] = match kind {
            "confinement" => &["type", "from", "to", "kappa0", "phi", "delta"],
            "mobility" => &["type", "from", "to", "patches", "direction", "scale"],
            "contacts" => &["type", "from", "to", "stratum", "scale"],
            "vaccination" => &[
                "type",
                "from",
                "to",
                "daily_share",
                "priority",
                "efficacy_infection",
                "efficacy_severe",
            ],
            "parameter" => &["type", "from", "name", "factor", "value"],
            _ => {
                return Err(tf.error(match closest(kind, TYPES) {
                    Some(c) => format!("unknown intervention type `{kind}`; did you mean `{c}`?"),
                    None => format!(
                        "unknown intervention type `{kind}`; types are: {}",
                        TYPES.join(", ")
                    ),
                }))
            }
        };
        t.check_keys(keys)?;
        let from_f = t.req("from")?;
        let from = self.day(&from_f)?;
        if kind == "parameter" {
            return self.parameter(&t, from, f).map(Err);
        }
        let to_f = t.req("to")?;
        let to = self.day(&to_f)?;
        if to < from {
            return Err(to_f.error(format!(
                "`to` ({}) is before `from` ({})",
                to_f.date()?,
                from_f.date()?
            )));
        }
        let scale = || t.req("scale")?.non_negative();
        let iv = match kind {
            "confinement" => Intervention::Confinement {
                from,
                to,
                containment: Containment {
                    kappa0: t.req("kappa0")?.probability()?,
                    phi: t.req("phi")?.probability()?,
                    delta: t.req("delta")?.probability()?,
                },
            },
            "mobility" => Intervention::Mobility {
                from,
                to,
                patches: self.patches(&t.req("patches")?)?,
                direction: match t.get("direction") {
                    None => Direction::Both,
                    Some(d) => match d.str()? {
                        "inflow" => Direction::Inflow,
                        "outflow" => Direction::Outflow,
                        "both" => Direction::Both,
                        other => {
                            return Err(d.error(format!(
                            "unknown direction `{other}`; expected \"inflow\", \"outflow\" or \"both\""
                        )))
                        }
                    },
                },
                scale: scale()?,
            },
            "contacts" => Intervention::Contacts {
                from,
                to,
                stratum: self.stratum(&t.req("stratum")?)?,
                scale: scale()?,
            },
            _ => self.vaccination(&t, from, to)?,
        };
        Ok(Ok(iv))
    }

    fn vaccination(&self, t: &Section, from: usize, to: usize) -> Result<Intervention> {
        let pf = t.req("priority")?;
        let mut priority = Vec::new();
        for g in pf.array()? {
            let k = self.stratum(&g)?;
            if priority.contains(&k) {
                return Err(g.error(format!("stratum `{}` is listed twice", g.str()?)));
            }
            priority.push(k);
        }
        if priority.is_empty() {
            return Err(pf.error("no stratum given"));
        }
        let ei = t.req("efficacy_infection")?.probability()?;
        let sf = t.req("efficacy_severe")?;
        let es = sf.probability()?;
        if es < ei {
            return Err(sf.error(format!(
                "efficacy_severe ({es}) is below efficacy_infection ({ei}): protection against \
                 severe disease includes protection against infection"
            )));
        }
        Ok(Intervention::Vaccination {
            from,
            to,
            daily_share: t.req("daily_share")?.probability()?,
            priority,
            efficacy_infection: ei,
            efficacy_severe: es,
        })
    }

    fn parameter(&self, t: &Section, day: usize, f: &Field) -> Result<ParameterChange> {
        let nf = t.req("name")?;
        let name = nf.str()?;
        let space = self.model.parameters();
        let index = space.index_of(name).ok_or_else(|| {
            nf.error(unknown_key_message(name, space.names()).replacen("key", "parameter", 1))
        })?;
        let op = match (t.get("factor"), t.get("value")) {
            (Some(x), None) => ParamOp::Factor(x.non_negative()?),
            (None, Some(v)) => {
                let (lo, hi) = space.defs()[index].bounds;
                ParamOp::Value(v.f64_in(lo, hi, &format!("a value in [{lo}, {hi}] for {name}"))?)
            }
            (Some(x), Some(_)) => return Err(x.error("give `factor` or `value`, not both")),
            (None, None) => return Err(f.error("missing `factor` or `value`")),
        };
        Ok(ParameterChange {
            day,
            name: name.to_string(),
            index,
            op,
            at: nf.at(),
        })
    }
}
