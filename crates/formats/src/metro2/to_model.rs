//! Metro 2 onto OpenBureau's model (docs/formats/metro2.md, "Ingest mapping").
//!
//! One data record gives an account record and the month it reports, or a deletion (account
//! status DA/DF, ECOA code Z), plus a key change for an L1 segment. Whole dollars become cents.

use super::record::{BaseSegment, DataRecord};
use ob_model::records::{
    AccountRecord, ContractTerms, DeleteRecord, Identity, MonthRecord, Record, RekeyRecord, Terms,
};
use ob_model::{
    AccountType, Code, Currency, DocumentNumber, DocumentType, FieldError, RepaymentStatus, Responsibility, YearMonth,
};

/// Cents in a dollar.
const CENTS_PER_DOLLAR: i64 = 100;

fn err(code: Code, field: &str, message: &str) -> FieldError {
    FieldError::new(code, field, message)
}

/// The PBOC account type of a Metro 2 portfolio type and account type: collection accounts
/// (48 collection agency, 0C debt buyer) are C1; revolving credit cards (18) R2; other revolving
/// and lines of credit R1; installment, mortgage and open accounts D1.
pub fn account_type(portfolio: &str, account_type: &str) -> Option<AccountType> {
    if matches!(account_type, "48" | "0C") {
        return Some(AccountType::C1);
    }
    match portfolio {
        "R" if account_type == "18" => Some(AccountType::R2),
        "R" | "C" => Some(AccountType::R1),
        "I" | "M" | "O" => Some(AccountType::D1),
        _ => None,
    }
}

/// What a Metro 2 base segment says of the contract, in the report's terms: the kind of loan from
/// the account type (real-estate mortgages 08, 19, 25, 26, 2C, 5A → housing; auto 00, 3A → car;
/// education 12 → student; business 10 → business), a mortgage guarantee for the real-estate
/// ones, and the repayment frequency from the terms frequency (D, B, E, L, T → other; none when
/// blank). So that a US mortgage does not read as a consumer loan.
pub fn contract_terms(account_type: &str, terms_frequency: &str) -> ContractTerms {
    use ob_model::{GuaranteeMode as G, LoanKind as K, RepayFrequency as F};
    let (loan_kind, guarantee) = match account_type {
        "08" | "19" | "25" | "26" | "2C" | "5A" => (Some(K::Housing), Some(G::Mortgage)),
        "00" | "3A" => (Some(K::Car), None),
        "12" => (Some(K::Student), None),
        "10" => (Some(K::Business), None),
        _ => (None, None),
    };
    let frequency = match terms_frequency {
        "W" => Some(F::Weekly),
        "M" => Some(F::Monthly),
        "Q" => Some(F::Quarterly),
        "S" => Some(F::HalfYearly),
        "Y" => Some(F::Yearly),
        "P" => Some(F::Once),
        "D" | "B" | "E" | "L" | "T" => Some(F::Other),
        _ => None,
    };
    ContractTerms { loan_kind, guarantee, maturity_on: None, frequency, method: None }
}

/// The monthly status and days past due of a Metro 2 account status. Late statuses count missed
/// payments (71: one, 30–59 days; 78: two; … 84: six or more) and map to the PBOC symbol of that
/// many overdue periods with the bucket's first day count. `None` for DA/DF (deletions).
pub fn status(account_status: &str) -> Option<(RepaymentStatus, u32)> {
    use RepaymentStatus as S;
    Some(match account_status {
        "11" => (S::Normal, 0),
        "13" | "61" | "62" | "63" | "64" | "65" => (S::Settled, 0),
        "71" => (S::Overdue1, 30),
        "78" => (S::Overdue2, 60),
        "80" => (S::Overdue3, 90),
        "82" => (S::Overdue4, 120),
        "83" => (S::Overdue5, 150),
        "84" => (S::Overdue6, 180),
        "05" | "88" | "93" => (S::EndedOther, 0),
        "89" | "94" | "95" | "96" => (S::AssetTransfer, 0),
        "97" => (S::BadDebt, 0),
        _ => return None,
    })
}

