package selection

import "time"

// Clock lets tests drive the Selector's time.
type Clock interface {
	Now() time.Time
	Timer(d time.Duration) (<-chan time.Time, func() bool)
}

// SetClock replaces s's clock; call before s is used.
func SetClock(s *Selector, c Clock) { s.clock = c }

// OnRefreshWait calls f whenever a caller starts waiting for another
// caller's read of the same account; call before s is used.
func OnRefreshWait(s *Selector, f func(account string)) { s.onRefreshWait = f }
