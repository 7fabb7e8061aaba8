//! Dates and durations for display, from Unix milliseconds, identical on server and browser.

/// Formats a Unix time in milliseconds as `2026-12-04 20:41 UTC`.
pub fn format_utc(ms: i64) -> String {
    let seconds = ms.div_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", of_day / 3600, of_day % 3600 / 60)
}

/// Describes how far `later_ms` is after `now_ms`, such as "in 23 hours" or "in 5 minutes".
pub fn format_until(now_ms: i64, later_ms: i64) -> String {
    let minutes = (later_ms - now_ms) / 60_000;
    match minutes {
        ..=0 => "now".to_owned(),
        1 => "in 1 minute".to_owned(),
        2..=59 => format!("in {minutes} minutes"),
        60..=119 => "in 1 hour".to_owned(),
        _ => format!("in {} hours", minutes / 60),
    }
}

/// Converts days since 1970-01-01 to a proleptic Gregorian (year, month, day), after Howard
/// Hinnant's `civil_from_days` (https://howardhinnant.github.io/date_algorithms.html).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(format_utc(1_796_083_200_000 + 20 * 3_600_000 + 41 * 60_000), "2026-12-01 20:41 UTC");
        assert_eq!(format_utc(-86_400_000), "1969-12-31 00:00 UTC");
    }

    #[test]
    fn formats_durations() {
        assert_eq!(format_until(0, 0), "now");
        assert_eq!(format_until(0, 60_000), "in 1 minute");
        assert_eq!(format_until(0, 5 * 60_000), "in 5 minutes");
        assert_eq!(format_until(0, 90 * 60_000), "in 1 hour");
        assert_eq!(format_until(0, 24 * 3_600_000), "in 24 hours");
    }
}
