//! Logistic regression by IRLS (Newton's method) with an L2 penalty, in `f64`, without BLAS.
//!
//! The design is *discrete*: each feature takes, per row, one of a few values (a WoE per bin), so it
//! is stored as a byte per row (the slot) and a value per slot — 8 times smaller than a dense
//! matrix. The model is `P(bad) = 1 / (1 + exp(−(b0 + Σ bj·xj)))`; the objective minimised is
//! `deviance / 2 + penalty / 2 · Σ bj²` (the intercept is not penalised). Each pass over the rows is
//! split into fixed chunks summed in order, so the fit is the same whatever the number of threads.

use crate::error::ScoreError;
use crate::limits::{IRLS_TOLERANCE, MAX_IRLS_ITERATIONS, MAX_STEP_HALVINGS};
use crate::parallel;
use std::ops::Range;

/// Default L2 penalty: light, it only keeps collinear or separated fits finite.
pub const DEFAULT_L2_PENALTY: f64 = 1.0;

/// Smallest weight `p(1 − p)` used, so that a row predicted with certainty keeps the system regular.
const MIN_WEIGHT: f64 = 1e-12;

/// Features stored as a slot per row and a value per slot, and the target.
#[derive(Debug, Clone)]
pub struct Design<'a> {
    /// Per feature, the slot of each row.
    pub slots: Vec<&'a [u8]>,
    /// Per feature, the value of each slot.
    pub values: Vec<&'a [f64]>,
    /// Per row, whether it is bad (the event modelled).
    pub is_bad: &'a [bool],
}

/// A fitted model.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// The intercept `b0`.
    pub intercept: f64,
    /// One coefficient per feature.
    pub coefficients: Vec<f64>,
    /// Newton iterations taken.
    pub iterations: usize,
    /// Deviance (−2 log-likelihood) at the solution.
    pub deviance: f64,
}

/// The sums of one pass: the normal matrix `XᵀWX` (upper triangle), the gradient `Xᵀ(y − p)` and the
/// deviance.
struct Pass {
    hessian: Vec<f64>,
    gradient: Vec<f64>,
    deviance: f64,
}

impl Pass {
    fn zero(width: usize) -> Self {
        Pass { hessian: vec![0.0; width * width], gradient: vec![0.0; width], deviance: 0.0 }
    }

    fn add(&mut self, other: &Pass) {
        self.hessian.iter_mut().zip(&other.hessian).for_each(|(a, b)| *a += b);
        self.gradient.iter_mut().zip(&other.gradient).for_each(|(a, b)| *a += b);
        self.deviance += other.deviance;
    }
}

/// `ln(1 + e^z)` without overflow.
fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// One pass over `rows` at coefficients `beta` (intercept first).
fn pass_over(design: &Design<'_>, beta: &[f64], rows: Range<usize>) -> Pass {
    let width = beta.len();
    let mut out = Pass::zero(width);
    let mut x = vec![0.0; width];
    x[0] = 1.0;
    for row in rows {
        for (j, (slots, values)) in design.slots.iter().zip(&design.values).enumerate() {
            x[j + 1] = values[usize::from(slots[row])];
        }
        let eta: f64 = x.iter().zip(beta).map(|(a, b)| a * b).sum();
        let p = 1.0 / (1.0 + (-eta).exp());
        let y = if design.is_bad[row] { 1.0 } else { 0.0 };
        out.deviance += 2.0 * if design.is_bad[row] { softplus(-eta) } else { softplus(eta) };
        let w = (p * (1.0 - p)).max(MIN_WEIGHT);
        for (j, &xj) in x.iter().enumerate() {
            let wx = w * xj;
            out.gradient[j] += (y - p) * xj;
            let hessian_row = &mut out.hessian[j * width + j..(j + 1) * width];
            for (h, &xk) in hessian_row.iter_mut().zip(&x[j..]) {
                *h += wx * xk;
            }
        }
    }
    out
}

/// One pass over all rows, in parallel fixed chunks summed in order.
fn full_pass(design: &Design<'_>, beta: &[f64]) -> Pass {
    let chunks = parallel::chunks(design.is_bad.len());
    let parts = parallel::map(&chunks, |range| pass_over(design, beta, range.clone()));
    parts.iter().fold(Pass::zero(beta.len()), |mut acc, part| {
        acc.add(part);
        acc
    })
}

/// The penalised objective at `beta`.
fn objective(pass: &Pass, beta: &[f64], penalty: f64) -> f64 {
    pass.deviance / 2.0 + penalty / 2.0 * beta[1..].iter().map(|b| b * b).sum::<f64>()
}

