//! Goodness of fit for discharge: Nash–Sutcliffe efficiency and the
//! Kling–Gupta efficiency (Gupta et al. 2009). Pairs where either value is
//! missing or non-finite are skipped.

/// The finite (simulated, observed) pairs.
fn pairs(sim: &[f64], obs: &[Option<f64>]) -> Vec<(f64, f64)> {
    sim.iter()
        .zip(obs)
        .filter_map(|(&s, o)| o.filter(|o| o.is_finite() && s.is_finite()).map(|o| (s, o)))
        .collect()
}

fn mean(xs: impl Iterator<Item = f64> + Clone) -> f64 {
    let n = xs.clone().count() as f64;
    xs.sum::<f64>() / n
}

/// NSE = 1 − Σ(s − o)² / Σ(o − ō)²; NaN with fewer than two pairs or
/// constant observations.
pub fn nse(sim: &[f64], obs: &[Option<f64>]) -> f64 {
    let p = pairs(sim, obs);
    if p.len() < 2 {
        return f64::NAN;
    }
    let mo = mean(p.iter().map(|x| x.1));
    let num: f64 = p.iter().map(|(s, o)| (s - o).powi(2)).sum();
    let den: f64 = p.iter().map(|(_, o)| (o - mo).powi(2)).sum();
    if den == 0.0 {
        return f64::NAN;
    }
    1.0 - num / den
}

/// KGE components: Pearson r, variability ratio α = σₛ/σₒ and bias ratio
/// β = μₛ/μₒ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Kge {
    pub kge: f64,
    pub r: f64,
    pub alpha: f64,
    pub beta: f64,
}

/// KGE = 1 − √((r − 1)² + (α − 1)² + (β − 1)²) (population standard
/// deviations; the n vs n − 1 choice cancels in α).
pub fn kge_parts(sim: &[f64], obs: &[Option<f64>]) -> Kge {
    let p = pairs(sim, obs);
    let nan = Kge {
        kge: f64::NAN,
        r: f64::NAN,
        alpha: f64::NAN,
        beta: f64::NAN,
    };
    if p.len() < 2 {
        return nan;
    }
    let ms = mean(p.iter().map(|x| x.0));
    let mo = mean(p.iter().map(|x| x.1));
    let n = p.len() as f64;
    let ss = (p.iter().map(|(s, _)| (s - ms).powi(2)).sum::<f64>() / n).sqrt();
    let so = (p.iter().map(|(_, o)| (o - mo).powi(2)).sum::<f64>() / n).sqrt();
    let cov = p.iter().map(|(s, o)| (s - ms) * (o - mo)).sum::<f64>() / n;
    if so == 0.0 || mo == 0.0 {
        return nan;
    }
    // A constant simulation has no correlation; count it as r = 0.
    let r = if ss == 0.0 { 0.0 } else { cov / (ss * so) };
    let (alpha, beta) = (ss / so, ms / mo);
    let kge = 1.0 - ((r - 1.0).powi(2) + (alpha - 1.0).powi(2) + (beta - 1.0).powi(2)).sqrt();
    Kge {
        kge,
        r,
        alpha,
        beta,
    }
}

pub fn kge(sim: &[f64], obs: &[Option<f64>]) -> f64 {
    kge_parts(sim, obs).kge
}
