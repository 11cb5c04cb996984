//! A timeline of dated events (interventions, controls) for any model.

/// Events keyed by 1-based simulation day, kept sorted. Several events may
/// fall on one day; they keep their insertion order.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline<T> {
    events: Vec<(usize, T)>,
}

impl<T> Default for Timeline<T> {
    fn default() -> Self {
        Timeline { events: Vec::new() }
    }
}

impl<T> Timeline<T> {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn insert(&mut self, day: usize, event: T) {
        let pos = self.events.partition_point(|(d, _)| *d <= day);
        self.events.insert(pos, (day, event));
    }
    /// Events on exactly `day`.
    pub fn on(&self, day: usize) -> impl Iterator<Item = &T> {
        let lo = self.events.partition_point(|(d, _)| *d < day);
        self.events[lo..]
            .iter()
            .take_while(move |(d, _)| *d == day)
            .map(|(_, e)| e)
    }
    /// The latest event on or before `day`.
    pub fn in_force(&self, day: usize) -> Option<&T> {
        let hi = self.events.partition_point(|(d, _)| *d <= day);
        hi.checked_sub(1).map(|i| &self.events[i].1)
    }
    pub fn iter(&self) -> impl Iterator<Item = (usize, &T)> {
        self.events.iter().map(|(d, e)| (*d, e))
    }
    pub fn first_day(&self) -> Option<usize> {
        self.events.first().map(|(d, _)| *d)
    }
    pub fn len(&self) -> usize {
        self.events.len()
    }
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

impl<T> FromIterator<(usize, T)> for Timeline<T> {
    fn from_iter<I: IntoIterator<Item = (usize, T)>>(iter: I) -> Self {
        let mut t = Timeline::new();
        for (d, e) in iter {
            t.insert(d, e);
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn lookup() {
        let t: Timeline<&str> = [(5, "b"), (2, "a"), (5, "c")].into_iter().collect();
        assert_eq!(t.on(5).copied().collect::<Vec<_>>(), vec!["b", "c"]);
        assert_eq!(t.on(3).count(), 0);
        assert_eq!(t.in_force(1), None);
        assert_eq!(t.in_force(4), Some(&"a"));
        assert_eq!(t.in_force(9), Some(&"c"));
    }
}