/// The monthly status a payment-history-profile character stands for (`None`: no history that
/// month, B/D). Kept for validation and reports of what a furnisher sent; months come from each
/// month's own record.
pub fn history_status(c: u8) -> Option<RepaymentStatus> {
    use RepaymentStatus as S;
    Some(match c {
        b'0' | b'E' => S::Normal,
        b'1' => S::Overdue1,
        b'2' => S::Overdue2,
        b'3' => S::Overdue3,
        b'4' => S::Overdue4,
        b'5' => S::Overdue5,
        b'6' => S::Overdue6,
        b'G' => S::EndedOther,
        b'H' | b'J' | b'K' => S::AssetTransfer,
        b'L' => S::BadDebt,
        _ => return None,
    })
}

/// The person of the base segment: name as `FIRST MIDDLE SURNAME`, birth date, SSN.
fn identity(b: &BaseSegment) -> Result<Identity, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = [b.first_name.trim(), b.middle_name.trim(), b.surname.trim()]
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    let birth_date = b.date_birth;
    if birth_date.is_none() {
        errors.push(err(Code::FieldMissing, "dateBirth", "OpenBureau keys files by document and birth date"));
    }
    let document = DocumentNumber::parse(DocumentType::UsSsn, &format!("{:09}", b.social_security_number.0))
        .map_err(|e| errors.push(FieldError::new(Code::DocumentInvalid, "socialSecurityNumber", e.to_string())))
        .ok();
    match (birth_date, document) {
        (Some(birth_date), Some(document)) if errors.is_empty() => Ok(Identity { name, birth_date, document }),
        _ => Err(errors),
    }
}

fn cents(dollars: i64) -> i64 {
    dollars.saturating_mul(CENTS_PER_DOLLAR)
}

/// The records a Metro 2 data record stands for.
pub fn to_records(rec: &DataRecord) -> Result<Vec<Record>, Vec<FieldError>> {
    let b = &rec.base;
    let key = b.consumer_account_number.trim().to_owned();
    let mut out = Vec::new();
    if let Some(l1) = &rec.l1 {
        let new_key = l1.new_consumer_account_number.trim();
        if !new_key.is_empty() && new_key != key {
            out.push(Record::Rekey(RekeyRecord { account_key: key.clone(), new_account_key: new_key.to_owned() }));
        }
    }
    let key = match out.last() {
        Some(Record::Rekey(k)) => k.new_account_key.clone(),
        _ => key,
    };
    // An authorized user (ECOA 3) is not liable: the account is not the person's, and one filed
    // before as theirs is taken off their file.
    if matches!(b.account_status.as_str(), "DA" | "DF") || matches!(b.ecoa_code.as_str(), "Z" | "3") {
        out.push(Record::Delete(DeleteRecord { account_key: key, months: None }));
        return Ok(out);
    }
    let subject = identity(b)?;
    let account = account_record(b, &key, subject)?;
    let month = month_record(b, &key, account.account_type)?;
    out.push(Record::Account(account));
    out.push(Record::Month(month));
    Ok(out)
}

/// The person's part in the account by its ECOA code: 2 joint and 7 maker (with a co-maker) share
/// the debt; 5, co-maker or guarantor, is liable only if the maker defaults, a guarantee kept out
/// of the person's own debt; 3, an authorized user, is not liable at all, and a lender must not
/// read the account as the person's debt (a record with it is a deletion, before this is asked).
fn responsibility(ecoa: &str) -> Result<Responsibility, FieldError> {
    match ecoa {
        "2" | "7" => Ok(Responsibility::Joint),
        "5" => Ok(Responsibility::Guarantor),
        "3" => Err(err(
            Code::FieldInvalid,
            "ecoaCode",
            "ECOA 3 (authorized user): not liable for the account, which is not filed as the person's",
        )),
        _ => Ok(Responsibility::Individual),
    }
}

fn account_record(b: &BaseSegment, key: &str, subject: Identity) -> Result<AccountRecord, Vec<FieldError>> {
    let account_type = account_type(&b.portfolio_type, &b.account_type).ok_or_else(|| {
        vec![err(Code::FieldInvalid, "portfolioType", "no PBOC account type for this portfolio type")]
    })?;
    let opened_on =
        b.date_opened.ok_or_else(|| vec![err(Code::FieldMissing, "dateOpened", "date opened is required")])?;
    let revolving = matches!(b.portfolio_type.as_str(), "R" | "C");
    let limit_dollars = if revolving { b.credit_limit_dollars } else { b.highest_credit_dollars };
    let periods = b.terms_duration.trim().parse::<u16>().ok().filter(|p| *p > 0);
    let periods = match (account_type, periods) {
        (AccountType::D1, None) => Some(1),
        (_, p) => p,
    };
    let responsibility = responsibility(&b.ecoa_code).map_err(|e| vec![e])?;
    let account = AccountRecord {
        account_key: key.to_owned(),
        subject,
        account_type,
        opened_on,
        currency: Currency::USD,
        credit_limit_minor: cents(limit_dollars),
        terms: Terms {
            periods: if revolving { None } else { periods },
            due_day: None,
            contract: contract_terms(&b.account_type, &b.terms_frequency),
        },
        responsibility,
        credit_line_key: None,
    };
    let errors = account.check();
    if errors.is_empty() { Ok(account) } else { Err(errors) }
}

