//! The population is what the parameters say: behaviour shares, who revolves, refusals of the
//! reporting authorization, job losses and the delinquencies they cause month by month, and when
//! struggling people stop paying.
//!
//! One population of 20,000 people over 24 months is shared by the tests. Tolerances are stated
//! in standard errors: shares within 4 of them; monthly counts (Poisson) within 5 of them plus 3
//! for the smallest counts; totals over the window within 4. A rule that was broken — a hazard
//! off by a fifth, a refusal rate of 6% instead of 5% — fails them.

use ob_model::{AccountType, RepaymentStatus, YearMonth};
use ob_sim::params::{self, CONSENT_REFUSE_PERCENT, INCOME_BANDS, IncomeBand, income_band, job_loss_delinquency_bp};
use ob_sim::{Behaviour, LifeEvent, MistakeRates, PersonTruth, SimConfig, read_truth, simulate};
use std::collections::HashSet;
use std::sync::OnceLock;

const PEOPLE: u32 = 20_000;
const MONTHS: u32 = 24;

fn population() -> &'static (SimConfig, Vec<PersonTruth>) {
    static POPULATION: OnceLock<(SimConfig, Vec<PersonTruth>)> = OnceLock::new();
    POPULATION.get_or_init(|| {
        let config = SimConfig {
            people: PEOPLE,
            months: MONTHS,
            seed: 2024,
            threads: 2,
            mistakes: MistakeRates::NONE,
            ..SimConfig::default()
        };
        let dir = tempfile::tempdir().expect("temp dir");
        simulate(&config, dir.path()).expect("simulation runs");
        let truth = read_truth(dir.path().join("truth.jsonl")).expect("truth");
        (config, truth)
    })
}

fn window() -> Vec<YearMonth> {
    let last = population().0.end_month;
    (0..MONTHS as i32).map(|i| last.plus(i + 1 - MONTHS as i32)).collect()
}

fn event(p: &PersonTruth, which: LifeEvent) -> Option<YearMonth> {
    p.life_events.iter().find(|e| e.event == which).map(|e| e.month)
}

/// |observed − expected| within `sigmas` standard errors of a Poisson count, plus `slack`.
fn close(observed: f64, expected: f64, sigmas: f64, slack: f64) -> bool {
    (observed - expected).abs() <= sigmas * expected.sqrt() + slack
}

#[test]
fn behaviour_shares_follow_the_mix() {
    let (config, truth) = population();
    let n = truth.len() as f64;
    for b in Behaviour::ALL {
        let p = config.mix.percent(b) / 100.0;
        let share = truth.iter().filter(|t| t.behaviour == b).count() as f64 / n;
        let se = (p * (1.0 - p) / n).sqrt();
        assert!((share - p).abs() <= 4.0 * se, "{b:?}: {:.2}% vs {:.2}%", 100.0 * share, 100.0 * p);
    }
}

#[test]
fn refusals_of_the_authorization_follow_the_parameter() {
    let (_, truth) = population();
    let asked: Vec<_> = truth.iter().flat_map(|p| &p.authorizations).collect();
    let refused = asked.iter().filter(|a| !a.granted).count() as f64;
    let n = asked.len() as f64;
    let p = f64::from(CONSENT_REFUSE_PERCENT) / 100.0;
    let se = (p * (1.0 - p) / n).sqrt();
    assert!((refused / n - p).abs() <= 4.0 * se, "{:.2}% refused of {n}", 100.0 * refused / n);
    for p in truth {
        for a in p.authorizations.iter().filter(|a| !a.granted) {
            assert!(
                !p.accounts.iter().any(|acc| acc.furnisher == a.furnisher && acc.origin == ob_sim::AccountOrigin::Own)
            );
        }
    }
}

/// Whether the person paid less than the whole bill in some month of a revolving account, given
/// that they never were in trouble: with nothing past due, the amount due is the 10% minimum,
/// so the bill is at least ten times it; revolvers pay at most 82% of it, everyone else all of it.
fn revolves(p: &PersonTruth) -> Option<bool> {
    let months: Vec<_> = p
        .accounts
        .iter()
        .filter(|a| matches!(a.account_type, AccountType::R1 | AccountType::R2))
        .flat_map(|a| &a.months)
        .filter(|m| m.status == RepaymentStatus::Normal && m.due_fen >= 5)
        .collect();
    (!months.is_empty()).then(|| months.iter().any(|m| m.paid_fen < 10 * m.due_fen))
}

#[test]
fn revolvers_and_only_revolvers_carry_part_of_their_bills() {
    let (_, truth) = population();
    let calm: Vec<_> = truth.iter().filter(|p| p.life_events.is_empty()).collect();
    let mut revolvers = 0;
    for p in &calm {
        if let Some(revolved) = revolves(p) {
            assert_eq!(revolved, p.behaviour == Behaviour::Revolver, "person {} ({:?})", p.person, p.behaviour);
            revolvers += usize::from(revolved);
        }
    }
    assert!(revolvers > 4_000, "{revolvers} revolvers");
}

