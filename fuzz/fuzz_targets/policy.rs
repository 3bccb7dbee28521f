//! Any bytes as a policy file (`--policy FILE`): reading never panics; a policy that passes
//! `Policy::check` writes back to itself, names a real time zone and dates every deadline it sets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ob_model::policy::Policy;

fuzz_target!(|data: &[u8]| {
    let Ok(policy) = serde_json::from_slice::<Policy>(data) else { return };
    let problems = policy.check();
    if !problems.is_empty() {
        assert!(problems.iter().all(|p| !p.problem.is_empty() && !p.field.is_empty()));
        return;
    }
    let text = serde_json::to_string(&policy).expect("a policy serializes");
    assert_eq!(serde_json::from_str::<Policy>(&text).expect("reads back"), policy);
    let offset_s = i32::from(policy.report_utc_offset_minutes) * 60;
    assert!(time::UtcOffset::from_whole_seconds(offset_s).is_ok(), "{offset_s}");
    let today = time::macros::date!(2099 - 12 - 31);
    for days in [policy.dispute_answer_days, policy.fraud_alert_days] {
        assert!(today.checked_add(time::Duration::days(i64::from(days))).is_some());
    }
});
