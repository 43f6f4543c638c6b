//! Calendar arithmetic and the lenient timestamp parser used for `eventTime`.
//!
//! Real CloudTrail writes `YYYY-MM-DDTHH:MM:SSZ`; pipelines that re-export it
//! write `YYYY-MM-DD HH:MM:SS[.fffffffff]`, offsets, or the compact ISO-8601
//! basic form. All of them parse here; anything else yields `None` and the
//! caller keeps the raw string. No allocation, no panics on any input.

const MS_PER_DAY: i64 = 86_400_000;

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a day number since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The UTC day number of a millisecond timestamp.
pub fn day_of_ms(ms: i64) -> i64 {
    ms.div_euclid(MS_PER_DAY)
}

/// `YYYY-MM-DD` of a day number, the Hive partition value.
pub fn format_day(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, n: usize) -> Option<u32> {
        let s = self.b.get(self.i..self.i + n)?;
        let mut v = 0u32;
        for &c in s {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(c - b'0');
        }
        self.i += n;
        Some(v)
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
}

/// Parses an ISO-8601 / RFC 3339 style timestamp to milliseconds since the epoch (UTC).
///
/// Accepts `T` or a space between date and time, an optional fraction (truncated to
/// milliseconds), and `Z`, `±HH:MM`, `±HHMM` or no zone (read as UTC), plus the basic
/// form `YYYYMMDDTHHMMSSZ`. Returns `None` for anything else, including impossible dates.
pub fn parse_timestamp_ms(s: &str) -> Option<i64> {
    let mut c = Cursor { b: s.trim().as_bytes(), i: 0 };
    let year = c.digits(4)?;
    let extended = c.eat(b'-');
    let month = c.digits(2)?;
    if extended && !c.eat(b'-') {
        return None;
    }
    let day = c.digits(2)?;
    if !(c.eat(b'T') || c.eat(b't') || (extended && c.eat(b' '))) {
        return None;
    }
    let hour = c.digits(2)?;
    if extended && !c.eat(b':') {
        return None;
    }
    let minute = c.digits(2)?;
    if extended && !c.eat(b':') {
        return None;
    }
    let second = c.digits(2)?;
    let mut millis = 0u32;
    if c.eat(b'.') || c.eat(b',') {
        let mut n = 0;
        while let Some(d) = c.peek().filter(u8::is_ascii_digit) {
            if n < 3 {
                millis = millis * 10 + u32::from(d - b'0');
            }
            n += 1;
            c.i += 1;
        }
        if n == 0 {
            return None;
        }
        for _ in n..3 {
            millis *= 10;
        }
    }
    let offset_minutes: i64 = match c.peek() {
        None => 0,
        Some(b'Z' | b'z') => {
            c.i += 1;
            0
        }
        Some(sign @ (b'+' | b'-')) => {
            c.i += 1;
            let oh = c.digits(2)?;
            c.eat(b':');
            let om = c.digits(2)?;
            if oh > 23 || om > 59 {
                return None;
            }
            let m = i64::from(oh * 60 + om);
            if sign == b'-' {
                -m
            } else {
                m
            }
        }
        Some(_) => return None,
    };
    if c.i != c.b.len() {
        return None;
    }
    let year = i64::from(year);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    // A leap second (:60) is clamped to :59 rather than rejected.
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let second = second.min(59);
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset_minutes * 60;
    Some(secs * 1000 + i64::from(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_timestamp_ms_accepts_real_and_exported_forms() {
        let base = 1_689_802_421_000; // 2023-07-19T21:33:41Z
        let cases = [
            ("2023-07-19T21:33:41Z", Some(base)),
            ("2023-07-19 21:33:41", Some(base)),
            ("2023-07-19 21:33:41Z", Some(base)),
            ("2023-07-19 21:33:41.000000000", Some(base)),
            ("2023-07-19T21:33:41.379877250Z", Some(base + 379)),
            ("2023-07-19T23:33:41+02:00", Some(base)),
            ("2023-07-19T20:33:41-0100", Some(base)),
            ("20230719T213341Z", Some(base)),
            ("1970-01-01T00:00:00Z", Some(0)),
            ("1969-12-31T23:59:59Z", Some(-1000)),
            ("2024-02-29T00:00:00Z", Some(1_709_164_800_000)),
            ("2023-02-29T00:00:00Z", None),
            ("2023-13-01T00:00:00Z", None),
            ("2023-07-19T24:00:00Z", None),
            ("2023-07-19", None),
            ("...", None),
            ("eventTime", None),
            ("redacted", None),
            ("", None),
            ("2023-07-19T21:33:41Zjunk", None),
            ("2023-07-19T21:33:41.Z", None),
            ("２０２３-07-19T21:33:41Z", None),
        ];
        for (input, want) in cases {
            assert_eq!(parse_timestamp_ms(input), want, "{input:?}");
        }
    }

    #[test]
    fn civil_round_trips_over_four_centuries() {
        for days in (-200_000..200_000).step_by(7) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(format_day(19_557), "2023-07-19");
        assert_eq!(day_of_ms(-1), -1);
    }
}
