//! What a fitted model can report about itself, typed. Learners return a list of
//! [`ModelDiagnostic`]; [`Diagnostics::absorb`] files each one into the stored per-fold
//! [`Diagnostics`] by its kind, never by the algorithm that produced it.

use serde::Serialize;

use crate::model::{Diagnostics, Elbow, InformationCriteria, KDistance, LossCurve, UMatrix};

/// One piece of report data from a fitted model.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelDiagnostic {
    /// Inertia and silhouette against k, with the k at the knee (k-means sweeps).
    Elbow(Elbow),
    /// BIC and AIC against the number of components (mixture sweeps).
    InformationCriteria(InformationCriteria),
    /// The sorted k-distance curve eps was chosen from (density clustering).
    KDistance(KDistance),
    /// Distances between neighbouring units of a map.
    UMatrix(UMatrix),
    /// Loss per epoch.
    LossCurve(LossCurve),
    /// The model was fitted on a seeded sample of the rows; `rule` says how the others
    /// were placed.
    Sample {
        rows_clustered: usize,
        rows_total: usize,
        rule: String,
    },
    /// A line shown with the trial.
    Note(String),
}

impl Diagnostics {
    /// Store each diagnostic in its field; notes (and the note of a sample) are appended in
    /// order. A U-matrix whose values do not fill `rows` x `cols` is not stored, since no
    /// plot could draw it.
    pub fn absorb(&mut self, diagnostics: Vec<ModelDiagnostic>) {
        for d in diagnostics {
            match d {
                ModelDiagnostic::Elbow(e) => self.elbow = Some(e),
                ModelDiagnostic::InformationCriteria(ic) => self.information_criteria = Some(ic),
                ModelDiagnostic::KDistance(kd) => self.k_distance = Some(kd),
                ModelDiagnostic::UMatrix(u) => {
                    if !u.values.is_empty() && u.rows * u.cols == u.values.len() {
                        self.u_matrix = Some(u);
                    }
                }
                ModelDiagnostic::LossCurve(l) => self.loss_curve = Some(l),
                ModelDiagnostic::Sample {
                    rows_clustered,
                    rows_total,
                    rule,
                } => self.notes.push(format!(
                    "clustered a seeded sample of {rows_clustered} of {rows_total} rows; {rule}"
                )),
                ModelDiagnostic::Note(n) => self.notes.push(n),
            }
        }
    }

    /// A fresh `Diagnostics` holding `diagnostics`.
    pub fn from_model(diagnostics: Vec<ModelDiagnostic>) -> Diagnostics {
        let mut d = Diagnostics::default();
        d.absorb(diagnostics);
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absorb_files_each_kind_and_keeps_note_order() {
        let d = Diagnostics::from_model(vec![
            ModelDiagnostic::UMatrix(UMatrix {
                rows: 2,
                cols: 2,
                values: vec![0.0, 0.5, 1.0, 0.25],
            }),
            ModelDiagnostic::Sample {
                rows_clustered: 10,
                rows_total: 30,
                rule: "the rest join the nearest core row".into(),
            },
            ModelDiagnostic::Note("second".into()),
            ModelDiagnostic::LossCurve(LossCurve {
                train: vec![1.0, 0.5],
                validation: vec![],
            }),
        ]);
        assert_eq!(d.u_matrix.as_ref().map(|u| u.rows), Some(2));
        assert_eq!(
            d.notes,
            [
                "clustered a seeded sample of 10 of 30 rows; the rest join the nearest core row",
                "second"
            ]
        );
        assert!(d.loss_curve.is_some() && d.elbow.is_none());
    }

    #[test]
    fn a_u_matrix_that_does_not_fill_its_grid_is_dropped() {
        let d = Diagnostics::from_model(vec![ModelDiagnostic::UMatrix(UMatrix {
            rows: 2,
            cols: 3,
            values: vec![0.0; 4],
        })]);
        assert!(d.u_matrix.is_none());
    }
}
