package main

import "sync"

// passes runs at most one poll pass per topic at a time and coalesces the
// ticks that come meanwhile: however many, they make one more pass once
// the running one ends. (Passes used to queue behind one lock: a slow
// topic held every other topic's ticks, which then ran in a burst.)
type passes struct {
	mu      sync.Mutex
	running map[string]bool // a pass of the topic runs
	again   map[string]bool // and a tick came meanwhile
}

// start runs pass for topic in the background, owned by jobs, unless one
// runs already: then that one runs pass once more when it is done.
func (p *passes) start(topic string, jobs *sync.WaitGroup, pass func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running == nil {
		p.running, p.again = map[string]bool{}, map[string]bool{}
	}
	if p.running[topic] {
		p.again[topic] = true
		return
	}
	p.running[topic] = true
	jobs.Go(func() {
		for {
			pass()
			p.mu.Lock()
			again := p.again[topic]
			delete(p.again, topic)
			if !again {
				delete(p.running, topic)
			}
			p.mu.Unlock()
			if !again {
				return
			}
		}
	})
}