/// People of `band` not struggling (only they can lose their job), with their job-loss month.
fn at_risk_in(band: &IncomeBand) -> Vec<Option<YearMonth>> {
    population()
        .1
        .iter()
        .filter(|p| p.behaviour != Behaviour::Struggling && income_band(p.monthly_income_fen).low_fen == band.low_fen)
        .map(|p| event(p, LifeEvent::JobLost))
        .collect()
}

#[test]
fn job_losses_by_month_follow_each_income_bands_hazard() {
    for band in INCOME_BANDS {
        let people = at_risk_in(band);
        let hazard = f64::from(band.job_loss_bp) / 10_000.0;
        let (mut observed, mut expected) = (0.0, 0.0);
        for month in window() {
            let at_risk = people.iter().filter(|lost| lost.is_none_or(|l| l >= month)).count() as f64;
            let lost = people.iter().filter(|l| **l == Some(month)).count() as f64;
            assert!(
                close(lost, at_risk * hazard, 5.0, 3.0),
                "{month}: {lost} losses, {:.1} expected",
                at_risk * hazard
            );
            observed += lost;
            expected += at_risk * hazard;
        }
        assert!(close(observed, expected, 4.0, 3.0), "band from {}: {observed} vs {expected:.1}", band.low_fen);
        assert!(observed > 20.0, "band from {}: {observed} job losses", band.low_fen);
    }
}

#[test]
fn delinquencies_from_job_losses_by_month_follow_hazard_and_savings() {
    let first = window()[0];
    let mut onsets = 0.0;
    for band in INCOME_BANDS {
        let people = at_risk_in(band);
        let stopped: Vec<Option<YearMonth>> = population()
            .1
            .iter()
            .filter(|p| {
                p.behaviour != Behaviour::Struggling && income_band(p.monthly_income_fen).low_fen == band.low_fen
            })
            .map(|p| event(p, LifeEvent::PaymentsStopped))
            .collect();
        let rate = job_loss_delinquency_bp(band) / 10_000.0;
        let (mut observed, mut expected) = (0.0, 0.0);
        for month in window() {
            let lost_in = month.plus(-band.savings_months);
            let at_risk = if lost_in < first {
                0.0
            } else {
                people.iter().filter(|l| l.is_none_or(|l| l >= lost_in)).count() as f64
            };
            let started = stopped.iter().filter(|s| **s == Some(month)).count() as f64;
            assert!(close(started, at_risk * rate, 5.0, 3.0), "{month}: {started} vs {:.1}", at_risk * rate);
            observed += started;
            expected += at_risk * rate;
        }
        assert!(close(observed, expected, 4.0, 3.0), "band from {}: {observed} vs {expected:.1}", band.low_fen);
        onsets += observed;
    }
    assert!(onsets > 500.0, "{onsets} delinquencies from job losses");
}

#[test]
fn stopped_payments_show_as_overdue_months() {
    let last = *window().last().expect("months");
    let (mut stopped, mut shown) = (0, 0);
    for p in &population().1 {
        let Some(month) = event(p, LifeEvent::PaymentsStopped).filter(|m| *m < last) else { continue };
        let owes = p.accounts.iter().any(|a| {
            a.origin == ob_sim::AccountOrigin::Own && a.months.iter().any(|m| m.month == month && m.due_fen > 0)
        });
        if !owes {
            continue;
        }
        stopped += 1;
        let late = p
            .accounts
            .iter()
            .flat_map(|a| &a.months)
            .any(|m| (m.month == month || m.month == month.plus(1)) && m.status.overdue_periods().is_some());
        shown += usize::from(late);
    }
    assert_eq!(shown, stopped, "everyone who stops paying while something is due shows as overdue");
    assert!(stopped > 1_000);
}

#[test]
fn struggling_people_stop_paying_uniformly_over_the_first_two_thirds() {
    let span = MONTHS * params::STRUGGLE_ONSET_WITHIN_PERCENT / 100;
    let months = window();
    let struggling: Vec<_> = population().1.iter().filter(|p| p.behaviour == Behaviour::Struggling).collect();
    let per_month = struggling.len() as f64 / f64::from(span);
    let starts: HashSet<YearMonth> = months[..span as usize].iter().copied().collect();
    for (i, month) in months.iter().enumerate() {
        let n = struggling.iter().filter(|p| event(p, LifeEvent::PaymentsStopped) == Some(*month)).count() as f64;
        if starts.contains(month) {
            assert!(close(n, per_month, 5.0, 3.0), "{month}: {n} vs {per_month:.1}");
        } else {
            assert_eq!(n, 0.0, "month {i} is after the onset span");
        }
    }
}
