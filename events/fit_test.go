package events

import "testing"

// The generated weights name the features the code computes: a stale
// fitted.go (features added or dropped since) would weigh some at zero.
func TestFittedMatchesFeatures(t *testing.T) {
	if stale := fitted.stale(); len(stale) > 0 {
		t.Errorf("events/fitted.go is stale, run `herald eval fit`: %v", stale)
	}
}
