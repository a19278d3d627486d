//! libsvm's least-recently-used cache of kernel columns.
//!
//! Column `i` holds `Q[i][0..len)` for some `len` (columns computed while part of the
//! problem was shrunk away are shorter and are extended on demand). The budget counts f32
//! entries; when a column needs more room, the least recently used columns are dropped.
//! Like libsvm, the budget is at least two full columns, so the two columns of one SMO
//! step can be held at once.

const NIL: usize = usize::MAX;

pub struct Cache {
    cols: Vec<Vec<f32>>,
    /// Doubly linked LRU list over column indices; `l` is the sentinel.
    prev: Vec<usize>,
    next: Vec<usize>,
    /// Free f32 entries left in the budget.
    free: usize,
}

impl Cache {
    /// A cache for `l` columns within `bytes` (at least two full columns).
    pub fn new(l: usize, bytes: usize) -> Cache {
        let entries = (bytes / 4).saturating_sub(l * 4).max(2 * l);
        let mut prev = vec![NIL; l + 1];
        let mut next = vec![NIL; l + 1];
        prev[l] = l;
        next[l] = l;
        Cache {
            cols: vec![Vec::new(); l],
            prev,
            next,
            free: entries,
        }
    }

    fn sentinel(&self) -> usize {
        self.cols.len()
    }

    fn unlink(&mut self, h: usize) {
        let (p, n) = (self.prev[h], self.next[h]);
        self.next[p] = n;
        self.prev[n] = p;
    }

    fn push_back(&mut self, h: usize) {
        let s = self.sentinel();
        let last = self.prev[s];
        self.next[last] = h;
        self.prev[h] = last;
        self.next[h] = s;
        self.prev[s] = h;
    }

    fn drop_col(&mut self, h: usize) {
        self.unlink(h);
        self.free += self.cols[h].len();
        self.cols[h] = Vec::new();
    }

    /// Make column `i` at least `len` long and most recently used; returns the position
    /// from which the caller must fill it (`>= len` when nothing is missing).
    pub fn get(&mut self, i: usize, len: usize) -> usize {
        let have = self.cols[i].len();
        if have > 0 {
            self.unlink(i);
        }
        let start = if len > have {
            let more = len - have;
            while self.free < more {
                let old = self.next[self.sentinel()];
                self.drop_col(old);
            }
            self.cols[i].resize(len, 0.0);
            self.free -= more;
            have
        } else {
            len
        };
        self.push_back(i);
        start
    }

    pub fn col(&self, i: usize) -> &[f32] {
        &self.cols[i]
    }

    pub fn col_mut(&mut self, i: usize) -> &mut [f32] {
        &mut self.cols[i]
    }

    /// Swap the roles of positions `i` and `j` (shrinking moves rows), as libsvm: the two
    /// columns trade places, and in every other column entries `i` and `j` are swapped, or
    /// the column is dropped when it is too short to hold both.
    pub fn swap_index(&mut self, i: usize, j: usize) {
        if i == j {
            return;
        }
        for h in [i, j] {
            if !self.cols[h].is_empty() {
                self.unlink(h);
            }
        }
        self.cols.swap(i, j);
        for h in [i, j] {
            if !self.cols[h].is_empty() {
                self.push_back(h);
            }
        }
        let (lo, hi) = (i.min(j), i.max(j));
        let s = self.sentinel();
        let mut h = self.next[s];
        while h != s {
            let nx = self.next[h];
            let len = self.cols[h].len();
            if len > lo {
                if len > hi {
                    self.cols[h].swap(lo, hi);
                } else {
                    self.drop_col(h);
                }
            }
            h = nx;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_least_recently_used_and_swaps() {
        // Budget of exactly 2 columns of 3 entries (the minimum).
        let mut c = Cache::new(3, 0);
        assert_eq!(c.get(0, 3), 0);
        c.col_mut(0).copy_from_slice(&[1.0, 2.0, 3.0]);
        assert_eq!(c.get(1, 3), 0);
        c.col_mut(1).copy_from_slice(&[4.0, 5.0, 6.0]);
        // Column 0 is cached in full.
        assert_eq!(c.get(0, 3), 3);
        // A third column evicts the least recently used one (1).
        assert_eq!(c.get(2, 2), 0);
        assert!(c.col(1).is_empty());
        c.col_mut(2).copy_from_slice(&[7.0, 8.0]);
        // Swapping positions 0 and 2: column 2 is too short to keep, column 0's entries
        // trade places and it moves to slot 2.
        c.swap_index(0, 2);
        assert_eq!(c.col(2), &[3.0, 2.0, 1.0]);
        assert!(c.col(0).is_empty());
        // A short column is extended from where it ends.
        assert_eq!(c.get(2, 3), 3);
    }
}
