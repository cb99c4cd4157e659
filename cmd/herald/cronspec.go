package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/robfig/cron/v3"
)

// cronParser reads topic schedules: the five-field form, descriptors like
// @hourly, and a CRON_TZ=Zone prefix. It guards robfig/cron's parser, which
// panics on a zone prefix with nothing after it ("TZ=x") and is no longer
// maintained, so a config line can never bring the daemon down.
var cronParser cron.ScheduleParser = guardedParser{
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
