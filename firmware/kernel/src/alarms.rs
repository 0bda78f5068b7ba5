//! Periodic alarms, kept per process in its grant region.
//!
//! `alarm_start(period)` gives the calling process a new alarm that fires
//! every `period` milliseconds from now and answers its number;
//! `alarm_wait(n)` blocks the process until alarm `n` fires next and
//! answers the millisecond it was due at, so that a process can tell how
//! late the kernel woke it. Each alarm is an entry of the [`ALARMS`] grant
//! in the process's own grant region: a process that starts alarms until
//! its region is full gets `ENOMEM`, and every other process's alarms keep
//! firing.

use firmware_abi::errno::{EINVAL, ENOMEM};

use crate::grant::{Grant, GrantRegion};
use crate::syscalls::Errno;

/// One alarm: its period and when it is due next, in milliseconds of
/// uptime (wrapping).
#[derive(Clone, Copy)]
struct Alarm {
    period_ms: u32,
    due_ms: u32,
}

/// Every process's alarms.
static ALARMS: Grant<Alarm> = Grant::new(0);

/// What `alarm_wait` does to the caller.
pub enum Wait {
    /// The alarm is overdue: answer at once with the time it was due.
    Now(u32),
    /// Block the caller until this millisecond, then answer it.
    Until(u32),
}

/// A new alarm in `grants` with its first expiry `period_ms` after `now_ms`.
pub fn start(grants: &mut GrantRegion, now_ms: u32, period_ms: u32) -> Result<u32, Errno> {
    if period_ms == 0 {
        return Err(Errno(EINVAL as u16));
    }
    let alarm = Alarm {
        period_ms,
        due_ms: now_ms.wrapping_add(period_ms),
    };
    ALARMS
        .allocate(grants, alarm)
        .map_err(|_| Errno(ENOMEM as u16))
}

/// Takes the next expiry of alarm `number` and says when to answer.
pub fn wait(grants: &mut GrantRegion, now_ms: u32, number: u32) -> Result<Wait, Errno> {
    ALARMS
        .enter(grants, number, |alarm| {
            let due = alarm.due_ms;
            alarm.due_ms = due.wrapping_add(alarm.period_ms);
            // Uptime wraps: `due` is past when it lies less than half the
            // clock's range behind `now`.
            if (now_ms.wrapping_sub(due) as i32) >= 0 {
                Wait::Now(due)
            } else {
                Wait::Until(due)
            }
        })
        .ok_or(Errno(EINVAL as u16))
}
