package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// CronParser reads topic schedules: the five-field form, descriptors like
// @hourly, and a CRON_TZ=Zone prefix. It guards robfig/cron's parser, which
// panics on a zone prefix with nothing after it ("TZ=x") and is no longer
// maintained, so a config line can never bring the daemon down.
var CronParser cron.ScheduleParser = guardedParser{
	cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor),
}

type guardedParser struct{ p cron.Parser }

func (g guardedParser) Parse(spec string) (s cron.Schedule, err error) {
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		if !strings.Contains(spec, " ") {
			return nil, errors.New("a CRON_TZ=Zone prefix must be followed by a space and the five fields")
		}
	}
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("unreadable cron spec (%v)", r)
		}
	}()
	return g.p.Parse(spec)
}

// PassInterval is the time between the passes of topic ("" for the
// shortest of all topics') after now: a feed polled within half of it
// by any instance is not polled again (store.Coordinator.PollLeased).
func (c *Config) PassInterval(topic string, now time.Time) time.Duration {
	var shortest time.Duration
	for _, t := range c.Topics {
		if topic != "" && t.Name != topic {
			continue
		}
		s, err := CronParser.Parse(t.Schedule)
		if err != nil {
			continue
		}
		next := s.Next(now)
		if d := s.Next(next).Sub(next); !next.IsZero() && d > 0 && (shortest == 0 || d < shortest) {
			shortest = d
		}
	}
	return shortest
}