fn month_record(b: &BaseSegment, key: &str, account_type: AccountType) -> Result<MonthRecord, Vec<FieldError>> {
    let settled_on = b.date_account_information.ok_or_else(|| {
        vec![err(Code::FieldMissing, "dateAccountInformation", "date of account information is required")]
    })?;
    let (status, days_past_due) = status(&b.account_status)
        .ok_or_else(|| vec![err(Code::FieldInvalid, "accountStatus", "not an account status that reports a month")])?;
    let balance = cents(b.current_balance_dollars);
    let terminal = status.closes_with(balance);
    let month = MonthRecord {
        account_key: key.to_owned(),
        month: YearMonth::of(settled_on),
        settled_on,
        balance_minor: balance,
        used_minor: balance,
        due_minor: cents(b.scheduled_monthly_payment_dollars),
        paid_minor: cents(b.actual_payment_dollars),
        past_due_minor: cents(b.amount_past_due_dollars),
        days_past_due,
        status,
        class5: None,
        last_payment_on: b.date_last_payment.filter(|d| *d <= settled_on),
        closed_on: b.date_closed.filter(|d| terminal && *d <= settled_on),
        credit_limit_minor: account_type.is_revolving().then(|| cents(b.credit_limit_dollars)),
        detail: Default::default(),
    };
    let errors = month.check();
    if errors.is_empty() { Ok(month) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_onto_overdue_periods() {
        let cases = [("11", "N", 0), ("71", "1", 30), ("84", "6", 180), ("13", "C", 0), ("97", "B", 0), ("95", "Z", 0)];
        for (m2, pboc, days) in cases {
            let (s, d) = status(m2).unwrap();
            assert_eq!((s.as_str(), d), (pboc, days), "{m2}");
            if let Some(p) = s.overdue_periods() {
                assert_eq!(RepaymentStatus::from_days_past_due(d).overdue_periods(), Some(p), "consistent with {m2}");
            }
        }
        assert_eq!(status("DA"), None);
    }

    #[test]
    fn a_mortgage_reads_as_a_housing_loan_secured_by_the_home_not_a_consumer_loan() {
        use ob_model::{GuaranteeMode as G, LoanKind as K, RepayFrequency as F};
        let c = contract_terms("26", "M");
        assert_eq!((c.loan_kind, c.guarantee, c.frequency), (Some(K::Housing), Some(G::Mortgage), Some(F::Monthly)));
        assert_eq!(contract_terms("00", "W").loan_kind, Some(K::Car));
        assert_eq!(contract_terms("12", "").frequency, None);
        let unsecured = contract_terms("01", "B");
        assert_eq!((unsecured.loan_kind, unsecured.guarantee, unsecured.frequency), (None, None, Some(F::Other)));
    }

    #[test]
    fn ecoa_codes_give_the_person_s_part() {
        assert_eq!(responsibility("1"), Ok(Responsibility::Individual));
        assert_eq!(responsibility("2"), Ok(Responsibility::Joint));
        assert_eq!(responsibility("7"), Ok(Responsibility::Joint));
        assert_eq!(responsibility("5"), Ok(Responsibility::Guarantor), "a guarantee, not own debt");
        assert_eq!(responsibility("3").map_err(|e| (e.code, e.field)), Err((Code::FieldInvalid, "ecoaCode".into())));
    }

    #[test]
    fn account_types() {
        assert_eq!(account_type("R", "18"), Some(AccountType::R2));
        assert_eq!(account_type("C", "15"), Some(AccountType::R1));
        assert_eq!(account_type("I", "00"), Some(AccountType::D1));
        assert_eq!(account_type("O", "48"), Some(AccountType::C1));
        assert_eq!(account_type("X", "00"), None);
    }
}
