package admin

import "time"

// dropMappedEvery is how often DB 0's file is taken out of the address space
// (storage.DB.DropMapped): its RSS is then the pages read in the last interval, not every
// page read since the start. A page read again costs a minor fault from the page cache.
var dropMappedEvery = 5 * time.Second // a variable for a test

// dropAfterTouches is how many databases opened or created (each reads or writes about
// six pages of DB 0 in different places, each fault mapping 64 KiB) bring a drop before
// its interval: RSS stays within about 100 MiB of DB 0's pages however fast databases
// are opened, instead of the 445 MiB that 1,000 opens in a second left until the tick.
const dropAfterTouches = 256

// touchedDB0 counts n databases opened or created, and asks for a drop past
// dropAfterTouches of them.
func (a *Admin) touchedDB0(n int) {
	if a.db0Touches.Add(int64(n)) < dropAfterTouches {
		return
	}
	a.db0Touches.Store(0)
	select {
	case a.mapKick <- struct{}{}:
	default: // one is asked for already
	}
}

// dropMappedLoop drops DB 0's mapped pages every interval, and when touchedDB0 asks,
// until stop closes.
func (a *Admin) dropMappedLoop(interval time.Duration, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-a.mapKick:
		case <-stop:
			return
		}
		if err := a.db0.DropMapped(); err != nil {
			a.guard.log.Warn("dropping DB 0's mapped pages failed", "err", err)
		}
	}
}
