//! Blocks of a member's values that are resampled on their own.
//!
//! A block particle filter (Rebeschini & van Handel 2015) splits the state
//! of a spatial model into blocks (the places of a network model, say)
//! and resamples each block by the likelihood of its own observations, so
//! that 52 places do not have to be matched by one member at once. The
//! member-major arrays of an ensemble (parameters, states, observables)
//! then take each block's columns from that block's ancestor; columns in no
//! block stay with their member.

use std::ops::Range;

use rayon::prelude::*;

use crate::error::{Error, Result};

/// Members per parallel piece of a block gather.
const PIECE: usize = 512;

/// Which columns of a member-major array each block owns: spans of
/// columns, each with its block, sorted and not overlapping.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BlockColumns {
    width: usize,
    spans: Vec<(Range<usize>, usize)>,
}

impl BlockColumns {
    /// `owned[b]`: the column ranges of block b, in an array `width` wide.
    /// Errors if a range leaves the array or two blocks claim a column.
    pub fn new(width: usize, owned: &[Vec<Range<usize>>]) -> Result<Self> {
        let mut spans: Vec<(Range<usize>, usize)> = owned
            .iter()
            .enumerate()
            .flat_map(|(b, rs)| {
                rs.iter()
                    .filter(|r| !r.is_empty())
                    .map(move |r| (r.clone(), b))
            })
            .collect();
        spans.sort_by_key(|(r, _)| (r.start, r.end));
        if let Some((r, b)) = spans.iter().find(|(r, _)| r.end > width) {
            return Err(Error::Other(format!(
                "block {b} claims columns {}..{} of an array {width} wide",
                r.start, r.end
            )));
        }
        if let Some(w) = spans.windows(2).find(|w| w[1].0.start < w[0].0.end) {
            return Err(Error::Other(format!(
                "blocks {} and {} both claim column {}",
                w[0].1, w[1].1, w[1].0.start
            )));
        }
        Ok(BlockColumns { width, spans })
    }

    pub fn width(&self) -> usize {
        self.width
    }

    /// Whether no column belongs to a block.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The block that owns `column`, if any.
    pub fn owner(&self, column: usize) -> Option<usize> {
        self.spans
            .iter()
            .find(|(r, _)| r.contains(&column))
            .map(|(_, b)| *b)
    }

    /// The same blocks over rows that keep only `columns` (ascending
    /// columns of this array, in order): each block owns the kept columns
    /// it owned.
    pub fn project(&self, columns: &[usize]) -> BlockColumns {
        let at = |c: usize| columns.partition_point(|&k| k < c);
        BlockColumns {
            width: columns.len(),
            spans: self
                .spans
                .iter()
                .map(|(r, b)| (at(r.start)..at(r.end), *b))
                .filter(|(r, _)| !r.is_empty())
                .collect(),
        }
    }

    /// `dst` ← `src` (rows of `width`), except that each block's columns of
    /// row i come from row `ancestors[b][i]`. Deterministic and parallel by
    /// member pieces. Panics if the shapes disagree or an ancestor is out
    /// of range.
    pub fn gather(&self, src: &[f64], dst: &mut [f64], ancestors: &[Vec<usize>]) {
        let w = self.width;
        assert_eq!(src.len(), dst.len(), "source and target rows");
        if w == 0 {
            return;
        }
        let run = |(c, d): (usize, &mut [f64])| {
            let first = c * PIECE;
            for (k, row) in d.chunks_exact_mut(w).enumerate() {
                let i = first + k;
                row.copy_from_slice(&src[i * w..(i + 1) * w]);
                for (r, b) in &self.spans {
                    let a = ancestors[*b][i];
                    row[r.clone()].copy_from_slice(&src[a * w + r.start..a * w + r.end]);
                }
            }
        };
        if dst.len() <= PIECE * w {
            run((0, dst));
        } else {
            dst.par_chunks_mut(PIECE * w).enumerate().for_each(run);
        }
    }
}

#[cfg(test)]
// A block owning one range of columns is the usual case, not a mistake.
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;

    #[test]
    fn projected_blocks_own_the_kept_columns_they_owned() {
        // 2 blocks over 8 columns; keep the odd ones.
        let cols = BlockColumns::new(8, &[vec![0..3], vec![4..8]]).unwrap();
        let p = cols.project(&[1, 3, 5, 7]);
        assert_eq!(p, BlockColumns::new(4, &[vec![0..1], vec![2..4]]).unwrap());
        // Column 3 was in no block: it stays unowned.
        let src: Vec<f64> = (0..8).map(f64::from).collect();
        let mut dst = vec![0.0; 8];
        p.gather(&src, &mut dst, &[vec![1, 0], vec![1, 0]]);
        assert_eq!(dst, vec![4.0, 1.0, 6.0, 7.0, 0.0, 5.0, 2.0, 3.0]);
    }

    #[test]
    fn blocks_take_their_ancestors_columns_and_the_rest_stays() {
        // 3 members × 5 columns; block 0 owns 0..2, block 1 owns 3..4.
        let cols = BlockColumns::new(5, &[vec![0..2], vec![3..4]]).unwrap();
        let src: Vec<f64> = (0..15).map(f64::from).collect();
        let mut dst = vec![0.0; 15];
        cols.gather(&src, &mut dst, &[vec![2, 2, 0], vec![1, 0, 0]]);
        assert_eq!(
            dst,
            vec![
                10.0, 11.0, 2.0, 8.0, 4.0, // member 0: block 0 from 2, block 1 from 1
                10.0, 11.0, 7.0, 3.0, 9.0, // member 1: block 0 from 2, block 1 from 0
                0.0, 1.0, 12.0, 3.0, 14.0, // member 2: block 0 from 0, block 1 from 0
            ]
        );
    }

    #[test]
    fn overlapping_or_outside_columns_are_refused() {
        let e = BlockColumns::new(4, &[vec![0..3], vec![2..4]]).unwrap_err();
        assert!(e.to_string().contains("both claim column 2"), "{e}");
        let e = BlockColumns::new(4, &[vec![3..5]]).unwrap_err();
        assert!(e.to_string().contains("4 wide"), "{e}");
    }

    #[test]
    fn a_large_gather_is_the_same_in_pieces() {
        let n = 3 * PIECE + 7;
        let cols = BlockColumns::new(3, &[vec![0..1], vec![2..3]]).unwrap();
        let src: Vec<f64> = (0..n * 3).map(|x| x as f64).collect();
        let anc: Vec<Vec<usize>> = vec![
            (0..n).map(|i| (i * 7) % n).collect(),
            (0..n).rev().collect(),
        ];
        let mut dst = vec![0.0; n * 3];
        cols.gather(&src, &mut dst, &anc);
        for i in 0..n {
            assert_eq!(dst[i * 3], src[anc[0][i] * 3]);
            assert_eq!(dst[i * 3 + 1], src[i * 3 + 1]);
            assert_eq!(dst[i * 3 + 2], src[anc[1][i] * 3 + 2]);
        }
    }
}
