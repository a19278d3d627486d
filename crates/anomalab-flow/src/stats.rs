//! O(1) running statistics that reproduce Apache commons-math3 `SummaryStatistics` bit for
//! bit (incremental first and second moments, sample variance, `std = sqrt(variance)`),
//! which is what CICFlowMeter uses for every mean/std/variance column.

/// Running count, mean, second moment, sum, min and max.
#[derive(Debug, Clone, Copy)]
pub struct SummaryStats {
    n: u64,
    m1: f64,
    m2: f64,
    sum: f64,
    min: f64,
    max: f64,
}

impl Default for SummaryStats {
    fn default() -> Self {
        SummaryStats {
            n: 0,
            m1: f64::NAN,
            m2: f64::NAN,
            sum: 0.0,
            min: f64::NAN,
            max: f64::NAN,
        }
    }
}

impl SummaryStats {
    /// Adds one value (commons-math3 `FirstMoment`/`SecondMoment` update order).
    #[inline]
    pub fn add(&mut self, x: f64) {
        if self.n == 0 {
            self.m1 = 0.0;
            self.m2 = 0.0;
            self.min = x;
            self.max = x;
        } else {
            if x < self.min {
                self.min = x;
            }
            if x > self.max {
                self.max = x;
            }
        }
        self.n += 1;
        let n = self.n as f64;
        let dev = x - self.m1;
        let ndev = dev / n;
        self.m1 += ndev;
        self.m2 += (n - 1.0) * dev * ndev;
        self.sum += x;
    }

    /// Number of values.
    #[inline]
    pub fn n(&self) -> u64 {
        self.n
    }
    /// Sum (0 when empty).
    #[inline]
    pub fn sum(&self) -> f64 {
        self.sum
    }
    /// Mean (NaN when empty).
    #[inline]
    pub fn mean(&self) -> f64 {
        self.m1
    }
    /// Sample variance: NaN when empty, 0 for one value.
    #[inline]
    pub fn variance(&self) -> f64 {
        match self.n {
            0 => f64::NAN,
            1 => 0.0,
            n => self.m2 / (n as f64 - 1.0),
        }
    }
    /// Sample standard deviation.
    #[inline]
    pub fn std(&self) -> f64 {
        match self.n {
            0 => f64::NAN,
            1 => 0.0,
            _ => self.variance().sqrt(),
        }
    }
    /// Minimum (NaN when empty).
    #[inline]
    pub fn min(&self) -> f64 {
        self.min
    }
    /// Maximum (NaN when empty).
    #[inline]
    pub fn max(&self) -> f64 {
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_moments() {
        // Hand computation: forward payloads of S1 in arrival order 0, 0, 100, 0, 0 ->
        // mean 20, sample variance (4*400 + 6400)/4 = 2000, std sqrt(2000) =
        // 44.721359549995796 (test.csv row 1: Fwd Packet Length Mean 20.0, Std
        // 44.721359549995796).
        let mut s = SummaryStats::default();
        for x in [0.0, 0.0, 100.0, 0.0, 0.0] {
            s.add(x);
        }
        assert_eq!(s.n(), 5);
        assert_eq!(s.mean(), 20.0);
        assert_eq!(s.variance(), 2000.0);
        assert_eq!(s.std(), 44.721359549995796);
        assert_eq!((s.min(), s.max(), s.sum()), (0.0, 100.0, 100.0));
        // The incremental mean depends on the order, as in commons-math3: 0, 100, 0, 0, 0
        // gives 19.999999999999996 (same recurrence evaluated in Python).
        let mut o = SummaryStats::default();
        for x in [0.0, 100.0, 0.0, 0.0, 0.0] {
            o.add(x);
        }
        assert_eq!(o.mean(), 19.999999999999996);
        let e = SummaryStats::default();
        assert!(e.mean().is_nan() && e.std().is_nan());
    }
}