/// The Newton step: solves `(XᵀWX + λI′) Δ = Xᵀ(y − p) − λβ′` (′: intercept excluded).
fn newton_step(pass: &Pass, beta: &[f64], penalty: f64) -> Result<Vec<f64>, ScoreError> {
    let n = beta.len();
    let mut a = vec![0.0; n * n];
    for j in 0..n {
        for k in j..n {
            a[j * n + k] = pass.hessian[j * n + k];
            a[k * n + j] = pass.hessian[j * n + k];
        }
    }
    let mut b = pass.gradient.clone();
    for j in 1..n {
        a[j * n + j] += penalty;
        b[j] -= penalty * beta[j];
    }
    cholesky_solve(&mut a, &mut b, n)
        .ok_or_else(|| ScoreError::Fit("the normal matrix is not positive definite".into()))?;
    Ok(b)
}

/// Solves `A x = b` in place for a symmetric positive definite `A` (n × n, row-major); `None` if
/// `A` is not positive definite.
pub fn cholesky_solve(a: &mut [f64], b: &mut [f64], n: usize) -> Option<()> {
    for j in 0..n {
        let d = a[j * n + j] - (0..j).map(|k| a[j * n + k] * a[j * n + k]).sum::<f64>();
        if d <= 0.0 || !d.is_finite() {
            return None;
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let s = a[i * n + j] - (0..j).map(|k| a[i * n + k] * a[j * n + k]).sum::<f64>();
            a[i * n + j] = s / d;
        }
    }
    for i in 0..n {
        b[i] = (b[i] - (0..i).map(|k| a[i * n + k] * b[k]).sum::<f64>()) / a[i * n + i];
    }
    for i in (0..n).rev() {
        b[i] = (b[i] - (i + 1..n).map(|k| a[k * n + i] * b[k]).sum::<f64>()) / a[i * n + i];
    }
    Some(())
}

/// Fits the model by IRLS with step halving; `penalty` is the L2 weight λ ≥ 0.
pub fn fit(design: &Design<'_>, penalty: f64) -> Result<Fit, ScoreError> {
    let rows = design.is_bad.len();
    let bads = design.is_bad.iter().filter(|&&b| b).count();
    if bads == 0 || bads == rows {
        return Err(ScoreError::OneClass { bads: bads as u64, goods: (rows - bads) as u64 });
    }
    let mean = bads as f64 / rows as f64;
    let mut beta = vec![0.0; design.slots.len() + 1];
    beta[0] = (mean / (1.0 - mean)).ln();
    let mut pass = full_pass(design, &beta);
    let mut current = objective(&pass, &beta, penalty);
    for iteration in 1..=MAX_IRLS_ITERATIONS {
        let delta = newton_step(&pass, &beta, penalty)?;
        let (mut step, mut halvings) = (1.0, 0);
        let (candidate, candidate_pass, candidate_objective) = loop {
            let candidate: Vec<f64> = beta.iter().zip(&delta).map(|(b, d)| b + step * d).collect();
            let candidate_pass = full_pass(design, &candidate);
            let value = objective(&candidate_pass, &candidate, penalty);
            if value <= current * (1.0 + 1e-12) || halvings == MAX_STEP_HALVINGS {
                break (candidate, candidate_pass, value);
            }
            step /= 2.0;
            halvings += 1;
        };
        let moved = delta.iter().map(|d| (d * step).abs()).fold(0.0, f64::max);
        (beta, pass, current) = (candidate, candidate_pass, candidate_objective);
        if moved < IRLS_TOLERANCE {
            return Ok(finish(beta, iteration, pass.deviance));
        }
    }
    Ok(finish(beta, MAX_IRLS_ITERATIONS, pass.deviance))
}

fn finish(beta: Vec<f64>, iterations: usize, deviance: f64) -> Fit {
    Fit { intercept: beta[0], coefficients: beta[1..].to_vec(), iterations, deviance }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_a_small_system() {
        let mut a = vec![4.0, 2.0, 2.0, 3.0];
        let mut b = vec![2.0, 1.0];
        assert!(cholesky_solve(&mut a, &mut b, 2).is_some());
        assert!((b[0] - 0.5).abs() < 1e-12 && b[1].abs() < 1e-12);
        let mut singular = vec![1.0, 1.0, 1.0, 1.0];
        assert!(cholesky_solve(&mut singular, &mut [1.0, 1.0], 2).is_none());
    }

    #[test]
    fn one_binary_feature_recovers_the_log_odds_ratio() {
        // Slot 0: 10 bads of 40; slot 1: 30 bads of 60. Unpenalised MLE: b0 = ln(10/30),
        // b1 = ln(30/30) − ln(10/30) = ln 3.
        let mut slots = Vec::new();
        let mut is_bad = Vec::new();
        for (slot, bads, rows) in [(0u8, 10, 40), (1u8, 30, 60)] {
            for i in 0..rows {
                slots.push(slot);
                is_bad.push(i < bads);
            }
        }
        let values = [0.0, 1.0];
        let fit = fit(&Design { slots: vec![&slots], values: vec![&values], is_bad: &is_bad }, 0.0).unwrap();
        assert!((fit.intercept - (1.0f64 / 3.0).ln()).abs() < 1e-9, "{fit:?}");
        assert!((fit.coefficients[0] - 3.0f64.ln()).abs() < 1e-9, "{fit:?}");
    }
}
