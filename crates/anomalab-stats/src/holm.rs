//! Holm's step-down adjustment (Holm 1979), as statsmodels'
//! `multipletests(p, method="holm")` computes the adjusted p-values.

/// The adjusted p-values, in the order given: sorted ascending, the i-th (0-based) of m
/// becomes min(1, max over j <= i of (m - j) · p_(j)).
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut adjusted = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (j, &i) in order.iter().enumerate() {
        running = running.max(((m - j) as f64 * p[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}
