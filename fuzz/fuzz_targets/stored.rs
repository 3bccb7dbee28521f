//! Any bytes as a stored account-month body (`ob_store::packed`) or a stored detail column
//! (`ob_store::detail`): reading never panics, and what reads writes back to bytes that read the
//! same. (A store's bytes are ours, but a damaged disk or a hand-edited file must give an error,
//! not a crash or a wrong figure.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use ob_model::YearMonth;
use ob_store::packed::{self, MonthHead};
use ob_store::{AccountId, SubjectId, detail};

fuzz_target!(|data: &[u8]| {
    let head = MonthHead {
        account_id: AccountId(1),
        month: YearMonth::new(2026, 2).expect("a month"),
        version: 1,
        subject_id: SubjectId(1),
        batch_id: None,
        recorded_at: 0,
    };
    if let Ok(month) = packed::decode(head, data) {
        assert_eq!(packed::decode(head, &packed::encode(&month)).expect("reads back"), month);
    }
    if let Ok(contract) = detail::decode_contract(Some(data)) {
        let bytes = detail::encode_contract(&contract);
        assert_eq!(detail::decode_contract(bytes.as_deref()).expect("reads back"), contract);
    }
    if let Ok(month) = detail::decode_month(Some(data)) {
        let bytes = detail::encode_month(&month);
        assert_eq!(detail::decode_month(bytes.as_deref()).expect("reads back"), month);
    }
});
